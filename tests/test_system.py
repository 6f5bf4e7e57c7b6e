"""``client.system`` end to end."""

from __future__ import annotations

import asyncio

import pytest

from lmstudio import Client
from lmstudio._protocol import models
from lmstudio.errors import LMStudioServerError
from lmstudio.testing import FakeLMStudio


def test_version(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with Client(fake_lmstudio.api_host) as client:
        version = client.system.version().result(5000 * ms)
        assert isinstance(version, models.SystemRpcVersionReturns)
        assert version.version and version.build
        assert asyncio.run(_await_version(client)) == version
    assert fake_lmstudio.calls("system/version") == [
        {"type": "rpcCall", "endpoint": "version", "callId": 1},
        {"type": "rpcCall", "endpoint": "version", "callId": 2},
    ]


async def _await_version(client: Client) -> models.SystemRpcVersionReturns:
    return await client.system.version()


def test_version_error(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with (
        Client(fake_lmstudio.api_host) as client,
        fake_lmstudio.faults.fail("system/version", title="Not now"),
        pytest.raises(LMStudioServerError, match="Not now"),
    ):
        client.system.version().result(5000 * ms)


def test_list_loaded(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with Client(fake_lmstudio.api_host) as client:
        loaded = client.llm.list_loaded().result(5000 * ms)
    assert [model.identifier for model in loaded] == ["fake/chat"]
    assert all(isinstance(model.model_info, models.LlmInstanceInfo) for model in loaded)
