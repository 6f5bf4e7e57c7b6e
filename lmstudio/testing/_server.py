"""``FakeLMStudio``: the server's lifecycle, entry points and test-facing controls.

The server runs on its own event loop in a daemon thread for the ``with`` form (never the
SDK's engine loop), or on the caller's loop for the ``async with`` form. Controls called
from another thread are carried out on the server's loop and waited for; called on the
server's own loop they are scheduled, and the returned :class:`Completion` can be awaited.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Mapping, Sequence
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.frames import Frame
from websockets.http11 import Request, Response

from lmstudio.testing._cassette import Cassette
from lmstudio.testing._catalog import CatalogModel, catalog_model, load_catalog
from lmstudio.testing._core import ReceivedMessage, ServerCore
from lmstudio.testing._faults import Faults
from lmstudio.testing._plugin_api import FakePlugins
from lmstudio.testing._session import Channel, Session

__all__ = ["DEFAULT_TOKENS_PER_SECOND", "Completion", "FakeLMStudio", "Override"]

_log = logging.getLogger("lmstudio.testing")
_ws_log = logging.getLogger("lmstudio.testing.websockets")
_PASSKEY = re.compile(rb'("clientPasskey"\s*:\s*)"(?:[^"\\]|\\.)*"')


class _RedactPasskeys(logging.Filter):
    """websockets logs every frame at DEBUG level, the client's authentication packet
    too: log that frame with its passkey replaced (never a passkey in a log line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(arg, Frame) for arg in args):
            record.args = tuple(_redacted(arg) if isinstance(arg, Frame) else arg for arg in args)
        return True


def _redacted(frame: Frame) -> object:
    if b'"clientPasskey"' not in frame.data:
        return frame
    data = _PASSKEY.sub(rb'\1"***"', bytes(frame.data))
    return f"{frame.opcode.name} {data.decode('utf-8', 'replace')!r} [{len(frame.data)} bytes]"


_ws_log.addFilter(_RedactPasskeys())
_T = TypeVar("_T")
DEFAULT_TOKENS_PER_SECOND = 1000.0
"""The default generation pace: a fast local model (a 1B model on a good GPU)."""
_GREETING = b'{"lmstudio":true}'
_CONTROL_TIMEOUT = 30.0


def _rate_of_delay(seconds: float) -> float | None:
    if seconds < 0:
        raise ValueError("the fragment delay must be >= 0")
    return None if seconds == 0 else 1 / seconds


def _check_rate(tokens_per_second: float | None) -> None:
    if tokens_per_second is not None and not tokens_per_second > 0:
        raise ValueError("tokens_per_second must be > 0 (None: unlimited)")


class Completion:
    """The result of a control call: already done when called from another thread,
    awaitable when called on the server's own loop (``await server.restart()``)."""

    def __init__(self, task: asyncio.Future[Any] | None = None) -> None:
        self._task = task

    def __await__(self) -> Generator[Any, None, None]:
        if self._task is not None:
            yield from self._task
        return None


class Override:
    """A per-test handler; removed when its ``with`` block ends or by ``.remove()``."""

    def __init__(
        self, table: dict[tuple[str | None, str], Any], key: tuple[str | None, str]
    ) -> None:
        self._table = table
        self._key = key
        self._handler = table[key]

    def remove(self) -> None:
        if self._table.get(self._key) is self._handler:
            del self._table[self._key]

    def __enter__(self) -> Override:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


