"""``Client``: one connection to LM Studio, with its namespaces as attributes.

The default client behind ``lms.llm()`` and the other convenience functions lives in
``_api.py``.
"""

from __future__ import annotations

import functools
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from ._constants import DEFAULT_TIMEOUT, MAX_MESSAGE_SIZE, MAX_UPLOAD_SIZE
from ._engine.call import Call
from ._engine.session import ClientState, Session
from ._exports import publish
from ._types import USE_CLIENT_DEFAULT, Timeout
from .errors import LMStudioRuntimeError, LMStudioValueError

if TYPE_CHECKING:
    from ._data.history import FileHandle
    from ._resources.diagnostics import DiagnosticsNamespace
    from ._resources.embedding import DownloadedEmbeddingModel, EmbeddingModel, EmbeddingNamespace
    from ._resources.files import FilesNamespace, LocalFileInput
    from ._resources.llm import LLM, DownloadedLlm, LlmNamespace
    from ._resources.lm_link import LmLinkNamespace
    from ._resources.plugins import PluginsNamespace
    from ._resources.repository import RepositoryNamespace
    from ._resources.runtime import RuntimeNamespace
    from ._resources.system import SystemNamespace

__all__ = ["Client", "ClientState"]


class Client:
    """A client of LM Studio's native API. Every method returns a ``Call`` or a ``Stream``.

    Usage::

        with lms.Client("localhost:1234") as client:     # or Client(): find LM Studio
            model = client.llm.model().result()
            print(model.respond("Hello!").result().content)

        async with lms.Client() as client:
            loaded = await client.llm.list_loaded()

    Namespaces: ``llm`` and ``embedding`` (models and their handles), ``system``,
    ``files`` (uploads), ``repository`` (the model hub), ``runtime`` (engines, hardware),
    ``diagnostics`` (logs), ``lm_link`` (several machines) and ``plugins`` (generator
    plugins as models, plugin tools).

    Args:
        api_host: ``"host:port"`` of LM Studio's API server (``ws://`` / ``wss://``
            accepted). ``None`` (default): probe the local machine's default ports.
        api_token: an API token ``sk-lm-...:...``. ``None`` (default): read
            ``LMSTUDIO_API_TOKEN`` then ``LM_API_TOKEN``, else connect as a guest.
            A malformed token raises :class:`~lmstudio.LMStudioValueError` here.
        timeout: default inactivity timeout of each call, in seconds: a call fails with
            :class:`~lmstudio.LMStudioTimeoutError` when nothing arrives for it for this
            long (so long streams never trip it). ``None``: no timeout. Default 60.
        max_upload_size: the most bytes an upload (``files.prepare_image`` /
            ``prepare_file``) may have; a larger one raises
            :class:`~lmstudio.LMStudioValueError` before anything is read. Default
            200 MB (200 * 1024 * 1024 bytes).
        max_message_size: the most bytes one message from LM Studio may have; a larger
            one fails its connection (and the calls on it) at once, before it is
            buffered. Default 256 MB.

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
        max_upload_size: int = MAX_UPLOAD_SIZE,
        max_message_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        self._session = Session(
            api_host,
            api_token=api_token,
            timeout=timeout,
            max_upload_size=max_upload_size,
            max_message_size=max_message_size,
        )

    def __repr__(self) -> str:
        host = self.api_host or "(not discovered yet)"
        return f"<Client {host} {self.state.value}>"

    @classmethod
    def is_valid_api_host(cls, api_host: str) -> Call[bool]:
        """Whether LM Studio's API server answers at ``api_host`` (the official SDK's name).

        ``if lms.Client.is_valid_api_host("localhost:1234").result(): ...``

        Args:
            api_host: ``"host:port"`` (``ws://`` / ``wss://`` accepted).

        Returns:
            ``Call[bool]``: true if LM Studio's greeting answers there.

        Raises:
            LMStudioValueError: ``api_host`` is not a valid host (raised here).
        """
        from ._engine.probing import is_lm_studio

        return is_lm_studio(api_host)

    @classmethod
    def find_default_local_api_host(cls) -> Call[str | None]:
        """Where LM Studio listens on this machine (the official SDK's name).

        ``host = lms.Client.find_default_local_api_host().result()``

        Returns:
            ``Call[str | None]``: ``"127.0.0.1:PORT"`` for the first of LM Studio's default
            ports whose greeting answers, or ``None`` (a ``Client()`` finds it the same
            way by itself).
        """
        from ._engine.probing import find_local_host

        return find_local_host()

    @property
    def api_host(self) -> str | None:
        """``host:port`` of LM Studio: as given, or once discovered; else ``None``."""
        return self._session.api_host

    @property
    def timeout(self) -> float | None:
        """The default inactivity timeout of each call, in seconds (``None``: none).

        Settable: calls started afterwards use the new default. Setting a value that is
        not a positive number or ``None`` raises :class:`~lmstudio.LMStudioValueError`.
        """
        return self._session.timeout

    @timeout.setter
    def timeout(self, timeout: float | None) -> None:
        self._session.set_timeout(timeout)

    @property
    def max_upload_size(self) -> int:
        """The most bytes an upload may have (see the constructor)."""
        return self._session.max_upload_size

    @property
    def state(self) -> ClientState:
        """``UNOPENED`` until first used, ``OPENED``, then ``CLOSED``."""
        return self._session.state

    # --- namespaces (each module is imported on first use, keeping ``import`` cheap) -------

    @functools.cached_property
    def llm(self) -> LlmNamespace:
        """Large language models: ``model()``, ``load_new_instance()``, ``list_loaded()``..."""
        from ._resources.llm import LlmNamespace

        return LlmNamespace(self._session)

    @functools.cached_property
    def embedding(self) -> EmbeddingNamespace:
        """Embedding models: ``model()``, ``load_new_instance()``, ``list_loaded()``..."""
        from ._resources.embedding import EmbeddingNamespace

        return EmbeddingNamespace(self._session)

    @functools.cached_property
    def system(self) -> SystemNamespace:
        """LM Studio itself: ``version()``, ``list_downloaded_models()``."""
        from ._resources.system import SystemNamespace

        return SystemNamespace(self._session, lambda: (self.llm, self.embedding))

    @functools.cached_property
    def files(self) -> FilesNamespace:
        """Uploads: ``prepare_image()``, ``prepare_file()``."""
        from ._resources.files import FilesNamespace

        return FilesNamespace(self._session)

    @functools.cached_property
    def repository(self) -> RepositoryNamespace:
        """LM Studio's model hub: ``search_models()``, then download options and ``download()``."""
        from ._resources.repository import RepositoryNamespace

        return RepositoryNamespace(self._session)

    @functools.cached_property
    def runtime(self) -> RuntimeNamespace:
        """Engines and hardware: ``list_engines()``, ``survey_hardware()``, extensions..."""
        from ._resources.runtime import RuntimeNamespace

        return RuntimeNamespace(self._session)

    @functools.cached_property
    def diagnostics(self) -> DiagnosticsNamespace:
        """LM Studio's log stream: ``stream_logs()``."""
        from ._resources.diagnostics import DiagnosticsNamespace

        return DiagnosticsNamespace(self._session)

    @functools.cached_property
    def lm_link(self) -> LmLinkNamespace:
        """LM Link (several machines as one): ``status()``, ``set_preferred_device()``..."""
        from ._resources.lm_link import LmLinkNamespace

        return LmLinkNamespace(self._session)

    @functools.cached_property
    def plugins(self) -> PluginsNamespace:
        """Plugins from the client side: ``generator()``, ``plugin_tools()``, ``reindex_plugins()``."""
        from ._resources.plugins import PluginsNamespace

        return PluginsNamespace(self._session)

    # --- shortcuts across namespaces -------------------------------------------------------

    def prepare_image(
        self, src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[FileHandle]:
        """Upload an image for a chat message (``client.files.prepare_image``).

        ``image = client.prepare_image("photo.jpg").result()``

        Args:
            src: a path, the image's bytes, or a binary file object.
            name: the name LM Studio shows (``None``: the file's name).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[FileHandle]``.

        Raises:
            OSError: the file cannot be read (raised here).
        """
        return self.files.prepare_image(src, name, timeout=timeout)

    def prepare_file(
        self, src: LocalFileInput, name: str | None = None, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[FileHandle]:
        """Upload a file for a chat message (``client.files.prepare_file``).

        ``doc = client.prepare_file("notes.pdf").result()``

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
        return self.files.prepare_file(src, name, timeout=timeout)

    def list_downloaded_models(
        self,
        namespace: Literal["llm", "embedding"] | None = None,
        *,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[list[DownloadedLlm | DownloadedEmbeddingModel]]:
        """Downloaded models of every kind, or of one.

        ``for m in client.list_downloaded_models().result(): print(m.model_key)``

        Args:
            namespace: ``"llm"``, ``"embedding"``, or ``None`` (default) for every kind.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[DownloadedLlm | DownloadedEmbeddingModel]]``.

        Raises:
            LMStudioValueError: an unknown ``namespace`` (raised here).
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

        ``for model in client.list_loaded_models().result(): print(model.identifier)``

        Args:
            namespace: ``"llm"``, ``"embedding"``, or ``None`` (default) for every kind.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[LLM | EmbeddingModel]]``.

        Raises:
            LMStudioValueError: an unknown ``namespace`` (raised here).
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


def new_default_client(
    api_host: str | None, api_token: str | None, timeout: float | None
) -> Client:
    """The ``lms.*`` functions' client: its error hints suggest ``lms.*`` fixes."""
    client = Client(api_host, api_token=api_token, timeout=timeout)
    client._session = Session(api_host, api_token=api_token, timeout=timeout, default_client=True)
    return client


def client_with_identity(
    api_host: str | None,
    client_identifier: str,
    client_passkey: str,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Client:
    """A client that authenticates as the given ``clientIdentifier`` / ``clientPasskey``.

    Not public: the plugin runner uses it for the identity LM Studio hands a plugin
    (``registerDevelopmentPlugin``, or a production plugin's environment). The passkey is
    never logged or shown (``Identity``'s repr omits it).
    """
    from ._engine.identity import Identity

    if not client_identifier or not client_passkey:
        raise LMStudioValueError("a plugin identity needs a client identifier and a passkey")
    client = Client(api_host, api_token="", timeout=timeout)  # "": no token from the env
    client._session.identity = Identity(client_identifier, client_passkey)
    return client


publish(__name__, globals())
