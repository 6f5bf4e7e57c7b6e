"""Endpoints whose values travel as superjson envelopes, not as plain JSON.

LM Studio's endpoints declare a serialization: ``raw`` (the value is the JSON itself, for
almost all of them) or ``superjson`` (the value is ``{"json": ..., "meta": ...}``, which
encodes what JSON cannot: ``undefined``, ``Map``, ``Date``...). The JSON Schema does not
say which: in both protocol generations the only superjson endpoint is
``runtime/getEngineSelections`` (reference.md, 3.10), whose result is a ``Map``.

- Its parameter (void) arrives as ``{"json": null, "meta": {"values": ["undefined"]}}``
  (superjson's ``undefined``) from LM Studio's TypeScript client: unwrapped, that is an
  absent parameter, which is what the endpoint's type allows. A plain absent parameter
  (a client that does not wrap) is accepted too.
- Its result is sent wrapped: ``{"json": [[format, engine], ...], "meta": {"values":
  ["map"]}}``, so the TypeScript client deserializes the ``Map`` its zod schema expects.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["SUPERJSON_ENDPOINTS", "superjson_payload", "superjson_result"]

SUPERJSON_ENDPOINTS: dict[tuple[str, str], str | None] = {
    ("runtime", "getEngineSelections"): "map",  # endpoint -> superjson type of its result
}


def superjson_payload(namespace: str, endpoint: str, payload: Any) -> tuple[Any, str | None]:
    """(the JSON payload LM Studio validates, problem) of a parameter as sent.

    For a raw endpoint the payload as it is; for a superjson one the value its envelope
    holds (``msgspec.UNSET`` for ``undefined``), or a problem when it is no envelope.
    """
    if (namespace, endpoint) not in SUPERJSON_ENDPOINTS or payload is msgspec.UNSET:
        return payload, None
    try:
        envelope = msgspec.json.decode(payload)
    except msgspec.DecodeError as exc:
        return None, f"parameter is invalid: {exc}"
    if not isinstance(envelope, dict):
        return None, "parameter is invalid: expected a superjson envelope {json, meta}"
    meta = envelope.get("meta")
    values = meta.get("values") if isinstance(meta, dict) else None
    if values == ["undefined"] or "json" not in envelope:
        return msgspec.UNSET, None
    if values is not None:
        return None, "parameter is invalid: superjson annotations are not supported here"
    return msgspec.Raw(msgspec.json.encode(envelope["json"])), None


def superjson_result(namespace: str, endpoint: str, encoded: bytes) -> bytes:
    """The result as sent: wrapped in its superjson envelope for a superjson endpoint."""
    if (namespace, endpoint) not in SUPERJSON_ENDPOINTS:
        return encoded
    kind = SUPERJSON_ENDPOINTS[(namespace, endpoint)]
    if kind is None:
        return b'{"json":' + encoded + b"}"
    return b'{"json":' + encoded + b',"meta":{"values":["' + kind.encode() + b'"]}}'
