"""``repository/lmLink*``: LM Link, LM Studio's link between several machines.

The fake's link is online: this device (``fake-device-0``, named ``fake-lmstudio``) and two
peers, ``fake-device-1`` (``studio-desktop``, connected) and ``fake-device-2``
(``travel-laptop``, disconnected). ``lmLinkSetDisabled`` takes this device off the link
(status ``offline``, issue ``deviceDisabled``, no peers) and back; ``lmLinkUpdateDeviceName``
renames it; ``lmLinkSetPreferredDevice`` accepts this device or a peer. The state is
server-wide and survives ``restart()`` (it is LM Studio's setting, not a loaded model).

Loading with a ``deviceIdentifier`` (:func:`load_device`) puts the instance on a connected
peer (its info names the device); this device's identifier, ``null`` or none loads here
(``deviceIdentifier`` null); a disconnected or unknown device, or a peer while the link is
off, is an error.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from lmstudio.testing._endpoints._registry import rpc
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._session import CallContext

THIS_DEVICE = "fake-device-0"
PEERS: list[dict[str, str]] = [
    {"deviceIdentifier": "fake-device-1", "deviceName": "studio-desktop", "status": "connected"},
    {"deviceIdentifier": "fake-device-2", "deviceName": "travel-laptop", "status": "disconnected"},
]


class LinkState:
    def __init__(self) -> None:
        self.disabled = False
        self.device_name = "fake-lmstudio"
        self.preferred: str | None = None

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "status": "offline" if self.disabled else "online",
            "issues": ["deviceDisabled"] if self.disabled else [],
            "peers": [] if self.disabled else copy.deepcopy(PEERS),
            "deviceIdentifier": THIS_DEVICE,
            "deviceName": self.device_name,
        }
        if self.preferred is not None:
            found["preferredDeviceIdentifier"] = self.preferred
        return found


def link_state(core: Any) -> LinkState:
    """The server's LM Link state (created on first use)."""
    if core.lm_link is None:
        core.lm_link = LinkState()
    state: LinkState = core.lm_link
    return state


@rpc("lmLinkStatus", "repository")
async def lm_link_status(ctx: CallContext, _: None) -> Any:
    return link_state(ctx.core).status()


@rpc("lmLinkSetDisabled", "repository")
async def lm_link_set_disabled(ctx: CallContext, param: Any) -> None:
    link_state(ctx.core).disabled = param.disabled


@rpc("lmLinkUpdateDeviceName", "repository")
async def lm_link_update_device_name(ctx: CallContext, param: Any) -> None:
    if not param.device_name.strip():
        raise FakeServerError("The device name cannot be empty")
    link_state(ctx.core).device_name = param.device_name


@rpc("lmLinkSetPreferredDevice", "repository")
async def lm_link_set_preferred_device(ctx: CallContext, param: Any) -> None:
    known = [THIS_DEVICE, *(peer["deviceIdentifier"] for peer in PEERS)]
    if param.device_identifier not in known:
        raise FakeServerError(
            f'No device "{param.device_identifier}" on the link',
            suggestion=f"Known devices: {', '.join(known)}",
        )
    link_state(ctx.core).preferred = param.device_identifier


def load_device(core: Any, requested: Any) -> str | None:
    """Where a load with ``deviceIdentifier`` ``requested`` goes: a peer's id, ``None`` here."""
    if requested is None or requested is msgspec.UNSET or requested == THIS_DEVICE:
        return None
    peer = next((p for p in PEERS if p["deviceIdentifier"] == requested), None)
    if peer is None:
        known = ", ".join([THIS_DEVICE, *(p["deviceIdentifier"] for p in PEERS)])
        raise FakeServerError(
            f'No device "{requested}" on the link', suggestion=f"Known devices: {known}"
        )
    if link_state(core).disabled or peer["status"] != "connected":
        raise FakeServerError(f'The device "{peer["deviceName"]}" is not connected')
    return str(requested)
