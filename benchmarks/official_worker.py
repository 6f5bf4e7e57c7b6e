"""The same exchanges with LM Studio's official Python SDK (PyPI ``lmstudio``).

Run ONLY with the interpreter of the virtual environment holding the official SDK, in
isolated mode from a directory outside this repository (the harness does so), because
the official SDK shares the import name ``lmstudio`` with this project::

    .cache/bench/python-1.5.0/bin/python -I official_worker.py

It answers the harness's JSON commands like ``_worker.py`` (which it cannot import: in
isolated mode nothing of this repository is on ``sys.path``, on purpose), using the
official SDK's public API as its documentation shows it.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
import sys
import threading
import time
import traceback
import tracemalloc
from collections.abc import Callable
from typing import Any

if any(os.path.exists(os.path.join(p, "lmstudio", "_engine")) for p in sys.path if p):
    raise SystemExit("official_worker.py must not see this repository's lmstudio (run with -I)")

# Imported by name so that no type checker confuses it with this repository's package.
lms: Any = importlib.import_module("lmstudio")

MODEL = "fake/chat"
_WORDS = "the quick brown fox jumps over the lazy dog "
_PNG = b"\x89PNG\r\n\x1a\n"


def filler(size: int) -> str:
    return (_WORDS * (size // len(_WORDS) + 1))[:size]


def image_bytes(size: int) -> bytes:
    body = bytes(range(256)) * ((size - len(_PNG)) // 256 + 1)
    return _PNG + body[: size - len(_PNG)]


def rss() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def os_threads() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return threading.active_count()


# --- the exchanges ---------------------------------------------------------------------------


def rpc(host: str, calls: int, mode: str = "block") -> list[float]:
    if mode == "await":
        return asyncio.run(_rpc_async(host, calls))
    latencies = []
    with lms.Client(host) as client:
        client.llm.list_loaded()
        for _ in range(calls):
            start = time.perf_counter()
            assert client.llm.list_loaded()
            latencies.append((time.perf_counter() - start) * 1e6)
    return latencies


async def _rpc_async(host: str, calls: int) -> list[float]:
    latencies = []
    async with lms.AsyncClient(host) as client:
        await client.llm.list_loaded()
        for _ in range(calls):
            start = time.perf_counter()
            assert await client.llm.list_loaded()
            latencies.append((time.perf_counter() - start) * 1e6)
    return latencies


def stream(host: str, fragments: int, mode: str = "for") -> float:
    if mode == "async":
        return asyncio.run(_stream_async(host, fragments))
    with lms.Client(host) as client:
        model = client.llm.model(MODEL)
        model.respond("count to 2")
        start = time.perf_counter()
        prediction = model.respond_stream(f"count to {fragments}")
        count = 0
        for fragment in prediction:
            count += fragment.tokens_count
        prediction.result()
        elapsed = time.perf_counter() - start
    assert count == fragments, count
    return elapsed


async def _stream_async(host: str, fragments: int) -> float:
    async with lms.AsyncClient(host) as client:
        model = await client.llm.model(MODEL)
        await model.respond("count to 2")
        start = time.perf_counter()
        prediction = await model.respond_stream(f"count to {fragments}")
        count = 0
        async for fragment in prediction:
            count += fragment.tokens_count
        elapsed = time.perf_counter() - start
    assert count == fragments, count
    return elapsed


def concurrent(host: str, streams: int, fragments: int, mode: str = "async") -> dict[str, Any]:
    return asyncio.run(_concurrent_async(host, streams, fragments))


async def _concurrent_async(host: str, streams: int, fragments: int) -> dict[str, Any]:
    async with lms.AsyncClient(host) as client:
        model = await client.llm.model(MODEL)
        await model.respond("count to 2")
        started = time.perf_counter()
        done_at: list[float] = []

        async def one() -> Any:
            result = await model.respond(f"count to {fragments}")
            done_at.append(time.perf_counter() - started)
            return result

        before = rss()
        results = await asyncio.gather(*(one() for _ in range(streams)))
        elapsed = time.perf_counter() - started
    assert all(r.stats.predicted_tokens_count == fragments for r in results)
    return {"seconds": elapsed, "latencies": done_at, "rss_growth": max(0, peak_rss() - before)}


def history(host: str, size: int, repeat: int) -> list[tuple[float, float]]:
    chat = lms.Chat()
    chat.add_user_message(filler(size))
    chat.add_assistant_response("Noted.")
    chat.add_user_message("count to 3")
    seconds: list[tuple[float, float]] = []
    with lms.Client(host) as client:
        model = client.llm.model(MODEL)
        model.respond("count to 2")
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            result = model.respond(chat)
            seconds.append((time.perf_counter() - start, time.process_time() - cpu))
            assert result.content == "1 2 3", result.content
    return seconds


def upload(host: str, size: int, repeat: int) -> list[tuple[float, float]]:
    data = image_bytes(size)
    seconds: list[tuple[float, float]] = []
    with lms.Client(host) as client:
        client.files.prepare_image(_PNG, name="warm.png")
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            client.files.prepare_image(data, name="image.png")
            seconds.append((time.perf_counter() - start, time.process_time() - cpu))
    return seconds


# --- resources -------------------------------------------------------------------------------


def threads(host: str, clients: int) -> dict[str, int]:
    before_py, before_os = threading.active_count(), os_threads()
    opened = [lms.Client(host) for _ in range(clients)]
    for client in opened:
        client.llm.list_loaded()
    during_py, during_os = threading.active_count(), os_threads()
    for client in opened:
        client.close()
    return {
        "clients": clients,
        "python_threads": during_py - before_py,
        "os_threads": during_os - before_os,
    }


def idle_memory(host: str, clients: int) -> dict[str, float]:
    warm = lms.Client(host)  # imports and caches warm, as for this SDK
    warm.llm.list_loaded()
    warm.close()
    gc.collect()
    rss0 = rss()
    tracemalloc.start()
    traced0 = tracemalloc.get_traced_memory()[0]
    first = lms.Client(host)
    first.llm.list_loaded()
    gc.collect()
    rss1, traced1 = rss(), tracemalloc.get_traced_memory()[0]
    opened = [lms.Client(host) for _ in range(clients)]
    for client in opened:
        client.llm.list_loaded()
    gc.collect()
    rss2, traced2 = rss(), tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for client in [first, *opened]:
        client.close()
    return {
        "first_client_rss": rss1 - rss0,
        "first_client_traced": traced1 - traced0,
        "per_client_rss": (rss2 - rss1) / clients,
        "per_client_traced": (traced2 - traced1) / clients,
    }


def stream_memory(host: str, streams: int) -> dict[str, float]:
    with lms.Client(host) as client:
        model = client.llm.model(MODEL)
        for _ in model.respond_stream("count to 1"):
            pass
        gc.collect()
        rss0 = rss()
        tracemalloc.start()
        traced0 = tracemalloc.get_traced_memory()[0]
        opened = [model.respond_stream("count to 100000") for _ in range(streams)]
        iterators = [iter(prediction) for prediction in opened]
        for iterator in iterators:
            next(iterator)
        gc.collect()
        rss1, traced1 = rss(), tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        for prediction in opened:
            prediction.cancel()
        for iterator in iterators:
            for _ in iterator:
                pass
    return {
        "per_stream_rss": (rss1 - rss0) / streams,
        "per_stream_traced": (traced1 - traced0) / streams,
    }


def info() -> dict[str, str]:
    return {"version": str(lms.__version__)}


OPS: dict[str, Callable[..., Any]] = {
    "info": info,
    "rpc": rpc,
    "stream": stream,
    "concurrent": concurrent,
    "history": history,
    "upload": upload,
    "threads": threads,
    "idle_memory": idle_memory,
    "stream_memory": stream_memory,
}


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        op = command.pop("op")
        try:
            reply: dict[str, Any] = {"ok": True, "result": OPS[op](**command)}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
