"""Write the protocol-generation cassettes (run by hand: ``python -m tests.generations.make_cassettes``).

It records :func:`~tests.generations.session.run_session` from the fake server (which
answers in the current, 2026 shapes of ``../shared/protocol/lms.json``), then writes:

- ``lms-2025-08.jsonl``: the answers as a 2025 server sends them (``lms-2025-08.json``):
  without the fields that schema does not have (instance and model infos' ``publisher``,
  ``quantization``, ``variants``, ``selectedVariant``, ``indexedModelIdentifier``,
  ``deviceIdentifier``, ``lastUsedTime``, ``ttlMs``; fragments' ``tokens`` and
  ``isStructural``; stats' ``stopString`` and ``totalTimeSec``), an older version number;
- ``lms-2026.jsonl``: the answers of a server newer than the schema: a model format
  ``"yuzu"``, a stop reason ``"yuzuLimitReached"``, a predict packet kind
  ``"yuzuProgress"`` and a load packet kind ``"yuzuWarmup"`` that no schema has, and
  fields nobody knows on results, packets and stats.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lmstudio as lms
from lmstudio.testing import FakeLMStudio, RecordingProxy

from .session import run_session

HERE = Path(__file__).parent
INFO_2026 = {  # model and instance infos (dicts with a modelKey)
    "deviceIdentifier",
    "indexedModelIdentifier",
    "lastUsedTime",
    "publisher",
    "quantization",
    "selectedVariant",
    "variants",
    "ttlMs",
}
FRAGMENT_2026 = {"isStructural", "tokens"}  # prediction fragments (dicts with a content)
STATS_2026 = {"stopString", "totalTimeSec"}  # prediction stats (dicts with a stopReason)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        drop: set[str] = set()
        if "modelKey" in value:
            drop |= INFO_2026
        if "content" in value:
            drop |= FRAGMENT_2026
        if "stopReason" in value:
            drop |= STATS_2026
        return {k: _strip(v) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def to_2025(exchange: dict[str, Any]) -> dict[str, Any]:
    """A recorded exchange as a 2025 server answers it.

    Args:
        exchange: a cassette line (the fake's 2026 shapes).

    Returns:
        The changed line (requests are kept: they must match the client's).
    """
    out = dict(exchange)
    if "result" in out:
        out["result"] = _strip(out["result"])
        if exchange["endpoint"] == "version":
            out["result"] = {"version": "0.3.24", "build": 4}
    if "events" in out:
        out["events"] = [_strip(e) if "toClient" in e else e for e in out["events"]]
    return out


def _newer(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _newer(v) for k, v in value.items()}
        if out.get("format") == "gguf":
            out["format"] = "yuzu"
        if "stopReason" in out:
            out["stopReason"] = "yuzuLimitReached"
            out["yuzuStat"] = 1.5
        if "modelKey" in out:
            out["yuzuField"] = {"nested": [1, "two"]}
        return out
    if isinstance(value, list):
        return [_newer(v) for v in value]
    return value


def to_2026(exchange: dict[str, Any]) -> dict[str, Any]:
    """A recorded exchange as a server newer than the schema answers it.

    Args:
        exchange: a cassette line.

    Returns:
        The changed line.
    """
    out = dict(exchange)
    if "result" in out:
        out["result"] = _newer(out["result"])
        if exchange["endpoint"] == "version":
            out["result"] = {"version": "0.9.1", "build": 2, "channel": "yuzu"}
    if "events" in out:
        events: list[dict[str, Any]] = []
        for event in out["events"]:
            packet = event.get("toClient")
            if isinstance(packet, dict) and packet.get("type") == "success":
                kind = {"predict": "yuzuProgress", "loadModel": "yuzuWarmup"}.get(
                    exchange["endpoint"]
                )
                if kind is not None:
                    events.append({"toClient": {"type": kind, "yuzu": 0.5}})
            events.append({"toClient": _newer(packet)} if packet is not None else event)
        out["events"] = events
    return out


def main() -> None:
    """Record the session and write both cassettes."""
    raw = HERE / "recorded.jsonl"
    with (
        FakeLMStudio(tokens_per_second=None) as server,
        RecordingProxy(raw, upstream=server.api_host) as proxy,
        lms.Client(proxy.api_host, timeout=10) as client,
    ):
        run_session(client)
    lines = [json.loads(line) for line in raw.read_text().splitlines() if line.strip()]
    raw.unlink()
    head = {**lines[0], "upstream": "fake"}
    for name, change in (("lms-2025-08.jsonl", to_2025), ("lms-2026.jsonl", to_2026)):
        body = [json.dumps(change(line), separators=(",", ":")) for line in lines[1:]]
        (HERE / name).write_text("\n".join([json.dumps(head), *body]) + "\n")


if __name__ == "__main__":
    main()
