"""Helpers of the engine tests: a fake clock for the sans-I/O multiplexer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lmstudio._engine.multiplexer import Multiplexer


class FakeTimer:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock and scheduler the test advances by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[FakeTimer] = []

    def time(self) -> float:
        return self.now

    def schedule(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    @property
    def pending(self) -> list[FakeTimer]:
        return [t for t in self.timers if not t.cancelled]

    def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while True:
            due = [t for t in self.pending if t.when <= target]
            if not due:
                break
            timer = min(due, key=lambda t: t.when)
            self.now = timer.when
            timer.cancelled = True
            timer.callback()
        self.now = target


def new_mux(namespace: str = "llm") -> tuple[Multiplexer, FakeClock]:
    clock = FakeClock()
    return Multiplexer(namespace, clock=clock.time, schedule=clock.schedule), clock


def feed(mux: Multiplexer, *messages: dict[str, Any]) -> None:
    """The server sends ``messages`` (one batch)."""
    for message in messages:
        mux.receive(json.dumps(message).encode())
    mux.wake_consumers()


def sent(mux: Multiplexer) -> list[dict[str, Any]]:
    """What the client would send now, decoded."""
    return [json.loads(data) for data in mux.data_to_send()]
