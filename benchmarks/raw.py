"""The same exchanges with a raw synchronous ``websockets`` client (a worker process).

    python -m benchmarks.raw     # then JSON commands on stdin (see ``_worker.py``)

The floor to compare with: the client sends the protocol's JSON text itself and
``json.loads`` every answer (plain dicts, no validation, no typed objects), one call at
a time on one socket, in the calling thread.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

from websockets.sync.client import ClientConnection, connect

from benchmarks._payloads import filler, image_bytes
from benchmarks._worker import serve

MODEL = "fake/chat"
AUTH = json.dumps(
    {"authVersion": 1, "clientIdentifier": "guest:benchmark-raw", "clientPasskey": "raw"}
)


@contextlib.contextmanager
def _open(host: str, namespace: str) -> Iterator[ClientConnection]:
    url = f"ws://{host}/{namespace}"
    with connect(url, compression=None, max_size=None, open_timeout=30) as ws:
        ws.send(AUTH)
        assert json.loads(ws.recv(30))["success"]
        yield ws


def _messages(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": text}]}]


def _creation(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "modelSpecifier": {"type": "query", "query": {"identifier": MODEL}},
        "history": {"messages": messages},
        "predictionConfigStack": {"layers": []},
    }


def _predict(ws: ClientConnection, channel_id: int, messages: list[dict[str, Any]]) -> list[str]:
    """Run one prediction; the content of its fragments."""
    create = {
        "type": "channelCreate",
        "endpoint": "predict",
        "channelId": channel_id,
        "creationParameter": _creation(messages),
    }
    ws.send(json.dumps(create))
    contents = []
    while True:
        message = json.loads(ws.recv(60))
        kind = message["type"]
        if kind == "channelSend":
            packet = message["message"]
            if packet["type"] == "fragment":
                contents.append(packet["fragment"]["content"])
        elif kind == "channelClose":
            return contents
        elif kind == "channelError":
            raise RuntimeError(message["error"])


def rpc(host: str, calls: int, mode: str = "sync") -> list[float]:
    """Sequential ``llm/listLoaded`` round trips: each one's latency in microseconds."""
    latencies = []
    with _open(host, "llm") as ws:
        for call_id in range(1, calls + 2):
            start = time.perf_counter()
            ws.send(json.dumps({"type": "rpcCall", "endpoint": "listLoaded", "callId": call_id}))
            answer = json.loads(ws.recv(30))
            elapsed = time.perf_counter() - start
            assert answer["callId"] == call_id and answer["result"]
            if call_id > 1:  # the first one is the warm-up
                latencies.append(elapsed * 1e6)
    return latencies


def stream(host: str, fragments: int, mode: str = "sync") -> float:
    """One prediction of ``fragments`` fragments: seconds from request to ``channelClose``."""
    with _open(host, "llm") as ws:
        _predict(ws, 1, _messages("count to 2"))
        start = time.perf_counter()
        contents = _predict(ws, 2, _messages(f"count to {fragments}"))
        elapsed = time.perf_counter() - start
    assert len(contents) == fragments, len(contents)
    return elapsed


def history(host: str, size: int, repeat: int) -> list[tuple[float, float]]:
    """A prediction over a chat history of ``size`` bytes of text: seconds for each."""
    messages = [
        *_messages(filler(size)),
        {"role": "assistant", "content": [{"type": "text", "text": "Noted."}]},
        *_messages("count to 3"),
    ]
    seconds: list[tuple[float, float]] = []
    ids = itertools.count(1)
    with _open(host, "llm") as ws:
        _predict(ws, next(ids), _messages("count to 2"))
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            contents = _predict(ws, next(ids), messages)
            seconds.append((time.perf_counter() - start, time.process_time() - cpu))
            assert "".join(contents) == "1 2 3"
    return seconds


def upload(host: str, size: int, repeat: int) -> list[tuple[float, float]]:
    """``files/uploadFileBase64`` of ``size`` bytes (base64 included): seconds for each."""
    data = image_bytes(size)
    seconds: list[tuple[float, float]] = []
    with _open(host, "files") as ws:
        for call_id in range(repeat + 1):
            start, cpu = time.perf_counter(), time.process_time()
            parameter = {"name": "image.png", "contentBase64": base64.b64encode(data).decode()}
            call = {
                "type": "rpcCall",
                "endpoint": "uploadFileBase64",
                "callId": call_id,
                "parameter": parameter,
            }
            ws.send(json.dumps(call))
            answer = json.loads(ws.recv(120))
            elapsed = (time.perf_counter() - start, time.process_time() - cpu)
            assert answer["type"] == "rpcResult", answer
            if call_id:
                seconds.append(elapsed)
    return seconds


def main() -> None:
    serve({"info": dict, "rpc": rpc, "stream": stream, "history": history, "upload": upload})


if __name__ == "__main__":
    main()
