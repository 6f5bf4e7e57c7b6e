"""One client connection (one namespace socket): authentication, envelope routing, strictness.

Rules of this file:

- The first frame must be the authentication packet; until a valid one arrives, frames
  are logged and ignored (as LM Studio does), and after ``auth_timeout`` seconds the
  handshake fails with ``{"success": false, "error": ...}`` and the socket is closed.
- Every later frame is recorded (``server.received``), then decoded with the transport
  envelope and, for calls, with the endpoint's strict generated type.
- A frame that is not a valid message, a call of an endpoint the protocol does not
  have, a parameter or packet that fails its type, or an id that is not open gets a
  ``communicationWarning`` naming the problem (recorded in ``server.warnings``) and no
  answer, as LM Studio does; with ``answer_invalid`` the call is also answered with an
  error. Unlike LM Studio, the fake also warns about frames that are not valid envelopes
  (LM Studio drops them silently), so a test sees them, and it quietly ignores a
  ``cancel``/``stop`` that crosses the end of its channel in flight (a benign race).
- An endpoint the protocol has but the fake does not implement is answered with
  ``rpcError`` / ``channelError`` "not implemented by the fake server", never silence.
- Rpcs and channels are keyed separately (ids may repeat across the two); each runs in
  its own task, so calls overlap; a channel ends with ``channelClose`` when its handler
  returns and ``channelError`` when it raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from lmstudio._engine import wire
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._faults import FaultPlan
from lmstudio.testing._superjson import superjson_payload, superjson_result
from lmstudio.testing._tags import tag_problem

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from lmstudio.testing._core import ServerCore
    from lmstudio.testing._state import ServerState

__all__ = ["CallContext", "Channel", "ConnectionDropped", "Session"]

_log = logging.getLogger("lmstudio.testing")
_MAX_BATCH = 64
_encode = wire.encoder.encode
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder(target: Any) -> msgspec.json.Decoder[Any]:
    found = _decoders.get(target)
    if found is None:
        found = _decoders[target] = msgspec.json.Decoder(target)
    return found


class ConnectionDropped(Exception):
    """The socket was aborted on purpose (fault injection): stop the handler."""


class CallContext:
    """What a handler sees of its call: the server core, the session, the endpoint."""

    def __init__(self, session: Session, name: str) -> None:
        self.session = session
        self.core: ServerCore = session.core
        self.namespace = session.namespace
        self.name = name

    @property
    def state(self) -> ServerState:
        return self.core.state


class Channel(CallContext):
    """An open channel: send packets to the client, see the packets it sends."""

    def __init__(self, session: Session, name: str, channel_id: int) -> None:
        super().__init__(session, name)
        self.channel_id = channel_id
        self.cancelled = asyncio.Event()
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.sent = 0
        self.drop_after: int | None = None
        self.task: asyncio.Task[None] | None = None
        self._envelope = b'{"type":"channelSend","channelId":%d,"message":' % channel_id

    async def send(self, packet: Any) -> None:
        """Send one toClient packet (a generated model struct or a JSON-able dict)."""
        await self.send_encoded(_encode(packet))

    async def send_encoded(self, payload: bytes) -> None:
        """Send one toClient packet already encoded as JSON."""
        # The channelSend envelope around it, as wire.ChannelSend encodes it.
        await self.session.send(b"".join((self._envelope, payload, b"}")))
        self.sent += 1
        if self.drop_after is not None and self.sent >= self.drop_after:
            self.session.abort()
            raise ConnectionDropped

    async def receive(self) -> Any:
        """The next packet the client sent on this channel (a JSON dict), validated."""
        return await self.inbox.get()


RpcHandler = Callable[[CallContext, Any], Awaitable[Any]]
ChannelHandler = Callable[[Channel, Any], Awaitable[None]]


class Session:
    """The server side of one WebSocket connection."""

    def __init__(self, core: ServerCore, ws: ServerConnection, namespace: str) -> None:
        self.core = core
        self.ws = ws
        self.namespace = namespace
        self.client_identifier: str | None = None
        self.channels: dict[int, Channel] = {}
        self.ended_channels: set[int] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.aborted = False
        # Frames are handed to the sans-I/O protocol and written in batches (one socket
        # write per loop iteration, not per frame) when this websockets version allows it.
        self._batching = all(
            hasattr(ws, name) for name in ("protocol", "send_data", "drain", "paused")
        ) and isinstance(getattr(ws.protocol, "writes", None), list)
        self._flush_pending = False
        self._unflushed = 0

    # -- sending -----------------------------------------------------------------------

    async def send(self, frame: bytes) -> None:
        if self.aborted:
            raise ConnectionDropped
        ws = self.ws
        if not self._batching or ws.protocol.state is not State.OPEN:
            await ws.send(frame, text=True)  # raises ConnectionClosed when closing
            return
        # What protocol.send_text(frame) queues (an unmasked text frame), without its
        # per-frame objects and checks: the fake must not be the benchmarks' bottleneck.
        writes = ws.protocol.writes
        writes.append(_text_header(len(frame)))
        writes.append(frame)
        self._unflushed += 1
        if self._unflushed >= _MAX_BATCH:
            self._flush()
            if ws.paused:  # the transport's buffer is full: wait for the client to read
                await ws.drain()
        elif not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        self._unflushed = 0
        if self.aborted:
            return
        ws = self.ws
        try:
            chunks = ws.protocol.data_to_send()
            if chunks and all(chunks):
                # One socket write for the whole batch (websockets writes frame by frame).
                ws.transport.write(b"".join(chunks) if len(chunks) > 1 else chunks[0])
            elif chunks:  # an end of stream among them: write in order, then half-close
                for chunk in chunks:
                    if chunk:
                        ws.transport.write(chunk)
                    elif ws.transport.can_write_eof():
                        ws.transport.write_eof()
                    else:  # pragma: no cover - TLS
                        ws.transport.close()
        except Exception:  # the transport died: the reader sees the connection closing
            _log.debug("flushing a %s socket failed", self.namespace, exc_info=True)

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (after what was sent)."""
        if self._flush_pending or self._unflushed:
            self._flush()
        self.aborted = True
        self.ws.transport.abort()

    async def warn(self, kind: str, text: str) -> None:
        self.core.warnings.append(text)
        _log.warning("communicationWarning to a %s client (%s): %s", self.namespace, kind, text)
        with contextlib.suppress(ConnectionClosed, ConnectionDropped):
            await self.send(_encode(wire.CommunicationWarning(warning=text, kind=kind)))

    # -- lifecycle -----------------------------------------------------------------------

    async def run(self) -> None:
        try:
            if not await self.authenticate():
                return
            async for frame in self.ws:
                await self.on_frame(frame)
        except (ConnectionClosed, ConnectionDropped):
            pass
        finally:
            for task in list(self.tasks):
                task.cancel()
            if self.tasks:
                await asyncio.gather(*self.tasks, return_exceptions=True)
            if self.client_identifier is not None:
                self.core.release_client(self.client_identifier)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def authenticate(self) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.core.auth_timeout
        while True:
            try:
                frame = await asyncio.wait_for(self.ws.recv(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                await self._auth_failed(
                    "Authentication timed out: no valid authentication packet received"
                )
                return False
            packet = self.record(frame)
            identifier, passkey = packet.get("clientIdentifier"), packet.get("clientPasskey")
            if (
                packet.get("authVersion") != 1
                or not isinstance(identifier, str)
                or not isinstance(passkey, str)
                or len(identifier) > 256
                or len(passkey) > 256
            ):
                _log.warning(
                    "ignoring a %s frame that is not a valid authentication packet", self.namespace
                )
                continue
            error = self.core.authenticate(identifier, passkey)
            if error is not None:
                await self._auth_failed(error)
                return False
            self.client_identifier = identifier
            await self.send(_encode(wire.AuthResult(success=True)))
            return True

    async def _auth_failed(self, error: str) -> None:
        _log.info("authentication failed on %s: %s", self.namespace, error)
        await self.send(_encode(wire.AuthResult(success=False, error=error)))
        await self.ws.close()

    # -- receiving -----------------------------------------------------------------------

    def record(self, frame: str | bytes) -> dict[str, Any]:
        try:
            message = json.loads(frame)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
            message = {"_raw": text}
        self.core.record(self.namespace, message)
        return message

    async def on_frame(self, frame: str | bytes) -> None:
        self.record(frame)
        if isinstance(frame, bytes):
            await self.warn(
                "unknown", "Received a binary frame; LM Studio messages are JSON text frames"
            )
        try:
            message = wire.client_message_decoder.decode(frame)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self.warn("unknown", f"Received an invalid message: {exc}")
            return
        match message:
            case wire.RpcCall():
                await self.on_rpc(message)
            case wire.ChannelCreate():
                await self.on_channel_create(message)
            case wire.ChannelSend():
                await self.on_channel_send(message)
            case wire.CommunicationWarning():
                self.core.client_warnings.append(message.warning)
                _log.warning(
                    "a %s client sent a communicationWarning: %s", self.namespace, message.warning
                )
            case wire.KeepAlive():
                await self.send(_encode(wire.KeepAliveAck()))
            case wire.SignalSubscribe():
                await self.warn(
                    "signalEndpointUnknown",
                    f"Received signalSubscribe for unknown signal endpoint {message.endpoint}",
                )
            case wire.WritableSignalSubscribe():
                await self.warn(
                    "writableSignalEndpointUnknown",
                    f"Received writableSignalSubscribe for unknown writable signal endpoint {message.endpoint}",
                )
            case wire.SignalUnsubscribe():
                await self.warn(
                    "signalUnknown",
                    f"Received signalUnsubscribe for unknown subscribeId {message.subscribe_id}",
                )
            case wire.WritableSignalUnsubscribe() | wire.WritableSignalUpdate():
                await self.warn(
                    "writableSignalUnknown",
                    f"Received a writable signal message for unknown subscribeId {message.subscribe_id}",
                )
            case wire.ChannelAck():
                pass  # no endpoint uses acks

    async def _invalid_call(
        self, kind: str, text: str, answer: Callable[[dict[str, Any]], Any]
    ) -> None:
        await self.warn(kind, text)
        if self.core.answer_invalid:
            await self.send(answer(FakeServerError(text).to_wire()))

    def _decode_payload(
        self, target: Any, payload: Any, what: str, *, optional: bool = False
    ) -> tuple[Any, Any, str | None]:
        """(decoded value, JSON value, problem) of a payload of a strict type.

        As zod judges LM Studio's endpoint parts: a void part (``target`` ``None``:
        ``z.void()``, ``z.undefined()``) must be absent; an ``optional`` part (zod's
        ``.optional()``) may be absent but not ``null``; any other part is required.
        """
        if target is None:
            if payload is not msgspec.UNSET:
                return None, None, f"{what} must be absent for this endpoint"
            return None, None, None
        if payload is msgspec.UNSET:
            if optional:
                return None, None, None
            return None, None, f"{what} is missing"
        if optional and bytes(payload).strip() == b"null":
            return None, None, f"{what} is invalid: Expected a value or nothing, got null"
        try:
            value = _decoder(target).decode(payload)
        except msgspec.ValidationError as exc:
            return None, None, f"{what} is invalid: {exc}"
        raw = msgspec.json.decode(payload)
        problem = tag_problem(value, raw, "$")
        if problem is not None:
            return None, None, f"{what} is invalid: {problem}"
        return value, raw, None

    async def on_rpc(self, call: wire.RpcCall) -> None:
        def answer(error: dict[str, Any]) -> bytes:
            return _encode(wire.RpcError(call_id=call.call_id, error=msgspec.Raw(_encode(error))))

        endpoint = self.core.endpoint(self.namespace, call.endpoint)
        if endpoint is None or endpoint.kind != "rpc":
            await self._invalid_call(
                "rpcEndpointUnknown",
                f"Received rpcCall for unknown endpoint {self.namespace}/{call.endpoint}",
                answer,
            )
            return
        payload, problem = superjson_payload(self.namespace, call.endpoint, call.parameter)
        if problem is None:
            parameter, raw, problem = self._decode_payload(
                endpoint.parameter,
                payload,
                "parameter",
                optional="parameter" in endpoint.optional,
            )
        if problem is not None:
            await self._invalid_call(
                "rpcParameterTypeError",
                f"Received rpcCall {self.namespace}/{call.endpoint}: {problem}",
                answer,
            )
            return
        self.spawn(self.run_rpc(call, parameter, raw))

    async def run_rpc(self, call: wire.RpcCall, parameter: Any, raw: Any) -> None:
        plan = self.core.faults.take(self.namespace, call.endpoint)
        if plan.silence:
            return
        if plan.delay:
            await asyncio.sleep(plan.delay)
        if plan.drop_after == 0:
            self.abort()
            return
        error = plan.error
        result: Any = None
        if error is None:
            try:
                result = await self.core.call_rpc(CallContext(self, call.endpoint), parameter, raw)
            except FakeServerError as exc:
                error = exc.to_wire()
            except (ConnectionClosed, ConnectionDropped, asyncio.CancelledError):
                raise
            except Exception as exc:
                _log.exception("fake server: rpc %s/%s failed", self.namespace, call.endpoint)
                error = FakeServerError(f"Internal error in the fake server: {exc!r}").to_wire()
        if error is not None:
            frame = _encode(wire.RpcError(call_id=call.call_id, error=msgspec.Raw(_encode(error))))
        elif result is None:
            frame = _encode(wire.RpcResult(call_id=call.call_id))
        else:
            encoded = superjson_result(self.namespace, call.endpoint, _encode(result))
            frame = _encode(wire.RpcResult(call_id=call.call_id, result=msgspec.Raw(encoded)))
        try:
            await self.send(frame)
        except (ConnectionClosed, ConnectionDropped):
            return
        if plan.drop_after is not None:
            self.abort()

    async def on_channel_create(self, create: wire.ChannelCreate) -> None:
        def answer(error: dict[str, Any]) -> bytes:
            return _encode(
                wire.ChannelError(channel_id=create.channel_id, error=msgspec.Raw(_encode(error)))
            )

        endpoint = self.core.endpoint(self.namespace, create.endpoint)
        if endpoint is None or endpoint.kind != "channel":
            await self._invalid_call(
                "channelEndpointUnknown",
                f"Received channelCreate for unknown endpoint {self.namespace}/{create.endpoint}",
                answer,
            )
            return
        if create.channel_id in self.channels:
            await self.warn(
                "channelAlreadyOpen",
                f"Received channelCreate for channelId {create.channel_id}, which is already open",
            )
            return
        creation, raw, problem = self._decode_payload(
            endpoint.creation_parameter,
            create.creation_parameter,
            "creationParameter",
            optional="creationParameter" in endpoint.optional,
        )
        if problem is not None:
            await self._invalid_call(
                "channelCreationParameterTypeError",
                f"Received channelCreate {self.namespace}/{create.endpoint}: {problem}",
                answer,
            )
            return
        channel = Channel(self, create.endpoint, create.channel_id)
        self.channels[create.channel_id] = channel
        self.ended_channels.discard(create.channel_id)
        channel.task = self.spawn(self.run_channel(channel, creation, raw))

    async def run_channel(self, channel: Channel, creation: Any, raw: Any) -> None:
        plan: FaultPlan = self.core.faults.take(self.namespace, channel.name)
        if plan.silence:
            return  # stays open: packets are accepted, nothing is ever sent
        ended = False
        try:
            if plan.delay:
                await asyncio.sleep(plan.delay)
            if plan.drop_after == 0:
                self.abort()
                return
            channel.drop_after = plan.drop_after
            if plan.error is not None:
                error: dict[str, Any] | None = plan.error
            else:
                error = None
                try:
                    await self.core.run_channel(channel, creation, raw)
                except FakeServerError as exc:
                    error = exc.to_wire()
            ended = True
            self.end_channel(channel.channel_id)
            if channel.drop_after is not None:
                self.abort()  # it ended before its packets-th packet
                return
            if error is not None:
                await self.send(
                    _encode(
                        wire.ChannelError(
                            channel_id=channel.channel_id, error=msgspec.Raw(_encode(error))
                        )
                    )
                )
            else:
                await self.send(_encode(wire.ChannelClose(channel_id=channel.channel_id)))
        except (ConnectionClosed, ConnectionDropped):
            pass
        except Exception as exc:
            _log.exception("fake server: channel %s/%s failed", self.namespace, channel.name)
            if not ended:
                self.end_channel(channel.channel_id)
                error = FakeServerError(f"Internal error in the fake server: {exc!r}").to_wire()
                with contextlib.suppress(ConnectionClosed, ConnectionDropped):
                    await self.send(
                        _encode(
                            wire.ChannelError(
                                channel_id=channel.channel_id, error=msgspec.Raw(_encode(error))
                            )
                        )
                    )
        finally:
            if not ended:
                self.end_channel(channel.channel_id)

    def end_channel(self, channel_id: int) -> None:
        if self.channels.pop(channel_id, None) is not None:
            self.ended_channels.add(channel_id)

    async def on_channel_send(self, send: wire.ChannelSend) -> None:
        channel = self.channels.get(send.channel_id)
        if channel is None:
            if send.channel_id in self.ended_channels and _is_stop_packet(send.message):
                _log.debug("ignoring a cancel for channel %d, which already ended", send.channel_id)
                return
            await self.warn(
                "channelUnknown", f"Received channelSend for unknown channelId {send.channel_id}"
            )
            return
        endpoint = self.core.endpoint(self.namespace, channel.name)
        assert endpoint is not None
        _, raw, problem = self._decode_payload(endpoint.to_server_packet, send.message, "message")
        if problem is not None:
            await self.warn(
                "channelMessageTypeError",
                f"Received channelSend on channel {send.channel_id} ({self.namespace}/{channel.name}): {problem}",
            )
            return
        if raw.get("type") in ("cancel", "stop"):
            channel.cancelled.set()
        channel.inbox.put_nowait(raw)


_SMALL_HEADERS = [bytes((0x81, n)) for n in range(126)]


def _text_header(length: int) -> bytes:
    """The header of a complete, unmasked text frame of ``length`` bytes."""
    if length < 126:
        return _SMALL_HEADERS[length]
    if length < 1 << 16:
        return b"\x81\x7e" + length.to_bytes(2, "big")
    return b"\x81\x7f" + length.to_bytes(8, "big")


def _is_stop_packet(message: msgspec.Raw) -> bool:
    try:
        raw = msgspec.json.decode(message)
    except ValueError:
        return False
    return isinstance(raw, dict) and raw.get("type") in ("cancel", "stop")
