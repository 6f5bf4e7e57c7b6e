"""The model methods issue 14 added: processing state, base prediction config, draft
model preloading and memory estimates.

:class:`HandleExtras` is a base of every model handle, :class:`LlmHandleExtras` of
``LLM``, and :class:`NamespaceExtras` of ``client.llm`` / ``client.embedding``; they use
only what :mod:`.handles` and :mod:`.models` give every handle and namespace (its
session, model specifier and the namespace's endpoint module ``_api``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

import msgspec

from .._constants import EMBEDDING_EVAL_BATCH_SIZE
from .._data.config import prediction_config_from_kv
from .._engine.call import Call
from .._exports import publish
from .._protocol.endpoints import embedding as embedding_api, llm as llm_api
from .._protocol.models import (
    EstimatedModelMemoryUsage,
    EstimatedResourcesUsage,
    KvConfig,
    LlmPredictionConfig,
    LlmRpcPreloadDraftModelParameter,
    ModelProcessingState,
    RpcEstimateModelUsageParameter,
    RpcGetBasePredictionConfigParameter,
    RpcGetLoadConfigParameter,
    RpcGetModelInfoParameter,
    RpcUnloadModelParameter,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioValueError
from .checks import check_key, device_identifier
from .raw_completion import RawCompletion

if TYPE_CHECKING:
    from .._engine.session import Session
    from .._protocol.endpoints import Rpc
    from .._protocol.models import ModelSpecifier

__all__ = [
    "EmbeddingHandleExtras",
    "EstimatedModelMemoryUsage",
    "EstimatedResourcesUsage",
    "HandleExtras",
    "LlmHandleExtras",
    "ModelProcessingState",
    "NamespaceExtras",
]


class _Endpoints(Protocol):
    """The endpoints used here, named alike in ``endpoints.llm`` and ``endpoints.embedding``."""

    @property
    def GET_INSTANCE_PROCESSING_STATE(
        self,
    ) -> Rpc[RpcGetModelInfoParameter, ModelProcessingState]: ...
    @property
    def GET_BASE_PREDICTION_CONFIG(
        self,
    ) -> Rpc[RpcGetBasePredictionConfigParameter, KvConfig]: ...
    @property
    def ESTIMATE_MODEL_USAGE(
        self,
    ) -> Rpc[RpcEstimateModelUsageParameter, EstimatedResourcesUsage]: ...
    @property
    def UNLOAD_MODEL(self) -> Rpc[RpcUnloadModelParameter, None]: ...


class _Namespace(Protocol):
    _api: Any
    _session: Session

    def _load_config_stack(self, config: Any) -> Any: ...


class HandleExtras:
    """Methods of every model handle (see the module docstring)."""

    __slots__ = ()
    _specifier: ModelSpecifier
    _namespace: Any

    def get_processing_state(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[ModelProcessingState]:
        """Whether this instance is busy, and how many requests wait for it.

        ``state = model.get_processing_state().result(); print(state.status, state.queued)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[ModelProcessingState]``: ``status`` (``"idle"``, ``"generating"``,
            ``"computingEmbedding"``...) and ``queued``, the requests waiting.

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance has this identifier.
        """
        _api = cast(_Endpoints, self._namespace._api)
        parameter = RpcGetModelInfoParameter(specifier=self._specifier, throw_if_not_found=True)
        session: Session = self._namespace._session
        return session.rpc(_api.GET_INSTANCE_PROCESSING_STATE, parameter, timeout=timeout)


class LlmHandleExtras(RawCompletion, HandleExtras):
    """Methods of an ``LLM`` handle (see the module docstring)."""

    __slots__ = ()

    def get_base_prediction_config(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[LlmPredictionConfig]:
        """The prediction config this instance starts from before a request's own config.

        ``print(model.get_base_prediction_config().result().temperature)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LlmPredictionConfig]``: the model's defaults with LM Studio's
            settings applied; settings this SDK does not know are left out.

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance has this identifier.
        """
        parameter = RpcGetBasePredictionConfigParameter(specifier=self._specifier)
        session: Session = self._namespace._session
        return session.rpc(
            llm_api.GET_BASE_PREDICTION_CONFIG,
            parameter,
            transform=prediction_config_from_kv,
            timeout=timeout,
        )

    def preload_draft_model(
        self, draft_model: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[None]:
        """Load ``draft_model`` for speculative decoding with this model now, not at the
        first prediction that names it (``config={"draft_model": ...}``).

        ``model.preload_draft_model("qwen2.5-0.5b-instruct").result()``

        Args:
            draft_model: the draft model's key (a downloaded LLM).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``, done once the draft model is loaded.

        Raises:
            LMStudioValueError: ``draft_model`` is not a non-empty string (raised here).
            LMStudioServerError: (from the call) no such downloaded model, or this
                instance is not loaded.
        """
        if not isinstance(draft_model, str) or not draft_model:
            raise LMStudioValueError("draft_model must be a model key")
        parameter = LlmRpcPreloadDraftModelParameter(
            specifier=self._specifier, draft_model_key=draft_model
        )
        session: Session = self._namespace._session
        return session.rpc(llm_api.PRELOAD_DRAFT_MODEL, parameter, timeout=timeout)


class EmbeddingHandleExtras(HandleExtras):
    """Methods of an ``EmbeddingModel`` handle (see the module docstring)."""

    __slots__ = ()

    def get_eval_batch_size(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[int]:
        """The eval batch size the model was loaded with (tokens processed at a time).

        ``print(model.get_eval_batch_size().result())``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[int]``: ``embedding.load.llama.evalBatchSize`` of its load config
            (LM Studio's default, 2048, if the config leaves it out).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance matches.
        """
        parameter = RpcGetLoadConfigParameter(specifier=self._specifier)
        session: Session = self._namespace._session
        return session.rpc(
            embedding_api.GET_LOAD_CONFIG, parameter, transform=_eval_batch_size, timeout=timeout
        )

    def get_base_prediction_config(
        self, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[dict[str, Any]]:
        """The settings this embedding model starts each request from, as LM Studio's
        config keys (``{"embedding.prediction....": value}``).

        ``print(model.get_base_prediction_config().result())``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[dict[str, Any]]``, keyed by LM Studio's dotted config keys (no
            embedding setting has a typed config in the SDKs; often empty).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance matches.
        """
        parameter = RpcGetBasePredictionConfigParameter(specifier=self._specifier)
        session: Session = self._namespace._session
        return session.rpc(
            embedding_api.GET_BASE_PREDICTION_CONFIG,
            parameter,
            transform=_kv_fields,
            timeout=timeout,
        )


class NamespaceExtras:
    """Methods of ``client.llm`` and ``client.embedding`` (see the module docstring)."""

    def unload(
        self,
        identifier: str,
        *,
        device: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[None]:
        """Unload the instance with this identifier.

        ``client.llm.unload("qwen2.5-7b-instruct").result()``

        Args:
            identifier: the instance's identifier.
            device: the LM Link device it is loaded on (``None``: wherever it is).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.

        Raises:
            LMStudioValueError: ``identifier`` or ``device`` is not a non-empty string
                (raised here).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance has it (on that device).
        """
        check_key(identifier, "identifier")
        namespace = cast(_Namespace, self)
        _api = cast(_Endpoints, namespace._api)
        parameter = RpcUnloadModelParameter(
            identifier=identifier, device_identifier=device_identifier(device)
        )
        return namespace._session.rpc(_api.UNLOAD_MODEL, parameter, timeout=timeout)

    def estimate_usage(
        self,
        model_key: str,
        *,
        config: Any = None,
        device: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[EstimatedResourcesUsage]:
        """How much memory loading ``model_key`` with ``config`` would take, and whether
        LM Studio's guardrails would let it load, without loading anything.

        ``usage = client.llm.estimate_usage("qwen3-8b", config={"context_length": 8192}).result()``

        Args:
            model_key: a downloaded model's key.
            config: the load config, as for ``load_new_instance()`` (a typed config or
                a dict, snake_case or camelCase; ``None``: the model's defaults).
            device: the LM Link device it would load on (``None``: LM Studio's choice).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[EstimatedResourcesUsage]``: ``memory`` (``total_bytes``,
            ``total_vram_bytes``, the model's and the context's share, ``confidence``)
            and ``passes_guardrails``.

        Raises:
            LMStudioValueError: a config that does not convert (raised here).
            LMStudioServerError: (from the call) no downloaded model has that key.
        """
        namespace = cast(_Namespace, self)
        _api = cast(_Endpoints, namespace._api)
        parameter = RpcEstimateModelUsageParameter(
            model_key=model_key,
            load_config_stack=namespace._load_config_stack(config),
            device_identifier=device_identifier(device),
        )
        return namespace._session.rpc(_api.ESTIMATE_MODEL_USAGE, parameter, timeout=timeout)


def _kv_fields(config: KvConfig) -> dict[str, Any]:
    return {f.key: f.value for f in config.fields if f.value is not msgspec.UNSET}


def _eval_batch_size(config: KvConfig) -> int:
    value = _kv_fields(config).get("embedding.load.llama.evalBatchSize")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return EMBEDDING_EVAL_BATCH_SIZE


publish(__name__, globals())
