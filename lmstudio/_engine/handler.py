"""What a feature plugs into a channel: a sans-I/O state object.

The engine decodes each ``channelSend`` of a channel into the endpoint's generated
packet type and hands it to the channel's :class:`ChannelHandler`. The handler turns
packets into events for the consumer and, when the server closes the channel, into
the final value. It runs on the engine loop: it must be quick, must not block, and
must never call user code (user callbacks go in the stream's ``consume`` hook, which
runs where the stream is consumed).
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Final, Generic, TypeVar

from ..errors import LMStudioServerError

__all__ = ["SKIP", "ChannelHandler", "Skip"]

E = TypeVar("E")
R = TypeVar("R")

CANCEL_PACKET: dict[str, Any] = {"type": "cancel"}


class Skip(enum.Enum):
    """Type of :data:`SKIP`."""

    SKIP = enum.auto()


SKIP: Final = Skip.SKIP
"""Returned by a ``consume`` hook for an event that is not an item."""


class ChannelHandler(Generic[E, R]):
    """Turns one channel's packets into events and a final value (engine loop, no I/O).

    The default passes every packet through as an event and ends with ``None``.
    """

    cancel_packet: ClassVar[Any] = CANCEL_PACKET
    """The to-server packet that asks the server to stop; ``None``: not cancellable."""

    def packet(self, packet: Any) -> E | list[E] | None:
        """The consumer's event(s) for one decoded packet: one, a list, or ``None``.

        (So an event is never itself a ``list``.)
        """
        return packet  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Called when the cancel packet is sent (e.g. to drop later fragments)."""

    def close(self) -> R:
        """The final value, when the server closes the channel.

        Raise an :class:`~lmstudio.LMStudioError` if the channel ended without one;
        the stream then fails with it (or resolves as cancelled after a cancel).
        """
        return None  # type: ignore[return-value]

    def error(self, error: LMStudioServerError) -> BaseException:
        """The exception for a ``channelError`` (e.g. to pick a subclass)."""
        return error
