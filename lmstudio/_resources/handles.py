"""Model handles, written once for LLMs and embedding models.

A handle addresses its model with a model specifier on every request; :class:`QueryHandle`
holds the methods that need nothing more. Its two kinds:

- :class:`ModelHandle` (``LLM``, ``EmbeddingModel``): a loaded instance, addressed by its
  identifier, as the official SDKs do. It keeps working if the model is unloaded and
  loaded again under that identifier (just in time, say), and fails with
  :class:`~lmstudio.LMStudioModelNotFoundError` while no instance has it. It knows the
  instance's info when it was obtained (``model_info``) and can ``unload()`` it.
- :class:`DynamicHandle` (``LLMDynamicHandle``, ``EmbeddingDynamicHandle``): a query
  (identifier, path, vision, device), as the TypeScript SDK's ``createDynamicHandle``
  gives; obtaining it loads and asks nothing, and each request goes to whichever loaded
  instance matches the query at that moment.

Each method sends one request and returns a ``Call`` or ``Stream``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from .._data.specifiers import model_specifier
from .._engine.call import Call
from .._engine.compose import gather
from .._exports import publish
from .._protocol.models import (
    EmbeddingLoadModelConfig,
    EmbeddingModelInstanceInfo,
    KvConfig,
    LlmInstanceInfo,
    LlmLoadModelConfig,
    ModelQuery,
    ModelSpecifier,
    ModelSpecifierQuery,
    RpcCountTokensReturns,
    RpcGetLoadConfigParameter,
    RpcGetModelInfoParameter,
    RpcTokenizeParameter,
    RpcTokenizeReturns,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioModelNotFoundError, LMStudioValueError
from .checks import check_key, device_identifier, texts_of
from .model_extras import HandleExtras

if TYPE_CHECKING:
    from .._engine.session import Session

__all__ = ["DynamicHandle", "ModelHandle", "QueryHandle", "model_info_call", "model_query"]

InfoT = TypeVar("InfoT", LlmInstanceInfo, EmbeddingModelInstanceInfo)
LoadConfigT = TypeVar("LoadConfigT", LlmLoadModelConfig, EmbeddingLoadModelConfig)


class HandleNamespace(Protocol):
    """What a handle uses of its namespace (``client.llm`` / ``client.embedding``)."""

    @property
    def _session(self) -> Session: ...
    @property
    def _api(self) -> Any: ...
    @property
    def _name(self) -> str: ...
    @property
    def _what(self) -> str: ...

    def _load_config_from_kv(self, config: KvConfig) -> Any: ...
    def unload(self, identifier: str, *, timeout: Timeout = ...) -> Call[None]: ...


class QueryHandle(HandleExtras, Generic[InfoT, LoadConfigT]):
    """The methods every handle has: they address the model by ``_specifier`` alone."""

    __slots__ = ("_namespace", "_specifier")

    def __init__(self, namespace: HandleNamespace, specifier: ModelSpecifier) -> None:
        self._namespace: HandleNamespace = namespace
        self._specifier: ModelSpecifier = specifier

    @property
    def _session(self) -> Session:
        return self._namespace._session

    @property
    def _target(self) -> str:
        """How messages name the model: ``'key'`` (a handle), ``identifier='key'`` (a query)."""
        raise NotImplementedError

    @property
    def _label(self) -> str:
        """How operation names show this handle: ``LLM('key')``."""
        return f"{type(self).__name__}({self._target})"

    def get_load_config(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[LoadConfigT]:
        """The config the model was loaded with, as a typed load config.

        ``print(model.get_load_config().result().context_length)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LlmLoadModelConfig]`` (``Call[EmbeddingLoadModelConfig]`` for an
            embedding model); settings this SDK does not know are left out.

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance matches.
        """
        namespace = self._namespace
        parameter = RpcGetLoadConfigParameter(specifier=self._specifier)
        return self._session.rpc(
            namespace._api.GET_LOAD_CONFIG,
            parameter,
            transform=namespace._load_config_from_kv,
            timeout=timeout,
        )

    def get_context_length(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[int]:
        """The context length the model was loaded with, in tokens.

        ``model.get_context_length().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[int]``.

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no loaded
        instance matches.
        """
        return model_info_call(
            self._namespace, self._specifier, self._target, timeout, _context_length
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
        parameter = RpcTokenizeParameter(specifier=self._specifier, input_string=text)
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
        parameter = RpcTokenizeParameter(specifier=self._specifier, input_string=text)
        return self._session.rpc(
            self._namespace._api.COUNT_TOKENS, parameter, transform=_token_count, timeout=timeout
        )


class ModelHandle(QueryHandle[InfoT, LoadConfigT]):
    """A loaded model instance, bound to the client that found or loaded it.

    ``identifier`` names the instance; ``model_info`` is its info as LM Studio reported
    it when this handle was obtained (no request; :meth:`get_info` asks again). Two
    handles are equal when they name the same identifier on the same client.
    """

    __slots__ = ("identifier", "model_info")

    def __init__(self, namespace: HandleNamespace, info: InfoT) -> None:
        super().__init__(namespace, model_specifier(info.identifier))
        self.identifier: str = info.identifier
        """The instance's identifier (what ``respond()``, ``embed()``... address)."""
        self.model_info: InfoT = info
        """The instance info when this handle was obtained (model key, context length...)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(identifier={self.identifier!r})"

    @property
    def _target(self) -> str:
        return repr(self.identifier)

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
        return model_info_call(self._namespace, self._specifier, self._target, timeout)

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


class DynamicHandle(QueryHandle[InfoT, LoadConfigT]):
    """A handle for whichever loaded model matches a query, at each request.

    From ``client.llm.handle(...)`` / ``client.embedding.handle(...)``; getting one sends
    nothing and loads nothing. ``query`` is the protocol ``ModelQuery`` it sends. A
    request fails with :class:`~lmstudio.LMStudioModelNotFoundError` while no loaded
    instance matches; :meth:`get_info` then gives ``None``.
    """

    __slots__ = ("query",)

    def __init__(self, namespace: HandleNamespace, query: ModelQuery) -> None:
        super().__init__(namespace, ModelSpecifierQuery(query=query))
        self.query: ModelQuery = query
        """The model query every request sends."""

    def __repr__(self) -> str:
        return self._label

    @property
    def _target(self) -> str:
        return _describe_query(self.query) or "any"

    def get_info(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[InfoT | None]:
        """The info of the loaded instance the query matches now, ``None`` if none does.

        ``info = handle.get_info().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LlmInstanceInfo | None]`` (``Call[EmbeddingModelInstanceInfo | None]``
            for an embedding model).
        """
        parameter = RpcGetModelInfoParameter(specifier=self._specifier, throw_if_not_found=False)
        return self._session.rpc(self._namespace._api.GET_MODEL_INFO, parameter, timeout=timeout)


def model_query(
    identifier: str | None,
    *,
    path: str | None = None,
    vision: bool | None = None,
    device: str | None = None,
) -> ModelQuery:
    """The ``ModelQuery`` of ``client.llm.handle(...)``'s arguments (checked)."""
    query = ModelQuery()
    if identifier is not None:
        check_key(identifier, "identifier")
        query.identifier = identifier
    if path is not None:
        check_key(path, "path")
        if "\\" in path:
            raise LMStudioValueError(
                f"A model path uses forward slashes, also on Windows: {path!r}"
            )
        query.path = path
    if vision is not None:
        if not isinstance(vision, bool):
            raise LMStudioValueError(f"vision must be True or False, not {vision!r}")
        query.vision = vision
    if device is not None:
        query.device_identifier = device_identifier(device)
    return query


