"""``Client``: one connection to LM Studio, with its namespaces as attributes.

Also the default client behind the convenience API (``lms.llm()``,
``lms.embedding_model()``, ``lms.list_loaded_models()``...): one ``Client`` per process,
created on first use and closed at interpreter exit.
"""

from __future__ import annotations

import atexit
import functools
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from ._defaults import DEFAULT_TTL
from ._engine.call import Call
from ._engine.constants import DEFAULT_TIMEOUT, USE_CLIENT_DEFAULT, UseClientDefault
from ._engine.session import ClientState, Session
from ._engine.stream import Stream
from .errors import LMStudioRuntimeError, LMStudioValueError

if TYPE_CHECKING:
    from ._model_handle import ModelLoadingCallback
    from .catalog import DownloadedEmbeddingModel, DownloadedLlm
    from .config import EmbeddingLoadConfigInput, LlmLoadConfigInput
    from .embedding import EmbeddingModel, EmbeddingNamespace
    from .files import FilesNamespace, LocalFileInput
    from .history import FileHandle
    from .llm import LLM, LlmNamespace
    from .repository import RepositoryNamespace
    from .system import SystemNamespace

Timeout = float | UseClientDefault | None

__all__ = [
    "USE_CLIENT_DEFAULT",
    "Client",
    "ClientState",
    "configure_default_client",
    "embedding_model",
    "get_default_client",
    "list_downloaded_models",
    "list_loaded_models",
    "llm",
    "prepare_file",
    "prepare_image",
]


