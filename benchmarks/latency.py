"""Latency of the engine next to a raw ``websockets`` client, against the same server.

Two exchanges, each timed for this SDK and for a raw synchronous ``websockets``
client doing the same thing on the same server, in the same run:

- ``rpc``: N sequential ``llm/listLoaded`` round trips (the raw client sends the
  ``rpcCall`` text and ``json.loads`` the answer; the SDK returns typed
  ``LlmInstanceInfo`` objects);
- ``stream``: one ``llm/predict`` channel streaming N fragments (the raw client
  ``json.loads`` every message; the SDK yields typed, decoded fragment packets).

The fake LM Studio runs in a separate process, so the figures are not blurred by the
server sharing this interpreter. Each measurement is repeated and the best run kept;
the ratio SDK / raw is the figure (for the round trip, time per call: lower is
better; for the stream, fragments per second: higher is better). Runs of the same
exchange are interleaved, so slow drift of the machine affects them alike.

    python -m benchmarks [--calls 1000] [--fragments 20000] [--repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

AUTH = json.dumps(
    {"authVersion": 1, "clientIdentifier": "guest:benchmark-raw", "clientPasskey": "raw"}
)


def creation(fragments: int) -> dict[str, Any]:
    return {
        "modelSpecifier": {"type": "query", "query": {"identifier": "fake/chat"}},
        "history": {
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": f"count to {fragments}"}]}
            ]
        },
        "predictionConfigStack": {"layers": []},
    }


@contextlib.contextmanager
def fake_server() -> Iterator[str]:
    """A fake LM Studio in a child process; yields its ``host:port``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lmstudio.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the fake server did not start: {line!r}")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- the raw websockets client ----------------------------------------------------------------


def raw_rpc(host: str, calls: int) -> float:
    from websockets.sync.client import connect

    with connect(f"ws://{host}/llm", compression=None, max_size=None) as ws:
        ws.send(AUTH)
        assert json.loads(ws.recv())["success"]
        start = time.perf_counter()
        for call_id in range(1, calls + 1):
            ws.send(json.dumps({"type": "rpcCall", "endpoint": "listLoaded", "callId": call_id}))
            answer = json.loads(ws.recv())
            assert answer["callId"] == call_id and answer["result"]
        return time.perf_counter() - start


def raw_stream(host: str, fragments: int) -> float:
    from websockets.sync.client import connect

    with connect(f"ws://{host}/llm", compression=None, max_size=None) as ws:
        ws.send(AUTH)
        assert json.loads(ws.recv())["success"]
        start = time.perf_counter()
        message = {
            "type": "channelCreate",
            "endpoint": "predict",
            "channelId": 1,
            "creationParameter": creation(fragments),
        }
        ws.send(json.dumps(message))
        count = 0
        while True:
            packet = json.loads(ws.recv())
            if packet["type"] == "channelClose":
                break
            if packet["type"] == "channelSend" and packet["message"]["type"] == "fragment":
                count += 1
        elapsed = time.perf_counter() - start
        assert count == fragments, count
        return elapsed


# --- this SDK ------------------------------------------------------------------------------------


def sdk_rpc(host: str, calls: int) -> float:
    from lmstudio.client import Client

    with Client(host) as client:
        client.llm.list_loaded().result(10)  # connect first
        start = time.perf_counter()
        for _ in range(calls):
            assert client.llm.list_loaded().result()
        return time.perf_counter() - start


def sdk_rpc_async(host: str, calls: int) -> float:
    from lmstudio.client import Client

    async def main() -> float:
        async with Client(host) as client:
            await client.llm.list_loaded()
            start = time.perf_counter()
            for _ in range(calls):
                assert await client.llm.list_loaded()
            return time.perf_counter() - start

    return asyncio.run(main())


def sdk_stream(host: str, fragments: int) -> float:
    from lmstudio._engine.handler import FinalPacketHandler
    from lmstudio._protocol.models import LlmChannelPredictToClientPacketFragment
    from lmstudio.client import Client

    with Client(host) as client:
        client.llm.list_loaded().result(10)
        start = time.perf_counter()
        stream = client._session.channel(
            "llm", "predict", creation(fragments), handler=FinalPacketHandler("success")
        )
        count = 0
        for packet in stream:
            if type(packet) is LlmChannelPredictToClientPacketFragment:
                count += 1
        stream.result()
        elapsed = time.perf_counter() - start
        assert count == fragments, count
        return elapsed


