"""Cassettes: LM Studio exchanges recorded to a file, and served back to matching requests.

A cassette is a JSON lines file. Its first line is a header::

    {"cassette": "lmstudio.testing", "version": 1, "upstream": "127.0.0.1:1234"}

then one line per exchange, written when the exchange ended, in that order::

    {"namespace": "system", "kind": "rpc", "endpoint": "version", "result": {...}}
    {"namespace": "llm", "kind": "rpc", "endpoint": "tokenize", "parameter": {...},
     "error": {...serializedLMSExtendedError...}}
    {"namespace": "llm", "kind": "channel", "endpoint": "predict", "creationParameter": {...},
     "events": [{"toClient": {...}}, {"toServer": {"type": "cancel"}}, ...],
     "end": "close" | "open" | {"error": {...}}}

``parameter`` / ``creationParameter`` / ``result`` are absent where they were absent on the
wire. Authentication packets are never recorded, and any ``clientPasskey`` value is
replaced by ``"***"``: a cassette holds no secret of the client that recorded it.

Replay rules (``FakeLMStudio(replay=FILE)``):

- A request matches an exchange of the same namespace, kind, endpoint and parameter
  (JSON equality; key order does not matter). Identical requests are answered by their
  recorded exchanges in order; once all are used, the last one answers again.
- Ids are the new client's: the answer goes to the ``callId`` / ``channelId`` it used.
- A channel replays its events in order: it sends each recorded ``toClient`` packet
  (prediction fragments at the server's pace, as a live prediction), and at a recorded
  ``toServer`` packet it waits for the client to send one (a prediction recorded with a
  cancel waits for the cancel); a client packet that comes sooner skips ahead to it, as a
  cancel stops a live prediction. Then it ends as recorded (``"open"``: it stays open
  until the client goes).
- A request the cassette does not hold is answered with an error that names the
  endpoint and the cassette (and is logged), never with a made-up answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._superjson import SUPERJSON_ENDPOINTS

if TYPE_CHECKING:
    from lmstudio.testing._session import CallContext, Channel

__all__ = ["CASSETTE_VERSION", "Cassette", "header", "redact"]

_log = logging.getLogger("lmstudio.testing")
CASSETTE_VERSION = 1
_REDACTED = "***"
_SECRET_KEYS = frozenset({"clientPasskey"})


def header(upstream: str) -> dict[str, Any]:
    """A cassette's first line."""
    return {"cassette": "lmstudio.testing", "version": CASSETTE_VERSION, "upstream": upstream}


