"""Model namespaces, written once for LLMs and embedding models.

``client.llm`` / ``client.embedding`` are :class:`ModelNamespace` subclasses naming their
namespace and types; loading, listing, unloading and getting handles live here, the
handles themselves in :mod:`.handles`. Each method sends one request and returns a
``Call`` or ``Stream`` (``handle()`` sends nothing).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from .._constants import DEFAULT_TTL
from .._data.specifiers import model_specifier
from .._engine.call import Call, describe
from .._engine.stream import SKIP, Skip
from .._exports import publish
from .._protocol.models import (
    ChannelGetOrLoadCreationParameter,
    ChannelLoadModelCreationParameter,
    EmbeddingLoadModelConfig,
    EmbeddingModelInfo,
    EmbeddingModelInstanceInfo,
    KvConfig,
    KvConfigStack,
    LlmInfo,
    LlmInstanceInfo,
    LlmLoadModelConfig,
    ModelQuery,
    RpcCountTokensReturns,
    RpcGetLoadConfigParameter,
    RpcGetModelInfoParameter,
    RpcTokenizeParameter,
    RpcTokenizeReturns,
    RpcUnloadModelParameter,
)
from .._types import USE_CLIENT_DEFAULT, ModelLoadingCallback, Timeout
from ..errors import LMStudioModelNotFoundError, LMStudioValueError
from .checks import check_key, device_identifier, ttl_ms
from .handles import ModelHandle, model_info_call, model_query
from .loading import LoadHandler
from .model_extras import NamespaceExtras
from .progress import progress_bar

if TYPE_CHECKING:
    from .._engine.session import Session
    from .._protocol.endpoints import Channel, Rpc

__all__ = [
    "EmbeddingModelInfo",
    "EmbeddingModelInstanceInfo",
    "LlmInfo",
    "LlmInstanceInfo",
    "ModelNamespace",
]

logger = logging.getLogger("lmstudio.models")

InfoT = TypeVar("InfoT", LlmInstanceInfo, EmbeddingModelInstanceInfo)
LoadConfigT = TypeVar("LoadConfigT", LlmLoadModelConfig, EmbeddingLoadModelConfig)
HandleT = TypeVar("HandleT", bound="ModelHandle[Any, Any]")
DownloadedT = TypeVar("DownloadedT")  # a DownloadedModel subclass (downloaded.py)
DynamicT = TypeVar("DynamicT")  # a DynamicHandle subclass (handles.py)
ConfigInputT = TypeVar("ConfigInputT")


class _ModelEndpoints(Protocol[InfoT]):
    """The endpoints a model namespace uses: ``endpoints.llm`` and ``endpoints.embedding``.

    Both namespaces name them alike and share their request types (generated once, under
    namespace-neutral names such as ``RpcTokenizeParameter``); their results differ by
    the instance info type. A namespace's generated descriptor module satisfies this.
    """

    @property
    def LIST_LOADED(self) -> Rpc[None, list[InfoT]]: ...
    @property
    def GET_MODEL_INFO(self) -> Rpc[RpcGetModelInfoParameter, InfoT | None]: ...
    @property
    def GET_LOAD_CONFIG(self) -> Rpc[RpcGetLoadConfigParameter, KvConfig]: ...
    @property
    def UNLOAD_MODEL(self) -> Rpc[RpcUnloadModelParameter, None]: ...
    @property
    def TOKENIZE(self) -> Rpc[RpcTokenizeParameter, RpcTokenizeReturns]: ...
    @property
    def COUNT_TOKENS(self) -> Rpc[RpcTokenizeParameter, RpcCountTokensReturns]: ...
    @property
    def GET_OR_LOAD(self) -> Channel[ChannelGetOrLoadCreationParameter, Any, Any]: ...
    @property
    def LOAD_MODEL(self) -> Channel[ChannelLoadModelCreationParameter, Any, Any]: ...


class ModelNamespace(
    NamespaceExtras, Generic[HandleT, InfoT, LoadConfigT, ConfigInputT, DownloadedT, DynamicT]
):
    """What ``client.llm`` and ``client.embedding`` share: finding and loading models."""

    _name: ClassVar[str]
    """The protocol namespace: ``"llm"`` or ``"embedding"``."""
    _api: _ModelEndpoints[InfoT]
    """Its endpoint descriptors: ``endpoints.llm`` or ``endpoints.embedding``."""
    _what: ClassVar[str]
    """The kind of model, for messages: ``"LLM"``, ``"embedding model"``."""
    _handle_class: ClassVar[type]
    """The handle class: ``LLM``, ``EmbeddingModel`` (for the forgotten-``.result()`` hint)."""

    def __init__(self, session: Session) -> None:
        self._session: Session = session

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._session.api_host or '(LM Studio not found yet)'}>"

    # --- what a subclass provides ------------------------------------------------------

    def _handle(self, info: InfoT) -> HandleT:
        raise NotImplementedError

    def _dynamic_handle(self, query: ModelQuery) -> DynamicT:
        raise NotImplementedError

    def _downloaded(self, info: object) -> DownloadedT | None:
        """The download listing wrapper for ``info``, ``None`` if of another kind."""
        raise NotImplementedError

    def _load_config_stack(self, config: ConfigInputT | None) -> KvConfigStack:
        raise NotImplementedError

    def _load_config_from_kv(self, config: KvConfig) -> LoadConfigT:
        raise NotImplementedError

    # --- public API ---------------------------------------------------------------------

    def model(
        self,
        model_key: str | None = None,
        /,
        *,
        ttl: float | None = DEFAULT_TTL,
        config: ConfigInputT | None = None,
        on_load_progress: ModelLoadingCallback | None = None,
        show_progress: bool = False,
        device: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[HandleT]:
        """A handle to a loaded model, loading it just in time if needed.

        ``model = client.llm.model("qwen2.5-7b-instruct").result()``

        ``model_key`` is matched against loaded instances' identifiers, then model keys and
        paths; if none matches, the downloaded model with that key or path is loaded (LM
        Studio first unloads the other just-in-time-loaded model if "JIT auto-evict" is on).

        Args:
            model_key: the instance identifier or model key (or path). ``None``
                (default): any loaded model of this kind (the first LM Studio lists),
                without loading anything.
            ttl: seconds an instance loaded by this call may stay idle before LM Studio
                unloads it. Default one hour; ``None``: never.
            config: the load config (``LlmLoadModelConfig`` / ``EmbeddingLoadModelConfig``
                or a dict with snake_case or camelCase keys), used only if the model is
                loaded now: an instance already loaded is returned as it is.
            on_load_progress: called with the loading progress (0.0 to 1.0), where the
                call is consumed (the thread blocking in ``.result()`` or the awaiting
                loop), never on the SDK's own loop.
            show_progress: draw a progress bar of the loading on the terminal
                (``lms.progress_bar()``: tqdm's if installed) when ``on_load_progress`` is
                not given. Default ``False``.
            device: the LM Link device to use or load it on (``client.lm_link.status()``
                names them; ``None``: LM Studio's choice).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LLM]`` (``Call[EmbeddingModel]`` on ``client.embedding``).

        Raises:
            LMStudioValueError: an invalid argument, or a ``config`` or ``device``
                without a ``model_key`` (raised here).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no model
        matches (or, without a key, none is loaded).
        """
        if model_key is None:
            if config is not None or device is not None:
                raise LMStudioValueError(
                    "model() without a model key returns a model already loaded: "
                    "a load config or a device needs a model key"
                )
            call = self._session.rpc(
                self._api.LIST_LOADED, transform=self._first_loaded, timeout=timeout
            )
            return describe(call, f"{self._name}.model()", self._handle_class)
        check_key(model_key, "model key")
        creation = ChannelGetOrLoadCreationParameter(
            identifier=model_key,
            load_config_stack=self._load_config_stack(config),
            device_identifier=device_identifier(device),
        )
        if ttl is not None:
            creation.load_ttl_ms = ttl_ms(ttl)
        if show_progress and on_load_progress is None:
            on_load_progress = progress_bar(f"Loading {model_key}")
        loading = self._load(self._api.GET_OR_LOAD, creation, on_load_progress, timeout)
        return describe(loading, f"{self._name}.model({model_key!r})", self._handle_class)

    def handle(
        self,
        identifier: str | None = None,
        /,
        *,
        path: str | None = None,
        vision: bool | None = None,
        device: str | None = None,
    ) -> DynamicT:
        """A handle for whichever loaded model matches a query; loads and sends nothing.

        ``handle = client.llm.handle("qwen2.5-7b-instruct")``

        Every request on it (``respond()``, ``tokenize()``, ``get_info()``...) goes to the
        loaded instance that matches the query at that moment, as the TypeScript SDK's
        ``createDynamicHandle``: it fails with
        :class:`~lmstudio.LMStudioModelNotFoundError` while none does. No criterion:
        any loaded model of this kind.

        Args:
            identifier: the instance identifier (or model key) to match.
            path: the model path to match (forward slashes, also on Windows).
            vision: only a model that accepts images (``True``) or one that does not.
            device: only an instance on this LM Link device.

        Returns:
            An ``LLMDynamicHandle`` (an ``EmbeddingDynamicHandle`` on
            ``client.embedding``).

        Raises:
            LMStudioValueError: an argument of the wrong type, an empty string, or a
                path with backslashes.
        """
        query = model_query(identifier, path=path, vision=vision, device=device)
        return self._dynamic_handle(query)

    def load_new_instance(
        self,
        model_key: str,
        instance_identifier: str | None = None,
        *,
        ttl: float | None = DEFAULT_TTL,
        config: ConfigInputT | None = None,
        on_load_progress: ModelLoadingCallback | None = None,
        show_progress: bool = False,
        device: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[HandleT]:
        """Load a new instance of a downloaded model, even if one is loaded already.

        ``model = client.llm.load_new_instance("qwen2.5-7b-instruct", "second").result()``

        Args:
            model_key: the model's key (or path) as ``list_downloaded()`` lists it.
            instance_identifier: the new instance's identifier. ``None`` (default): LM
                Studio names it after the model key (``key``, then ``key:2``...).
            ttl: seconds the instance may stay idle before LM Studio unloads it. Default
                one hour; ``None``: never.
            config: the load config (typed, or a dict with snake_case or camelCase keys).
            on_load_progress: called with the loading progress (0.0 to 1.0), where the
                call is consumed.
            show_progress: draw a progress bar of the loading on the terminal
                (``lms.progress_bar()``: tqdm's if installed) when ``on_load_progress`` is
                not given. Default ``False``.
            device: the LM Link device to load it on (``None``: LM Studio's choice).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LLM]`` (``Call[EmbeddingModel]`` on ``client.embedding``).

        Raises:
            LMStudioValueError: an invalid argument (raised here).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no
        downloaded model matches, :class:`~lmstudio.LMStudioServerError` if the
        identifier is taken or loading fails.
        """
        check_key(model_key, "model key")
        creation = ChannelLoadModelCreationParameter(
            model_key=model_key,
            load_config_stack=self._load_config_stack(config),
            device_identifier=device_identifier(device),
        )
        if instance_identifier is not None:
            check_key(instance_identifier, "instance identifier")
            creation.identifier = instance_identifier
        if ttl is not None:
            creation.ttl_ms = ttl_ms(ttl)
        if show_progress and on_load_progress is None:
            on_load_progress = progress_bar(f"Loading {model_key}")
        loading = self._load(self._api.LOAD_MODEL, creation, on_load_progress, timeout)
        operation = f"{self._name}.load_new_instance({model_key!r})"
        return describe(loading, operation, self._handle_class)

    def list_loaded(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[list[HandleT]]:
        """Handles to every loaded instance of this kind, in LM Studio's order.

        ``for model in client.llm.list_loaded().result(): print(model.identifier)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[LLM]]`` (``Call[list[EmbeddingModel]]`` on ``client.embedding``).
        """
        call = self._session.rpc(self._api.LIST_LOADED, transform=self._handles, timeout=timeout)
        return describe(call, f"{self._name}.list_loaded()", list)

    def list_downloaded(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[list[DownloadedT]]:
        """The downloaded models of this kind, each able to ``.model()`` / ``.load_new_instance()``.

        ``keys = [m.model_key for m in client.llm.list_downloaded().result()]``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[DownloadedLlm]]`` (``Call[list[DownloadedEmbeddingModel]]`` on
            ``client.embedding``).
        """
        from .._protocol.endpoints import system as system_api  # not on a one-shot's path

        call = self._session.rpc(
            system_api.LIST_DOWNLOADED_MODELS, transform=self._downloaded_list, timeout=timeout
        )
        return describe(call, f"{self._name}.list_downloaded()", list)

    def get_model_info(
        self, identifier: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[InfoT]:
        """The info of the loaded instance that ``identifier`` matches.

        ``info = client.llm.get_model_info("qwen2.5-7b-instruct").result()``

        Args:
            identifier: matched like ``model()``'s key: identifier, then model key, then
                path.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LlmInstanceInfo]`` (``Call[EmbeddingModelInstanceInfo]``).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if none matches.
        """
        return model_info_call(self, model_specifier(identifier), repr(identifier), timeout)

    # --- helpers ------------------------------------------------------------------------

    def _load(
        self,
        endpoint: Channel[Any, Any, Any],
        creation: Any,
        on_load_progress: ModelLoadingCallback | None,
        timeout: Timeout,
    ) -> Call[HandleT]:
        if on_load_progress is not None and not callable(on_load_progress):
            raise LMStudioValueError("on_load_progress must be callable")
        consume = None if on_load_progress is None else functools.partial(_report, on_load_progress)
        handler: LoadHandler[HandleT, InfoT] = LoadHandler(self._handle, self._what)
        return self._session.channel(
            endpoint, creation, handler=handler, consume=consume, timeout=timeout
        )

    def _handles(self, infos: list[InfoT]) -> list[HandleT]:
        return [self._handle(info) for info in infos]

    def _first_loaded(self, infos: list[InfoT]) -> HandleT:
        if not infos:
            raise LMStudioModelNotFoundError(
                f"No {self._what} is loaded",
                suggestion=f"Pass a model key to load one, e.g. {self._load_example()}",
            )
        return self._handle(infos[0])

    def _load_example(self) -> str:
        lms_name = "lms.llm" if self._name == "llm" else "lms.embedding_model"
        return (
            f"{lms_name}('key')"
            if self._session.default_client
            else f"client.{self._name}.model('key')"
        )

    def _downloaded_list(self, infos: list[Any]) -> list[DownloadedT]:
        found = (self._downloaded(info) for info in infos)
        return [wrapper for wrapper in found if wrapper is not None]


# --- small helpers --------------------------------------------------------------------


def _report(callback: ModelLoadingCallback, progress: float) -> Skip:
    callback(progress)
    return SKIP


publish(__name__, globals())
