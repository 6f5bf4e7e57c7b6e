"""The exchanges of the benchmark, done with this SDK's public API (a worker process).

    python -m benchmarks.ours     # then JSON commands on stdin (see ``_worker.py``)

Predictions go through ``client.llm.model(...)`` and ``model.respond()`` /
``model.respond_stream()``, uploads through ``client.files.prepare_image()``: what users
call.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks._payloads import filler, image_bytes
from benchmarks._worker import os_threads, peak_rss, rss, serve
from lmstudio import LLM, Chat, Client, PredictionResult, PredictionStream

MODEL = "fake/chat"


def model(client: Client) -> LLM:
    return client.llm.model(MODEL).result(30)


# --- the exchanges ---------------------------------------------------------------------------


def rpc(host: str, calls: int, mode: str = "block") -> list[float]:
    """Sequential ``llm.list_loaded()`` round trips: each one's latency in microseconds."""
    if mode == "await":
        return asyncio.run(_rpc_async(host, calls))
    latencies = []
    with Client(host) as client:
        list_loaded = client.llm.list_loaded
        list_loaded().result(30)  # connect
        for _ in range(calls):
            start = time.perf_counter()
            assert list_loaded().result(30)
            latencies.append((time.perf_counter() - start) * 1e6)
    return latencies


async def _rpc_async(host: str, calls: int) -> list[float]:
    latencies = []
    async with Client(host) as client:
        list_loaded = client.llm.list_loaded
        await list_loaded()
        for _ in range(calls):
            start = time.perf_counter()
            assert await list_loaded()
            latencies.append((time.perf_counter() - start) * 1e6)
    return latencies


def stream(host: str, fragments: int, mode: str = "for") -> float:
    """One prediction of ``fragments`` fragments, iterated: seconds from request to result."""
    if mode == "async":
        return asyncio.run(_stream_async(host, fragments))
    with Client(host) as client:
        llm = model(client)
        llm.respond("count to 2").result(30)  # connect, warm up
        start = time.perf_counter()
        prediction = llm.respond_stream(f"count to {fragments}")
        count = 0
        for fragment in prediction:
            count += fragment.tokens_count
        prediction.result(60)
        elapsed = time.perf_counter() - start
    assert count == fragments, count
    return elapsed


async def _stream_async(host: str, fragments: int) -> float:
    async with Client(host) as client:
        llm = await client.llm.model(MODEL)
        await llm.respond("count to 2")
        start = time.perf_counter()
        prediction = llm.respond_stream(f"count to {fragments}")
        count = 0
        async for fragment in prediction:
            count += fragment.tokens_count
        await prediction
        elapsed = time.perf_counter() - start
    assert count == fragments, count
    return elapsed


def concurrent(host: str, streams: int, fragments: int, mode: str = "async") -> dict[str, Any]:
    """``streams`` predictions at once on one client: total seconds and each one's latency."""
    if mode == "futures":
        with Client(host) as client:
            respond = model(client).respond
            respond("count to 2").result(30)
            return _measured(
                lambda: [
                    call.result(120)
                    for call in [respond(_count(fragments)) for _ in range(streams)]
                ],
                fragments,
            )
    return asyncio.run(_concurrent_async(host, streams, fragments))


async def _concurrent_async(host: str, streams: int, fragments: int) -> dict[str, Any]:
    async with Client(host) as client:
        respond = (await client.llm.model(MODEL)).respond
        await respond("count to 2")
        started = time.perf_counter()
        done_at: list[float] = []

        async def one() -> PredictionResult:
            result = await respond(_count(fragments))
            done_at.append(time.perf_counter() - started)
            return result

        before = rss()
        results = await asyncio.gather(*(one() for _ in range(streams)))
        elapsed = time.perf_counter() - started
    assert all(r.stats.predicted_tokens_count == fragments for r in results)
    return {
        "seconds": elapsed,
        "latencies": done_at,
        "rss_growth": max(0, peak_rss() - before),
    }


def _measured(run: Callable[[], list[PredictionResult]], fragments: int) -> dict[str, Any]:
    before = rss()
    start = time.perf_counter()
    results = run()
    elapsed = time.perf_counter() - start
    assert all(r.stats.predicted_tokens_count == fragments for r in results)
    return {"seconds": elapsed, "latencies": [], "rss_growth": max(0, peak_rss() - before)}


