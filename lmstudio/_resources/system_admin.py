"""``client.system``'s administration: process info, notifications, the HTTP server,
shutdown, experiment flags, model variants and disconnect notification.

:class:`SystemAdmin` is a base of :class:`~.system.SystemNamespace`; it only needs the
namespace's session and its model namespaces (to wrap model infos as ``Downloaded*``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._engine.call import Call, new_call
from .._exports import publish
from .._protocol.endpoints import system as system_api
from .._protocol.models import (
    UNSET,
    BackendNotification,
    LMStudioInfo,
    SystemRpcListDownloadedModelVariantsParameter,
    SystemRpcSetExperimentFlagParameter,
    SystemRpcStartHttpServerParameter,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioWebsocketError

if TYPE_CHECKING:
    import concurrent.futures

    from .._engine.session import Session
    from .embedding import DownloadedEmbeddingModel
    from .llm import DownloadedLlm
    from .models import ModelNamespace

__all__ = ["LMStudioInfo", "SystemAdmin"]


class SystemAdmin:
    """The administration half of ``client.system`` (see the module docstring)."""

    _session: Session
    _model_namespaces: Callable[[], Sequence[ModelNamespace[Any, Any, Any, Any, Any, Any]]]

    def _wrap_downloaded(
        self,
    ) -> Callable[[list[Any]], list[DownloadedLlm | DownloadedEmbeddingModel]]:
        # Namespaces resolved here, not in the transform: they import their modules
        # lazily, and the transform runs on the engine loop.
        namespaces = self._model_namespaces()

        def wrap(infos: list[Any]) -> list[DownloadedLlm | DownloadedEmbeddingModel]:
            found: list[DownloadedLlm | DownloadedEmbeddingModel] = []
            for info in infos:
                for namespace in namespaces:
                    wrapper = namespace._downloaded(info)
                    if wrapper is not None:
                        found.append(wrapper)
                        break
            return found

        return wrap

    def info(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[LMStudioInfo]:
        """The LM Studio process: its pid, version and whether it runs as a daemon.

        ``print(client.system.info().result().pid)``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[LMStudioInfo]`` (``.pid``, ``.version``, ``.is_daemon``). Not in
            LM Studio builds before 2026 (the call then times out: LM Studio does not
            answer an endpoint it does not know).
        """
        return self._session.rpc(system_api.INFO, timeout=timeout)

    def notify(
        self,
        title: str,
        description: str | None = None,
        *,
        no_auto_dismiss: bool | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[None]:
        """Show a notification in LM Studio's window.

        ``client.system.notify("Done", "The batch finished").result()``

        Args:
            title: the notification's title.
            description: its text (``None``: title only).
            no_auto_dismiss: ``True`` keeps it until the user closes it (``None``:
                LM Studio's default, which dismisses it after a while).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``, done once LM Studio has it.
        """
        notification = BackendNotification(
            title=title,
            description=UNSET if description is None else description,
            no_auto_dismiss=UNSET if no_auto_dismiss is None else no_auto_dismiss,
        )
        return self._session.rpc(system_api.NOTIFY, notification, timeout=timeout)

    def list_downloaded_model_variants(
        self, model_key: str, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[list[DownloadedLlm | DownloadedEmbeddingModel]]:
        """The downloaded variants (quantizations, formats) of one model.

        ``for v in client.system.list_downloaded_model_variants("qwen3-8b").result(): ...``

        Args:
            model_key: the model's key, as ``list_downloaded_models()`` gives it.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[DownloadedLlm | DownloadedEmbeddingModel]]``.

        Raises:
            LMStudioServerError: (from the call) no downloaded model has that key.
        """
        parameter = SystemRpcListDownloadedModelVariantsParameter(model_key=model_key)
        return self._session.rpc(
            system_api.LIST_DOWNLOADED_MODEL_VARIANTS,
            parameter,
            transform=self._wrap_downloaded(),
            timeout=timeout,
        )

    def start_http_server(
        self,
        *,
        port: int | None = None,
        cors: bool | None = None,
        network_interface: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[None]:
        """Start LM Studio's HTTP API server (OpenAI-compatible and REST endpoints).

        ``client.system.start_http_server(port=1234).result()``

        Args:
            port: the TCP port (``None``: LM Studio's setting, 1234 by default).
            cors: allow cross-origin requests (``None``: LM Studio's setting).
            network_interface: the address to listen on, such as ``"0.0.0.0"``
                (``None``: LM Studio's setting, localhost by default).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``, done once the server listens.
        """
        parameter = SystemRpcStartHttpServerParameter(
            port=UNSET if port is None else port,
            cors=UNSET if cors is None else cors,
            network_interface=UNSET if network_interface is None else network_interface,
        )
        return self._session.rpc(system_api.START_HTTP_SERVER, parameter, timeout=timeout)

    def stop_http_server(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[None]:
        """Stop LM Studio's HTTP API server (this WebSocket API stays up).

        ``client.system.stop_http_server().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.
        """
        return self._session.rpc(system_api.STOP_HTTP_SERVER, timeout=timeout)

    def request_shutdown(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[None]:
        """Ask LM Studio to quit (a daemon stops; the app may ask its user).

        ``client.system.request_shutdown().result()``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``, done once LM Studio accepted the request; see
            :meth:`when_disconnected` to learn when it is gone.
        """
        return self._session.rpc(system_api.REQUEST_SHUTDOWN, timeout=timeout)

    def get_experiment_flags(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[list[str]]:
        """The experiment flags that are on.

        ``print(client.system.get_experiment_flags().result())``

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[list[str]]``: the codes of the flags that are set.
        """
        return self._session.rpc(system_api.GET_EXPERIMENT_FLAGS, timeout=timeout)

    def set_experiment_flag(
        self, code: str, value: bool = True, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[None]:
        """Turn one experiment flag on or off.

        ``client.system.set_experiment_flag("some-flag", True).result()``

        Args:
            code: the flag's code.
            value: ``True`` sets it, ``False`` clears it.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.
        """
        parameter = SystemRpcSetExperimentFlagParameter(code=code, value=value)
        return self._session.rpc(system_api.SET_EXPERIMENT_FLAG, parameter, timeout=timeout)

    def when_disconnected(self) -> Call[None]:
        """A call that completes when the connection to LM Studio is lost.

        ``client.system.when_disconnected().add_done_callback(lambda _: print("gone"))``

        It watches LM Studio's ``alive`` channel (which never sends anything), so it has
        no timeout; it opens the ``system`` connection if it is not open yet. Each call
        watches on its own; cancel it to stop watching.

        Returns:
            ``Call[None]``: resolves (with ``None``) when the connection drops or
            LM Studio quits.

        Raises:
            LMStudioCancelledError: (from the call) the call was cancelled, or the client
                closed first.
            LMStudioError: (from the call) any other failure of the channel, such as a
                server error while opening it.
        """
        alive = self._session.channel(system_api.ALIVE, None, timeout=None)  # no cancel packet:
        # the engine abandons a channel that takes no packet from the client
        call, settle = new_call("system.alive", on_cancel=lambda _: alive.cancel())

        def ended(done: concurrent.futures.Future[None]) -> None:
            if done.cancelled():
                settle.resolve_cancelled()
                return
            error = done.exception()
            if error is None or isinstance(error, LMStudioWebsocketError):
                settle.resolve(None)  # the server closed the channel or the socket dropped
            else:
                settle.fail(error)

        alive.add_done_callback(ended)
        return call


publish(__name__, globals())