def sdk_stream_async(host: str, fragments: int) -> float:
    from lmstudio._engine.handler import FinalPacketHandler
    from lmstudio._protocol.models import LlmChannelPredictToClientPacketFragment
    from lmstudio.client import Client

    async def main() -> float:
        async with Client(host) as client:
            await client.llm.list_loaded()
            start = time.perf_counter()
            stream = client._session.channel(
                "llm", "predict", creation(fragments), handler=FinalPacketHandler("success")
            )
            count = 0
            async for packet in stream:
                if type(packet) is LlmChannelPredictToClientPacketFragment:
                    count += 1
            await stream
            assert count == fragments, count
            return time.perf_counter() - start

    return asyncio.run(main())


# --- running --------------------------------------------------------------------------------------


def best_of(
    runs: dict[str, Callable[[str, int], float]], host: str, n: int, repeat: int
) -> dict[str, float]:
    """The best time of each run; the runs are interleaved so drift hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(run(host, n))
    return {name: min(values) for name, values in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--calls", type=int, default=1000, help="sequential rpc round trips")
    parser.add_argument("--fragments", type=int, default=20_000, help="fragments streamed")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best kept)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    with fake_server() as host:
        # Warm up both sides (imports, server caches, JIT-free but cache-warm paths).
        raw_rpc(host, 50)
        sdk_rpc(host, 50)
        raw_stream(host, 500)
        sdk_stream(host, 500)
        rpc = best_of(
            {"raw": raw_rpc, "block": sdk_rpc, "await": sdk_rpc_async},
            host,
            args.calls,
            args.repeat,
        )
        stream = best_of(
            {"raw": raw_stream, "iterate": sdk_stream, "async": sdk_stream_async},
            host,
            args.fragments,
            args.repeat,
        )
    rpc_raw, rpc_sdk, rpc_async = rpc["raw"], rpc["block"], rpc["await"]
    stream_raw, stream_sdk, stream_async = stream["raw"], stream["iterate"], stream["async"]

    us = 1e6 / args.calls
    figures = {
        "calls": args.calls,
        "fragments": args.fragments,
        "rpc_us": {
            "raw_sync": rpc_raw * us,
            "sdk_block": rpc_sdk * us,
            "sdk_await": rpc_async * us,
        },
        "rpc_ratio": {"sdk_block": rpc_sdk / rpc_raw, "sdk_await": rpc_async / rpc_raw},
        "stream_fragments_per_s": {
            "raw_sync": args.fragments / stream_raw,
            "sdk_iterate": args.fragments / stream_sdk,
            "sdk_async_iterate": args.fragments / stream_async,
        },
        "stream_ratio": {
            "sdk_iterate": stream_raw / stream_sdk,
            "sdk_async_iterate": stream_raw / stream_async,
        },
    }
    print(f"rpc: {args.calls} sequential llm/listLoaded round trips (best of {args.repeat})")
    print(f"  raw websockets (sync)   {rpc_raw * us:8.1f} us/call")
    print(f"  lmstudio .result()      {rpc_sdk * us:8.1f} us/call   {rpc_sdk / rpc_raw:5.2f}x raw")
    print(
        f"  lmstudio await          {rpc_async * us:8.1f} us/call   {rpc_async / rpc_raw:5.2f}x raw"
    )
    print(f"stream: one llm/predict of {args.fragments} fragments (best of {args.repeat})")
    print(f"  raw websockets (sync)   {args.fragments / stream_raw:8.0f} fragments/s")
    print(
        f"  lmstudio for            {args.fragments / stream_sdk:8.0f} fragments/s"
        f"   {stream_raw / stream_sdk:5.2f}x raw"
    )
    print(
        f"  lmstudio async for      {args.fragments / stream_async:8.0f} fragments/s"
        f"   {stream_raw / stream_async:5.2f}x raw"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
