"""One authenticated WebSocket to one namespace, moving text frames to a Multiplexer.

An :class:`asyncio.Protocol` around websockets' sans-I/O ``ClientProtocol``: bytes
from the socket go into the WebSocket protocol, complete text messages go into the
:class:`~lmstudio._engine.multiplexer.Multiplexer`, and what either wants to send is
written back. No task per message or per call: only opening a connection runs a
coroutine. Liveness uses WebSocket ping/pong frames.

Once open, both directions take the fast path of ``framing.py``: ordinary text frames
go from the socket's bytes to the multiplexer without websockets' frame objects, and
outgoing messages are framed and masked there and written in one batch; websockets
still parses the handshake and every other frame (pings, closes, fragments, anything
invalid), always as whole frames. Whenever ``framing.fast_path_ok`` says no (websockets
logs frames at DEBUG level, its parser holds a partial frame, or its internals are not
the ones the check knows), websockets parses everything.

Lifecycle: CONNECTING (TCP + WebSocket handshake) -> AUTHENTICATING (first frame is
the authentication packet, first answer its result) -> OPEN -> CLOSED. Messages
submitted before OPEN wait in the multiplexer. Whatever ends the connection (close
by the client, close or drop by the server, failed open, missed pong) goes through
:meth:`Connection._terminate`, which fails every call in flight at once.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State as WsState
from websockets.uri import parse_uri

from .._constants import (
    CLOSE_TIMEOUT,
    MAX_MESSAGE_SIZE,
    OPEN_TIMEOUT,
    PING_INTERVAL,
    PING_TIMEOUT,
    USER_AGENT,
)
from ..errors import (
    LMStudioCancelledError,
    LMStudioError,
    LMStudioProtocolError,
    LMStudioServerError,
    LMStudioWebsocketError,
)
from . import wire
from .boundary import is_tls_failure, translate
from .entries import RearmableTimer as _Timer
from .framing import MaskingKeys, fast_path_ok, read_frames, text_frames
from .identity import Identity
from .multiplexer import Multiplexer
from .target import Target

if TYPE_CHECKING:
    from .loop import Engine

__all__ = ["Connection", "Target"]

logger = logging.getLogger("lmstudio.engine")

_TEXT = Opcode.TEXT
_CONT = Opcode.CONT
_auth_result_decoder = msgspec.json.Decoder(wire.AuthResult)


class _State(enum.Enum):
    CONNECTING = "connecting"
    AUTHENTICATING = "authenticating"
    OPEN = "open"
    CLOSED = "closed"


_CONNECTING = _State.CONNECTING
_AUTHENTICATING = _State.AUTHENTICATING
_OPEN = _State.OPEN
_CLOSED = _State.CLOSED


class Connection(asyncio.Protocol):
    """One namespace's socket (engine loop only)."""

    def __init__(
        self,
        engine: Engine,
        namespace: str,
        identity: Identity,
        on_closed: Callable[[Connection], None],
        *,
        open_timeout: float = OPEN_TIMEOUT,
        ping_interval: float | None = PING_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
        max_message_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        loop = engine.loop
        self.engine = engine
        self.loop = loop
        self.namespace = namespace
        self.mux = Multiplexer(namespace, clock=loop.time, schedule=self._schedule)
        self.state = _CONNECTING
        self.url = f"(not connected)/{namespace}"
        self._identity = identity
        self._on_closed = on_closed
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._max_size = max_message_size
        self._bytes_in = 0  # bytes received so far (see _timer_fired)
        self._bytes_at_check = 0
        self._transport: asyncio.Transport | None = None
        self._ws: ClientProtocol | None = None
        self._fragments: list[bytes] | None = None
        self._fragments_binary = False
        # The fast path (framing.py): on once websockets' parser is idle after the
        # handshake; a frame that spans reads waits in _partial until complete.
        self._fast = False
        self._partial: list[bytes] = []
        self._partial_size = 0
        self._needed = 0
        self._keys = MaskingKeys()
        self._authenticated: asyncio.Future[None] = loop.create_future()
        self._auth_error: LMStudioError | None = None
        self._lost: asyncio.Future[None] = loop.create_future()
        self._opener: asyncio.Task[None] | None = None
        self._flush_pending = False
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: _Timer | None = None
        self._ping_payload: bytes | None = None
        self._close_timer: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.url} {self.state.value}>"

    # --- opening -------------------------------------------------------------------------

    def open(self, resolve: Callable[[], Awaitable[Target]]) -> None:
        """Start connecting; ``resolve`` finds the host (it may probe for it)."""
        self._opener = self.loop.create_task(self._open(resolve))

    async def _open(self, resolve: Callable[[], Awaitable[Target]]) -> None:
        target: Target | None = None

        async def connect() -> None:
            nonlocal target
            target = await resolve()
            self.url = target.url(self.namespace)
            ssl = True if target.secure else None
            await self.loop.create_connection(lambda: self, target.host, target.port, ssl=ssl)
            await self._authenticated

        try:
            await asyncio.wait_for(connect(), self._open_timeout)
        except asyncio.CancelledError:
            if self.state is not _CLOSED:
                raise
            return
        except BaseException as exc:
            self._terminate(self._auth_error or self._open_failure(exc, target))
            if not isinstance(exc, Exception):
                raise
            return
        # Authenticated: _auth_answer() made the connection OPEN and flushed.

    def _open_failure(self, exc: BaseException, target: Target | None) -> LMStudioError:
        if isinstance(exc, LMStudioError):
            return exc
        if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
            where = self.url if target is not None else "the LM Studio host"
            return translate(
                TimeoutError(f"no answer within {self._open_timeout:g} s"),
                f"connecting to {where} timed out",
            )
        where = target.where if target is not None else self.url
        if target is not None and target.secure and is_tls_failure(exc):
            return translate(
                exc,
                f"the TLS handshake with {where} failed; is it a plain ws:// server "
                "(LM Studio's own server is)?",
            )
        if isinstance(exc, OSError):
            return translate(exc, f"LM Studio is not reachable at {where}; is it running?")
        return translate(exc, f"could not connect to LM Studio at {self.url}")

    # --- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if self.state is _CLOSED:  # closed while connecting
            transport.abort()
            return
        ws = ClientProtocol(parse_uri(self.url), max_size=self._max_size)
        request = ws.connect()
        request.headers["User-Agent"] = USER_AGENT
        ws.send_request(request)
        self._ws = ws
        self._flush()

    def data_received(self, data: bytes) -> None:
        try:
            self._data_received(data)
        except Exception as exc:  # the boundary: never asyncio's "Fatal error" for a bug here
            logger.exception("lmstudio engine: unexpected error reading from %s", self.url)
            self._terminate(translate(exc, f"reading from LM Studio at {self.url} failed"))

    def _data_received(self, data: bytes) -> None:
        self._bytes_in += len(data)
        ws = self._ws
        if ws is None or self.state is _CLOSED:
            return
        if self._fast:
            if self._partial:
                self._partial.append(data)
                self._partial_size += len(data)
                if self._partial_size < self._needed:
                    return  # a large frame still arriving: join its pieces once, at the end
                data = b"".join(self._partial)
                self._partial.clear()
            # A complete frame past the limit fits in one read only when the limit is below
            # the read size: check each message then (else the partial path checks).
            receive = self.mux.receive if len(data) <= self._max_size else self._sized
            end, needed = read_frames(data, receive, self._whole_frame)
            if end < len(data) and self.state is not _CLOSED and ws.parser_exc is None:
                if needed > self._max_size + _MAX_HEADER:  # never buffer what it claims
                    self._too_large(needed)
                    return
                if needed:  # the start of a frame: wait for the rest of it
                    rest = data[end:] if end else data
                    self._partial.append(rest)
                    self._partial_size = len(rest)
                    self._needed = needed
                else:  # the fast path stopped (a fragmented message): websockets goes on
                    self._fast = False
                    self._receive_slowly(ws, data[end:])
        else:
            self._receive_slowly(ws, data)
        self.mux.wake_consumers()
        if ws.parser_exc is not None and self.state is not _CLOSED:
            self._terminate(
                translate(ws.parser_exc, f"LM Studio at {self.url} broke the WebSocket protocol")
            )
        self._flush()

    def _sized(self, payload: bytes | memoryview) -> None:
        if self.state is not _CLOSED:
            if len(payload) > self._max_size:
                self._too_large(len(payload))
            else:
                self.mux.receive(payload)

    def _too_large(self, size: int) -> None:
        self._terminate(
            LMStudioProtocolError(
                f"LM Studio at {self.url} sent a frame of {size:,} bytes, past the message size "
                f"limit of {self._max_size:,} (Client(max_message_size=...) sets it)"
            ),
            graceful=False,
        )

    def _receive_slowly(self, ws: ClientProtocol, data: bytes) -> None:
        """Bytes through websockets' parser: the handshake, and whenever the fast path is off."""
        ws.receive_data(data)
        events = ws.events_received()
        if self.state is _OPEN:
            self._open_frames(events)
        else:
            self._handshake_events(events)
        # From the next read on, frames bypass websockets' parser if it is idle (see
        # framing.fast_path_ok: not when websockets logs every frame, at DEBUG level).
        self._fast = self.state is _OPEN and self._fragments is None and fast_path_ok(ws)

    def eof_received(self) -> bool | None:
        ws = self._ws
        if ws is not None and self.state is not _CLOSED:
            ws.receive_eof()
            # The end of the stream may complete a handshake response (one without a
            # length, such as a plain HTTP server's error page).
            events = ws.events_received()
            if self.state is not _OPEN:
                self._handshake_events(events)
        return None  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ws is not None:
            self._ws.receive_eof()
        _cancel(self._close_timer)
        self._close_timer = None
        if not self._lost.done():
            self._lost.set_result(None)
        if self.state is _CLOSED:
            return
        if self._auth_error is not None:
            error = self._auth_error
        elif exc is not None:
            error = translate(exc, f"the connection to LM Studio at {self.url} was lost")
        else:
            error = LMStudioWebsocketError(f"the connection to LM Studio at {self.url} was lost")
        self._terminate(error)

    # --- frames --------------------------------------------------------------------------

    def _handshake_events(self, events: list[Any]) -> None:
        ws = self._ws
        assert ws is not None
        if self.state is _CONNECTING and ws.handshake_exc is not None:
            # A response that is not a WebSocket upgrade (or no valid HTTP at all).
            error = translate(ws.handshake_exc, f"the WebSocket handshake with {self.url} failed")
            self._fail_open(error)
            return
        for event in events:
            if isinstance(event, Response):
                auth = wire.AuthPacket(
                    client_identifier=self._identity.client_identifier,
                    client_passkey=self._identity.client_passkey,
                )
                # Never log the passkey, even when websockets logs frames at DEBUG level.
                debug, ws.debug = ws.debug, False
                try:
                    ws.send_text(wire.encoder.encode(auth))
                finally:
                    ws.debug = debug
                logger.debug("authenticating as %s on %s", auth.client_identifier, self.url)
                self.state = _AUTHENTICATING
            elif self.state is _AUTHENTICATING and isinstance(event, Frame):
                if event.opcode is _TEXT and event.fin:
                    self._auth_answer(event.data)
                elif event.opcode is Opcode.CLOSE:
                    self._on_close_frame()
            elif self.state is _OPEN and isinstance(event, Frame):
                # Frames in the same read as the authentication result.
                if event.opcode is _TEXT and event.fin and self._fragments is None:
                    self.mux.receive(event.data)
                else:
                    self._other_frame(event)

    def _auth_answer(self, data: Any) -> None:
        try:
            answer = _auth_result_decoder.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            self._fail_open(translate(exc, f"unexpected authentication answer from {self.url}"))
            return
        if not answer.success:
            suggestion = (
                "check the API token (api_token=, LMSTUDIO_API_TOKEN or LM_API_TOKEN)"
                if self._identity.from_token
                else "this LM Studio may require an API token (api_token=, LMSTUDIO_API_TOKEN)"
            )
            self._fail_open(
                LMStudioServerError(
                    "LM Studio rejected the client's authentication",
                    cause=answer.error if isinstance(answer.error, str) else None,
                    suggestion=suggestion,
                )
            )
            return
        if not self._authenticated.done():
            self._authenticated.set_result(None)
        # Open now, so frames that came in the same read are routed; data_received()
        # flushes the messages queued meanwhile.
        self.state = _OPEN
        logger.debug("connected to %s", self.url)
        self._schedule_ping()

    def _fail_open(self, error: LMStudioError) -> None:
        self._auth_error = error
        if not self._authenticated.done():
            self._authenticated.set_exception(error)
        self._terminate(error)

    def _whole_frame(self, frame: bytes) -> bool:
        """One complete frame the fast path leaves to websockets' parser (a ping, a close,
        a fragment...); returns whether the fast path may go on after it."""
        ws = self._ws
        assert ws is not None
        ws.receive_data(frame)
        self._open_frames(ws.events_received())
        return self.state is _OPEN and self._fragments is None and ws.parser_exc is None

    def _open_frames(self, events: list[Any]) -> None:
        """Frames websockets parsed on an open connection, in order."""
        receive = self.mux.receive
        for frame in events:
            if frame.opcode is _TEXT and frame.fin and self._fragments is None:
                receive(frame.data)
            else:
                self._other_frame(frame)
            if self.state is _CLOSED:
                return

    def _other_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is _TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                logger.error("ignoring a binary frame from %s (the protocol is text)", self.url)
            else:
                self._fragments = [bytes(frame.data)]
                self._fragments_binary = opcode is Opcode.BINARY
        elif opcode is _CONT:
            if self._fragments is None:  # pragma: no cover - websockets rejects this
                return
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), None
                if self._fragments_binary:
                    logger.error("ignoring a binary message from %s", self.url)
                else:
                    self.mux.receive(data)
        elif opcode is Opcode.PONG:
            self._on_pong(bytes(frame.data))
        elif opcode is Opcode.CLOSE:
            self._on_close_frame()
        # PING: websockets queued the pong already.

    def _on_close_frame(self) -> None:
        ws = self._ws
        rcvd = ws.close_rcvd if ws is not None else None
        detail = f" (code {rcvd.code}{': ' + rcvd.reason if rcvd.reason else ''})" if rcvd else ""
        error = LMStudioWebsocketError(f"LM Studio closed the connection {self.url}{detail}")
        if self.state is not _OPEN:
            self._fail_open(error)
        else:
            self._terminate(error)

    # --- sending -------------------------------------------------------------------------

    def flush_soon(self) -> None:
        """Send what the multiplexer queued, after the current batch of submissions."""
        if not self._flush_pending and self.state is _OPEN:
            self._flush_pending = True
            self.engine.after_drain(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        ws, transport = self._ws, self._transport
        if ws is None or transport is None or transport.is_closing():
            return
        messages = self.mux.data_to_send() if self.state is _OPEN else []
        if messages and ws.debug:  # websockets logs the frames it makes: let it make them
            for message in messages:
                ws.send_text(message)
            messages = []
        # websockets' own frames first (a pong, a close), then the multiplexer's messages.
        data = ws.data_to_send()
        if messages:
            data += text_frames(messages, self._keys.take(len(messages)))
        if not data:
            return
        if len(data) == 1 and data[0]:
            transport.write(data[0])
            return
        # One write (one syscall) for a batch of frames; large ones on their own, uncopied.
        batch: list[bytes] = []
        for chunk in data:
            if chunk and len(chunk) < _LARGE:
                batch.append(chunk)
                continue
            if batch:
                transport.write(b"".join(batch))
                batch = []
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():  # websockets' end of stream, after a close
                transport.write_eof()
        if batch:
            transport.write(b"".join(batch))

    def _schedule(self, delay: float, callback: Callable[[], None]) -> _Timer:
        when = self.loop.time() + delay
        timer = _Timer(callback, when)
        timer.handle = self.loop.call_at(when, self._timer_fired, timer, 0)
        return timer

    def _timer_fired(self, timer: _Timer, rounds: int) -> None:
        """A timeout, unless what already arrived says otherwise: a late timer means the
        loop stood still (a paused process), so answers may wait in the socket buffer. It
        is then checked again after the next iteration's reads (asyncio runs I/O before
        due timers) until one reads nothing, at most ``_CATCH_UP_ROUNDS`` times."""
        if timer.cancelled:
            return
        if self.state is _OPEN and rounds < _CATCH_UP_ROUNDS:
            late = self.loop.time() - timer.when > _LATE
            if late or (rounds and self._bytes_in != self._bytes_at_check):
                self._bytes_at_check = self._bytes_in
                timer.handle = self.loop.call_at(
                    self.loop.time(), self._timer_fired, timer, rounds + 1
                )
                return
        timer.cancelled = True
        callback = timer.callback
        callback()  # a multiplexer timeout: it may have queued a cancel packet
        self._flush()

    # --- liveness ------------------------------------------------------------------------

    def _schedule_ping(self) -> None:
        if self._ping_interval is not None and self.state is _OPEN:
            self._ping_timer = self.loop.call_later(self._ping_interval, self._ping)

    def _ping(self) -> None:
        ws = self._ws
        if self.state is not _OPEN or ws is None:
            return
        self._ping_payload = os.urandom(4)
        ws.send_ping(self._ping_payload)
        self._flush()
        self._pong_timer = self._schedule(self._ping_timeout, self._pong_missing)

    def _on_pong(self, data: bytes) -> None:
        if self._ping_payload is not None and data == self._ping_payload:
            self._ping_payload = None
            _cancel(self._pong_timer)
            self._pong_timer = None
            self._schedule_ping()

    def _pong_missing(self) -> None:
        self._terminate(
            LMStudioWebsocketError(
                f"LM Studio at {self.url} did not answer a ping within {self._ping_timeout:g} s"
            ),
            graceful=False,
        )

    # --- closing -------------------------------------------------------------------------

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Close on behalf of the client: calls in flight are cancelled."""
        if self.state is not _CLOSED:
            self._terminate(
                LMStudioCancelledError(f"cancelled: the client was closed ({self.namespace})")
            )
        if not self._lost.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._lost), timeout)
            except asyncio.TimeoutError:
                if self._transport is not None:
                    self._transport.abort()

    def _terminate(self, error: LMStudioError, *, graceful: bool = True) -> None:
        """End the connection: fail everything in flight with (a copy of) ``error``."""
        if self.state is _CLOSED:
            return
        self.state = _CLOSED
        for timer in (self._ping_timer, self._pong_timer):
            _cancel(timer)
        self._ping_timer = self._pong_timer = None
        if self._opener is not None and not self._opener.done():
            self._opener.cancel()
        if self._authenticated.done() and not self._authenticated.cancelled():
            self._authenticated.exception()  # retrieved: no "never retrieved" warning
        self.mux.fail_all(lambda: _copy_error(error))
        self._on_closed(self)
        transport, ws = self._transport, self._ws
        if transport is None or transport.is_closing():
            if transport is None and not self._lost.done():
                self._lost.set_result(None)
            return
        ws_state = ws.state if ws is not None else None
        if graceful and ws is not None and ws_state is WsState.OPEN:
            ws.send_close(1000)
            for chunk in ws.data_to_send():
                if chunk:
                    transport.write(chunk)
            ws_state = WsState.CLOSING
        if graceful and ws_state is WsState.CLOSING:
            # The server ends the TCP connection after the closing handshake.
            self._close_timer = self.loop.call_later(CLOSE_TIMEOUT, transport.abort)
        else:
            transport.abort()


_LARGE = 1 << 16  # frames of this size or more are written on their own, never joined
_MAX_HEADER = 14  # the longest frame header: 2 bytes, an 8-byte length, a 4-byte mask
_LATE = 0.25  # seconds: a timer this late means the loop stood still (see _timer_fired)
_CATCH_UP_ROUNDS = 4096  # loop iterations a late timeout waits for reads to catch up


def _cancel(timer: asyncio.TimerHandle | _Timer | None) -> None:
    if timer is not None:
        timer.cancel()


def _copy_error(error: LMStudioError) -> LMStudioError:
    """A fresh exception per call, so tracebacks and contexts do not mix across calls."""
    try:
        fresh = copy.copy(error)
    except Exception:  # pragma: no cover - our errors all copy
        return error
    fresh.__cause__ = error.__cause__
    return fresh
