"""``Stream`` on its own: a helper thread plays the engine (push, wake, settle)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any

import pytest

from lmstudio._engine import stream as stream_module
from lmstudio._engine.stream import SKIP, Skip, Stream
from lmstudio.errors import (
    LMStudioCancelledError,
    LMStudioRuntimeError,
    LMStudioServerError,
    LMStudioTimeoutError,
)


def produce(
    stream: Stream[Any, Any], items: list[Any], *, batch: int = 7, result: Any = "done"
) -> threading.Thread:
    """Push ``items`` in batches from another thread, then finish."""

    def run() -> None:
        for start in range(0, len(items), batch):
            for item in items[start : start + batch]:
                stream._push(item)
            stream._wake()
        stream._set_result(result)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_items_in_order_then_result(ms: float) -> None:
    stream: Stream[int, str] = Stream("test.stream")
    items = list(range(10_000))
    producer = produce(stream, items)
    assert list(stream) == items
    assert stream.result(5000 * ms) == "done"
    producer.join()


def test_async_iteration_in_order(ms: float) -> None:
    stream: Stream[int, str] = Stream()
    items = list(range(5_000))

    async def main() -> list[int]:
        producer = produce(stream, items)
        got = [item async for item in stream]
        assert await stream == "done"
        producer.join()
        return got

    assert asyncio.run(main()) == items


def test_result_without_iterating_runs_the_consume_hook_here(ms: float) -> None:
    seen: list[tuple[int, int]] = []

    def consume(event: int) -> int:
        seen.append((event, threading.get_ident()))
        return event

    stream: Stream[int, str] = Stream(consume=consume)
    produce(stream, list(range(100))).join()
    assert stream.result(5000 * ms) == "done"
    assert [event for event, _ in seen] == list(range(100))
    assert {ident for _, ident in seen} == {threading.get_ident()}


def test_await_runs_the_consume_hook_on_the_awaiting_loop(ms: float) -> None:
    seen: list[int] = []

    def consume(event: int) -> int:
        seen.append(threading.get_ident())
        return event

    stream: Stream[int, str] = Stream(consume=consume)

    async def main() -> str:
        produce(stream, list(range(50)), batch=3)
        return await stream

    assert asyncio.run(main()) == "done"
    assert len(seen) == 50 and set(seen) == {threading.get_ident()}


def test_consume_can_skip_and_transform() -> None:
    def consume(event: int) -> str | Skip:
        return SKIP if event % 2 else f"<{event}>"

    stream: Stream[str, str] = Stream(consume=consume)
    produce(stream, list(range(6))).join()
    assert list(stream) == ["<0>", "<2>", "<4>"]


def test_failure_after_the_items() -> None:
    stream: Stream[int, str] = Stream()
    stream._push(1)
    stream._push(2)
    stream._set_exception(LMStudioServerError("Boom"))
    assert next(stream) == 1
    assert next(stream) == 2
    with pytest.raises(LMStudioServerError, match="Boom"):
        next(stream)
    with pytest.raises(LMStudioServerError, match="Boom"):
        stream.result()


def test_cancel_ends_iteration_promptly_in_another_thread(ms: float) -> None:
    hooks: list[str] = []
    stream: Stream[int, str] = Stream("test.stream")
    stream._cancel_hook = lambda: hooks.append("cancel")
    got: list[int] = []
    ended = threading.Event()

    def consume() -> None:
        got.extend(stream)
        ended.set()

    stream._push(1)
    stream._wake()
    thread = threading.Thread(target=consume)
    thread.start()
    assert not ended.wait(20 * ms)  # blocked waiting for more
    assert stream.cancel()
    assert ended.wait(5000 * ms)
    assert got == [1]
    assert stream.cancel()  # idempotent
    assert hooks == ["cancel"]
    # No final value from the server: the stream resolves as cancelled.
    stream._set_cancelled()
    with pytest.raises(LMStudioCancelledError):
        stream.result()


def test_cancel_with_a_final_value_from_the_server() -> None:
    stream: Stream[int, str] = Stream()
    stream._push(1)
    assert stream.cancel()
    assert list(stream) == []  # what was buffered is dropped
    stream._set_result("userStopped")
    assert stream.result() == "userStopped"
    assert not stream.cancelled()
    assert not stream.cancel()  # finished now


def test_one_consumer_at_a_time(ms: float) -> None:
    stream: Stream[int, str] = Stream("test.stream", consume=lambda event: event)
    started = threading.Event()
    got: list[int] = []

    def consume() -> None:
        started.set()
        got.extend(stream)

    thread = threading.Thread(target=consume)
    thread.start()
    assert started.wait(5000 * ms)
    thread.join(20 * ms)  # now blocked inside next()
    with pytest.raises(LMStudioRuntimeError, match="one consumer at a time"):
        next(stream)

    async def anext_() -> int:
        return await stream.__anext__()

    with pytest.raises(LMStudioRuntimeError):
        asyncio.run(anext_())
    # Waiting for the result does not compete: the iterating thread runs the hook.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiter = pool.submit(stream.result, 5000 * ms)
        produce(stream, [1, 2, 3]).join()
        assert waiter.result(5000 * ms) == "done"
    thread.join(5000 * ms)
    assert got == [1, 2, 3]


def test_a_raising_consume_hook_reaches_the_consumer_and_cancels() -> None:
    hooks: list[str] = []

    def consume(event: int) -> int:
        if event == 2:
            raise ValueError("callback failed")
        return event

    stream: Stream[int, str] = Stream(consume=consume)
    stream._cancel_hook = lambda: hooks.append("cancel")
    for event in (1, 2, 3):
        stream._push(event)
    assert next(stream) == 1
    with pytest.raises(ValueError, match="callback failed"):
        next(stream)
    assert hooks == ["cancel"]


def test_result_timeout(ms: float) -> None:
    stream: Stream[int, str] = Stream("test.stream", consume=lambda event: event)
    with pytest.raises(LMStudioTimeoutError):
        stream.result(10 * ms)
    stream._set_result("late")
    assert stream.result(0) == "late"


def test_backlog_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(stream_module, "STREAM_HIGH_WATER", 10)
    stream: Stream[int, str] = Stream("test.stream")
    with caplog.at_level(logging.WARNING, "lmstudio"):
        for i in range(15):
            stream._push(i)
        stream._push_many(list(range(30)))
    assert len(caplog.records) == 1
    assert "test.stream" in caplog.text
    stream._set_result("done")
    assert len(list(stream)) == 45  # nothing was dropped


def test_a_stream_is_a_future_of_its_result(ms: float) -> None:
    stream: Stream[int, str] = Stream()
    stream._push(1)
    produce(stream, [], result="r")
    done, _ = concurrent.futures.wait([stream], timeout=5000 * ms)
    assert done == {stream}
    assert list(stream) == [1]  # finished, yet its items are still there


def test_cancelling_the_awaiting_task_cancels_the_stream(ms: float) -> None:
    hooks: list[str] = []
    stream: Stream[int, str] = Stream(consume=lambda event: event)
    stream._cancel_hook = lambda: hooks.append("cancel")

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream, 20 * ms)

    asyncio.run(main())
    assert hooks == ["cancel"]


def test_cancelling_a_wait_for_the_next_item_keeps_the_stream(ms: float) -> None:
    hooks: list[str] = []
    stream: Stream[int, str] = Stream()
    stream._cancel_hook = lambda: hooks.append("cancel")

    async def main() -> int:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream.__anext__(), 20 * ms)
        stream._push(5)
        stream._wake()
        return await stream.__anext__()

    assert asyncio.run(main()) == 5
    assert hooks == []


def test_send_needs_a_channel() -> None:
    with pytest.raises(LMStudioRuntimeError):
        Stream()._send({"type": "cancel"})
