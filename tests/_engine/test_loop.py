"""The engine loop thread: lazy start, sharing, ordering, stop."""

from __future__ import annotations

import logging
import threading

import pytest

from lmstudio._engine import loop as engine_loop
from lmstudio._engine.callbacks import ENGINE_THREADS


def test_acquire_shares_one_thread_and_the_last_release_stops_it(ms: float) -> None:
    if engine_loop._engine is not None:
        pytest.fail("an earlier test left a client open (the engine is still in use)")
    first = engine_loop.acquire()
    second = engine_loop.acquire()
    try:
        assert first is second
        assert first.thread.daemon
        assert first.thread.ident in ENGINE_THREADS
    finally:
        engine_loop.release(second, 5000 * ms)
    assert first.thread.is_alive()
    engine_loop.release(first, 5000 * ms)
    assert not first.thread.is_alive()
    assert first.loop.is_closed()
    assert first.thread.ident not in ENGINE_THREADS
    first.submit(print)  # submitting to a stopped engine is harmless
    third = engine_loop.acquire()
    try:
        assert third is not first and third.thread.is_alive()
    finally:
        engine_loop.release(third, 5000 * ms)


def test_submissions_run_in_order_from_many_threads(ms: float) -> None:
    engine = engine_loop.acquire()
    try:
        seen: dict[int, list[int]] = {t: [] for t in range(4)}
        done = threading.Event()
        remaining = [4 * 500]

        def record(thread: int, i: int) -> None:
            assert engine.in_engine_thread()
            seen[thread].append(i)
            remaining[0] -= 1
            if remaining[0] == 0:
                done.set()

        def submit_all(thread: int) -> None:
            for i in range(500):
                engine.submit(record, thread, i)

        threads = [threading.Thread(target=submit_all, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert done.wait(5000 * ms)
        assert all(seen[t] == list(range(500)) for t in range(4))
    finally:
        engine_loop.release(engine, 5000 * ms)


def test_after_drain_runs_once_the_batch_is_done(ms: float) -> None:
    engine = engine_loop.acquire()
    try:
        order: list[str] = []
        done = threading.Event()

        def after() -> None:
            order.append("after")
            done.set()

        def first() -> None:
            order.append("first")
            engine.after_drain(after)

        second_ran = threading.Event()

        def second() -> None:
            order.append("second")
            second_ran.set()

        engine.submit(first)
        engine.submit(second)
        assert done.wait(5000 * ms) and second_ran.wait(5000 * ms)
        assert order in (["first", "second", "after"], ["first", "after", "second"])
        # In one batch, "after" always follows every submission of that batch.
        order.clear()
        done.clear()
        gate = threading.Event()
        engine.submit(gate.wait, 5000 * ms)  # hold the loop so the next three share a batch
        engine.submit(first)
        engine.submit(order.append, "second")
        gate.set()
        assert done.wait(5000 * ms)
        assert order == ["first", "second", "after"]
    finally:
        engine_loop.release(engine, 5000 * ms)


def test_a_failing_submission_is_logged_and_the_rest_runs(
    caplog: pytest.LogCaptureFixture, ms: float
) -> None:
    engine = engine_loop.acquire()
    try:
        done = threading.Event()
        with caplog.at_level(logging.ERROR, "lmstudio"):
            engine.submit(lambda: 1 / 0)
            engine.submit(done.set)
            assert done.wait(5000 * ms)
        assert "ZeroDivisionError" in caplog.text
    finally:
        engine_loop.release(engine, 5000 * ms)
