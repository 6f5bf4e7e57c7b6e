"""``Call`` on its own: block, await, cancel, callbacks, futures interop, tracebacks.

A helper thread stands in for the engine where the test is about the caller's side;
the real engine thread is used where the rule is about that thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lmstudio._engine import loop as engine_loop
from lmstudio._engine.call import Call
from lmstudio._engine.loop import Engine
from lmstudio.errors import (
    LMStudioCancelledError,
    LMStudioRuntimeError,
    LMStudioServerError,
    LMStudioTimeoutError,
)


def later(seconds: float, fn: Callable[[], object]) -> threading.Timer:
    timer = threading.Timer(seconds, fn)
    timer.start()
    return timer


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = engine_loop.acquire()
    yield engine
    engine_loop.release(engine, 5)


def on_engine(engine: Engine, fn: Callable[[], Any], ms: float) -> Any:
    """Run ``fn`` on the engine thread and return what it returned or raised."""
    done: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def run() -> None:
        try:
            done.set_result(fn())
        except BaseException as exc:
            done.set_result(exc)

    engine.submit(run)
    return done.result(5000 * ms)


def test_result_blocks_until_the_engine_settles(ms: float) -> None:
    call: Call[int] = Call("test.call")
    later(20 * ms, lambda: call._set_result(42))
    assert call.result(5000 * ms) == 42
    assert call.done() and not call.cancelled()


def test_result_timeout_leaves_the_call_running(ms: float) -> None:
    call: Call[int] = Call("test.call")
    with pytest.raises(LMStudioTimeoutError, match=r"test\.call is not done") as info:
        call.result(10 * ms)
    assert isinstance(info.value, TimeoutError)
    assert not call.done()
    call._set_result(1)
    assert call.result(0) == 1


def test_exception_returns_the_error(ms: float) -> None:
    call: Call[int] = Call()
    with pytest.raises(LMStudioTimeoutError):
        call.exception(5 * ms)
    error = LMStudioServerError("Boom")
    call._set_exception(error)
    assert call.exception() is error
    with pytest.raises(LMStudioServerError, match="Boom"):
        call.result()


def test_cancel() -> None:
    hooks: list[str] = []
    call: Call[int] = Call("test.call")
    call._cancel_hook = lambda: hooks.append("hook")
    assert call.cancel()
    assert call.cancel()  # idempotent, the hook ran once
    assert hooks == ["hook"]
    assert call.cancelled() and call.done()
    with pytest.raises(LMStudioCancelledError, match=r"test\.call was cancelled") as info:
        call.result()
    assert isinstance(info.value, concurrent.futures.CancelledError)
    with pytest.raises(LMStudioCancelledError):
        call.exception()
    call._set_result(1)  # a late answer from the engine is tolerated
    assert call.cancelled()


def test_cancel_after_done_is_refused() -> None:
    hooks: list[str] = []
    call: Call[int] = Call()
    call._cancel_hook = lambda: hooks.append("hook")
    call._set_result(1)
    assert not call.cancel()
    assert hooks == []
    assert call.result() == 1


def test_done_callbacks_never_run_on_the_engine_thread(engine: Engine, ms: float) -> None:
    call: Call[int] = Call()
    ran = threading.Event()
    where: list[str] = []

    def callback(fut: concurrent.futures.Future[int]) -> None:
        where.append(threading.current_thread().name)
        ran.set()

    call.add_done_callback(callback)
    on_engine(engine, lambda: call._set_result(1), ms)
    assert ran.wait(5000 * ms)
    assert where == ["lmstudio-callbacks"]
    # Added after completion: runs at once, in the caller's thread.
    call.add_done_callback(callback)
    assert where[-1] == threading.current_thread().name


def test_done_callback_elsewhere_runs_in_the_completing_thread() -> None:
    call: Call[int] = Call()
    where: list[str] = []
    call.add_done_callback(lambda _: where.append(threading.current_thread().name))
    call._set_result(1)
    assert where == [threading.current_thread().name]


def test_blocking_on_the_engine_thread_raises(engine: Engine, ms: float) -> None:
    call: Call[int] = Call("test.call")
    error = on_engine(engine, lambda: call.result(), ms)
    assert isinstance(error, LMStudioRuntimeError)
    assert "engine thread" in str(error)
    call._set_result(3)
    assert on_engine(engine, lambda: call.result(), ms) == 3  # done: no blocking needed


def test_await_from_a_loop(ms: float) -> None:
    async def main() -> int:
        call: Call[int] = Call()
        later(20 * ms, lambda: call._set_result(7))
        return await call

    assert asyncio.run(main()) == 7


def test_await_from_a_loop_in_another_thread(ms: float) -> None:
    call: Call[int] = Call()
    results: list[int] = []

    def other() -> None:
        async def main() -> None:
            results.append(await call)

        asyncio.run(main())

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(20 * ms)
    call._set_result(9)
    thread.join(5000 * ms)
    assert results == [9]


def test_await_done_and_cancelled_calls() -> None:
    done: Call[int] = Call()
    done._set_result(1)
    cancelled: Call[int] = Call()
    cancelled.cancel()

    async def main() -> None:
        assert await done == 1
        with pytest.raises(LMStudioCancelledError):
            await cancelled

    asyncio.run(main())


def test_gather_and_wait_for(ms: float) -> None:
    hooks: list[str] = []

    async def main() -> None:
        a: Call[int] = Call()
        b: Call[str] = Call()
        later(10 * ms, lambda: a._set_result(1))
        later(20 * ms, lambda: b._set_result("b"))
        assert list(await asyncio.gather(a, b)) == [1, "b"]
        slow: Call[int] = Call("test.slow")
        slow._cancel_hook = lambda: hooks.append("cancelled")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(slow, 20 * ms)
        # The timed-out await cancelled the call, so nothing is left half-open.
        assert slow.cancelled()

    asyncio.run(main())
    assert hooks == ["cancelled"]


def test_concurrent_futures_wait_and_as_completed(ms: float) -> None:
    calls: list[Call[int]] = [Call() for _ in range(5)]
    for i, call in enumerate(reversed(calls)):
        later((i + 1) * 5 * ms, lambda call=call, i=i: call._set_result(i))  # type: ignore[misc]
    done, not_done = concurrent.futures.wait(calls, timeout=5000 * ms)
    assert not not_done and len(done) == 5
    more: list[Call[int]] = [Call() for _ in range(3)]
    for i, call in enumerate(more):
        later(5 * ms, lambda call=call, i=i: call._set_result(i))  # type: ignore[misc]
    assert sorted(f.result() for f in concurrent.futures.as_completed(more, 5000 * ms)) == [0, 1, 2]


def test_traceback_ends_in_the_caller() -> None:
    call: Call[int] = Call()
    call._set_exception(LMStudioServerError("Boom"))
    for _ in range(2):  # raising twice does not pile up frames
        try:
            call.result()
        except LMStudioServerError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
        assert [f.name for f in frames] == ["test_traceback_ends_in_the_caller", "result"]
        assert frames[-1].filename.endswith("call.py")


def test_repr() -> None:
    call: Call[int] = Call("llm.listLoaded")
    assert repr(call) == "<Call llm.listLoaded state=pending>"
    call.cancel()
    assert repr(call) == "<Call llm.listLoaded state=cancelled>"
