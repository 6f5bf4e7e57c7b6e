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


def test_loading_on_a_peer(server: FakeLMStudio, connect_to: Any) -> None:
    llm = connect_to(server, "llm")
    stack = {"layers": []}
    packets, end = llm.stream(
        "loadModel",
        {
            "modelKey": "fake/chat",
            "identifier": "far",
            "deviceIdentifier": "fake-device-1",
            "loadConfigStack": stack,
        },
    )
    assert end["type"] == "channelClose"
    assert packets[-1]["info"]["deviceIdentifier"] == "fake-device-1"
    _, end = llm.stream(
        "getOrLoad",
        {"identifier": "fake/chat", "deviceIdentifier": "fake-device-2", "loadConfigStack": stack},
    )
    assert end["type"] == "channelError" and "not connected" in end["error"]["title"]
    llm.result("unloadModel", {"identifier": "far", "deviceIdentifier": "fake-device-1"})
    assert all(info["identifier"] != "far" for info in llm.result("listLoaded"))
