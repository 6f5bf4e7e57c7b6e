"""The lifecycle of one channel. Every state transition lives in this file.

Theory of operation
-------------------
A channel is opened by the client (``channelCreate``) and ended only by the server
(``channelClose`` or ``channelError``): the protocol has no client-side close. The
client can ask the server to stop with an endpoint packet such as
``{"type": "cancel"}``, and the server then still ends the channel itself, possibly
with a final value (a cancelled prediction ends with ``success`` and stop reason
``userStopped``).

So the client-side view has three live states and three terminal ones::

    OPEN ──packet──▶ STREAMING ──close with a final value──▶ FINISHED
      │                  │      ──close without one / error──▶ FAILED
      │                  │      ──timeout / connection lost──▶ FAILED
      └──────cancel──────┴──▶ CANCELLING ──close with a final value──▶ FINISHED
                                          ──anything else──────────▶ CANCELLED

Rules
-----
1. Terminal states (FINISHED, CANCELLED, FAILED) never change; later events are
   ignored (the multiplexer drops late packets of a channel quietly until the server
   ends it, so a timed-out or abandoned channel leaves no noise).
2. A packet in OPEN or STREAMING becomes an item; in CANCELLING it still reaches the
   feature's state object (which may be waiting for the final packet) but is not
   handed to the consumer.
3. CANCEL moves to CANCELLING when the endpoint has a cancel packet to send; ABANDON
   (no such packet) resolves as CANCELLED at once and the server is left to finish.
4. While CANCELLING, only a final value wins: an error, a close without a value, a
   timeout or a lost connection all resolve as CANCELLED, because the user asked for
   it.
5. A TIMEOUT in OPEN or STREAMING fails the channel and the multiplexer sends the
   cancel packet, so no channel is left half-open on the server.

This module is pure: no I/O, no futures. :func:`transition` is the whole state machine.
"""

from __future__ import annotations

import enum

__all__ = ["TERMINAL", "ChannelEvent", "ChannelState", "transition"]


class ChannelState(enum.Enum):
    OPEN = "open"
    STREAMING = "streaming"
    CANCELLING = "cancelling"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ChannelEvent(enum.Enum):
    PACKET = "packet"  # a channelSend from the server
    RESULT_CLOSE = "result close"  # channelClose, and the feature state has a final value
    EMPTY_CLOSE = "empty close"  # channelClose without a final value
    ERROR = "error"  # channelError, or a packet this client cannot decode
    CANCEL = "cancel"  # the consumer cancelled; a cancel packet is sent
    ABANDON = "abandon"  # the consumer cancelled; the endpoint has no cancel packet
    TIMEOUT = "timeout"  # no message within the inactivity timeout
    LOST = "lost"  # the connection dropped or the client closed


OPEN = ChannelState.OPEN
STREAMING = ChannelState.STREAMING
CANCELLING = ChannelState.CANCELLING
FINISHED = ChannelState.FINISHED
CANCELLED = ChannelState.CANCELLED
FAILED = ChannelState.FAILED

TERMINAL = frozenset({FINISHED, CANCELLED, FAILED})

_LIVE = {
    ChannelEvent.PACKET: STREAMING,
    ChannelEvent.RESULT_CLOSE: FINISHED,
    ChannelEvent.EMPTY_CLOSE: FAILED,
    ChannelEvent.ERROR: FAILED,
    ChannelEvent.CANCEL: CANCELLING,
    ChannelEvent.ABANDON: CANCELLED,
    ChannelEvent.TIMEOUT: FAILED,
    ChannelEvent.LOST: FAILED,
}

_CANCELLING = {
    ChannelEvent.PACKET: CANCELLING,
    ChannelEvent.RESULT_CLOSE: FINISHED,
    ChannelEvent.EMPTY_CLOSE: CANCELLED,
    ChannelEvent.ERROR: CANCELLED,
    ChannelEvent.CANCEL: CANCELLING,
    ChannelEvent.ABANDON: CANCELLED,
    ChannelEvent.TIMEOUT: CANCELLED,
    ChannelEvent.LOST: CANCELLED,
}

_TABLE: dict[ChannelState, dict[ChannelEvent, ChannelState]] = {
    OPEN: _LIVE,
    STREAMING: _LIVE,
    CANCELLING: _CANCELLING,
    FINISHED: dict.fromkeys(ChannelEvent, FINISHED),
    CANCELLED: dict.fromkeys(ChannelEvent, CANCELLED),
    FAILED: dict.fromkeys(ChannelEvent, FAILED),
}


def transition(state: ChannelState, event: ChannelEvent) -> ChannelState:
    """The state after ``event`` in ``state`` (total: every pair has an answer)."""
    return _TABLE[state][event]
