"""The default client and the convenience functions: ``lms.llm()``, ``lms.embedding_model()``...

For scripts and notebooks::

    model = lms.llm().result()                 # any loaded LLM (or await lms.llm())
    print(model.respond("Hello!").result())

Every function here uses one process-wide :class:`~lmstudio.Client`, created on first use
(it finds LM Studio on this machine unless :func:`configure_default_client` named a host)
and closed at interpreter exit, so the handles these functions return stay usable for the
whole session. Each returns a ``Call`` like the client method it calls.
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING, Literal

from ._client import Client, ClientState, new_default_client
from ._constants import DEFAULT_TIMEOUT, DEFAULT_TTL
from ._engine.call import Call
from ._exports import publish
from ._types import USE_CLIENT_DEFAULT, ModelLoadingCallback, Timeout, check_timeout
from .errors import LMStudioRuntimeError

if TYPE_CHECKING:
    from ._data.history import FileHandle
    from ._resources.embedding import DownloadedEmbeddingModel, EmbeddingModel
    from ._resources.files import LocalFileInput
    from ._resources.llm import LLM, DownloadedLlm
    from ._types import EmbeddingLoadConfigInput, LlmLoadConfigInput

__all__ = [
    "configure_default_client",
    "embedding_model",
    "get_default_client",
    "get_sync_api_timeout",
    "list_downloaded_models",
    "list_loaded_models",
    "llm",
    "prepare_file",
    "prepare_image",
    "set_sync_api_timeout",
]

_lock = threading.Lock()
_settings: tuple[str | None, str | None] = (None, None)  # (api_host, api_token)
_client: Client | None = None
_exit_hook_registered = False
_timeout: float | None = DEFAULT_TIMEOUT


def configure_default_client(api_host: str | None = None, api_token: str | None = None) -> None:
    """Set where the default client connects, before it is created.

    ``lms.configure_default_client("localhost:1234")``

    Args:
        api_host: ``"host:port"`` of LM Studio's API server. ``None`` (default): find LM
            Studio on this machine.
        api_token: an API token. ``None`` (default): from the environment, as for
            :class:`~lmstudio.Client`.

    Raises:
        LMStudioRuntimeError: the default client is already in use with other settings.
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


def set_sync_api_timeout(timeout: float | None) -> None:
    """Set the default client's default timeout (the official SDK's name for it).

    ``lms.set_sync_api_timeout(120)``

    Args:
        timeout: the inactivity timeout of each call of the default client, in seconds;
            ``None``: no timeout. Applies to the default client now and to the one created
            later. (Every call also takes ``timeout=``, and any ``Client(timeout=...)`` its
            own default.)

    Raises:
        LMStudioValueError: ``timeout`` is not a positive number or ``None``.
    """
    global _timeout
    checked = check_timeout(timeout)
    with _lock:
        _timeout = checked
        if _client is not None and _client.state is not ClientState.CLOSED:
            _client.timeout = checked


def get_sync_api_timeout() -> float | None:
    """The default client's default timeout, in seconds (``None``: no timeout).

    Returns:
        What :func:`set_sync_api_timeout` set, else the default (60 s).
    """
    return _timeout


def get_default_client(api_host: str | None = None) -> Client:
    """The default client, created on first use (closed at interpreter exit).

    ``client = lms.get_default_client()``

    Args:
        api_host: as for :func:`configure_default_client`. ``None`` (default): keep the
            configured one.

    Returns:
        The :class:`~lmstudio.Client` that the ``lms.*`` functions use; a new one if the
        previous default client was closed.

    Raises:
        LMStudioRuntimeError: ``api_host`` differs from the host of a client in use.
    """
    global _client, _exit_hook_registered
    if api_host is not None:
        configure_default_client(api_host, _settings[1])
    with _lock:
        client = _client
        if client is None or client.state is ClientState.CLOSED:
            host, token = _settings
            client = _client = new_default_client(host, token, _timeout)
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
    global _timeout
    with _lock:
        _settings = (None, None)
        _timeout = DEFAULT_TIMEOUT


