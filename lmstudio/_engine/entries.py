"""The multiplexer's records of one rpc call and one channel in flight (no I/O).

Only ``multiplexer.py`` creates and changes them; a channel's ``state`` follows the
rules of ``channel_state.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .channel_state import ChannelState
from .decoders import Decoder
from .handler import ChannelHandler
from .settle import Settle, Sink

__all__ = ["Channel", "RearmableTimer", "Rpc", "Schedule", "Timer", "cancel_timer"]

if TYPE_CHECKING:
    import asyncio

_OPEN = ChannelState.OPEN


class Timer(Protocol):
    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], Timer]


class Rpc:
    __slots__ = ("decoder", "endpoint", "settle", "timeout", "timer", "transform")

    def __init__(
        self,
        settle: Settle,
        endpoint: str,
        decoder: Decoder | None,
        transform: Callable[[Any], Any] | None,
        timeout: float | None,
    ) -> None:
        self.settle = settle
        self.endpoint = endpoint
        self.decoder = decoder
        self.transform = transform
        self.timeout = timeout
        self.timer: Timer | None = None


class Channel:
    __slots__ = (
        "cancel_packet",
        "decoder",
        "endpoint",
        "handler",
        "kinds",
        "last",
        "sink",
        "state",
        "timeout",
        "timer",
        "to_wake",
    )

    def __init__(
        self,
        sink: Sink,
        endpoint: str,
        handler: ChannelHandler[Any, Any],
        decoder: Decoder,
        kinds: frozenset[str] | None,
        cancel_packet: bytes | None,
        timeout: float | None,
        now: float,
    ) -> None:
        self.sink = sink
        self.endpoint = endpoint
        self.handler = handler
        self.decoder = decoder
        self.kinds = kinds
        self.cancel_packet = cancel_packet
        self.timeout = timeout
        self.last = now
        self.state = _OPEN
        self.timer: Timer | None = None
        self.to_wake = False


def cancel_timer(entry: Rpc | Channel) -> None:
    if entry.timer is not None:
        entry.timer.cancel()
        entry.timer = None


class RearmableTimer:
    """A connection's timer, re-armed while reads catch up (``Connection._timer_fired``)."""

    __slots__ = ("callback", "cancelled", "handle", "when")

    def __init__(self, callback: Callable[[], None], when: float) -> None:
        self.callback = callback
        self.when = when
        self.cancelled = False
        self.handle: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        self.cancelled = True
        if self.handle is not None:
            self.handle.cancel()