class FakeLMStudio:
    """A fake LM Studio speaking the native WebSocket protocol on a loopback port.

    Usage::

        with FakeLMStudio() as server:           # or: async with FakeLMStudio() as server
            client = lms.Client(server.api_host)

    Args:
        host: interface to listen on (default ``"127.0.0.1"``).
        port: TCP port; ``0`` (the default) picks a free one. ``restart()`` keeps it.
        catalog: the downloaded models: a JSON catalog file path, a list of entries
            (see ``lmstudio.testing`` docs), or ``None`` for the default catalog.
        api_tokens: when given, the server requires one of these API tokens
            (``sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY``) and rejects other clients.
        tokens_per_second: the generation pace: tokens (one per fragment) per second,
            ``DEFAULT_TOKENS_PER_SECOND`` (1000, a fast local model) by default, so that a
            client's cancel lands mid-stream as with LM Studio; ``None``: unlimited (as fast
            as the socket goes, for benchmarks). Changeable later with :meth:`set_pace`.
        fragment_delay: the pace as seconds between fragments instead (``0``: unlimited);
            when given it overrides ``tokens_per_second``.
        load_time: seconds a model load or a download takes (its progress packets are
            spread over it); default ``0``.
        answer_invalid: also answer malformed calls and unknown endpoints with an error
            (LM Studio, and the fake by default, only send a ``communicationWarning``).
        auth_timeout: seconds to wait for a valid authentication packet (default 10).
        jit_auto_evict: a just-in-time load unloads the other JIT-loaded model, whatever
            its namespace, as LM Studio does by default (default ``True``).
        presets: preset identifier -> prediction config fields (``{"llm.prediction.temperature": 0.1}``)
            for ``fuzzyPresetIdentifier``; unknown presets fail as in LM Studio.
        replay: a cassette file (``python -m lmstudio.testing --record``): every request is
            answered with its recorded answer (matching on endpoint and parameters), and one
            the cassette does not hold with an error naming it; the fake models answer
            nothing. Raises ``ValueError`` for a file that is no cassette.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        catalog: str | Path | Iterable[Mapping[str, Any]] | None = None,
        api_tokens: Sequence[str] | None = None,
        tokens_per_second: float | None = DEFAULT_TOKENS_PER_SECOND,
        fragment_delay: float | None = None,
        load_time: float = 0.0,
        answer_invalid: bool = False,
        auth_timeout: float = 10.0,
        jit_auto_evict: bool = True,
        presets: Mapping[str, Mapping[str, Any]] | None = None,
        replay: str | Path | None = None,
    ) -> None:
        if load_time < 0:
            raise ValueError("delays must be >= 0")
        if fragment_delay is not None:
            tokens_per_second = _rate_of_delay(fragment_delay)
        _check_rate(tokens_per_second)
        self.host = host
        self._port = port
        self._core = ServerCore(
            catalog=load_catalog(catalog),
            api_tokens=api_tokens,
            answer_invalid=answer_invalid,
            tokens_per_second=tokens_per_second,
            auth_timeout=auth_timeout,
            jit_auto_evict=jit_auto_evict,
            presets=presets or {},
            load_time=load_time,
            cassette=None if replay is None else Cassette(replay),
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None

    def __repr__(self) -> str:
        where = self.api_host if self._server is not None else "stopped"
        return f"<FakeLMStudio {where}>"

    # -- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (known once started)."""
        if self._server is None and self._port == 0:
            raise RuntimeError("the fake server is not running")
        return self._port

    @property
    def api_host(self) -> str:
        """``"HOST:PORT"``, what ``lms.Client(api_host)`` takes."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``"ws://HOST:PORT"``, what the TypeScript SDK's ``baseUrl`` takes."""
        return f"ws://{self.api_host}"

    # -- records -------------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedMessage]:
        """Every frame clients sent, in order (authentication packets included)."""
        return self._core.received

    @property
    def warnings(self) -> list[str]:
        """Every ``communicationWarning`` the server sent (a correct client causes none)."""
        return self._core.warnings

    @property
    def client_warnings(self) -> list[str]:
        """Every ``communicationWarning`` clients sent (they could not understand the server)."""
        return self._core.client_warnings

    @property
    def notifications(self) -> list[dict[str, Any]]:
        """The ``system/notify`` parameters received."""
        return self._core.notifications

    @property
    def experiment_flags(self) -> set[str]:
        """The experiment flags set (``system/setExperimentFlag``); tests may edit it."""
        return self._core.experiment_flags

    @property
    def http_server(self) -> dict[str, Any] | None:
        """The HTTP server's settings since ``system/startHttpServer`` (``None``: stopped)."""
        return self._core.http_server

    @property
    def hub_user(self) -> str | None:
        """The LM Studio Hub user the fake is logged in as (``None``, the default: logged out)."""
        return self._core.hub_user

    @hub_user.setter
    def hub_user(self, user: str | None) -> None:
        self._core.hub_user = user

    @property
    def shutdown_requests(self) -> int:
        """How many ``system/requestShutdown`` calls arrived (the fake keeps running)."""
        return self._core.shutdown_requests

    @property
    def replay_misses(self) -> list[str]:
        """The endpoints (``"namespace/name"``) of requests the replayed cassette lacked."""
        return self._core.cassette.misses if self._core.cassette is not None else []

    @property
    def plugins(self) -> FakePlugins:
        """The plugin host: registered plugins, hook requests to drive them, their answers."""
        return FakePlugins(self)

    @property
    def faults(self) -> Faults:
        """Fault injection: ``delay``, ``fail``, ``drop_connection_after``, ``silence``."""
        return self._core.faults

    def calls(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """The ``rpcCall`` / ``channelCreate`` messages received, optionally of one endpoint
        (``"name"`` or ``"namespace/name"``)."""
        namespace, _, name = (endpoint or "").rpartition("/")
        return [
            r.message
            for r in list(self._core.received)
            if r.message.get("type") in ("rpcCall", "channelCreate")
            and (not name or r.message.get("endpoint") == name)
            and (not namespace or r.namespace == namespace)
        ]

    # -- controls ------------------------------------------------------------------------

    def set_pace(self, tokens_per_second: float | None) -> None:
        """Tokens (fragments) per second of every prediction (``None``: unlimited); applies
        at once, to the predictions streaming too."""
        _check_rate(tokens_per_second)
        self._core.tokens_per_second = tokens_per_second

    @property
    def tokens_per_second(self) -> float | None:
        """The generation pace (``None``: unlimited)."""
        return self._core.tokens_per_second

    def set_fragment_delay(self, seconds: float) -> None:
        """The pace as seconds between fragments (``0``: unlimited); applies at once."""
        self.set_pace(_rate_of_delay(seconds))

    def handle_rpc(self, endpoint: str, handler: Callable[[Any], Any]) -> Override:
        """Answer an rpc with ``handler(parameter)`` (JSON in, JSON-able or a generated
        struct out; may be ``async``; ``None`` sends no result; raise
        ``FakeServerError`` to answer an error). Usable as a context manager."""
        return self._override(self._core.rpc_overrides, endpoint, handler)

    def handle_channel(
        self, endpoint: str, handler: Callable[[Channel, Any], Awaitable[None]]
    ) -> Override:
        """Run a channel with ``await handler(channel, creation_parameter)``: use
        ``await channel.send(packet)``, ``await channel.receive()`` and ``channel.cancelled``;
        returning closes the channel, raising ``FakeServerError`` fails it."""
        return self._override(self._core.channel_overrides, endpoint, handler)

    def _override(
        self, table: dict[tuple[str | None, str], Any], endpoint: str, handler: Any
    ) -> Override:
        namespace, _, name = endpoint.rpartition("/")
        self._core.check_endpoint_spec(namespace or None, name)
        key = (namespace or None, name)
        table[key] = handler
        return Override(table, key)

    def drop_connections(self, *, abort: bool = False) -> Completion:
        """Close every client socket now (``abort``: drop the TCP connections instead of a
        closing handshake). The server keeps listening."""
        return self._submit(self._drop_connections(abort))

    def restart(self) -> Completion:
        """Stop (closing every socket) and start again on the same port, as a fresh LM
        Studio: loaded models and uploaded files reset, downloads and records are kept."""
        return self._submit(self._restart())

    def load_model(
        self, model_key: str, identifier: str | None = None, *, ttl: float | None = None
    ) -> str:
        """Load a catalog model directly (test setup); returns its instance identifier."""

        def load() -> str:
            state = self._core.state
            model = state.find_downloaded(model_key)
            if model is None:
                raise KeyError(f"no model {model_key!r} in the catalog")
            ttl_ms = None if ttl is None else max(1, int(ttl * 1000))
            return state.load(model, identifier=identifier, ttl_ms=ttl_ms).identifier

        return self._call(load)

    def unload_model(self, identifier: str) -> None:
        """Unload an instance directly, as the LM Studio app's user would."""

        def unload() -> None:
            state = self._core.state
            found = next(
                (i for i in state.instances if i.identifier.lower() == identifier.lower()), None
            )
            if found is None:
                raise KeyError(f"no loaded model {identifier!r}")
            state.unload(found)

        self._call(unload)

    def loaded_models(self) -> list[str]:
        """The identifiers of every loaded instance, in load order."""
        return self._call(lambda: self._core.state.identifiers())

    def add_model(self, entry: Mapping[str, Any]) -> None:
        """Add a catalog entry (a downloaded model; loaded if ``"loaded": true``)."""

        def add() -> None:
            model = catalog_model(entry, len(self._core.catalog))
            if any(m.key.lower() == model.key.lower() for m in self._core.state.downloaded):
                raise ValueError(f"the catalog already has {model.key!r}")
            self._core.catalog.append(model)
            self._core.state.downloaded.append(model)
            if model.loaded:
                self._core.state.load(model, identifier=model.key)

        self._call(add)

    @property
    def catalog(self) -> list[CatalogModel]:
        """The downloaded models."""
        return list(self._core.catalog)

    # -- lifecycle: sync -----------------------------------------------------------------

    def start(self) -> FakeLMStudio:
        """Start in a daemon thread with its own event loop (the ``with`` form)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        thread = threading.Thread(target=run, name="lmstudio-fake-server", daemon=True)
        thread.start()
        try:
            if not ready.wait(_CONTROL_TIMEOUT):
                raise RuntimeError("the fake server's thread did not start")
            coroutine = self._start_on_running_loop(thread)
            asyncio.run_coroutine_threadsafe(coroutine, loop).result(_CONTROL_TIMEOUT)
        except BaseException:
            if self._thread is thread:  # started, then failed: forget it
                self._loop = self._thread = None
            _end_loop_thread(loop, thread)
            raise
        return self

    def stop(self) -> None:
        """Stop the server and its thread (the end of the ``with`` form)."""
        loop = self._loop
        if loop is None:
            return
        if self._thread is None:
            raise RuntimeError("use 'async with' (or aclose()) for a server started on your loop")
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), loop).result(_CONTROL_TIMEOUT)
        finally:
            self._shutdown_thread()

    def _shutdown_thread(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is not None and thread is not None:
            _end_loop_thread(loop, thread)

    def __enter__(self) -> FakeLMStudio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- lifecycle: async ----------------------------------------------------------------

    async def astart(self) -> FakeLMStudio:
        """Start on the running event loop (the ``async with`` form)."""
        await self._start_on_running_loop(None)
        return self

    async def _start_on_running_loop(self, thread: threading.Thread | None) -> None:
        """What :meth:`start` (on its own loop ``thread``) and :meth:`astart` (``None``:
        the caller's loop) share: claim the running loop, then listen."""
        if self._loop is not None:
            raise RuntimeError("the fake server is already running")
        self._loop, self._thread = asyncio.get_running_loop(), thread
        try:
            await self._start()
        except BaseException:
            self._loop = self._thread = None
            raise

    async def aclose(self) -> None:
        """Stop a server started with ``async with`` / :meth:`astart`."""
        if self._loop is None:
            return
        try:
            await self._stop()
        finally:
            self._loop = None

    async def __aenter__(self) -> FakeLMStudio:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- loop side -----------------------------------------------------------------------

    async def _start(self) -> None:
        self._core.reset_state()
        self._server = await serve(
            self._handle,
            self.host,
            self._port,
            process_request=self._process_request,
            compression=None,  # LM Studio's server does not compress either
            max_size=None,  # uploads can be large; LM Studio sets no limit
            close_timeout=2,
            logger=_ws_log,
        )
        self._port = self._server.sockets[0].getsockname()[1]
        _log.info("fake LM Studio listening on %s", self.api_host)

    async def _stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()  # closes every connection too (code 1001)
            await server.wait_closed()
        self._core.close_state()

    async def _restart(self) -> None:
        await self._stop()
        await self._start()

    async def _drop_connections(self, abort: bool) -> None:
        sessions = list(self._core.sessions)
        if abort:
            for session in sessions:
                session.abort()
            return
        closing = [asyncio.ensure_future(s.ws.close(1001, "dropped by the test")) for s in sessions]
        if closing:
            _, pending = await asyncio.wait(closing, timeout=2)
            for session in sessions:
                if session.ws.transport is not None and not session.ws.transport.is_closing():
                    session.abort()
            del pending

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        from lmstudio._protocol.endpoints import NAMESPACES

        path = request.path.partition("?")[0]
        if path == "/lmstudio-greeting":
            response = connection.respond(HTTPStatus.OK, "")
            response.body = _GREETING
            del response.headers["Content-Type"]
            del response.headers["Content-Length"]
            response.headers["Content-Type"] = "application/json"
            response.headers["Content-Length"] = str(len(_GREETING))
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        if path[1:] in NAMESPACES:
            return None
        return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")

    async def _handle(self, ws: ServerConnection) -> None:
        namespace = ws.request.path.partition("?")[0][1:] if ws.request is not None else ""
        session = Session(self._core, ws, namespace)
        self._core.sessions.add(session)
        try:
            await session.run()
        finally:
            self._core.sessions.discard(session)

    # -- crossing threads ----------------------------------------------------------------

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def _submit(self, coro: Coroutine[Any, Any, None]) -> Completion:
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("the fake server is not running")
        if self._on_loop():
            return Completion(loop.create_task(coro))
        asyncio.run_coroutine_threadsafe(coro, loop).result(_CONTROL_TIMEOUT)
        return Completion()

    def _call(self, fn: Callable[[], _T]) -> _T:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the fake server is not running")
        if self._on_loop() or (self._thread is None and not loop.is_running()):
            return fn()

        async def run() -> _T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(_CONTROL_TIMEOUT)


def _end_loop_thread(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    """Stop the loop running in ``thread`` (``start()``'s own) and close it once it stopped."""
    loop.call_soon_threadsafe(loop.stop)
    thread.join(_CONTROL_TIMEOUT)
    if not thread.is_alive():
        loop.close()
