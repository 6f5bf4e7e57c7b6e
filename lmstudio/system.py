"""``client.system``: LM Studio itself (version, downloaded models)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._engine.call import Call
from ._engine.constants import USE_CLIENT_DEFAULT, UseClientDefault

if TYPE_CHECKING:
    from ._protocol.models import SystemRpcVersionReturns
    from .catalog import DownloadedEmbeddingModel, DownloadedLlm
    from .client import Client

__all__ = ["SystemNamespace"]


class SystemNamespace:
    """LM Studio itself: ``client.system``."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._session = client._session

    def __repr__(self) -> str:
        return f"<SystemNamespace of {self._client!r}>"

    def version(
        self, *, timeout: float | UseClientDefault | None = USE_CLIENT_DEFAULT
    ) -> Call[SystemRpcVersionReturns]:
        """LM Studio's version and build number.

        Returns ``Call[SystemRpcVersionReturns]`` (``.version``, ``.build``). Raises
        :class:`~lmstudio.LMStudioClientError` if LM Studio is unreachable.

        ``print(client.system.version().result().version)``
        """
        return self._session.rpc("system", "version", timeout=timeout)

    def list_downloaded_models(
        self, *, timeout: float | UseClientDefault | None = USE_CLIENT_DEFAULT
    ) -> Call[list[DownloadedLlm | DownloadedEmbeddingModel]]:
        """Every downloaded model, LLMs and embedding models, as LM Studio lists them.

        Returns ``Call[list[DownloadedLlm | DownloadedEmbeddingModel]]``; each can
        ``.model()`` or ``.load_new_instance()`` itself.

        ``for m in client.system.list_downloaded_models().result(): print(m.model_key)``
        """
        # Resolved here, not in the transform: namespaces import their modules lazily,
        # and the transform runs on the engine loop.
        llm, embedding = self._client.llm, self._client.embedding

        def wrap(infos: list[Any]) -> list[DownloadedLlm | DownloadedEmbeddingModel]:
            found: list[DownloadedLlm | DownloadedEmbeddingModel] = []
            for info in infos:
                wrapper = llm._downloaded(info) or embedding._downloaded(info)
                if wrapper is not None:
                    found.append(wrapper)
            return found

        return self._session.rpc("system", "listDownloadedModels", transform=wrap, timeout=timeout)
