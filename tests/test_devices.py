"""``device=`` on loading, unloading and estimates, over the fake's LM Link of three devices
(this one, ``fake-device-1`` connected, ``fake-device-2`` disconnected)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lmstudio import Client
from lmstudio.errors import LMStudioModelNotFoundError, LMStudioServerError, LMStudioValueError
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

PEER = "fake-device-1"


def test_load_on_a_device(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        here = await style.get(client.llm.model("fake/chat"))
        assert here.model_info.device_identifier is None
        there = await style.get(client.llm.model("fake/chat", device=PEER))
        assert there.identifier == "fake/chat:2"  # the one here is on another device
        assert there.model_info.device_identifier == PEER
        again = await style.get(client.llm.model("fake/chat", device=PEER))
        assert again.identifier == there.identifier
        second = await style.get(
            client.embedding.load_new_instance("fake/embed", "far", device=PEER)
        )
        assert second.model_info.device_identifier == PEER
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(client.llm.unload("fake/chat:2", device="fake-device-0"))  # not here
        await style.get(client.llm.unload("fake/chat:2", device=PEER))
        await style.get(client.embedding.unload("far", device=PEER))
        assert [m.identifier for m in await style.get(client.llm.list_loaded())] == ["fake/chat"]

    style.run(body)
    sent = [c["creationParameter"].get("deviceIdentifier") for c in server.calls("llm/getOrLoad")]
    assert sent == [None, PEER, PEER]  # absent, then the peer's
    assert "deviceIdentifier" not in server.calls("llm/getOrLoad")[0]["creationParameter"]
    assert server.calls("embedding/unloadModel")[0]["parameter"] == {
        "identifier": "far",
        "deviceIdentifier": PEER,
    }


def test_unreachable_devices(style: Style, client: Client) -> None:
    async def body() -> None:
        with pytest.raises(LMStudioServerError, match="not connected"):
            await style.get(client.llm.load_new_instance("fake/chat", device="fake-device-2"))
        with pytest.raises(LMStudioServerError, match="No device"):
            await style.get(client.llm.model("fake/chat", device="elsewhere"))
        await style.get(client.lm_link.set_disabled())
        with pytest.raises(LMStudioServerError, match="not connected"):
            await style.get(client.llm.model("fake/chat", device=PEER))
        await style.get(client.lm_link.set_disabled(False))

    style.run(body)


def test_estimate_on_a_device(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        usage = await style.get(client.llm.estimate_usage("fake/chat", device=PEER))
        assert usage.passes_guardrails
        with pytest.raises(LMStudioServerError, match="not connected"):
            await style.get(client.embedding.estimate_usage("fake/embed", device="fake-device-2"))

    style.run(body)
    assert server.calls("llm/estimateModelUsage")[0]["parameter"]["deviceIdentifier"] == PEER


def test_device_arguments_are_checked(client: Client) -> None:
    with pytest.raises(LMStudioValueError, match="device"):
        client.llm.model(device=PEER)
    with pytest.raises(LMStudioValueError, match="device identifier"):
        client.llm.load_new_instance("fake/chat", device="")
    with pytest.raises(LMStudioValueError, match="device identifier"):
        client.llm.unload("fake/chat", device=3)  # type: ignore[arg-type]