class Client:
    """A client of LM Studio's native API. Every method returns a ``Call`` or a ``Stream``.

    Usage::

        with lms.Client("localhost:1234") as client:     # or Client(): find LM Studio
            model = client.llm.model().result()
            print(model.respond("Hello!").result().content)

        async with lms.Client() as client:
            loaded = await client.llm.list_loaded()

    Namespaces: ``llm`` and ``embedding`` (models and their handles), ``system``,
    ``files`` (uploads) and ``repository`` (the model hub).

    Args:
        api_host: ``"host:port"`` of LM Studio's API server (``ws://`` / ``wss://``
            accepted). ``None`` (default): probe the local machine's default ports.
        api_token: an API token ``sk-lm-...:...``. ``None`` (default): read
            ``LMSTUDIO_API_TOKEN`` then ``LM_API_TOKEN``, else connect as a guest.
            A malformed token raises :class:`~lmstudio.LMStudioValueError` here.
        timeout: default inactivity timeout of each call, in seconds: a call fails with
            :class:`~lmstudio.LMStudioTimeoutError` when nothing arrives for it for this
            long (so long streams never trip it). ``None``: no timeout. Default 60.

    Nothing connects until a method is used; each namespace opens its own connection
    on first use. A ``Client`` is thread-safe and may be awaited from any event loop.
    ``close()`` (or leaving the ``with`` block) cancels what is in flight.
    """

    def __init__(
        self,
        api_host: str | None = None,
        *,
        api_token: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self._session = Session(api_host, api_token=api_token, timeout=timeout)

    def __repr__(self) -> str:
        host = self.api_host or "(not discovered yet)"
        return f"<Client {host} {self.state.value}>"

    @property
    def api_host(self) -> str | None:
        """``host:port`` of LM Studio: as given, or once discovered; else ``None``."""
        return self._session.api_host

    @property
    def timeout(self) -> float | None:
        """The default inactivity timeout of each call, in seconds (``None``: none)."""
        return self._session.timeout

    @property
    def state(self) -> ClientState:
        """``UNOPENED`` until first used, ``OPENED``, then ``CLOSED``."""
        return self._session.state

    # --- namespaces (each module is imported on first use, keeping ``import`` cheap) -------

    @functools.cached_property
    def llm(self) -> LlmNamespace:
        """Large language models: ``model()``, ``load_new_instance()``, ``list_loaded()``..."""
        from .llm import LlmNamespace

        return LlmNamespace(self._session)

    @functools.cached_property
    def embedding(self) -> EmbeddingNamespace:
        """Embedding models: ``model()``, ``load_new_instance()``, ``list_loaded()``..."""
        from .embedding import EmbeddingNamespace

        return EmbeddingNamespace(self._session)

    @functools.cached_property
    def system(self) -> SystemNamespace:
        """LM Studio itself: ``version()``, ``list_downloaded_models()``."""
        from .system import SystemNamespace

        return SystemNamespace(self._session, lambda: (self.llm, self.embedding))

    @functools.cached_property
    def files(self) -> FilesNamespace:
        """Uploads: ``prepare_image()``, ``prepare_file()``."""
        from .files import FilesNamespace

        return FilesNamespace(self._session)

    @functools.cached_property
    def repository(self) -> RepositoryNamespace:
        """LM Studio's model hub: ``search_models()``, then download options and ``download()``."""
        from .repository import RepositoryNamespace

        return RepositoryNamespace(self._session)

    # --- shortcuts across namespaces -------------------------------------------------------

    def prepare_image(
        self, src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[FileHandle]:
        """``client.files.prepare_image(src, name)``: upload an image for a chat message."""
        return self.files.prepare_image(src, name, timeout=timeout)

    def prepare_file(
        self, src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[FileHandle]:
        """``client.files.prepare_file(src, name)``: upload a file for a chat message."""
        return self.files.prepare_file(src, name, timeout=timeout)

    def list_downloaded_models(
        self,
        namespace: Literal["llm", "embedding"] | None = None,
        *,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[list[DownloadedLlm | DownloadedEmbeddingModel]]:
        """Downloaded models of every kind, or of one (``"llm"`` or ``"embedding"``).

        Returns ``Call[list[DownloadedLlm | DownloadedEmbeddingModel]]``.
        """
        match _check_namespace(namespace):
            case "llm":
                return self.llm.list_downloaded(timeout=timeout)  # type: ignore[return-value]
            case "embedding":
                return self.embedding.list_downloaded(timeout=timeout)  # type: ignore[return-value]
        return self.system.list_downloaded_models(timeout=timeout)

    def list_loaded_models(
        self,
        namespace: Literal["llm", "embedding"] | None = None,
        *,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[list[LLM | EmbeddingModel]]:
        """Handles to the loaded models of every kind (LLMs first), or of one kind.

        Returns ``Call[list[LLM | EmbeddingModel]]``.
        """
        from ._engine.compose import gather

        match _check_namespace(namespace):
            case "llm":
                return self.llm.list_loaded(timeout=timeout)  # type: ignore[return-value]
            case "embedding":
                return self.embedding.list_loaded(timeout=timeout)  # type: ignore[return-value]
        calls: list[Call[Any]] = [
            self.llm.list_loaded(timeout=timeout),
            self.embedding.list_loaded(timeout=timeout),
        ]
        return gather(calls, _concatenate, "list_loaded_models")

    # --- for the feature modules ---------------------------------------------------------

    def _rpc(
        self,
        namespace: str,
        endpoint: str,
        parameter: Any = None,
        *,
        timeout: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Call[Any]:
        """``Session.rpc`` (features take the session; this is for scripts and tests)."""
        return self._session.rpc(namespace, endpoint, parameter, timeout=timeout)

    def _channel(
        self,
        namespace: str,
        endpoint: str,
        creation_parameter: Any = None,
        *,
        timeout: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Stream[Any, None]:
        """``Session.channel`` with the default handler (every packet is an item)."""
        return self._session.channel(namespace, endpoint, creation_parameter, timeout=timeout)

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Cancel what is in flight and close the connections. Idempotent; blocks briefly."""
        self._session.close()

    async def aclose(self) -> None:
        """``close()`` for async code (does not block the running loop)."""
        await self._session.aclose()

    def __enter__(self) -> Client:
        self._check_reusable()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        self._check_reusable()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _check_reusable(self) -> None:
        if self._session.state is ClientState.CLOSED:
            raise LMStudioRuntimeError("cannot reopen a closed client; create a new Client")


def _check_namespace(namespace: object) -> str | None:
    if namespace is None or namespace in ("llm", "embedding"):
        return namespace
    raise LMStudioValueError(f"namespace must be 'llm', 'embedding' or None, not {namespace!r}")


def _concatenate(lists: list[list[Any]]) -> list[Any]:
    return [item for items in lists for item in items]


# --- the default client: lms.llm(), lms.embedding_model()... ---------------------------------
#
# For scripts and notebooks::
#
#     model = lms.llm().result()                 # any loaded LLM (or await lms.llm())
#     print(model.respond("Hello!").result())
#
# Every function below uses one process-wide Client, created on first use (it finds LM
# Studio on this machine unless configure_default_client() named a host) and closed at
# interpreter exit, so the handles these functions return stay usable for the whole
# session. Each returns a Call like the client method it calls.

_lock = threading.Lock()
_settings: tuple[str | None, str | None] = (None, None)  # (api_host, api_token)
_client: Client | None = None
_exit_hook_registered = False


def configure_default_client(api_host: str | None = None, api_token: str | None = None) -> None:
    """Set where the default client connects, before it is created.

    ``api_host``: ``"host:port"`` (``None``: find LM Studio on this machine).
    ``api_token``: an API token (``None``: from the environment, as for ``Client``).
    Raises :class:`~lmstudio.LMStudioRuntimeError` if the default client already exists
    with other settings.

    ``lms.configure_default_client("localhost:1234")``
    """
    global _settings
    with _lock:
        if _client is not None and _client.state is not ClientState.CLOSED:
            if (api_host, api_token) == _settings:
                return
            raise LMStudioRuntimeError(
                "the default client is already in use; configure it before its first use"
            )
        _settings = (api_host, api_token)


def get_default_client(api_host: str | None = None) -> Client:
    """The default client, created on first use (closed at interpreter exit).

    ``api_host``: as :func:`configure_default_client` (``None``: keep the configured
    one). If the default client was closed, a new one is created.

    ``client = lms.get_default_client()``
    """
    global _client, _exit_hook_registered
    if api_host is not None:
        configure_default_client(api_host, _settings[1])
    with _lock:
        client = _client
        if client is None or client.state is ClientState.CLOSED:
            host, token = _settings
            client = _client = Client(host, api_token=token)
            if not _exit_hook_registered:
                # Before or after the engine's own exit hook (which closes every
                # connection): closing is quiet either way.
                atexit.register(_close_default_client)
                _exit_hook_registered = True
        return client


def _close_default_client() -> None:
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close()


def _reset_default_client() -> None:
    """Close and forget the default client and its settings (for tests)."""
    global _settings
    _close_default_client()
    with _lock:
        _settings = (None, None)


def llm(
    model_key: str | None = None,
    /,
    *,
    ttl: float | None = DEFAULT_TTL,
    config: LlmLoadConfigInput | None = None,
    on_load_progress: ModelLoadingCallback | None = None,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[LLM]:
    """``get_default_client().llm.model(...)``: an LLM, loaded just in time if needed.

    ``model_key`` ``None`` (default): any loaded LLM. Returns ``Call[LLM]``.

    ``model = lms.llm("qwen2.5-7b-instruct").result()``
    """
    return get_default_client().llm.model(
        model_key, ttl=ttl, config=config, on_load_progress=on_load_progress, timeout=timeout
    )


def embedding_model(
    model_key: str | None = None,
    /,
    *,
    ttl: float | None = DEFAULT_TTL,
    config: EmbeddingLoadConfigInput | None = None,
    on_load_progress: ModelLoadingCallback | None = None,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[EmbeddingModel]:
    """``get_default_client().embedding.model(...)``: an embedding model.

    ``model_key`` ``None`` (default): any loaded embedding model. Returns
    ``Call[EmbeddingModel]``.

    ``vector = lms.embedding_model("nomic-embed-text-v1.5").result().embed("hi").result()``
    """
    return get_default_client().embedding.model(
        model_key, ttl=ttl, config=config, on_load_progress=on_load_progress, timeout=timeout
    )


def list_loaded_models(
    namespace: Literal["llm", "embedding"] | None = None,
    *,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[list[LLM | EmbeddingModel]]:
    """``get_default_client().list_loaded_models(namespace)``: handles to loaded models."""
    return get_default_client().list_loaded_models(namespace, timeout=timeout)


def list_downloaded_models(
    namespace: Literal["llm", "embedding"] | None = None,
    *,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[list[DownloadedLlm | DownloadedEmbeddingModel]]:
    """``get_default_client().list_downloaded_models(namespace)``: downloaded models."""
    return get_default_client().list_downloaded_models(namespace, timeout=timeout)


def prepare_image(
    src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
) -> Call[FileHandle]:
    """``get_default_client().files.prepare_image(src, name)``: upload an image."""
    return get_default_client().files.prepare_image(src, name, timeout=timeout)


def prepare_file(
    src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
) -> Call[FileHandle]:
    """``get_default_client().files.prepare_file(src, name)``: upload a file."""
    return get_default_client().files.prepare_file(src, name, timeout=timeout)
