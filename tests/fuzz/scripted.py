"""The fuzzing server: real exchanges recorded from the fake server, sent back mutated.

``exchanges.jsonl`` (written by ``record_exchanges.py``) is a cassette recorded through :class:`lmstudio.testing.RecordingProxy`
from :class:`lmstudio.testing.FakeLMStudio` (a model loaded with progress, predictions with
fragments, progress and tool calls, a JIT load and a failed one, a download, rpc results and
an rpc error). :class:`FuzzServer` answers every call from it, unchanged, until a test arms
it with a script: then the next call it receives (the *bystander*) is held, the one after it
(the *victim*) is answered with the script's frames, and only then the bystander with its
recorded answer, so a bystander answered intact proves that the frames before it left the
connection and the other calls alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from tests._engine.helpers import scripted_server

__all__ = ["EXCHANGES", "FuzzServer", "Script", "answer_frames", "fuzz_server"]

ID = "\x00id\x00"
"""Stands for the victim's ``callId`` / ``channelId`` in a script's envelopes."""

Script = Callable[[int], list[str]]
"""A victim's id -> the text frames to send it."""


def _load() -> list[dict[str, Any]]:
    lines = (Path(__file__).parent / "exchanges.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines[1:] if line.strip()]


EXCHANGES = _load()


def answer_envelopes(exchange: dict[str, Any]) -> list[dict[str, Any]]:
    """The server's messages of a recorded exchange, its id left as :data:`ID`.

    Args:
        exchange: one cassette line.

    Returns:
        The envelopes in order (an rpc's one answer; a channel's packets and its end).
    """
    if exchange["kind"] == "rpc":
        if "error" in exchange:
            return [{"type": "rpcError", "callId": ID, "error": exchange["error"]}]
        return [{"type": "rpcResult", "callId": ID, "result": exchange.get("result")}]
    out: list[dict[str, Any]] = [
        {"type": "channelSend", "channelId": ID, "message": event["toClient"]}
        for event in exchange.get("events", [])
        if "toClient" in event
    ]
    end = exchange.get("end", "close")
    if isinstance(end, dict):
        out.append({"type": "channelError", "channelId": ID, "error": end["error"]})
    elif end == "close":
        out.append({"type": "channelClose", "channelId": ID})
    return out


def substitute(value: Any, ident: int) -> Any:
    """``value`` with every :data:`ID` replaced by ``ident``.

    Args:
        value: an envelope or a part of one.
        ident: the victim's id.

    Returns:
        A new value.
    """
    if value == ID:
        return ident
    if isinstance(value, dict):
        return {k: substitute(v, ident) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ident) for v in value]
    return value


def answer_frames(exchange: dict[str, Any], ident: int) -> list[str]:
    """The recorded answer to a call of id ``ident``, as text frames.

    Args:
        exchange: one cassette line.
        ident: the call's id.

    Returns:
        The frames.
    """
    return [json.dumps(substitute(e, ident)) for e in answer_envelopes(exchange)]


def recorded(namespace: str, endpoint: str) -> dict[str, Any]:
    """The first recorded exchange of ``namespace/endpoint`` (a channel's successful one).

    Args:
        namespace: the API namespace.
        endpoint: the endpoint's name.

    Returns:
        The exchange.

    Raises:
        KeyError: none was recorded.
    """
    for exchange in EXCHANGES:
        same = (exchange["namespace"], exchange["endpoint"]) == (namespace, endpoint)
        if same and not isinstance(exchange.get("end"), dict):
            return exchange
    raise KeyError(f"{namespace}/{endpoint}")


class FuzzServer:
    """The shared state of the scripted server (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.script: Script | None = None
        self.held: tuple[ServerConnection, str, str, int] | None = None
        self.done = threading.Event()
        self.connections = 0

    def arm(self, script: Script) -> None:
        """Answer the call after the next one with ``script``.

        Args:
            script: the victim's frames, from its id.
        """
        with self.lock:
            self.script, self.held = script, None
            self.done.clear()

    def handle(self, ws: ServerConnection) -> None:
        """One client connection: authenticate, then answer until it goes.

        Args:
            ws: the connection.
        """
        with self.lock:
            self.connections += 1
        namespace = ws.request.path.strip("/") if ws.request else ""
        try:
            json.loads(ws.recv())  # authentication
            ws.send('{"success": true}')
            while True:
                message = json.loads(ws.recv())
                kind = message.get("type")
                if kind == "rpcCall":
                    self._call(ws, namespace, message["endpoint"], message["callId"])
                elif kind == "channelCreate":
                    self._call(ws, namespace, message["endpoint"], message["channelId"])
        except ConnectionClosed:
            return

    def _call(self, ws: ServerConnection, namespace: str, endpoint: str, ident: int) -> None:
        with self.lock:
            script, held = self.script, self.held
            if script is not None and held is None:
                self.held = (ws, namespace, endpoint, ident)
                return
            if script is not None:
                self.script = self.held = None
        if script is None or held is None:
            for frame in answer_frames(recorded(namespace, endpoint), ident):
                ws.send(frame)
            return
        for frame in script(ident):
            ws.send(frame)
        self.done.set()
        held_ws, held_namespace, held_endpoint, held_id = held
        for frame in answer_frames(recorded(held_namespace, held_endpoint), held_id):
            held_ws.send(frame)


@contextmanager
def fuzz_server() -> Iterator[tuple[FuzzServer, str]]:
    """A running :class:`FuzzServer`.

    Returns:
        A context manager of the server's state and its ``host:port``.
    """
    state = FuzzServer()
    with scripted_server(state.handle) as host:
        yield state, host
