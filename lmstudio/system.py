"""``client.system``: LM Studio itself (version, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._engine.call import Call
from ._engine.constants import USE_CLIENT_DEFAULT, UseClientDefault
from ._engine.session import Session

if TYPE_CHECKING:
    from ._protocol.models import SystemRpcVersionReturns

__all__ = ["SystemNamespace"]


class SystemNamespace:
    """LM Studio itself: ``client.system``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def version(
        self, *, timeout: float | UseClientDefault | None = USE_CLIENT_DEFAULT
    ) -> Call[SystemRpcVersionReturns]:
        """LM Studio's version and build number.

        Returns ``Call[SystemRpcVersionReturns]`` (``.version``, ``.build``). Raises
        :class:`~lmstudio.LMStudioClientError` if LM Studio is unreachable.

        ``print(client.system.version().result().version)``
        """
        return self._session.rpc("system", "version", timeout=timeout)
