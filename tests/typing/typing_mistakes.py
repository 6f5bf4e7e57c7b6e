"""Wrong expectations that ``mypy`` must reject (see ``test_typing.py``).

Each line ending in ``# error`` must be reported, and nothing else.
"""

from __future__ import annotations

from typing_extensions import assert_type

from lmstudio import Client
from lmstudio._engine.session import Session
from lmstudio._protocol.models import SystemRpcVersionReturns


def block(client: Client) -> None:
    assert_type(client.system.version().result(), str)  # error
    assert_type(client.llm.list_loaded().result(), SystemRpcVersionReturns)  # error


async def await_(client: Client) -> None:
    assert_type(await client.llm.list_loaded(), list[str])  # error


def iterate(session: Session) -> None:
    for item in session.channel("llm", "predict", {}):
        print(item.anything)  # fine: items of the default handler are Any
    client = Client()
    client.system.version().result(timeout="soon")  # error
