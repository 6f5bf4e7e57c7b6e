"""``client.repository``'s hub login: log LM Studio in to the LM Studio Hub.

:class:`RepositoryAccount` is a base of :class:`~.repository.RepositoryNamespace`; it
needs only the namespace's session. ``get_authentication_status()`` and
``deauthenticate()`` are in :mod:`.repository_hub`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._engine.handler import ChannelHandler
from .._engine.stream import Stream
from .._exports import publish
from .._protocol.endpoints import repository as repository_api
from .._protocol.models import (
    AuthenticationCode,
    ComputeDeviceAuthenticationStatus,
    LoggedInUserAuthenticationStatus,
    RepositoryRpcLoginAsComputeDeviceParameter,
    RepositoryRpcLoginAsComputeDeviceReturns,
    RepositoryRpcLoginWithPreAuthenticatedKeysParameter,
    RepositoryRpcLoginWithPreAuthenticatedKeysReturns,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioChannelClosedError, LMStudioValueError
from .checks import check_key
from .loading import packet_tag

if TYPE_CHECKING:
    from .._engine.call import Call
    from .._engine.session import Session

__all__ = ["AuthenticationCode", "RepositoryAccount"]


class RepositoryAccount:
    """The hub login half of ``client.repository`` (see the module docstring)."""

    _session: Session

    def ensure_authenticated(
        self,
        on_authentication_code: Callable[[AuthenticationCode], object] | None = None,
        *,
        timeout: Timeout = None,
    ) -> Stream[AuthenticationCode, None]:
        """Make sure LM Studio is logged in to the hub, asking the user to log in if not.

        ``for code in client.repository.ensure_authenticated(): print("Open", code.filled_url)``

        If LM Studio is logged in already, the stream ends at once with no item; else it
        gives the login code for the user (``code``, ``manual_url`` to type it in,
        ``filled_url`` with it filled in) and ends once they have logged in.

        Args:
            on_authentication_code: called with the code, where the stream is consumed.
            timeout: the inactivity timeout in seconds. Default ``None``: none, as a
                person may take a while to log in.

        Returns:
            ``Stream[AuthenticationCode, None]``; ``.cancel()`` stops waiting.

        Raises:
            LMStudioValueError: ``on_authentication_code`` is not callable (raised here).
        """
        if on_authentication_code is not None and not callable(on_authentication_code):
            raise LMStudioValueError("on_authentication_code must be callable")

        def consume(code: AuthenticationCode) -> AuthenticationCode:
            if on_authentication_code is not None:
                on_authentication_code(code)
            return code

        return self._session.channel(
            repository_api.ENSURE_AUTHENTICATED,
            None,
            handler=_AuthenticationHandler(),
            consume=consume,
            timeout=timeout,
        )

    def login_with_pre_authenticated_keys(
        self,
        key_id: str,
        public_key: str,
        private_key: str,
        *,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[LoggedInUserAuthenticationStatus]:
        """Log LM Studio in to the hub with keys made beforehand (no browser step).

        ``print(client.repository.login_with_pre_authenticated_keys(kid, pub, priv).result().user_name)``

        Args:
            key_id: the key pair's identifier.
            public_key: the public key.
            private_key: the private key (never logged).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LoggedInUserAuthenticationStatus]``: ``user_name``, whom LM Studio
            is now logged in as.

        Raises:
            LMStudioValueError: an argument that is not a non-empty string (raised here).
            LMStudioServerError: (from the call) the hub refused the keys.
        """
        for what, value in (("key id", key_id), ("public key", public_key)):
            check_key(value, what)
        check_key(private_key, "private key")
        parameter = RepositoryRpcLoginWithPreAuthenticatedKeysParameter(
            key_id=key_id, public_key=public_key, private_key=private_key
        )
        return self._session.rpc(
            repository_api.LOGIN_WITH_PRE_AUTHENTICATED_KEYS,
            parameter,
            transform=_logged_in,
            timeout=timeout,
        )

    def login_as_compute_device(
        self, token: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[ComputeDeviceAuthenticationStatus]:
        """Log LM Studio in to the hub as a compute device of a user or organization.

        ``status = client.repository.login_as_compute_device(token).result()``

        Args:
            token: the compute device token from the hub.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[ComputeDeviceAuthenticationStatus]``: ``owner_username`` and
            ``owner_is_organization``.

        Raises:
            LMStudioValueError: ``token`` is not a non-empty string (raised here).
            LMStudioServerError: (from the call) the hub refused the token.
        """
        check_key(token, "token")
        parameter = RepositoryRpcLoginAsComputeDeviceParameter(token=token)
        return self._session.rpc(
            repository_api.LOGIN_AS_COMPUTE_DEVICE,
            parameter,
            transform=_compute_device,
            timeout=timeout,
        )


class _AuthenticationHandler(ChannelHandler[AuthenticationCode, None]):
    def __init__(self) -> None:
        self._authenticated = False

    def packet(self, packet: Any) -> AuthenticationCode | None:
        if isinstance(packet, AuthenticationCode):
            return packet
        if packet_tag(packet) == "authenticated":
            self._authenticated = True
        return None

    def close(self) -> None:
        if not self._authenticated:
            raise LMStudioChannelClosedError("LM Studio ended the login before it was done")


def _logged_in(
    returns: RepositoryRpcLoginWithPreAuthenticatedKeysReturns,
) -> LoggedInUserAuthenticationStatus:
    return LoggedInUserAuthenticationStatus(user_name=returns.user_name)


def _compute_device(
    returns: RepositoryRpcLoginAsComputeDeviceReturns,
) -> ComputeDeviceAuthenticationStatus:
    return ComputeDeviceAuthenticationStatus(
        owner_username=returns.owner_username,
        owner_is_organization=returns.owner_is_organization,
    )


publish(__name__, globals())
