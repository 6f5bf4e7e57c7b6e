"""How ``Call[T]`` and ``Stream[I, R]`` resolve for a type checker.

Checked by ``test_typing.py`` with ``mypy --strict``: every ``assert_type`` must hold.
Nothing here runs (the functions are never called).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import msgspec
from typing_extensions import assert_type

from lmstudio import (
    LLM,
    ActEvent,
    ActResult,
    Client,
    FileHandle,
    GeneratorPredictionResult,
    GeneratorRoundResult,
    LMStudioVersion,
    PredictionFragment,
    PredictionResult,
    PredictionRoundResult,
    PredictionStream,
)
from lmstudio._engine.call import Call
from lmstudio._engine.handler import ChannelHandler
from lmstudio._engine.session import Session
from lmstudio._engine.stream import SKIP, Skip, Stream
from lmstudio._protocol.endpoints import llm, system
from lmstudio._protocol.models import (
    LlmChannelPredictCreationParameter,
    LlmInstanceInfo,
    LlmRpcTokenizeParameter,
    RpcTokenizeReturns,
)


class Fragment:
    text = ""


class Result:
    stop_reason = ""


class PredictionHandler(ChannelHandler[Fragment, Result]):
    def close(self) -> Result:
        return Result()


def block(client: Client) -> None:
    call = client.system.version()
    assert_type(call, Call[LMStudioVersion])
    assert_type(call.result(), LMStudioVersion)
    assert_type(call.result(timeout=2.5), LMStudioVersion)
    assert_type(call.exception(), BaseException | None)
    assert_type(call.cancel(), bool)
    assert_type(call.done(), bool)
    assert_type(client.llm.list_loaded().result(), list[LLM])


async def await_(client: Client) -> None:
    assert_type(await client.system.version(), LMStudioVersion)
    both = await asyncio.gather(client.system.version(), client.llm.list_loaded())
    assert_type(both, tuple[LMStudioVersion, list[LLM]])
    version = await asyncio.wait_for(client.system.version(), 1.0)
    assert_type(version, LMStudioVersion)


def futures(client: Client) -> None:
    calls = [client.system.version(), client.system.version()]
    done, _ = concurrent.futures.wait(calls, timeout=1.0)
    for finished in done:
        assert_type(finished.result(), LMStudioVersion)
    for completed in concurrent.futures.as_completed(calls):
        assert_type(completed.result(), LMStudioVersion)


def iterate(session: Session, creation: LlmChannelPredictCreationParameter) -> None:
    stream = session.channel(llm.PREDICT, creation, handler=PredictionHandler())
    assert_type(stream, Stream[Fragment, Result])
    for fragment in stream:
        assert_type(fragment, Fragment)
    assert_type(stream.result(), Result)
    assert_type(stream.cancel(), bool)
    # A Stream is a Call of its final value.
    as_call: Call[Result] = stream
    assert_type(as_call.result(), Result)


def consume_hook(session: Session, creation: LlmChannelPredictCreationParameter) -> None:
    def text_only(fragment: Fragment) -> str | Skip:
        return fragment.text or SKIP

    stream = session.channel(llm.PREDICT, creation, handler=PredictionHandler(), consume=text_only)
    assert_type(stream, Stream[str, Result])
    assert_type(next(stream), str)


def default_handler(session: Session, client: Client) -> None:
    assert_type(session.channel(system.ALIVE, None), Stream[Any, None])
    assert_type(client._session.channel(system.ALIVE, None), Stream[Any, None])


def typed_endpoints(session: Session, tokenize: LlmRpcTokenizeParameter) -> None:
    # the endpoint's result type, or what transform makes of it
    assert_type(session.rpc(llm.LIST_LOADED), Call[list[LlmInstanceInfo]])
    assert_type(session.rpc(llm.LIST_LOADED, transform=len), Call[int])
    assert_type(session.rpc(system.VERSION), Call[LMStudioVersion])
    assert_type(session.rpc(llm.TOKENIZE, tokenize), Call[RpcTokenizeReturns])
    assert_type(session.rpc(llm.UNLOAD_MODEL, tokenize_to_unload()), Call[None])

    def tokens(returns: RpcTokenizeReturns) -> list[float]:
        return returns.tokens

    assert_type(session.rpc(llm.TOKENIZE, tokenize, transform=tokens), Call[list[float]])


def tokenize_to_unload() -> Any:
    return None


def stream_class(session: Session, creation: LlmChannelPredictCreationParameter) -> None:
    from lmstudio._prediction.state import PredictionState

    def state() -> PredictionState:
        raise NotImplementedError

    # a feature's Stream subclass must agree with its handler's final value
    stream = session.channel(llm.PREDICT, creation, handler=state(), stream_class=PredictionStream)
    assert_type(stream.result().content, str)


def public_names(client: Client) -> None:
    # generated classes under public names of their own
    assert_type(client.files.prepare_image(b"...").result(), FileHandle)
    assert_type(client.system.version().result().version, str)


async def async_iterate(session: Session, creation: LlmChannelPredictCreationParameter) -> None:
    stream = session.channel(llm.PREDICT, creation, handler=PredictionHandler())
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
    assert_type(stream.result().predictions, tuple[PredictionRoundResult, ...])


async def generator_results(client: Client) -> None:
    generator = client.plugins.generator("me/echo")
    assert_type(generator.respond("hi").result(), GeneratorPredictionResult)
    assert_type(await generator.respond_stream("hi"), GeneratorPredictionResult)
    for fragment in generator.respond_stream("hi"):
        assert_type(fragment, PredictionFragment)
    acted = generator.act("add 1 and 2", [add]).result()
    assert_type(acted, ActResult[GeneratorRoundResult])
    assert_type(acted.predictions, tuple[GeneratorRoundResult, ...])


def close_a_stream(model: LLM) -> None:
    with model.respond_stream("hi") as stream:
        assert_type(stream, PredictionStream[str])
        for fragment in stream:
            assert_type(fragment.content, str)
    assert_type(stream.close(), None)


async def aclose_a_stream(model: LLM) -> None:
    async with model.respond_stream("hi") as stream:
        assert_type(stream, PredictionStream[str])
    assert_type(await stream.aclose(), None)


class Book(msgspec.Struct):
    title: str
    year: int


def typed_parsed(model: LLM) -> None:
    assert_type(model.respond("hi").result().parsed, str)
    book = model.respond("hi", response_format=Book).result()
    assert_type(book, PredictionResult[Book])
    assert_type(book.parsed, Book)
    assert_type(book.parsed.year, int)
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    assert_type(model.respond("hi", response_format=schema).result().parsed, dict[str, Any])
    stream = model.respond_stream("hi", response_format=Book, config={"temperature": 0})
    assert_type(stream, PredictionStream[Book])
    assert_type(stream.result().parsed, Book)
    assert_type(model.complete("Once", response_format=Book).result().parsed, Book)
    assert_type(model.complete_stream("Once"), PredictionStream[str])


async def typed_parsed_awaited(model: LLM) -> None:
    assert_type((await model.respond("hi", response_format=Book)).parsed, Book)
    async for fragment in model.respond_stream("hi", response_format=Book):
        assert_type(fragment.content, str)
