"""Wrong expectations that ``mypy`` must reject (see ``test_typing.py``).

Each line ending in ``# error`` must be reported, and nothing else.
"""

from __future__ import annotations

import msgspec
from typing_extensions import assert_type

from lmstudio import LLM, Client, LMStudioVersion
from lmstudio._engine.handler import ChannelHandler
from lmstudio._engine.session import Session
from lmstudio._prediction.stream import PredictionStream
from lmstudio._protocol.endpoints import llm, system
from lmstudio._protocol.models import (
    LlmChannelPredictCreationParameter,
    LlmChannelPredictToClientPacketSuccess,
    LlmChannelPredictToServerPacket,
    LlmRpcTokenizeParameter,
    RpcUnloadModelParameter,
)


def block(client: Client) -> None:
    assert_type(client.system.version().result(), str)  # error
    assert_type(client.llm.list_loaded().result(), LMStudioVersion)  # error


async def await_(client: Client) -> None:
    assert_type(await client.llm.list_loaded(), list[str])  # error


def iterate(session: Session, creation: LlmChannelPredictCreationParameter) -> None:
    for item in session.channel(llm.PREDICT, creation):
        print(item.anything)  # fine: items of the default handler are Any
    client = Client()
    client.system.version().result(timeout="soon")  # error


def endpoints(
    session: Session,
    tokenize: LlmRpcTokenizeParameter,
    unload: RpcUnloadModelParameter,
    creation: LlmChannelPredictCreationParameter,
) -> None:
    session.rpc(llm.LIST_LOADDED)  # error
    session.rpc("llm", "listLoaded")  # error
    session.rpc(llm.TOKENIZE, unload)  # error
    session.rpc(llm.TOKENIZE)  # error
    session.rpc(system.VERSION, tokenize)  # error
    session.rpc(llm.PREDICT)  # error
    session.rpc(llm.COUNT_TOKENS, tokenize, transform=lambda returns: returns.tokens)  # error
    session.channel(llm.PREDICT, tokenize)  # error
    session.channel(llm.LIST_LOADED, None)  # error
    session.channel(llm.PREDICT)  # error
    # a Stream subclass whose final value is not the handler's
    handler: ChannelHandler[object, int] = ChannelHandler()
    session.channel(llm.PREDICT, creation, handler=handler, stream_class=PredictionStream)  # error
    # a channel's to-server packets are the endpoint's own, not its to-client ones
    stream = session.channel(llm.PREDICT, creation)
    session.send(llm.PREDICT, stream, LlmChannelPredictToServerPacket())
    session.send(llm.PREDICT, stream, LlmChannelPredictToClientPacketSuccess())  # error
    session.send(llm.TOKENIZE, stream, LlmChannelPredictToServerPacket())  # error


class Book(msgspec.Struct):
    title: str


def parsed_is_typed(model: LLM) -> None:
    _ = model.respond("hi", response_format=Book).result().parsed.year  # error
    _ = model.respond("hi").result().parsed.year  # error


def forgotten_result(client: Client) -> None:
    client.llm.model("key").respond("hi")  # error
    _ = client.llm.model("key").result().respond("hi").content  # error


def misspelt_config(model: LLM) -> None:
    model.respond("hi", config={"temprature": 0.5})  # error
    model.respond("hi", config={"temperature": "hot"})  # error
    model.respond("hi", config={"temperature": 0.5, "maxTokens": 10})
    model.respond("hi", config={"max_tokens": 10, "top_k_sampling": 40})
