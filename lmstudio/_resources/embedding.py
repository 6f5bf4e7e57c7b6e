"""``client.embedding`` and ``EmbeddingModel`` handles: loading embedding models, embedding text.

::

    model = client.embedding.model("nomic-embed-text-v1.5").result()
    vector = model.embed("Hello, world!").result()           # list[float]
    vectors = model.embed(["first", "second"]).result()      # list[list[float]]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, overload

from .._data.config import (
    embedding_load_config_from_kv,
    embedding_load_config_stack,
)
from .._engine.call import Call, describe
from .._engine.compose import gather
from .._exports import publish
from .._protocol.endpoints import embedding as embedding_api
from .._protocol.models import (
    EmbeddingLoadModelConfig,
    EmbeddingModelInfo,
    EmbeddingModelInstanceInfo,
    EmbeddingRpcEmbedStringParameter,
    EmbeddingRpcEmbedStringReturns,
    KvConfig,
    KvConfigStack,
    ModelQuery,
)
from .._types import USE_CLIENT_DEFAULT, EmbeddingLoadConfigInput, Timeout
from .checks import texts_of
from .downloaded import DownloadedModel
from .handles import DynamicHandle, ModelHandle
from .model_extras import EmbeddingHandleExtras
from .models import ModelNamespace

if TYPE_CHECKING:
    from .._engine.session import Session

__all__ = [
    "EmbeddingDynamicHandle",
    "EmbeddingMethods",
    "EmbeddingModel",
    "EmbeddingNamespace",
]


class EmbeddingMethods(EmbeddingHandleExtras):
    """The methods of ``EmbeddingModel`` and ``EmbeddingDynamicHandle`` that address the
    model by its specifier (a mixin: :class:`~.handles.QueryHandle` gives the rest)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _label: str

        @property
        def _session(self) -> Session: ...

    @overload
    def embed(self, text: str, *, timeout: Timeout = ...) -> Call[list[float]]: ...  # type: ignore[overload-overlap]
    @overload
    def embed(self, text: Iterable[str], *, timeout: Timeout = ...) -> Call[list[list[float]]]: ...
    def embed(
        self, text: str | Iterable[str], *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[list[float]] | Call[list[list[float]]]:
        """The embedding vector of ``text``; a list of vectors, in order, for a list of texts.

        ``vector = model.embed("Hello, world!").result()``

        Args:
            text: a string, or an iterable of strings (one request per text, sent
                together; the first failure fails the whole call).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[float]]`` for a string, ``Call[list[list[float]]]`` for an iterable.

        Raises:
            LMStudioValueError: ``text`` is neither (raised here).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if the model is
        no longer loaded.
        """
        operation = f"{self._label}.embed(...)"
        if isinstance(text, str):
            return describe(self._embed(text, timeout), operation, list)
        texts = texts_of(text, "embed")
        embedded = gather([self._embed(t, timeout) for t in texts], _vectors, "embedding.embed")
        return describe(embedded, operation, list)

    def _embed(self, text: str, timeout: Timeout) -> Call[list[float]]:
        parameter = EmbeddingRpcEmbedStringParameter(
            model_specifier=self._specifier, input_string=text
        )
        return self._session.rpc(
            embedding_api.EMBED_STRING, parameter, transform=_vector, timeout=timeout
        )


class EmbeddingModel(
    EmbeddingMethods, ModelHandle[EmbeddingModelInstanceInfo, EmbeddingLoadModelConfig]
):
    """A loaded embedding model: embeddings, tokens, its info and config.

    Obtained from ``client.embedding.model(key)`` (or ``lms.embedding_model(key)``),
    ``load_new_instance()`` or ``list_loaded()``::

        model = client.embedding.model("nomic-embed-text-v1.5").result()
        vector = model.embed("Hello, world!").result()

    Methods: :meth:`embed`, ``get_eval_batch_size()``, ``get_base_prediction_config()``,
    and what every model handle has: ``identifier``, ``model_info``, ``get_info()``,
    ``get_load_config()``, ``get_context_length()``, ``tokenize()``, ``count_tokens()``,
    ``unload()``.
    """

    __slots__ = ()


class EmbeddingDynamicHandle(
    EmbeddingMethods, DynamicHandle[EmbeddingModelInstanceInfo, EmbeddingLoadModelConfig]
):
    """An embedding model found by a query at each request: ``client.embedding.handle(...)``.

    Getting it loads and sends nothing::

        handle = client.embedding.handle("nomic-embed-text-v1.5")
        vector = handle.embed("Hello, world!").result()

    It has every ``EmbeddingModel`` method but ``unload()`` (and no ``identifier`` /
    ``model_info``); ``get_info()`` gives ``None`` while no loaded model matches.
    """

    __slots__ = ()


class DownloadedEmbeddingModel(
    DownloadedModel[EmbeddingModelInfo, "EmbeddingModel", EmbeddingLoadConfigInput]
):
    """A downloaded embedding model; ``.model()`` / ``.load_new_instance()`` give an
    ``EmbeddingModel``."""

    __slots__ = ()


class EmbeddingNamespace(
    ModelNamespace[
        EmbeddingModel,
        EmbeddingModelInstanceInfo,
        EmbeddingLoadModelConfig,
        EmbeddingLoadConfigInput,
        DownloadedEmbeddingModel,
        EmbeddingDynamicHandle,
    ]
):
    """Embedding models: ``client.embedding``.

    ``client.embedding.model(key)``, ``handle(key)``, ``load_new_instance(key)``, ``unload(identifier)``,
    ``list_loaded()``, ``list_downloaded()``, ``get_model_info(identifier)``; each
    returns a ``Call``.
    """

    _handle_class = EmbeddingModel
    _name = "embedding"
    _what = "embedding model"
    _api = embedding_api

    def _handle(self, info: EmbeddingModelInstanceInfo) -> EmbeddingModel:
        return EmbeddingModel(self, info)

    def _dynamic_handle(self, query: ModelQuery) -> EmbeddingDynamicHandle:
        return EmbeddingDynamicHandle(self, query)

    def _downloaded(self, info: object) -> DownloadedEmbeddingModel | None:
        return (
            DownloadedEmbeddingModel(info, self) if isinstance(info, EmbeddingModelInfo) else None
        )

    def _load_config_stack(self, config: EmbeddingLoadConfigInput | None) -> KvConfigStack:
        return embedding_load_config_stack(config)

    def _load_config_from_kv(self, config: KvConfig) -> EmbeddingLoadModelConfig:
        return embedding_load_config_from_kv(config)


def _vector(returns: EmbeddingRpcEmbedStringReturns) -> list[float]:
    return returns.embedding


def _vectors(vectors: list[list[float]]) -> list[list[float]]:
    return vectors


publish(__name__, globals())
