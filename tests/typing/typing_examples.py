"""How ``Call[T]`` and ``Stream[I, R]`` resolve for a type checker.

Checked by ``test_typing.py`` with ``mypy --strict``: every ``assert_type`` must hold.
Nothing here runs (the functions are never called).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from typing_extensions import assert_type

from lmstudio import LLM, ActEvent, ActResult, Client
from lmstudio._engine.call import Call
from lmstudio._engine.handler import ChannelHandler
from lmstudio._engine.session import Session
from lmstudio._engine.stream import SKIP, Skip, Stream
from lmstudio._protocol.models import SystemRpcVersionReturns


class Fragment:
    text = ""


class Result:
    stop_reason = ""


class PredictionHandler(ChannelHandler[Fragment, Result]):
    def close(self) -> Result:
        return Result()


def block(client: Client) -> None:
    call = client.system.version()
    assert_type(call, Call[SystemRpcVersionReturns])
    assert_type(call.result(), SystemRpcVersionReturns)
    assert_type(call.result(timeout=2.5), SystemRpcVersionReturns)
    assert_type(call.exception(), BaseException | None)
    assert_type(call.cancel(), bool)
    assert_type(call.done(), bool)
    assert_type(client.llm.list_loaded().result(), list[LLM])


async def await_(client: Client) -> None:
    assert_type(await client.system.version(), SystemRpcVersionReturns)
    both = await asyncio.gather(client.system.version(), client.llm.list_loaded())
    assert_type(both, tuple[SystemRpcVersionReturns, list[LLM]])
    version = await asyncio.wait_for(client.system.version(), 1.0)
    assert_type(version, SystemRpcVersionReturns)


def futures(client: Client) -> None:
    calls = [client.system.version(), client.system.version()]
    done, _ = concurrent.futures.wait(calls, timeout=1.0)
    for finished in done:
        assert_type(finished.result(), SystemRpcVersionReturns)
    for completed in concurrent.futures.as_completed(calls):
        assert_type(completed.result(), SystemRpcVersionReturns)


def iterate(session: Session) -> None:
    stream = session.channel("llm", "predict", {}, handler=PredictionHandler())
    assert_type(stream, Stream[Fragment, Result])
    for fragment in stream:
        assert_type(fragment, Fragment)
    assert_type(stream.result(), Result)
    assert_type(stream.cancel(), bool)
    # A Stream is a Call of its final value.
    as_call: Call[Result] = stream
    assert_type(as_call.result(), Result)


def consume_hook(session: Session) -> None:
    def text_only(fragment: Fragment) -> str | Skip:
        return fragment.text or SKIP

    stream = session.channel("llm", "predict", {}, handler=PredictionHandler(), consume=text_only)
    assert_type(stream, Stream[str, Result])
    assert_type(next(stream), str)


def default_handler(session: Session, client: Client) -> None:
    assert_type(session.channel("system", "alive"), Stream[Any, None])
    assert_type(client._session.channel("system", "alive"), Stream[Any, None])
    assert_type(session.rpc("llm", "listLoaded"), Call[Any])
    assert_type(session.rpc("llm", "listLoaded", transform=len), Call[int])


async def async_iterate(session: Session) -> None:
    stream = session.channel("llm", "predict", {}, handler=PredictionHandler())
    async for fragment in stream:
        assert_type(fragment, Fragment)
    assert_type(await stream, Result)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def act(model: LLM) -> None:
    stream = model.act("add 1 and 2", [add])
    assert_type(stream.result(), ActResult)
    assert_type(await model.act("add 1 and 2", [add]), ActResult)
    for event in stream:
        assert_type(event, ActEvent)
    async for item in model.act("hi", [add]):
        assert_type(item, ActEvent)
