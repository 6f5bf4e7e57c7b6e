"""``repository/lmLink*`` of the fake, judged by the strict schema (``wire.py``)."""

from __future__ import annotations

from typing import Any

from lmstudio.testing import FakeLMStudio


def test_link_status_and_settings(server: FakeLMStudio, connect_to: Any) -> None:
    repository = connect_to(server, "repository")
    status = repository.result("lmLinkStatus")
    assert status["status"] == "online" and "preferredDeviceIdentifier" not in status
    assert [p["deviceIdentifier"] for p in status["peers"]] == ["fake-device-1", "fake-device-2"]
    repository.result("lmLinkSetPreferredDevice", {"deviceIdentifier": "fake-device-2"})
    repository.result("lmLinkUpdateDeviceName", {"deviceName": "box"})
    repository.result("lmLinkSetDisabled", {"disabled": True})
    off = repository.result("lmLinkStatus")
    assert off == {
        "status": "offline",
        "issues": ["deviceDisabled"],
        "peers": [],
        "deviceIdentifier": "fake-device-0",
        "deviceName": "box",
        "preferredDeviceIdentifier": "fake-device-2",
    }
    assert (
        "No device"
        in repository.error("lmLinkSetPreferredDevice", {"deviceIdentifier": "x"})["title"]
    )
    assert "empty" in repository.error("lmLinkUpdateDeviceName", {"deviceName": " "})["title"]
