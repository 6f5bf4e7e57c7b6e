"""One test body, two ways to consume it: blocking and awaiting.

A feature test is written once, as an ``async def`` body that consumes every ``Call``
and ``Stream`` through the ``style`` fixture::

    def test_respond(style: Style, client: Client) -> None:
        async def body() -> None:
            model = await style.get(client.llm.model("fake/chat"))
            assert [f.content async for f in style.iterate(model.respond_stream("count to 2"))]

        style.run(body)

- ``block``: ``get`` is ``.result(timeout)`` and ``iterate`` a plain ``for``; the body is
  driven without any event loop (it must never suspend), as a script would run.
- ``await``: the body runs in ``asyncio.run``; ``get`` is ``await`` and ``iterate``
  ``async for``.

The ``server`` fixture is the fake LM Studio; at teardown it checks that no protocol
warning went either way. ``client`` is a ``Client`` of it with a test-sized inactivity
timeout (every blocking wait has a timeout path).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from lmstudio import Client
from lmstudio._engine.call import Call
from lmstudio._engine.stream import Stream
from lmstudio.testing import FakeLMStudio

__all__ = ["LONG", "MS", "Style", "client", "server", "style"]

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741

MS = 0.001 * float(os.environ.get("LMSTUDIO_TESTS_TIMEOUT_FACTOR", "1"))
LONG = 20_000 * MS
"""Generous: what must happen happens well within it, even on a loaded machine."""


class Style:
    """How a test body consumes calls and streams (see the module docstring)."""

    name = ""

    def run(self, body: Callable[[], Coroutine[Any, Any, T]]) -> T:
        raise NotImplementedError

    async def get(self, call: Call[T]) -> T:
        raise NotImplementedError

    def iterate(self, stream: Stream[I, Any]) -> AsyncIterator[I]:
        raise NotImplementedError

    async def items(self, stream: Stream[I, Any]) -> list[I]:
        return [item async for item in self.iterate(stream)]

    def __repr__(self) -> str:
        return self.name


class Blocking(Style):
    name = "block"

    def run(self, body: Callable[[], Coroutine[Any, Any, T]]) -> T:
        coroutine = body()
        try:
            coroutine.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        coroutine.close()
        raise AssertionError("a blocking test body must not suspend (it awaited a real awaitable)")

    async def get(self, call: Call[T]) -> T:
        return call.result(LONG)

    async def iterate(self, stream: Stream[I, Any]) -> AsyncIterator[I]:  # type: ignore[override]
        for item in stream:
            yield item


class Awaiting(Style):
    name = "await"

    def run(self, body: Callable[[], Coroutine[Any, Any, T]]) -> T:
        async def main() -> T:
            return await asyncio.wait_for(body(), LONG)

        return asyncio.run(main())

    async def get(self, call: Call[T]) -> T:
        return await call

    def iterate(self, stream: Stream[I, Any]) -> AsyncIterator[I]:
        return stream


@pytest.fixture(params=[Blocking(), Awaiting()], ids=lambda style: style.name)
def style(request: pytest.FixtureRequest) -> Style:
    """Each test using it runs twice: blocking, then awaiting."""
    chosen: Style = request.param
    return chosen


@pytest.fixture
def server(fake_lmstudio: FakeLMStudio) -> Iterator[FakeLMStudio]:
    """The fake LM Studio; no protocol warning may go either way during the test."""
    yield fake_lmstudio
    assert fake_lmstudio.warnings == []
    assert fake_lmstudio.client_warnings == []


@pytest.fixture
def client(server: FakeLMStudio) -> Iterator[Client]:
    """A client of the fake server, closed after the test."""
    with Client(server.api_host, timeout=LONG) as connected:
        yield connected
