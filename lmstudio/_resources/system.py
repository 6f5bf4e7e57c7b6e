"""``client.system``: LM Studio itself (version, downloaded models)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._engine.call import Call, describe
from .._protocol.endpoints import system as system_api
from .._protocol.models import LMStudioVersion
from .._types import USE_CLIENT_DEFAULT, Timeout
from .system_admin import LMStudioInfo, SystemAdmin

if TYPE_CHECKING:
    from .._engine.session import Session
    from .embedding import DownloadedEmbeddingModel
    from .llm import DownloadedLlm
    from .models import ModelNamespace

__all__ = ["LMStudioInfo", "LMStudioVersion", "SystemNamespace"]


class SystemNamespace(SystemAdmin):
    """LM Studio itself: ``client.system``."""

    def __init__(
        self,
        session: Session,
        model_namespaces: Callable[[], Sequence[ModelNamespace[Any, Any, Any, Any, Any, Any]]],
    ) -> None:
        self._session = session
        self._model_namespaces = model_namespaces  # client.llm, client.embedding

    def version(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[LMStudioVersion]:
        """LM Studio's version and build number.

        ``print(client.system.version().result().version)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LMStudioVersion]`` (``.version``, ``.build``).

        The call fails with :class:`~lmstudio.LMStudioClientError` if LM Studio is not
        reachable.
        """
        call = self._session.rpc(system_api.VERSION, timeout=timeout)
        return describe(call, "system.version()", LMStudioVersion)

    def list_downloaded_models(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[list[DownloadedLlm | DownloadedEmbeddingModel]]:
        """Every downloaded model, LLMs and embedding models, as LM Studio lists them.

        ``for m in client.system.list_downloaded_models().result(): print(m.model_key)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[DownloadedLlm | DownloadedEmbeddingModel]]``; each can
            ``.model()`` or ``.load_new_instance()`` itself.
        """
        return self._session.rpc(
            system_api.LIST_DOWNLOADED_MODELS, transform=self._wrap_downloaded(), timeout=timeout
        )
