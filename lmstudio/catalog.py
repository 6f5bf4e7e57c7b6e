"""Downloaded models: what LM Studio can load, each able to load itself.

``client.system.list_downloaded_models()`` (every kind), ``client.llm.list_downloaded()``
and ``client.embedding.list_downloaded()`` answer these wrappers around the protocol's
``LlmInfo`` / ``EmbeddingModelInfo``::

    for downloaded in client.llm.list_downloaded().result():
        print(downloaded.model_key, downloaded.info.max_context_length)
    model = downloaded.model().result()          # get or load it, as client.llm.model()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._engine.call import Call
from ._engine.constants import USE_CLIENT_DEFAULT
from ._model_handle import DEFAULT_TTL, ModelLoadingCallback, Timeout
from ._protocol.models import EmbeddingModelInfo, LlmInfo

if TYPE_CHECKING:
    from ._model_handle import ModelHandle, ModelNamespace

    # Named in string form in the subclasses' bases (those modules import this one).
    from .config import EmbeddingLoadConfigInput, LlmLoadConfigInput  # noqa: F401
    from .embedding import EmbeddingModel  # noqa: F401
    from .llm import LLM  # noqa: F401

__all__ = ["DownloadedEmbeddingModel", "DownloadedLlm", "DownloadedModel"]

InfoT = TypeVar("InfoT", LlmInfo, EmbeddingModelInfo)
HandleT = TypeVar("HandleT", bound="ModelHandle[Any, Any]")
ConfigT = TypeVar("ConfigT")


class DownloadedModel(Generic[InfoT, HandleT, ConfigT]):
    """A downloaded model (``info`` is LM Studio's listing entry), bound to the client.

    Two wrappers are equal when they list the same model for the same client.
    """

    __slots__ = ("_namespace", "info")

    def __init__(
        self, info: InfoT, namespace: ModelNamespace[HandleT, Any, Any, ConfigT, Any]
    ) -> None:
        self.info: InfoT = info
        """The listing entry (model key, path, format, size, context length...)."""
        self._namespace = namespace

    @property
    def type(self) -> str:
        """``"llm"`` or ``"embedding"``."""
        return "llm" if isinstance(self.info, LlmInfo) else "embedding"

    @property
    def model_key(self) -> str:
        """The key to load it with."""
        return self.info.model_key

    @property
    def path(self) -> str:
        """Its path relative to LM Studio's models directory."""
        return self.info.path

    @property
    def display_name(self) -> str:
        """Its human-readable name."""
        return self.info.display_name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_key={self.model_key!r}, display_name={self.display_name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DownloadedModel):
            return NotImplemented
        return self.info == other.info and self._namespace._session is other._namespace._session

    __hash__ = None  # type: ignore[assignment]

    def model(
        self,
        *,
        ttl: float | None = DEFAULT_TTL,
        config: ConfigT | None = None,
        on_load_progress: ModelLoadingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[HandleT]:
        """A handle to a loaded instance of this model, loading it just in time if needed.

        As ``client.llm.model(model_key, ...)``. ``downloaded.model().result()``
        """
        return self._namespace.model(
            self.model_key,
            ttl=ttl,
            config=config,
            on_load_progress=on_load_progress,
            timeout=timeout,
        )

    def load_new_instance(
        self,
        *,
        instance_identifier: str | None = None,
        ttl: float | None = DEFAULT_TTL,
        config: ConfigT | None = None,
        on_load_progress: ModelLoadingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[HandleT]:
        """Load a new instance of this model.

        As ``client.llm.load_new_instance(model_key, ...)``.
        ``downloaded.load_new_instance(instance_identifier="mine").result()``
        """
        return self._namespace.load_new_instance(
            self.model_key,
            instance_identifier,
            ttl=ttl,
            config=config,
            on_load_progress=on_load_progress,
            timeout=timeout,
        )


class DownloadedLlm(DownloadedModel[LlmInfo, "LLM", "LlmLoadConfigInput"]):
    """A downloaded LLM; ``.model()`` / ``.load_new_instance()`` give an ``LLM``."""

    __slots__ = ()


class DownloadedEmbeddingModel(
    DownloadedModel[EmbeddingModelInfo, "EmbeddingModel", "EmbeddingLoadConfigInput"]
):
    """A downloaded embedding model; ``.model()`` / ``.load_new_instance()`` give an
    ``EmbeddingModel``."""

    __slots__ = ()
