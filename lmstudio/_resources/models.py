"""Model namespaces and handles, written once for LLMs and embedding models.

``client.llm`` / ``client.embedding`` are :class:`ModelNamespace` subclasses naming their
namespace and types; loading, listing, unloading and the handle methods live here. A
handle (``LLM``, ``EmbeddingModel``) addresses its instance by identifier, as the official
SDKs do: it keeps working if the model is unloaded and loaded again under that identifier
(just in time, say), and fails with :class:`~lmstudio.LMStudioModelNotFoundError` while
no instance has it. Each method sends one request and returns a ``Call`` or ``Stream``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, overload

from .._constants import DEFAULT_TTL
from .._data.specifiers import model_specifier
from .._engine.call import Call, describe
from .._engine.compose import gather
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
    RpcCountTokensReturns,
    RpcGetLoadConfigParameter,
    RpcGetModelInfoParameter,
    RpcTokenizeParameter,
    RpcTokenizeReturns,
    RpcUnloadModelParameter,
)
from .._types import USE_CLIENT_DEFAULT, ModelLoadingCallback, Timeout
from ..errors import LMStudioModelNotFoundError, LMStudioValueError
from .checks import check_key, device_identifier, texts_of, ttl_ms
from .loading import LoadHandler
from .model_extras import HandleExtras, NamespaceExtras
from .progress import progress_bar

if TYPE_CHECKING:
    from .._engine.session import Session
    from .._protocol.endpoints import Channel, Rpc

__all__ = [
    "EmbeddingModelInfo",
    "EmbeddingModelInstanceInfo",
    "LlmInfo",
    "LlmInstanceInfo",
    "ModelHandle",
    "ModelNamespace",
]

logger = logging.getLogger("lmstudio.models")

InfoT = TypeVar("InfoT", LlmInstanceInfo, EmbeddingModelInstanceInfo)
LoadConfigT = TypeVar("LoadConfigT", LlmLoadModelConfig, EmbeddingLoadModelConfig)
HandleT = TypeVar("HandleT", bound="ModelHandle[Any, Any]")
DownloadedT = TypeVar("DownloadedT")  # a DownloadedModel subclass (downloaded.py)
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


class ModelHandle(HandleExtras, Generic[InfoT, LoadConfigT]):
    """A loaded model instance, bound to the client that found or loaded it.

    ``identifier`` names the instance; ``model_info`` is its info as LM Studio reported
    it when this handle was obtained (no request; :meth:`get_info` asks again). Two
    handles are equal when they name the same identifier on the same client.
    """

    __slots__ = ("_namespace", "identifier", "model_info")

    def __init__(
        self, namespace: ModelNamespace[Any, InfoT, LoadConfigT, Any, Any], info: InfoT
    ) -> None:
        self._namespace: ModelNamespace[Any, InfoT, LoadConfigT, Any, Any] = namespace
        self.identifier: str = info.identifier
        """The instance's identifier (what ``respond()``, ``embed()``... address)."""
        self.model_info: InfoT = info
        """The instance info when this handle was obtained (model key, context length...)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(identifier={self.identifier!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelHandle):
            return NotImplemented
        return (
            type(self) is type(other)
            and self._namespace._session is other._namespace._session
            and self.identifier == other.identifier
        )

    def __hash__(self) -> int:
        return hash((type(self), id(self._namespace._session), self.identifier))

    @property
    def _session(self) -> Session:
        return self._namespace._session

    def get_info(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[InfoT]:
        """This instance's current info (asks LM Studio; ``model_info`` is the cached one).

        ``print(model.get_info().result().context_length)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LlmInstanceInfo]`` (``Call[EmbeddingModelInstanceInfo]`` for an
            embedding model).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance has this identifier.
        """
        return self._namespace.get_model_info(self.identifier, timeout=timeout)

    def get_load_config(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[LoadConfigT]:
        """The config this instance was loaded with, as a typed load config.

        ``print(model.get_load_config().result().context_length)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LlmLoadModelConfig]`` (``Call[EmbeddingLoadModelConfig]`` for an
            embedding model); settings this SDK does not know are left out.

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance has this identifier.
        """
        namespace = self._namespace
        parameter = RpcGetLoadConfigParameter(specifier=model_specifier(self.identifier))
        return self._session.rpc(
            namespace._api.GET_LOAD_CONFIG,
            parameter,
            transform=namespace._load_config_from_kv,
            timeout=timeout,
        )

    def get_context_length(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[int]:
        """The context length this instance was loaded with, in tokens.

        ``model.get_context_length().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[int]``.

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance has this identifier.
        """
        return self._namespace._model_info_call(
            self.identifier, _context_length, timeout, "get_context_length"
        )

    @overload
    def tokenize(self, text: str, *, timeout: Timeout = ...) -> Call[list[int]]: ...  # type: ignore[overload-overlap]
    @overload
    def tokenize(self, text: Iterable[str], *, timeout: Timeout = ...) -> Call[list[list[int]]]: ...
    def tokenize(
        self, text: str | Iterable[str], *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[list[int]] | Call[list[list[int]]]:
        """The token ids of ``text`` with this model's tokenizer; a list for a list of texts.

        ``ids = model.tokenize("Hello, world!").result()``

        Args:
            text: a string, or an iterable of strings (one request per text, sent
                together).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[int]]`` for a string, ``Call[list[list[int]]]`` for an iterable.

        Raises:
            LMStudioValueError: ``text`` is neither (raised here).
        """
        if isinstance(text, str):
            return self._tokenize(text, timeout)
        texts = texts_of(text, "tokenize")
        return gather(
            [self._tokenize(t, timeout) for t in texts], list, f"{self._namespace._name}.tokenize"
        )

    def _tokenize(self, text: str, timeout: Timeout) -> Call[list[int]]:
        parameter = RpcTokenizeParameter(
            specifier=model_specifier(self.identifier), input_string=text
        )
        return self._session.rpc(
            self._namespace._api.TOKENIZE, parameter, transform=_token_ids, timeout=timeout
        )

    def count_tokens(self, text: str, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[int]:
        """How many tokens ``text`` takes with this model's tokenizer.

        ``model.count_tokens("Hello, world!").result()``

        Args:
            text: the text.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[int]``.

        Raises:
            LMStudioValueError: ``text`` is not a string (raised here).
        """
        if not isinstance(text, str):
            raise LMStudioValueError(f"count_tokens takes a string, not {type(text).__name__}")
        parameter = RpcTokenizeParameter(
            specifier=model_specifier(self.identifier), input_string=text
        )
        return self._session.rpc(
            self._namespace._api.COUNT_TOKENS, parameter, transform=_token_count, timeout=timeout
        )

    def unload(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[None]:
        """Unload this instance from LM Studio (the handle then fails until it is reloaded).

        ``model.unload().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance has this identifier.
        """
        return self._namespace.unload(self.identifier, timeout=timeout)


class ModelNamespace(
    NamespaceExtras, Generic[HandleT, InfoT, LoadConfigT, ConfigInputT, DownloadedT]
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
        return self._model_info_call(identifier, _same, timeout, "get_model_info")

    # --- helpers ------------------------------------------------------------------------

    def _model_info_call(
        self, identifier: str, pick: Callable[[InfoT], Any], timeout: Timeout, what: str
    ) -> Call[Any]:
        parameter = RpcGetModelInfoParameter(
            specifier=model_specifier(identifier), throw_if_not_found=True
        )
        transform = functools.partial(_found_info, pick, identifier, self._what)
        return self._session.rpc(
            self._api.GET_MODEL_INFO, parameter, transform=transform, timeout=timeout
        )

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


def _same(info: Any) -> Any:
    return info


def _context_length(info: LlmInstanceInfo | EmbeddingModelInstanceInfo) -> int:
    return info.context_length


def _found_info(pick: Callable[[Any], Any], identifier: str, what: str, info: Any) -> Any:
    if info is None:  # LM Studio throws instead, as asked; be safe anyway
        raise LMStudioModelNotFoundError(f"No loaded {what} matches {identifier!r}")
    return pick(info)


def _token_ids(returns: RpcTokenizeReturns) -> list[int]:
    # The schema says "number"; token ids are integers.
    return [int(token) for token in returns.tokens]


def _token_count(returns: RpcCountTokensReturns) -> int:
    return returns.token_count


publish(__name__, globals())
