"""Downloaded models: what LM Studio can load, each able to load itself.

``client.system.list_downloaded_models()`` (every kind), ``client.llm.list_downloaded()``
and ``client.embedding.list_downloaded()`` answer these wrappers around the protocol's
``LlmInfo`` / ``EmbeddingModelInfo``; ``DownloadedLlm`` and ``DownloadedEmbeddingModel``
sit beside their handles (``llm.py``, ``embedding.py``)::

    for downloaded in client.llm.list_downloaded().result():
        print(downloaded.model_key, downloaded.info.max_context_length)
    model = downloaded.model().result()          # get or load it, as client.llm.model()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._constants import DEFAULT_TTL
from .._engine.call import Call
from .._exports import publish
from .._protocol.models import EmbeddingModelInfo, LlmInfo
from .._types import USE_CLIENT_DEFAULT, ModelLoadingCallback, Timeout

if TYPE_CHECKING:
    from .handles import ModelHandle
    from .models import ModelNamespace

__all__ = ["DownloadedModel"]

HandleT = TypeVar("HandleT", bound="ModelHandle[Any, Any]")


DownloadedInfoT = TypeVar("DownloadedInfoT", LlmInfo, EmbeddingModelInfo)
ConfigT = TypeVar("ConfigT")


class DownloadedModel(Generic[DownloadedInfoT, HandleT, ConfigT]):
    """A downloaded model (``info`` is LM Studio's listing entry), bound to the client.

    Two wrappers are equal when they list the same model for the same client.
    """

    __slots__ = ("_namespace", "info")

    def __init__(
        self, info: DownloadedInfoT, namespace: ModelNamespace[HandleT, Any, Any, ConfigT, Any, Any]
    ) -> None:
        self.info: DownloadedInfoT = info
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
        show_progress: bool = False,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[HandleT]:
        """A handle to a loaded instance of this model, loading it just in time if needed.

        ``model = downloaded.model().result()`` (as ``client.llm.model(model_key)``)

        Args:
            ttl: seconds an instance loaded by this call may stay idle before LM Studio
                unloads it. Default one hour; ``None``: never.
            config: the load config (typed, or a dict with snake_case or camelCase keys),
                used only if the model is loaded now.
            on_load_progress: called with the loading progress (0.0 to 1.0), where the
                call is consumed.
            show_progress: draw a progress bar of the loading when ``on_load_progress``
                is not given (default ``False``).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LLM]`` (``Call[EmbeddingModel]`` for an embedding model).
        """
        return self._namespace.model(
            self.model_key,
            ttl=ttl,
            config=config,
            on_load_progress=on_load_progress,
            show_progress=show_progress,
            timeout=timeout,
        )

    def load_new_instance(
        self,
        *,
        instance_identifier: str | None = None,
        ttl: float | None = DEFAULT_TTL,
        config: ConfigT | None = None,
        on_load_progress: ModelLoadingCallback | None = None,
        show_progress: bool = False,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[HandleT]:
        """Load a new instance of this model, even if one is loaded already.

        ``model = downloaded.load_new_instance(instance_identifier="mine").result()``

        Args:
            instance_identifier: the new instance's identifier. ``None`` (default): LM
                Studio names it after the model key (``key``, then ``key:2``...).
            ttl: seconds the instance may stay idle before LM Studio unloads it. Default
                one hour; ``None``: never.
            config: the load config (typed, or a dict with snake_case or camelCase keys).
            on_load_progress: called with the loading progress (0.0 to 1.0), where the
                call is consumed.
            show_progress: draw a progress bar of the loading when ``on_load_progress``
                is not given (default ``False``).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LLM]`` (``Call[EmbeddingModel]`` for an embedding model).
        """
        return self._namespace.load_new_instance(
            self.model_key,
            instance_identifier,
            ttl=ttl,
            config=config,
            on_load_progress=on_load_progress,
            show_progress=show_progress,
            timeout=timeout,
        )


publish(__name__, globals())