def llm(
    model_key: str | None = None,
    /,
    *,
    ttl: float | None = DEFAULT_TTL,
    config: LlmLoadConfigInput | None = None,
    on_load_progress: ModelLoadingCallback | None = None,
    show_progress: bool = False,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[LLM]:
    """An LLM from the default client, loaded just in time if needed.

    ``model = lms.llm("qwen2.5-7b-instruct").result()`` (``await lms.llm()`` in async code)

    Args:
        model_key: the instance identifier or model key. ``None`` (default): any loaded
            LLM, without loading anything.
        ttl: seconds an instance loaded by this call may stay idle before LM Studio
            unloads it. Default one hour; ``None``: never.
        config: the load config (``LlmLoadModelConfig`` or a dict), used only if the
            model is loaded now.
        on_load_progress: called with the loading progress (0.0 to 1.0), where the call
            is consumed.
        show_progress: draw a progress bar of the loading on the terminal when
            ``on_load_progress`` is not given (default ``False``).
        timeout: the inactivity timeout in seconds (``None``: none; default: the
            client's).

    Returns:
        ``Call[LLM]``.

    The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no model
    matches, :class:`~lmstudio.LMStudioClientError` if LM Studio cannot be found.
    """
    return get_default_client().llm.model(
        model_key,
        ttl=ttl,
        config=config,
        on_load_progress=on_load_progress,
        show_progress=show_progress,
        timeout=timeout,
    )


def embedding_model(
    model_key: str | None = None,
    /,
    *,
    ttl: float | None = DEFAULT_TTL,
    config: EmbeddingLoadConfigInput | None = None,
    on_load_progress: ModelLoadingCallback | None = None,
    show_progress: bool = False,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[EmbeddingModel]:
    """An embedding model from the default client, loaded just in time if needed.

    ``vector = lms.embedding_model("nomic-embed-text-v1.5").result().embed("hi").result()``

    Args:
        model_key: the instance identifier or model key. ``None`` (default): any loaded
            embedding model, without loading anything.
        ttl: seconds an instance loaded by this call may stay idle before LM Studio
            unloads it. Default one hour; ``None``: never.
        config: the load config (``EmbeddingLoadModelConfig`` or a dict), used only if
            the model is loaded now.
        on_load_progress: called with the loading progress (0.0 to 1.0), where the call
            is consumed.
        show_progress: draw a progress bar of the loading on the terminal when
            ``on_load_progress`` is not given (default ``False``).
        timeout: the inactivity timeout in seconds (``None``: none; default: the
            client's).

    Returns:
        ``Call[EmbeddingModel]``.

    The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if no model
    matches, :class:`~lmstudio.LMStudioClientError` if LM Studio cannot be found.
    """
    return get_default_client().embedding.model(
        model_key,
        ttl=ttl,
        config=config,
        on_load_progress=on_load_progress,
        show_progress=show_progress,
        timeout=timeout,
    )


def list_loaded_models(
    namespace: Literal["llm", "embedding"] | None = None,
    *,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[list[LLM | EmbeddingModel]]:
    """Handles to the loaded models of every kind (LLMs first), or of one kind.

    The default client's :meth:`Client.list_loaded_models <lmstudio.Client.list_loaded_models>`:
    ``lms.list_loaded_models().result()``.

    Args:
        namespace: ``"llm"``, ``"embedding"``, or ``None`` (default) for every kind.
        timeout: the inactivity timeout in seconds (``None``: none; default: the
            client's).

    Returns:
        ``Call[list[LLM | EmbeddingModel]]``.

    Raises:
        LMStudioValueError: an unknown ``namespace`` (raised here).
    """
    return get_default_client().list_loaded_models(namespace, timeout=timeout)


def list_downloaded_models(
    namespace: Literal["llm", "embedding"] | None = None,
    *,
    timeout: Timeout = USE_CLIENT_DEFAULT,
) -> Call[list[DownloadedLlm | DownloadedEmbeddingModel]]:
    """The downloaded models of every kind, or of one.

    The default client's :meth:`Client.list_downloaded_models <lmstudio.Client.list_downloaded_models>`:
    ``lms.list_downloaded_models().result()``.

    Args:
        namespace: ``"llm"``, ``"embedding"``, or ``None`` (default) for every kind.
        timeout: the inactivity timeout in seconds (``None``: none; default: the
            client's).

    Returns:
        ``Call[list[DownloadedLlm | DownloadedEmbeddingModel]]``.

    Raises:
        LMStudioValueError: an unknown ``namespace`` (raised here).
    """
    return get_default_client().list_downloaded_models(namespace, timeout=timeout)


def prepare_image(
    src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
) -> Call[FileHandle]:
    """Upload an image for a chat message, with the default client.

    ``handle = lms.prepare_image("photo.jpg").result()``

    Args:
        src: a path, the file's bytes, or a binary file object.
        name: the name LM Studio shows (``None``: the file's name).
        timeout: the inactivity timeout in seconds (``None``: none; default: the
            client's).

    Returns:
        ``Call[FileHandle]``.

    Raises:
        OSError: the file cannot be read (raised here).
    """
    return get_default_client().files.prepare_image(src, name, timeout=timeout)


def prepare_file(
    src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
) -> Call[FileHandle]:
    """Upload a file for a chat message, with the default client.

    ``handle = lms.prepare_file("photo.jpg").result()``

    Args:
        src: a path, the file's bytes, or a binary file object.
        name: the name LM Studio shows (``None``: the file's name).
        timeout: the inactivity timeout in seconds (``None``: none; default: the
            client's).

    Returns:
        ``Call[FileHandle]``.

    Raises:
        OSError: the file cannot be read (raised here).
    """
    return get_default_client().files.prepare_file(src, name, timeout=timeout)


publish(__name__, globals())
