"""``repository``: logging in to the hub (``ensureAuthenticated``, with keys, as a compute
device) and the fake hub's state (compute device login, published artifacts, installed
plugins), kept on restart.

- ``ensureAuthenticated``: logged in already, it answers ``authenticated`` at once; else
  it sends an ``authenticationCode`` (``FAKE-1234``, with LM Studio's login URLs), the
  user "logs in" at once as ``fake-user``, and it answers ``authenticated``.
- ``loginWithPreAuthenticatedKeys``: any non-empty keys log in as ``fake-user``
  (``userName``); an empty one fails.
- ``loginAsComputeDevice``: a token ``fake-device-token-<owner>`` logs in as a compute
  device of ``<owner>`` (an organization if it starts with ``org-``); another fails.
  ``getAuthenticationStatus`` then says ``computeDevice``; ``deauthenticate`` logs out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._session import CallContext, Channel

__all__ = ["HubState", "hub_state", "logged_in_owner"]

FAKE_USER = "fake-user"
AUTHENTICATION_CODE = "FAKE-1234"
LOGIN_URL = "https://lmstudio.ai/login"
DEVICE_TOKEN_PREFIX = "fake-device-token-"


@dataclass
class HubState:
    """The fake hub's state beyond the user logged in (``core.hub_user``)."""

    compute_owner: str | None = None
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # "owner/name" ->
    installed_plugins: list[str] = field(default_factory=list)  # folders, in order


def hub_state(core: Any) -> HubState:
    if core.hub is None:
        core.hub = HubState()
    state: HubState = core.hub
    return state


def logged_in_owner(ctx: CallContext) -> str:
    """Whom the fake is logged in to the hub as (a user or a compute device's owner)."""
    owner = ctx.core.hub_user or hub_state(ctx.core).compute_owner
    if owner is None:
        raise FakeServerError(
            "Not logged in to the LM Studio Hub", suggestion="Log in with `lms login` first."
        )
    return str(owner)


def compute_device_status(core: Any) -> dict[str, Any] | None:
    owner = hub_state(core).compute_owner
    if owner is None:
        return None
    return {
        "type": "computeDevice",
        "ownerUsername": owner,
        "ownerIsOrganization": owner.startswith("org-"),
    }


@channel("ensureAuthenticated", "repository")
async def ensure_authenticated(ch: Channel, _: None) -> None:
    if ch.core.hub_user is None and hub_state(ch.core).compute_owner is None:
        await ch.send(
            {
                "type": "authenticationCode",
                "code": AUTHENTICATION_CODE,
                "manualUrl": LOGIN_URL,
                "filledUrl": f"{LOGIN_URL}?code={AUTHENTICATION_CODE}",
            }
        )
        ch.core.hub_user = FAKE_USER
    await ch.send({"type": "authenticated"})


@rpc("loginWithPreAuthenticatedKeys", "repository")
async def login_with_pre_authenticated_keys(ctx: CallContext, param: Any) -> Any:
    if not (param.key_id and param.public_key and param.private_key):
        raise FakeServerError("Invalid pre-authenticated keys")
    ctx.core.hub_user = FAKE_USER
    hub_state(ctx.core).compute_owner = None
    return {"userName": FAKE_USER}


@rpc("loginAsComputeDevice", "repository")
async def login_as_compute_device(ctx: CallContext, param: Any) -> Any:
    token = str(param.token)
    owner = token.removeprefix(DEVICE_TOKEN_PREFIX)
    if not token.startswith(DEVICE_TOKEN_PREFIX) or not owner:
        raise FakeServerError("Invalid compute device token")
    ctx.core.hub_user = None
    hub_state(ctx.core).compute_owner = owner
    status = compute_device_status(ctx.core)
    assert status is not None
    return status
