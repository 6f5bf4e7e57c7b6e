"""``Stream`` on its own (a helper thread plays the engine through the stream's sink),
then closing a stream over the wire, against the fake LM Studio."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from lmstudio import Client, PredictionResult
from lmstudio._engine import stream as stream_module
from lmstudio._engine.settle import Sink
from lmstudio._engine.stream import SKIP, Skip, Stream, new_stream
from lmstudio.errors import (
    LMStudioCancelledError,
    LMStudioRuntimeError,
    LMStudioServerError,
    LMStudioTimeoutError,
)
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


def produce(
    sink: Sink, items: list[Any], *, batch: int = 7, result: Any = "done"
) -> threading.Thread:
    """Push ``items`` in batches from another thread, then finish."""

    def run() -> None:
        for start in range(0, len(items), batch):
            for item in items[start : start + batch]:
                sink.push(item)
            sink.wake()
        sink.resolve(result)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_items_in_order_then_result(ms: float) -> None:
    stream, sink = new_stream("test.stream")
    items = list(range(10_000))
    producer = produce(sink, items)
    assert list(stream) == items
    assert stream.result(5000 * ms) == "done"
    producer.join()


def test_async_iteration_in_order(ms: float) -> None:
    stream, sink = new_stream("test.stream")
    items = list(range(5_000))

    async def main() -> list[int]:
        producer = produce(sink, items)
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

    stream, sink = new_stream("test.stream", consume=consume)
    produce(sink, list(range(100))).join()
    assert stream.result(5000 * ms) == "done"
    assert [event for event, _ in seen] == list(range(100))
    assert {ident for _, ident in seen} == {threading.get_ident()}


def test_await_runs_the_consume_hook_on_the_awaiting_loop(ms: float) -> None:
    seen: list[int] = []

    def consume(event: int) -> int:
        seen.append(threading.get_ident())
        return event

    stream, sink = new_stream("test.stream", consume=consume)

    async def main() -> str:
        produce(sink, list(range(50)), batch=3)
        return await stream

    assert asyncio.run(main()) == "done"
    assert len(seen) == 50 and set(seen) == {threading.get_ident()}


def test_consume_can_skip_and_transform() -> None:
    def consume(event: int) -> str | Skip:
        return SKIP if event % 2 else f"<{event}>"

    stream, sink = new_stream("test.stream", consume=consume)
    produce(sink, list(range(6))).join()
    assert list(stream) == ["<0>", "<2>", "<4>"]


def test_failure_after_the_items() -> None:
    stream, sink = new_stream("test.stream")
    sink.push(1)
    sink.push(2)
    sink.fail(LMStudioServerError("Boom"))
    assert next(stream) == 1
    assert next(stream) == 2
    with pytest.raises(LMStudioServerError, match="Boom"):
        next(stream)
    with pytest.raises(LMStudioServerError, match="Boom"):
        stream.result()


def test_cancel_ends_iteration_promptly_in_another_thread(ms: float) -> None:
    hooks: list[Sink] = []
    stream, sink = new_stream("test.stream", on_cancel=hooks.append)
    got: list[int] = []
    ended = threading.Event()

    def consume() -> None:
        got.extend(stream)
        ended.set()

    sink.push(1)
    sink.wake()
    thread = threading.Thread(target=consume)
    thread.start()
    assert not ended.wait(20 * ms)  # blocked waiting for more
    assert stream.cancel()
    assert ended.wait(5000 * ms)
    assert got == [1]
    assert stream.cancel()  # idempotent
    assert hooks == [sink]  # the hook gets the engine face, to find the channel
    assert not sink.wanted()  # not started yet? then the pool need not start it
    # No final value from the server: the stream resolves as cancelled.
    sink.resolve_cancelled()
    with pytest.raises(LMStudioCancelledError):
        stream.result()


def test_cancel_with_a_final_value_from_the_server() -> None:
    stream, sink = new_stream("test.stream")
    sink.push(1)
    assert stream.cancel()
    assert list(stream) == []  # what was buffered is dropped
    sink.resolve("userStopped")
    assert stream.result() == "userStopped"
    assert not stream.cancelled()
    assert not stream.cancel()  # finished now


def test_one_consumer_at_a_time(ms: float) -> None:
    stream, sink = new_stream("test.stream", consume=lambda event: event)
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
        produce(sink, [1, 2, 3]).join()
        assert waiter.result(5000 * ms) == "done"
    thread.join(5000 * ms)
    assert got == [1, 2, 3]


def test_a_raising_consume_hook_reaches_the_consumer_and_cancels() -> None:
    hooks: list[str] = []

    def consume(event: int) -> int:
        if event == 2:
            raise ValueError("callback failed")
        return event

    stream, sink = new_stream(
        "test.stream", consume=consume, on_cancel=lambda _: hooks.append("cancel")
    )
    for event in (1, 2, 3):
        sink.push(event)
    assert next(stream) == 1
    with pytest.raises(ValueError, match="callback failed"):
        next(stream)
    assert hooks == ["cancel"]


def test_result_timeout(ms: float) -> None:
    stream, sink = new_stream("test.stream", consume=lambda event: event)
    with pytest.raises(LMStudioTimeoutError):
        stream.result(10 * ms)
    sink.resolve("late")
    assert stream.result(0) == "late"


def test_backlog_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(stream_module, "STREAM_HIGH_WATER", 10)
    stream, sink = new_stream("test.stream")
    with caplog.at_level(logging.WARNING, "lmstudio"):
        for i in range(10):
            sink.push(i)
        sink.wake()  # checked once per batch: 10 is not past the mark
        assert caplog.records == []
        for i in range(5):
            sink.push(i)
        sink.wake()
        sink.push_many(list(range(30)))
        sink.wake()
    assert len(caplog.records) == 1
    assert "test.stream" in caplog.text
    sink.resolve("done")
    assert len(list(stream)) == 45  # nothing was dropped


def test_a_stream_is_a_future_of_its_result(ms: float) -> None:
    stream, sink = new_stream("test.stream")
    sink.push(1)
    produce(sink, [], result="r")
    done, _ = concurrent.futures.wait([stream], timeout=5000 * ms)
    assert done == {stream}
    assert list(stream) == [1]  # finished, yet its items are still there


def test_cancelling_the_awaiting_task_cancels_the_stream(ms: float) -> None:
    hooks: list[str] = []
    stream, _ = new_stream(
        "test.stream", consume=lambda event: event, on_cancel=lambda _: hooks.append("cancel")
    )

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream, 20 * ms)

    asyncio.run(main())
    assert hooks == ["cancel"]


def test_cancelling_a_wait_for_the_next_item_keeps_the_stream(ms: float) -> None:
    hooks: list[str] = []
    stream, sink = new_stream("test.stream", on_cancel=lambda _: hooks.append("cancel"))

    async def main() -> int:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream.__anext__(), 20 * ms)
        sink.push(5)
        sink.wake()
        return await stream.__anext__()

    assert asyncio.run(main()) == 5
    assert hooks == []


def test_a_subclass_and_its_sink() -> None:
    class Counting(Stream[int, str]):
        pass

    stream, sink = new_stream("test.stream", stream_class=Counting)
    assert type(stream) is Counting
    sink.push_many([1, 2])
    sink.resolve("done")
    assert list(stream) == [1, 2] and stream.result(0) == "done"


# --- closing -----------------------------------------------------------------------------


def test_close_cancels_and_waits_for_the_end(ms: float) -> None:
    hooks: list[Sink] = []
    stream, sink = new_stream("test.stream", on_cancel=hooks.append)
    sink.push(1)
    sink.wake()
    # The "server" answers the cancel with a final value a little later.
    timer = threading.Timer(30 * ms, sink.resolve, ["userStopped"])
    timer.start()
    started = time.monotonic()
    stream.close(timeout=5000 * ms)
    assert time.monotonic() - started >= 25 * ms  # it waited for the end
    assert hooks == [sink]
    assert list(stream) == []  # what was not consumed is dropped
    assert stream.result(0) == "userStopped"
    timer.join()


def test_close_waits_a_bounded_time(ms: float) -> None:
    stream, sink = new_stream("test.stream", consume=lambda event: event)
    started = time.monotonic()
    stream.close(timeout=30 * ms)  # nothing ever ends it
    assert 25 * ms <= time.monotonic() - started < 2000 * ms
    assert not stream.done() and not sink.wanted()
    assert list(stream) == []
    sink.resolve_cancelled()  # what the engine does once the server ends it
    with pytest.raises(LMStudioCancelledError):
        stream.result(0)


def test_closing_a_finished_stream_keeps_its_outcome() -> None:
    hooks: list[Sink] = []
    stream, sink = new_stream("test.stream", on_cancel=hooks.append)
    sink.push_many([1, 2])
    sink.fail(LMStudioServerError("Boom"))
    with stream:
        pass
    assert hooks == []  # nothing to cancel
    assert list(stream) == []  # closed: iteration ends, without the error
    with pytest.raises(LMStudioServerError, match="Boom"):
        stream.result(0)
    stream.close()  # again: nothing happens


def test_the_with_block_does_not_mask_an_exception(ms: float) -> None:
    hooks: list[Sink] = []
    stream, sink = new_stream("test.stream", on_cancel=hooks.append)
    with pytest.raises(ValueError, match="in the block"), stream:
        threading.Timer(10 * ms, sink.resolve_cancelled).start()
        raise ValueError("in the block")
    assert hooks == [sink]
    assert stream.cancelled()


def test_aclose_waits_on_the_loop_without_blocking_it(ms: float) -> None:
    stream, sink = new_stream("test.stream")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(5 * ms)

    async def main() -> None:
        task = asyncio.create_task(ticker())
        threading.Timer(60 * ms, sink.resolve, ["userStopped"]).start()
        async with stream:
            pass
        task.cancel()
        assert await stream == "userStopped"

    asyncio.run(main())
    assert ticks >= 3  # the loop ran while aclose() waited

    bounded, _ = new_stream("test.stream")

    async def bounded_close() -> float:
        started = time.monotonic()
        await bounded.aclose(timeout=30 * ms)
        return time.monotonic() - started

    assert 25 * ms <= asyncio.run(bounded_close()) < 2000 * ms
    assert not bounded.done()


def test_close_on_the_engine_thread_raises(ms: float) -> None:
    from lmstudio._engine import loop as engine_loop

    engine = engine_loop.acquire()
    try:
        stream, sink = new_stream("test.stream")
        done: concurrent.futures.Future[BaseException | None] = concurrent.futures.Future()

        def close_there() -> None:
            try:
                stream.close()
            except BaseException as exc:
                done.set_result(exc)
            else:
                done.set_result(None)

        engine.submit(close_there)
        error = done.result(5000 * ms)
        assert isinstance(error, LMStudioRuntimeError)
        assert "engine thread" in str(error)
        assert not stream.done() and sink.wanted()  # refused before cancelling anything
    finally:
        engine_loop.release(engine, 5)


# --- closing over the wire ------------------------------------------------------------------


@contextlib.asynccontextmanager
async def closing(style: Style, stream: Stream[Any, Any]) -> AsyncIterator[Stream[Any, Any]]:
    """``with stream:`` in the blocking style, ``async with stream:`` in the awaiting one."""
    if style.name == "block":
        with stream as entered:
            yield entered
    else:
        async with stream as entered:
            yield entered


def cancels(server: FakeLMStudio) -> list[int]:
    """The channel ids of the cancel packets the client sent."""
    return [
        r.message["channelId"]
        for r in server.received
        if r.message.get("type") == "channelSend" and r.message["message"] == {"type": "cancel"}
    ]


def test_leaving_the_block_cancels_on_the_server_and_waits_for_the_end(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    server.set_fragment_delay(0.002)

    async def body() -> tuple[list[str], bool, PredictionResult]:
        model = await style.get(client.llm.model())
        seen = []
        async with closing(style, model.respond_stream("count to 10000")) as stream:
            async for fragment in style.iterate(stream):
                seen.append(fragment.content)
                if len(seen) == 3:
                    break
        ended = stream.done()  # the block waited for the server's answer to the cancel
        return seen, ended, await style.get(stream)

    seen, ended, result = style.run(body)
    assert seen == ["1", " 2", " 3"] and ended
    assert result.stop_reason == "userStopped"
    assert result.content.startswith("1 2 3")
    assert cancels(server) == [server.calls("predict")[-1]["channelId"]]


def test_a_stream_consumed_in_the_block_is_not_cancelled(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> tuple[list[str], PredictionResult]:
        model = await style.get(client.llm.model())
        async with closing(style, model.respond_stream("count to 3")) as stream:
            seen = [fragment.content async for fragment in style.iterate(stream)]
        return seen, await style.get(stream)

    seen, result = style.run(body)
    assert seen == ["1", " 2", " 3"]
    assert result.stop_reason != "userStopped"
    assert cancels(server) == []


def test_an_error_in_the_block_cancels_the_stream(
    client: Client, server: FakeLMStudio, ms: float
) -> None:
    server.set_fragment_delay(0.002)
    model = client.llm.model().result(20_000 * ms)
    with (
        pytest.raises(ValueError, match="enough"),
        model.respond_stream("count to 10000") as stream,
    ):
        next(stream)
        raise ValueError("enough")
    assert stream.done() and stream.result(0).stop_reason == "userStopped"
    assert len(cancels(server)) == 1


def test_closing_waits_a_bounded_time_for_a_server_that_never_ends_it(
    client: Client, server: FakeLMStudio, ms: float
) -> None:
    opened, got_cancel = threading.Event(), threading.Event()

    async def never_ends(channel: Any, creation: Any) -> None:
        opened.set()
        assert await channel.receive() == {"type": "cancel"}
        got_cancel.set()
        await channel.receive()  # nothing more comes; ends when the connection does

    with server.handle_channel("llm/predict", never_ends):
        model = client.llm.model().result(20_000 * ms)
        stream = model.respond_stream("hi")
        assert opened.wait(20_000 * ms)
        started = time.monotonic()
        stream.close(timeout=100 * ms)
        waited = time.monotonic() - started
        assert got_cancel.wait(20_000 * ms)
    assert 90 * ms <= waited < 20_000 * ms
    assert not stream.done() and list(stream) == []
    client.close()  # the client closing ends it
    with pytest.raises(LMStudioCancelledError):
        stream.result(20_000 * ms)


def test_a_stream_closed_before_its_channel_opened_never_reaches_the_server(
    client: Client, server: FakeLMStudio, ms: float
) -> None:
    model = client.llm.model().result(20_000 * ms)
    engine_queue = threading.Event()
    # Hold the engine busy so that close() surely comes before the channel is started.
    assert client._session._engine is not None
    client._session._engine.submit(engine_queue.wait, 5000 * ms)
    stream = model.respond_stream("hi")
    cancel = threading.Timer(20 * ms, engine_queue.set)
    cancel.start()
    stream.close(timeout=5000 * ms)
    cancel.join()
    assert stream.cancelled()
    assert server.calls("predict") == [] and cancels(server) == []
