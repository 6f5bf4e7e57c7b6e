"""``client.lm_link`` end to end against the fake's link of three devices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from msgspec import UNSET

from lmstudio import Client, LmLinkPeer, LmLinkStatusResult
from lmstudio.errors import LMStudioServerError
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


def test_status_and_settings(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        status = await style.get(client.lm_link.status())
        assert isinstance(status, LmLinkStatusResult)
        assert (status.status, status.issues) == ("online", [])
        assert (status.device_identifier, status.device_name) == ("fake-device-0", "fake-lmstudio")
        assert all(isinstance(peer, LmLinkPeer) for peer in status.peers)
        assert [(p.device_name, p.status) for p in status.peers] == [
            ("studio-desktop", "connected"),
            ("travel-laptop", "disconnected"),
        ]
        assert status.preferred_device_identifier is UNSET  # absent until one is set
        await style.get(client.lm_link.set_preferred_device(status.peers[0].device_identifier))
        await style.get(client.lm_link.update_device_name("render-box"))
        status = await style.get(client.lm_link.status())
        assert status.preferred_device_identifier == "fake-device-1"
        assert status.device_name == "render-box"
        with pytest.raises(LMStudioServerError, match="No device"):
            await style.get(client.lm_link.set_preferred_device("elsewhere"))
        await style.get(client.lm_link.set_disabled())
        off = await style.get(client.lm_link.status())
        assert (off.status, off.issues, off.peers) == ("offline", ["deviceDisabled"], [])
        await style.get(client.lm_link.set_disabled(False))
        assert (await style.get(client.lm_link.status())).status == "online"

    style.run(body)
    sent = [call.get("parameter") for call in server.calls() if call["endpoint"] != "lmLinkStatus"]
    assert sent == [
        {"deviceIdentifier": "fake-device-1"},
        {"deviceName": "render-box"},
        {"deviceIdentifier": "elsewhere"},
        {"disabled": True},
        {"disabled": False},
    ]