def _count(fragments: int) -> str:
    return f"count to {fragments}"


def history(host: str, size: int, repeat: int) -> list[tuple[float, float]]:
    """A respond() to a chat history of ``size`` bytes of text: seconds for each request."""
    chat = big_chat(size)
    seconds: list[tuple[float, float]] = []
    with Client(host) as client:
        respond = model(client).respond
        respond("count to 2").result(30)
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            result = respond(chat).result(120)
            seconds.append((time.perf_counter() - start, time.process_time() - cpu))
            assert result.content == "1 2 3", result.content
    return seconds


def big_chat(size: int) -> Chat:
    chat = Chat()
    chat.add_user_message(filler(size))
    chat.add_assistant_response("Noted.")
    chat.add_user_message("count to 3")
    return chat


def upload(host: str, size: int, repeat: int) -> list[tuple[float, float]]:
    """Upload an image of ``size`` bytes (``files/uploadFileBase64``): seconds for each."""
    data = image_bytes(size)
    seconds: list[tuple[float, float]] = []
    with Client(host) as client:
        prepare_image = client.files.prepare_image
        prepare_image(b"\x89PNG\r\n\x1a\n", name="warm.png").result(30)
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            prepare_image(data, name="image.png").result(120)
            seconds.append((time.perf_counter() - start, time.process_time() - cpu))
    return seconds


# --- resources -------------------------------------------------------------------------------


def threads(host: str, clients: int) -> dict[str, int]:
    """Threads of this process before any client and with ``clients`` sync clients in use."""
    import threading

    before_py, before_os = threading.active_count(), os_threads()
    opened = [Client(host) for _ in range(clients)]
    for client in opened:
        client.llm.list_loaded().result(30)
    during_py, during_os = threading.active_count(), os_threads()
    for client in opened:
        client.close()
    return {
        "clients": clients,
        "python_threads": during_py - before_py,
        "os_threads": during_os - before_os,
    }


def idle_memory(host: str, clients: int) -> dict[str, float]:
    """Memory of one more connected, idle client (the first one, which starts the engine
    thread, is counted apart; a client opened and closed before warms imports and caches)."""
    warm = Client(host)
    warm.llm.list_loaded().result(30)
    warm.close()
    gc.collect()
    rss0 = rss()
    tracemalloc.start()
    traced0 = tracemalloc.get_traced_memory()[0]
    first = Client(host)
    first.llm.list_loaded().result(30)
    gc.collect()
    rss1, traced1 = rss(), tracemalloc.get_traced_memory()[0]
    opened = [Client(host) for _ in range(clients)]
    for client in opened:
        client.llm.list_loaded().result(30)
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
    """Memory per open prediction stream (on a server pacing its fragments slowly)."""
    with Client(host) as client:
        llm = model(client)
        llm.respond("count to 1").result(30)
        gc.collect()
        rss0 = rss()
        tracemalloc.start()
        traced0 = tracemalloc.get_traced_memory()[0]
        opened: list[PredictionStream] = [
            llm.respond_stream("count to 100000") for _ in range(streams)
        ]
        for prediction in opened:
            next(prediction)  # streaming: its first fragment arrived
        gc.collect()
        rss1, traced1 = rss(), tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        for prediction in opened:
            prediction.cancel()
        for prediction in opened:
            prediction.result(30)
    return {
        "per_stream_rss": (rss1 - rss0) / streams,
        "per_stream_traced": (traced1 - traced0) / streams,
    }


def info() -> dict[str, str]:
    return {
        "predictions": "client.llm.model().respond() / respond_stream()",
        "uploads": "client.files.prepare_image()",
    }


class _ReaderIsBusy(logging.Filter):
    """Drop the engine's "is anything reading this stream?" hint in this worker.

    Its consumers read as fast as they can, but a local fake server streaming as fast as
    it can still outpaces a reader that shares the GIL with the engine thread, so long
    streams pass the backlog mark here although they are being read.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "waiting to be consumed" not in record.getMessage()


def main() -> None:
    logging.getLogger("lmstudio.engine").addFilter(_ReaderIsBusy())
    serve(
        {
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
    )


if __name__ == "__main__":
    main()
