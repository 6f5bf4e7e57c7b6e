"""``Client``: one connection to LM Studio, with its namespaces as attributes."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ._engine.call import Call
from ._engine.constants import DEFAULT_TIMEOUT, USE_CLIENT_DEFAULT, UseClientDefault
from ._engine.session import ClientState, Session
from ._engine.stream import Stream
from .errors import LMStudioRuntimeError
from .llm import LlmNamespace
from .system import SystemNamespace

__all__ = ["USE_CLIENT_DEFAULT", "Client", "ClientState"]


class Client:
    """A client of LM Studio's native API. Every method returns a ``Call`` or a ``Stream``.

    Usage::

        with lms.Client("localhost:1234") as client:     # or Client(): find LM Studio
            print(client.system.version().result().version)

        async with lms.Client() as client:
            loaded = await client.llm.list_loaded()

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
        self.llm = LlmNamespace(self._session)
        """Large language models."""
        self.system = SystemNamespace(self._session)
        """LM Studio itself."""

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
