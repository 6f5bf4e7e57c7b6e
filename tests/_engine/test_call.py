"""``Call`` on its own: block, await, cancel, callbacks, futures interop, tracebacks.

A helper thread stands in for the engine where the test is about the caller's side;
the real engine thread is used where the rule is about that thread.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import functools
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lmstudio._engine import call as call_module, loop as engine_loop, stream as stream_module
from lmstudio._engine.call import new_call
from lmstudio._engine.loop import Engine
from lmstudio._engine.settle import Settle
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
    call, settle = new_call("test.call")
    later(20 * ms, lambda: settle.resolve(42))
    assert call.result(5000 * ms) == 42
    assert call.done() and not call.cancelled()


def test_result_timeout_leaves_the_call_running(ms: float) -> None:
    call, settle = new_call("test.call")
    with pytest.raises(LMStudioTimeoutError, match=r"test\.call is not done") as info:
        call.result(10 * ms)
    assert isinstance(info.value, TimeoutError)
    assert not call.done()
    settle.resolve(1)
    assert call.result(0) == 1


def test_exception_returns_the_error(ms: float) -> None:
    call, settle = new_call("test.call")
    with pytest.raises(LMStudioTimeoutError):
        call.exception(5 * ms)
    error = LMStudioServerError("Boom")
    settle.fail(error)
    assert call.exception() is error
    with pytest.raises(LMStudioServerError, match="Boom"):
        call.result()


def test_cancel() -> None:
    hooks: list[Settle] = []
    call, settle = new_call("test.call", on_cancel=hooks.append)
    assert call.cancel()
    assert call.cancel()  # idempotent, the hook ran once
    assert hooks == [settle]  # the hook gets the engine face, to find the request
    assert call.cancelled() and call.done()
    with pytest.raises(LMStudioCancelledError, match=r"test\.call was cancelled") as info:
        call.result()
    assert isinstance(info.value, concurrent.futures.CancelledError)
    with pytest.raises(LMStudioCancelledError):
        call.exception()
    assert not settle.wanted()
    settle.resolve(1)  # a late answer from the engine is tolerated
    settle.fail(LMStudioServerError("late"))
    assert call.cancelled()
    with pytest.raises(LMStudioCancelledError):
        call.result()  # the late value did not slip in


def test_cancel_after_done_is_refused() -> None:
    hooks: list[Settle] = []
    call, settle = new_call("test.call", on_cancel=hooks.append)
    assert settle.wanted()
    settle.resolve(1)
    assert not settle.wanted()
    assert not call.cancel()
    settle.fail(LMStudioServerError("late"))  # the first outcome stays
    settle.resolve_cancelled()
    assert hooks == []
    assert call.result() == 1


def test_done_callbacks_never_run_on_the_engine_thread(engine: Engine, ms: float) -> None:
    call, settle = new_call("test.call")
    ran = threading.Event()
    where: list[str] = []

    def callback(fut: concurrent.futures.Future[int]) -> None:
        where.append(threading.current_thread().name)
        ran.set()

    call.add_done_callback(callback)
    on_engine(engine, lambda: settle.resolve(1), ms)
    assert ran.wait(5000 * ms)
    assert where == ["lmstudio-callbacks"]
    # Added after completion: runs at once, in the caller's thread.
    call.add_done_callback(callback)
    assert where[-1] == threading.current_thread().name


def test_done_callback_elsewhere_runs_in_the_completing_thread() -> None:
    call, settle = new_call("test.call")
    where: list[str] = []
    call.add_done_callback(lambda _: where.append(threading.current_thread().name))
    settle.resolve(1)
    assert where == [threading.current_thread().name]


def test_blocking_on_the_engine_thread_raises(engine: Engine, ms: float) -> None:
    call, settle = new_call("test.call")
    error = on_engine(engine, lambda: call.result(), ms)
    assert isinstance(error, LMStudioRuntimeError)
    assert "engine thread" in str(error)
    assert isinstance(on_engine(engine, lambda: call.exception(), ms), LMStudioRuntimeError)
    settle.resolve(3)
    assert on_engine(engine, lambda: call.result(), ms) == 3  # done: no blocking needed


def test_await_from_a_loop(ms: float) -> None:
    async def main() -> int:
        call, settle = new_call("test.call")
        later(20 * ms, lambda: settle.resolve(7))
        result: int = await call
        return result

    assert asyncio.run(main()) == 7


def test_await_from_a_loop_in_another_thread(ms: float) -> None:
    call, settle = new_call("test.call")
    results: list[int] = []

    def other() -> None:
        async def main() -> None:
            results.append(await call)

        asyncio.run(main())

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(20 * ms)
    settle.resolve(9)
    thread.join(5000 * ms)
    assert results == [9]


def test_await_done_and_cancelled_calls() -> None:
    done, settle = new_call("test.done")
    settle.resolve(1)
    cancelled, _ = new_call("test.cancelled")
    cancelled.cancel()

    async def main() -> None:
        assert await done == 1
        with pytest.raises(LMStudioCancelledError):
            await cancelled

    asyncio.run(main())


def test_gather_and_wait_for(ms: float) -> None:
    hooks: list[str] = []

    async def main() -> None:
        a, settle_a = new_call("test.a")
        b, settle_b = new_call("test.b")
        later(10 * ms, lambda: settle_a.resolve(1))
        later(20 * ms, lambda: settle_b.resolve("b"))
        assert list(await asyncio.gather(a, b)) == [1, "b"]
        slow, _ = new_call("test.slow", on_cancel=lambda _: hooks.append("cancelled"))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(slow, 20 * ms)
        # The timed-out await cancelled the call, so nothing is left half-open.
        assert slow.cancelled()

    asyncio.run(main())
    assert hooks == ["cancelled"]


def test_concurrent_futures_wait_and_as_completed(ms: float) -> None:
    pairs = [new_call(f"test.{i}") for i in range(5)]
    for i, (_, settle) in enumerate(reversed(pairs)):
        later((i + 1) * 5 * ms, functools.partial(settle.resolve, i))
    done, not_done = concurrent.futures.wait([call for call, _ in pairs], timeout=5000 * ms)
    assert not not_done and len(done) == 5
    more = [new_call(f"test.more{i}") for i in range(3)]
    for i, (_, settle) in enumerate(more):
        later(5 * ms, functools.partial(settle.resolve, i))
    calls = [call for call, _ in more]
    assert sorted(f.result() for f in concurrent.futures.as_completed(calls, 5000 * ms)) == [
        0,
        1,
        2,
    ]


def test_traceback_ends_in_the_caller() -> None:
    call, settle = new_call("test.call")
    settle.fail(LMStudioServerError("Boom"))
    for _ in range(2):  # raising twice does not pile up frames
        try:
            call.result()
        except LMStudioServerError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
        assert [f.name for f in frames] == ["test_traceback_ends_in_the_caller", "result"]
        assert frames[-1].filename.endswith("call.py")


def test_repr() -> None:
    call, settle = new_call("llm.listLoaded")
    assert repr(call) == "<Call llm.listLoaded state=pending>"
    call.cancel()
    assert repr(call) == "<Call llm.listLoaded state=cancelled>"
    done, settle = new_call("llm.listLoaded")
    settle.resolve([])
    assert repr(done) == "<Call llm.listLoaded state=finished returned list>"
    assert repr(settle) == "<settle of <Call llm.listLoaded state=finished returned list>>"
    failed, settle = new_call("llm.listLoaded")
    settle.fail(LMStudioTimeoutError("late"))
    assert repr(failed) == "<Call llm.listLoaded state=finished raised LMStudioTimeoutError>"


@pytest.mark.parametrize("module", [call_module, stream_module])
def test_only_the_public_api_of_concurrent_futures(module: Any) -> None:
    # No reading of Future's private state, no import of its private module.
    with open(module.__file__) as file:
        tree = ast.parse(file.read())
    private = {"_state", "_result", "_exception", "_condition", "_waiters", "_done_callbacks"}
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert attributes.isdisjoint(private)
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "concurrent.futures._base" not in modules
