"""``client.lm_link``: LM Link, LM Studio's own way of using several machines as one.

::

    status = client.lm_link.status().result()
    print(status.status, status.device_name, [p.device_name for p in status.peers])
    client.lm_link.set_preferred_device(status.peers[0].device_identifier).result()

LM Studio serves these on its ``repository`` connection. They are new in 2026: an older
LM Studio does not answer them (the calls then time out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._engine.call import Call
from .._exports import publish
from .._protocol.endpoints import repository as repository_api
from .._protocol.models import (
    LmLinkLastError,
    LmLinkPeer,
    LmLinkStatusResult,
    RepositoryRpcLmLinkSetDisabledParameter,
    RepositoryRpcLmLinkSetPreferredDeviceParameter,
    RepositoryRpcLmLinkUpdateDeviceNameParameter,
)
from .._types import USE_CLIENT_DEFAULT, Timeout

if TYPE_CHECKING:
    from .._engine.session import Session

__all__ = ["LmLinkLastError", "LmLinkNamespace", "LmLinkPeer", "LmLinkStatusResult"]


class LmLinkNamespace:
    """LM Link: ``client.lm_link``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def status(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[LmLinkStatusResult]:
        """The link as this LM Studio sees it: its state, this device and the others.

        ``print(client.lm_link.status().result().peers)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LmLinkStatusResult]``: ``status`` (``"online"``, ``"offline"``,
            ``"starting"``, ``"stopping"``), ``issues`` (such as ``"notLoggedIn"``),
            ``peers`` (``LmLinkPeer``: ``device_identifier``, ``device_name``,
            ``status``), this device's ``device_identifier`` (``None`` while it has
            none) and ``device_name``, and when set ``preferred_device_identifier``,
            ``reconnect_in_seconds``, ``last_error``.
        """
        return self._session.rpc(repository_api.LM_LINK_STATUS, timeout=timeout)

    def set_disabled(
        self, disabled: bool = True, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[None]:
        """Take this device off the link (``True``, the default) or back on (``False``).

        ``client.lm_link.set_disabled(False).result()``

        Args:
            disabled: whether LM Link is disabled on this device.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.
        """
        parameter = RepositoryRpcLmLinkSetDisabledParameter(disabled=disabled)
        return self._session.rpc(repository_api.LM_LINK_SET_DISABLED, parameter, timeout=timeout)

    def update_device_name(
        self, device_name: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[None]:
        """Rename this device as the other devices of the link see it.

        ``client.lm_link.update_device_name("render-box").result()``

        Args:
            device_name: the new name.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.
        """
        parameter = RepositoryRpcLmLinkUpdateDeviceNameParameter(device_name=device_name)
        return self._session.rpc(
            repository_api.LM_LINK_UPDATE_DEVICE_NAME, parameter, timeout=timeout
        )

    def set_preferred_device(
        self, device_identifier: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[None]:
        """The device LM Studio prefers when it loads a model the link offers.

        ``client.lm_link.set_preferred_device(status.peers[0].device_identifier).result()``

        Args:
            device_identifier: this device's or a peer's ``device_identifier``.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.

        Raises:
            LMStudioServerError: (from the call) no such device on the link.
        """
        parameter = RepositoryRpcLmLinkSetPreferredDeviceParameter(
            device_identifier=device_identifier
        )
        return self._session.rpc(
            repository_api.LM_LINK_SET_PREFERRED_DEVICE, parameter, timeout=timeout
        )


publish(__name__, globals())