def model_info_call(
    namespace: HandleNamespace,
    specifier: ModelSpecifier,
    target: str,
    timeout: Timeout,
    pick: Callable[[Any], Any] = lambda info: info,
) -> Call[Any]:
    """``getModelInfo`` for ``specifier`` (failing if none matches), ``pick``-ed.

    ``target`` names the model in the not-found message (``'key'``).
    """
    parameter = RpcGetModelInfoParameter(specifier=specifier, throw_if_not_found=True)
    transform = functools.partial(_found_info, pick, target, namespace._what)
    return namespace._session.rpc(
        namespace._api.GET_MODEL_INFO, parameter, transform=transform, timeout=timeout
    )


# --- small helpers --------------------------------------------------------------------


def _describe_query(query: ModelQuery) -> str:
    fields = {
        "identifier": query.identifier,
        "path": query.path,
        "vision": query.vision,
        "device": query.device_identifier,
    }
    shown = [f"{name}={value!r}" for name, value in fields.items() if isinstance(value, str | bool)]
    return ", ".join(shown)


def _context_length(info: LlmInstanceInfo | EmbeddingModelInstanceInfo) -> int:
    return info.context_length


def _found_info(pick: Callable[[Any], Any], target: str, what: str, info: Any) -> Any:
    if info is None:  # LM Studio throws instead, as asked; be safe anyway
        raise LMStudioModelNotFoundError(f"No loaded {what} matches {target}")
    return pick(info)


def _token_ids(returns: RpcTokenizeReturns) -> list[int]:
    # The schema says "number"; token ids are integers.
    return [int(token) for token in returns.tokens]


def _token_count(returns: RpcCountTokensReturns) -> int:
    return returns.token_count


publish(__name__, globals())
