"""Fixtures of the fake server's tests (the machinery is in ``wire.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lmstudio.testing import FakeLMStudio

from .wire import WireClient


@pytest.fixture
def violations() -> Iterator[list[str]]:
    found: list[str] = []
    yield found
    assert not found, (
        "the fake server sent messages an official client would reject:\n" + "\n".join(found)
    )


@pytest.fixture
def server() -> Iterator[FakeLMStudio]:
    with FakeLMStudio() as fake:
        yield fake
        # A test that provokes warnings on purpose checks and clears them.
        assert not fake.warnings, fake.warnings


@pytest.fixture
def connect_to(violations: list[str]) -> Iterator[Callable[..., WireClient]]:
    clients: list[WireClient] = []

    def factory(fake: FakeLMStudio, namespace: str, **kwargs: Any) -> WireClient:
        client = WireClient(fake.api_host, namespace, violations, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def llm(server: FakeLMStudio, connect_to: Callable[..., WireClient]) -> WireClient:
    return connect_to(server, "llm")
