"""Sans-I/O multiplexing of rpc calls and channels over one namespace connection.

Like websockets' ``Protocol``: messages go in (:meth:`Multiplexer.receive`), calls and
streams get settled, and the bytes to send are collected (:meth:`data_to_send`).
There is no socket and no ``await``; the asyncio side (``connection.py``) only moves
text frames, so this class is tested directly. It knows calls and streams only through
the interface of ``settle.py`` (a :class:`~.settle.Settle` per rpc, a
:class:`~.settle.Sink` per channel), never as ``Call`` / ``Stream``.

Responsibilities:

- id allocation: ``callId`` and ``channelId`` are two counters from 1, per connection;
- routing of ``rpcResult`` / ``rpcError`` by ``callId`` and of ``channelSend`` /
  ``channelClose`` / ``channelError`` by ``channelId``;
- decoding of payloads straight into the endpoint's generated types, and of
  ``serializedLMSExtendedError`` into typed exceptions;
- inactivity timeouts (through an injected ``schedule``/``clock``): a timed-out rpc's
  late answer is dropped quietly, a timed-out channel is cancelled on the server;
- tolerance: unknown ids and unknown message or packet kinds from a newer server are
  logged and skipped; a ``communicationWarning`` (the server did not understand us) is
  logged as an error;
- acknowledgements: a server packet carrying ``ackId`` is answered with ``channelAck``
  (the server's ``channelAck`` needs nothing: this client never asks for one);
- failure of everything in flight at once when the connection is lost.

Channel lifecycles follow ``channel_state.py``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import msgspec

from ..errors import (
    LMStudioProtocolError,
    LMStudioServerError,
    LMStudioTimeoutError,
    server_error_from_payload,
)
from . import tolerance, wire
from .boundary import translate
from .channel_state import TERMINAL, ChannelEvent, ChannelState, transition
from .decoders import Decoder, decode_items
from .entries import Channel, Rpc, Schedule, Timer, cancel_timer
from .handler import ChannelHandler
from .settle import Settle, Sink

__all__ = ["Multiplexer", "Timer"]

logger = logging.getLogger("lmstudio.engine")

_decode_envelope = wire.server_message_decoder.decode
_encode = wire.encoder.encode
_UNSET = msgspec.UNSET
_RPC_KINDS = tolerance.RPC_KINDS

_OPEN = ChannelState.OPEN
_STREAMING = ChannelState.STREAMING
_CANCELLING = ChannelState.CANCELLING


class _PacketKind(msgspec.Struct):
    type: str


_decode_kind = msgspec.json.Decoder(_PacketKind).decode


class Multiplexer:
    """Calls and channels of one namespace connection (no I/O; see the module docstring).

    ``clock`` gives the current time in seconds and ``schedule(delay, callback)`` runs
    ``callback`` after ``delay`` seconds, returning something with ``cancel()``; the
    asyncio side passes ``loop.time`` and ``loop.call_later``. Without ``schedule``,
    timeouts are not enforced. The clock is read once per batch of received messages
    (a batch ends with :meth:`wake_consumers`), not once per message.
    """

    def __init__(
        self,
        namespace: str,
        *,
        clock: Callable[[], float] | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        self.namespace = namespace
        self._clock = clock or time.monotonic
        self._schedule = schedule
        self._next_call_id = 1
        self._next_channel_id = 1
        self._calls: dict[int, Rpc] = {}
        self._channels: dict[int, Channel] = {}
        self._dropped_calls: set[int] = set()
        self._outgoing: list[bytes] = []
        self._to_wake: list[Channel] = []
        self._logged_kinds: set[str] = set()
        self._warnings = tolerance.WarningBudget(logger)
        self._batch_time: float | None = None  # the clock at the batch's first message

    # --- introspection -------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Calls and live channels waiting for the server."""
        live = sum(1 for ch in self._channels.values() if ch.state not in TERMINAL)
        return len(self._calls) + live

    def data_to_send(self) -> list[bytes]:
        """The text messages to send, in order (and forget them)."""
        out, self._outgoing = self._outgoing, []
        return out

    # --- client side ---------------------------------------------------------------------

    def start_rpc(
        self,
        settle: Settle,
        endpoint: str,
        parameter: msgspec.Raw | None,
        decoder: Decoder | None,
        *,
        transform: Callable[[Any], Any] | None = None,
        timeout: float | None = None,
    ) -> int:
        """Queue an ``rpcCall``, settled later with the decoded, transformed result.

        Args:
            settle: the call's engine face (``settle.py``).
            endpoint: the endpoint's name in this namespace.
            parameter: the encoded parameter; ``None``: none.
            decoder: decodes the result into its generated type; ``None``: no result.
            transform: applied to the decoded result (on this thread: quick, no user code).
            timeout: seconds without an answer until ``LMStudioTimeoutError``; ``None``: no limit.

        Returns: the ``callId``.
        """
        call_id = self._next_call_id
        self._next_call_id = call_id + 1
        message = wire.RpcCall(
            endpoint=endpoint, call_id=call_id, parameter=_UNSET if parameter is None else parameter
        )
        self._outgoing.append(_encode(message))
        entry = Rpc(settle, endpoint, decoder, transform, timeout)
        self._calls[call_id] = entry
        if timeout is not None and self._schedule is not None:
            entry.timer = self._schedule(timeout, functools.partial(self._rpc_timed_out, call_id))
        return call_id

    def start_channel(
        self,
        sink: Sink,
        endpoint: str,
        creation_parameter: msgspec.Raw | None,
        handler: ChannelHandler[Any, Any],
        decoder: Decoder,
        *,
        kinds: frozenset[str] | None = None,
        timeout: float | None = None,
        cancellable: bool = True,
    ) -> int:
        """Queue a ``channelCreate``; packets then feed ``handler``, its events ``sink``.

        Args:
            sink: the stream's engine face (``settle.py``).
            endpoint: the endpoint's name in this namespace.
            creation_parameter: the encoded creation parameter; ``None``: none.
            handler: the channel's state (``handler.py``), fresh for this channel.
            decoder: decodes each packet into the endpoint's generated packet union.
            kinds: the packet ``type`` tags ``decoder`` knows; a packet of another kind
                (a newer server's) is logged and skipped. ``None``: any is an error.
            timeout: seconds without a packet until ``LMStudioTimeoutError`` (the channel is
                then cancelled on the server); ``None``: no limit.
            cancellable: ``False`` for an endpoint that takes no packet from the client:
                cancelling abandons it, and no cancel packet is ever sent.

        Returns: the ``channelId``.
        """
        channel_id = self._next_channel_id
        self._next_channel_id = channel_id + 1
        message = wire.ChannelCreate(
            endpoint=endpoint,
            channel_id=channel_id,
            creation_parameter=_UNSET if creation_parameter is None else creation_parameter,
        )
        self._outgoing.append(_encode(message))
        cancel = handler.cancel_packet if cancellable else None
        entry = Channel(
            sink,
            endpoint,
            handler,
            decoder,
            kinds,
            None if cancel is None else _encode(cancel),
            timeout,
            self._clock() if timeout is not None else 0.0,
        )
        self._channels[channel_id] = entry
        if timeout is not None and self._schedule is not None:
            entry.timer = self._schedule(
                timeout, functools.partial(self._channel_idle_check, channel_id)
            )
        return channel_id

    def send_packet(self, channel_id: int, packet: msgspec.Raw) -> bool:
        """Queue a ``channelSend`` on a live channel; ``False`` if it is not live."""
        entry = self._channels.get(channel_id)
        if entry is None or entry.state in TERMINAL:
            return False
        self._outgoing.append(_encode(wire.ChannelSend(channel_id=channel_id, message=packet)))
        return True

    def cancel_rpc(self, call_id: int) -> None:
        """Forget a call its caller cancelled; its answer, if any, is dropped quietly."""
        entry = self._calls.pop(call_id, None)
        if entry is not None:
            cancel_timer(entry)
            self._dropped_calls.add(call_id)
            entry.settle.resolve_cancelled()

    def cancel_channel(self, channel_id: int) -> None:
        """Ask the server to stop a channel (its cancel packet), or abandon it."""
        entry = self._channels.get(channel_id)
        if entry is None or entry.state in TERMINAL:
            return
        if entry.cancel_packet is not None:
            self._advance(entry, ChannelEvent.CANCEL)
            try:
                entry.handler.cancel()
            except Exception:
                logger.exception(
                    "%s.%s: the channel handler failed", self.namespace, entry.endpoint
                )
            self._send_cancel(channel_id, entry)
        else:
            self._advance(entry, ChannelEvent.ABANDON)
        self.wake_consumers()

    def fail_all(self, make_error: Callable[[], BaseException]) -> None:
        """Fail every call and live channel (connection lost or client closed)."""
        calls, self._calls = self._calls, {}
        channels, self._channels = self._channels, {}
        self._dropped_calls.clear()
        for rpc in calls.values():
            cancel_timer(rpc)
            rpc.settle.fail(make_error())
        for channel in channels.values():
            if channel.state not in TERMINAL:
                self._advance(channel, ChannelEvent.LOST, make_error())
            cancel_timer(channel)
        self.wake_consumers()

    # --- server side ---------------------------------------------------------------------

    def receive(self, data: bytes | bytearray | memoryview) -> None:
        """Handle one text message from the server.

        Call :meth:`wake_consumers` after a batch of messages, and send
        :meth:`data_to_send`.
        """
        try:
            message = _decode_envelope(data)
        except Exception as exc:  # msgspec's errors, RecursionError (deep nesting)...
            self._unreadable(data, exc)
            return
        try:
            self._dispatch(message)
        except Exception as exc:  # the one boundary: a bug here never drops the connection
            logger.exception("lmstudio engine: could not handle a message on /%s", self.namespace)
            self._unreadable(data, exc)  # and the call it names (if still in flight) fails

    def _dispatch(self, message: Any) -> None:
        kind = type(message)
        if kind is wire.ChannelSend:
            self._on_channel_send(message)
        elif kind is wire.RpcResult:
            self._on_rpc_result(message)
        elif kind is wire.RpcError:
            self._on_rpc_error(message)
        elif kind is wire.ChannelClose:
            self._on_channel_close(message)
        elif kind is wire.ChannelError:
            self._on_channel_error(message)
        elif kind is wire.CommunicationWarning:
            logger.error(
                "LM Studio could not process a message from this client on /%s: %s",
                self.namespace,
                message.warning,
            )
        elif kind is wire.ChannelAck:
            logger.debug("ignoring channelAck on /%s (no acks are requested)", self.namespace)
        else:
            logger.debug("ignoring %s on /%s", kind.__name__, self.namespace)

    def wake_consumers(self) -> None:
        """Wake the consumers of streams that received events since the last call."""
        self._batch_time = None
        to_wake, self._to_wake = self._to_wake, []
        for channel in to_wake:
            channel.to_wake = False
            channel.sink.wake()

    # --- rpc -----------------------------------------------------------------------------

    def _on_rpc_result(self, message: wire.RpcResult) -> None:
        entry = self._calls.pop(message.call_id, None)
        if entry is None:
            self._unknown_call(message.call_id, "rpcResult")
            return
        if entry.timer is not None:
            entry.timer.cancel()
        result = message.result
        value: Any = None
        try:
            if entry.decoder is not None and result is not _UNSET:
                try:
                    value = entry.decoder.decode(result)
                except msgspec.ValidationError:
                    value = self._lenient_items(entry, result)
                    if value is None:
                        raise
            if entry.transform is not None:
                value = entry.transform(value)
        except Exception as exc:  # also RecursionError from a deeply nested result
            what = f"the {self.namespace}.{entry.endpoint} result could not be decoded"
            entry.settle.fail(_typed(exc, what))
            return
        entry.settle.resolve(value)

    def _lenient_items(self, entry: Rpc, result: msgspec.Raw) -> list[Any] | None:
        """A list result that did not decode whole: its readable items, with one warning."""
        assert entry.decoder is not None
        found = decode_items(entry.decoder, result)
        if found is None:
            return None
        items, skipped = found
        tolerance.unknown(
            logger,
            "%s.%s: skipped %d of %d listed items this SDK cannot read (a newer LM Studio?)",
            self.namespace,
            entry.endpoint,
            skipped,
            skipped + len(items),
        )
        return items

    def _on_rpc_error(self, message: wire.RpcError) -> None:
        entry = self._calls.pop(message.call_id, None)
        if entry is None:
            self._unknown_call(message.call_id, "rpcError")
            return
        cancel_timer(entry)
        entry.settle.fail(_server_error(message.error))

    def _rpc_timed_out(self, call_id: int) -> None:
        entry = self._calls.pop(call_id, None)
        if entry is None:
            return
        self._dropped_calls.add(call_id)
        entry.settle.fail(
            LMStudioTimeoutError(
                f"{self.namespace}.{entry.endpoint}: no answer from LM Studio within "
                f"{entry.timeout:g} s"
            )
        )

    def _unknown_call(self, call_id: int, what: str) -> None:
        if call_id in self._dropped_calls:
            self._dropped_calls.discard(call_id)
            logger.debug("dropping late %s for call %d on /%s", what, call_id, self.namespace)
        else:
            logger.warning("ignoring %s for unknown call %d on /%s", what, call_id, self.namespace)

    # --- channels ------------------------------------------------------------------------

    def _on_channel_send(self, message: wire.ChannelSend) -> None:
        entry = self._channels.get(message.channel_id)
        if entry is None:
            self._unknown_channel(message.channel_id, "channelSend")
            return
        if message.ack_id is not _UNSET:  # the server waits for this (no endpoint does so yet)
            ack = wire.ChannelAck(channel_id=message.channel_id, ack_id=message.ack_id)
            self._outgoing.append(_encode(ack))
        state = entry.state
        # (Identity tests: an enum member's hash, for a set lookup, is a Python call.)
        if state is not _STREAMING and state is not _OPEN and state is not _CANCELLING:
            return  # a timed-out or abandoned channel: the server has not ended it yet
        if entry.timeout is not None:
            now = self._batch_time
            if now is None:
                now = self._batch_time = self._clock()
            entry.last = now
        try:
            packet = entry.decoder.decode(message.message)
        except Exception as exc:  # also RecursionError from a deeply nested packet
            self._undecodable_packet(message, entry, exc)
            return
        try:
            event = entry.handler.packet(packet)
        except Exception as exc:
            what = f"a {self.namespace}.{entry.endpoint} packet could not be handled"
            self._fail_live_channel(message.channel_id, entry, _typed(exc, what))
            return
        if state is _CANCELLING:
            return
        if state is _OPEN:
            entry.state = _STREAMING
        if event is not None:
            if type(event) is list:
                if not event:
                    return
                entry.sink.push_many(event)
            else:
                entry.sink.push(event)
            if not entry.to_wake:
                entry.to_wake = True
                self._to_wake.append(entry)

    def _undecodable_packet(
        self, message: wire.ChannelSend, entry: Channel, exc: Exception
    ) -> None:
        if entry.kinds is not None and isinstance(exc, msgspec.ValidationError):
            try:
                kind = _decode_kind(message.message).type
            except Exception:
                kind = None
            if kind is not None and kind not in entry.kinds:
                key = f"{entry.endpoint}:{kind}"
                if key not in self._logged_kinds:
                    self._logged_kinds.add(key)
                    tolerance.unknown(
                        logger,
                        "skipping %r packets on %s.%s: this SDK does not know that kind "
                        "(a newer LM Studio?)",
                        kind,
                        self.namespace,
                        entry.endpoint,
                    )
                return
        what = f"a {self.namespace}.{entry.endpoint} packet could not be decoded"
        self._fail_live_channel(message.channel_id, entry, _typed(exc, what))

    def _on_channel_close(self, message: wire.ChannelClose) -> None:
        entry = self._channels.pop(message.channel_id, None)
        if entry is None:
            self._unknown_channel(message.channel_id, "channelClose")
            return
        cancel_timer(entry)
        if entry.state in TERMINAL:
            return
        try:
            result = entry.handler.close()
        except Exception as exc:
            self._advance(entry, ChannelEvent.EMPTY_CLOSE, exc)
        else:
            self._advance(entry, ChannelEvent.RESULT_CLOSE, result=result)

    def _on_channel_error(self, message: wire.ChannelError) -> None:
        entry = self._channels.pop(message.channel_id, None)
        if entry is None:
            self._unknown_channel(message.channel_id, "channelError")
            return
        cancel_timer(entry)
        if entry.state in TERMINAL:
            return
        server_error = _server_error(message.error)
        try:
            error = entry.handler.error(server_error)
        except Exception as exc:
            error = exc
        self._advance(entry, ChannelEvent.ERROR, error)

    def _channel_idle_check(self, channel_id: int) -> None:
        entry = self._channels.get(channel_id)
        if entry is None or entry.state in TERMINAL or entry.timeout is None:
            return
        idle = self._clock() - entry.last
        if idle < entry.timeout and self._schedule is not None:
            entry.timer = self._schedule(
                entry.timeout - idle, functools.partial(self._channel_idle_check, channel_id)
            )
            return
        entry.timer = None
        error = LMStudioTimeoutError(
            f"{self.namespace}.{entry.endpoint}: nothing received from LM Studio for "
            f"{entry.timeout:g} s"
        )
        was_live = entry.state is not _CANCELLING
        self._advance(entry, ChannelEvent.TIMEOUT, error)
        if was_live:
            self._send_cancel(channel_id, entry)
        self.wake_consumers()

    def _fail_live_channel(self, channel_id: int, entry: Channel, error: BaseException) -> None:
        """This side cannot go on with a channel: fail it and stop it on the server."""
        was_live = entry.state is not _CANCELLING
        self._advance(entry, ChannelEvent.ERROR, error)
        if was_live:
            self._send_cancel(channel_id, entry)
        cancel_timer(entry)
        self.wake_consumers()

    def _send_cancel(self, channel_id: int, entry: Channel) -> None:
        if entry.cancel_packet is not None:
            message = wire.ChannelSend(
                channel_id=channel_id, message=msgspec.Raw(entry.cancel_packet)
            )
            self._outgoing.append(_encode(message))

    def _advance(
        self,
        entry: Channel,
        event: ChannelEvent,
        error: BaseException | None = None,
        *,
        result: Any = None,
    ) -> None:
        """Apply ``event`` (channel_state rules) and settle the stream if it ended."""
        new = transition(entry.state, event)
        entry.state = new
        sink = entry.sink
        if new is ChannelState.FINISHED:
            sink.resolve(result)
        elif new is ChannelState.FAILED:
            sink.fail(error or LMStudioProtocolError(f"{self.namespace}.{entry.endpoint} failed"))
        elif new is ChannelState.CANCELLED:
            sink.resolve_cancelled()

    def _unknown_channel(self, channel_id: int, what: str) -> None:
        logger.warning(
            "ignoring %s for unknown channel %d on /%s", what, channel_id, self.namespace
        )

    def _unreadable(self, data: bytes | bytearray | memoryview, exc: Exception) -> None:
        """An envelope that did not decode: skip it, or fail the call it names (tolerance.py)."""
        kind, call_id, channel_id = tolerance.address(data)
        if kind is not None and kind not in tolerance.KNOWN_KINDS:
            if kind not in self._logged_kinds:
                self._logged_kinds.add(kind)
                tolerance.unknown(
                    logger,
                    "ignoring %r messages on /%s: unknown to this SDK (a newer LM Studio?)",
                    kind,
                    self.namespace,
                )
            return
        why = tolerance.reason(exc)
        what = kind or "message"
        rpc = self._calls.get(call_id) if call_id is not None and kind in _RPC_KINDS else None
        channel = self._channels.get(channel_id) if channel_id is not None and rpc is None else None
        if channel is not None and channel.state in TERMINAL:
            channel = None
        if rpc is not None:
            target = f"call {call_id} ({self.namespace}.{rpc.endpoint})"
        elif channel is not None:
            target = f"channel {channel_id} ({self.namespace}.{channel.endpoint})"
        else:
            target = "no call in flight"
        self._warnings.warn(
            "unreadable %s from LM Studio on /%s, for %s: %s", what, self.namespace, target, why
        )
        error = LMStudioProtocolError(f"LM Studio sent an unreadable {what} for {target} ({why})")
        if isinstance(exc, (msgspec.ValidationError, msgspec.DecodeError)):
            error.__cause__ = exc.with_traceback(None)
        if rpc is not None and call_id is not None:
            del self._calls[call_id]
            cancel_timer(rpc)
            rpc.settle.fail(error)
        elif channel is not None and channel_id is not None:
            self._fail_live_channel(channel_id, channel, error)


def _server_error(raw: msgspec.Raw) -> LMStudioServerError:
    try:
        payload = msgspec.json.decode(raw)
    except Exception:  # pragma: no cover - the envelope already parsed it
        payload = None
    try:
        return server_error_from_payload(payload)
    except Exception:  # a shape no rule foresaw: the error still reaches its call, typed
        return server_error_from_payload(None)


def _typed(exc: BaseException, what: str) -> BaseException:
    """``exc`` as an ``LMStudioError`` (decoding failures: ``LMStudioProtocolError``)."""
    reason = tolerance.reason(exc) if isinstance(exc, (RecursionError, MemoryError)) else None
    if reason is not None:
        error = LMStudioProtocolError(f"{what} ({reason})")
        error.__cause__ = None
        return error
    return translate(exc, what, fallback=LMStudioProtocolError)