def redact(value: Any) -> Any:
    """``value`` with every ``clientPasskey`` replaced by ``"***"`` (at any depth)."""
    if isinstance(value, dict):
        return {k: _REDACTED if k in _SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _key(namespace: str, kind: str, endpoint: str, payload: Any) -> tuple[str, str, str, str]:
    canonical = "" if payload is _ABSENT else json.dumps(payload, sort_keys=True)
    return namespace, kind, endpoint, canonical


_ABSENT: Any = object()


class RecordedError(FakeServerError):
    """An error answer exactly as it was recorded."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(str(error.get("title", "Recorded error")))
        self.recorded = dict(error)

    def to_wire(self) -> dict[str, Any]:
        return dict(self.recorded)


class Cassette:
    """The exchanges of a cassette file, served to matching requests."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.exchanges: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
        self._used: dict[tuple[str, str, str, str], int] = {}
        self.misses: list[str] = []
        for number, exchange in self._read():
            kind = exchange.get("kind")
            part = "parameter" if kind == "rpc" else "creationParameter"
            try:
                key = _key(
                    str(exchange["namespace"]),
                    str(kind),
                    str(exchange["endpoint"]),
                    exchange.get(part, _ABSENT),
                )
            except KeyError as exc:
                raise ValueError(f"{self.path}:{number}: exchange without {exc}") from None
            if kind not in ("rpc", "channel"):
                raise ValueError(f"{self.path}:{number}: unknown exchange kind {kind!r}")
            self.exchanges.setdefault(key, []).append(exchange)

    def _read(self) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"cannot read cassette {self.path}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{self.path}:{number}: not JSON: {exc}") from None
            if not isinstance(item, dict):
                raise ValueError(f"{self.path}:{number}: expected a JSON object")
            if number == 1 or "cassette" in item:
                if item.get("cassette") != "lmstudio.testing":
                    raise ValueError(f"{self.path}: not an lmstudio.testing cassette")
                if item.get("version") != CASSETTE_VERSION:
                    raise ValueError(f"{self.path}: cassette version {item.get('version')!r}")
                continue
            yield number, item

    def __len__(self) -> int:
        return sum(len(found) for found in self.exchanges.values())

    def take(self, namespace: str, kind: str, endpoint: str, payload: Any) -> dict[str, Any]:
        """The exchange that answers a request (``payload``: its JSON, or ``None`` if absent)."""
        key = _key(namespace, kind, endpoint, _ABSENT if payload is None else payload)
        found = self.exchanges.get(key)
        if not found:
            raise self._miss(namespace, kind, endpoint, payload)
        index = self._used.get(key, 0)
        self._used[key] = index + 1
        return found[min(index, len(found) - 1)]

    def _miss(self, namespace: str, kind: str, endpoint: str, payload: Any) -> FakeServerError:
        name = f"{namespace}/{endpoint}"
        recorded = sum(
            len(v) for k, v in self.exchanges.items() if k[0] == namespace and k[2] == endpoint
        )
        shown = "no parameter" if payload is None else json.dumps(payload, sort_keys=True)[:500]
        self.misses.append(name)
        _log.warning("cassette %s holds no answer for %s (%s)", self.path, name, shown)
        return FakeServerError(
            f"The cassette {self.path.name} holds no recorded answer for {name} with this "
            f"{'parameter' if kind == 'rpc' else 'creation parameter'}",
            cause=f"Request: {shown}. The cassette has {recorded} exchange(s) of {name}, "
            "matched on endpoint and parameters.",
            suggestion="Record the cassette again with this request: python -m "
            "lmstudio.testing --record FILE --upstream HOST:PORT",
        )

    # -- serving -------------------------------------------------------------------------

    async def answer_rpc(self, ctx: CallContext, raw: Any) -> Any:
        """The recorded result of an rpc (``None``: no result), or its recorded error."""
        exchange = self.take(ctx.namespace, "rpc", ctx.name, raw)
        if "error" in exchange:
            raise RecordedError(exchange["error"])
        result = exchange.get("result")
        if (ctx.namespace, ctx.name) in SUPERJSON_ENDPOINTS and isinstance(result, dict):
            result = result.get("json")  # the session wraps it again
        return result

    async def run_channel(self, channel: Channel, raw: Any) -> None:
        """Replay a recorded channel (see the module rules)."""
        import asyncio

        exchange = self.take(channel.namespace, "channel", channel.name, raw)
        events: list[dict[str, Any]] = list(exchange.get("events", []))
        index = 0
        while index < len(events):
            event = events[index]
            index += 1
            if "toServer" in event:
                await channel.receive()
                continue
            if not channel.inbox.empty():
                # The client's packet (a cancel) came sooner than in the recording: as a
                # server would, skip ahead to what was sent once it arrived.
                ahead = next(
                    (i for i in range(index - 1, len(events)) if "toServer" in events[i]), None
                )
                if ahead is not None:
                    index = ahead
                    continue
            packet = event.get("toClient")
            if isinstance(packet, dict) and packet.get("type") == "fragment":
                await _pace(channel)  # fragments at the server's pace, as generated
            await channel.send(packet)
            await asyncio.sleep(0)  # let the socket reader see the client's packets
        end = exchange.get("end", "close")
        if isinstance(end, dict) and "error" in end:
            raise RecordedError(end["error"])
        if end == "open":
            await asyncio.Event().wait()  # until the client goes (the task is cancelled)


async def _pace(channel: Channel) -> None:
    import asyncio

    rate = channel.core.tokens_per_second
    if rate is not None:
        await asyncio.sleep(1 / rate)
