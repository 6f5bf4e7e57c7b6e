"""What the multiplexer does with a message it cannot read (no I/O, no state of its own).

Rules (the multiplexer applies them; nothing here settles a call):

- Any failure to decode a server message is caught where the message is decoded:
  msgspec's errors, and also ``RecursionError`` (deep nesting) or ``MemoryError``. It
  never escapes into asyncio, so it never drops the connection.
- A message of a kind this SDK does not know (a newer server's) is skipped, logged once
  per kind.
- A message of a known kind that does not decode (a wrong type in its envelope, such as
  ``"callId": "1"``, or nesting too deep to decode) is logged as a warning, each time,
  rate-limited (:class:`WarningBudget`); if it names a call or channel in flight
  (:func:`address`), that one fails with :class:`~lmstudio.LMStudioProtocolError`,
  and nothing else does.
- :func:`address` reads the kind and the ids leniently: through a permissive struct
  when the JSON parses, else by pattern on the raw bytes (a message too deeply nested
  for the decoder still names its call).
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable
from typing import Any

import msgspec

from ..errors import LMStudioUnknownMessageWarning
from . import wire

__all__ = ["KNOWN_KINDS", "RPC_KINDS", "WarningBudget", "address", "reason", "unknown"]

KNOWN_KINDS: frozenset[str] = frozenset(
    str(member.__struct_config__.tag)
    for member in (
        wire.RpcResult,
        wire.RpcError,
        wire.ChannelSend,
        wire.ChannelAck,
        wire.ChannelClose,
        wire.ChannelError,
        wire.SignalUpdate,
        wire.SignalError,
        wire.WritableSignalUpdate,
        wire.WritableSignalError,
        wire.CommunicationWarning,
        wire.KeepAliveAck,
    )
)
"""The ``type`` tags of every server message this SDK decodes."""

RPC_KINDS = frozenset({"rpcResult", "rpcError"})
CHANNEL_KINDS = frozenset({"channelSend", "channelClose", "channelError", "channelAck"})


class _Address(msgspec.Struct, rename="camel"):
    type: Any = None
    call_id: Any = None
    channel_id: Any = None


_decode_address = msgspec.json.Decoder(_Address).decode
_TYPE = re.compile(rb'"type"\s*:\s*"([A-Za-z]{1,64})"')
_ID = re.compile(rb'"(callId|channelId)"\s*:\s*"?\s*(\d{1,18})')
_PROBE = 4096  # the envelope's keys come first; a pattern probe reads no further


def address(data: bytes | bytearray | memoryview) -> tuple[str | None, int | None, int | None]:
    """``(type, callId, channelId)`` of a message that did not decode (``None``: unknown).

    Ids sent with the wrong type (``"1"``, ``1.0``) are read as the integers they name.
    """
    try:
        found = _decode_address(data)
    except Exception:  # not JSON, or too deep for the decoder: read the bytes
        head = bytes(data[:_PROBE])
        kind_match = _TYPE.search(head)
        ids = {m.group(1): int(m.group(2)) for m in _ID.finditer(head)}
        kind = kind_match.group(1).decode() if kind_match else None
        return kind, ids.get(b"callId"), ids.get(b"channelId")
    kind = found.type if isinstance(found.type, str) else None
    return kind, _as_id(found.call_id), _as_id(found.channel_id)


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def reason(exc: BaseException) -> str:
    """A short, log-safe reason for a decoding failure."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to decode"
    if isinstance(exc, MemoryError):
        return "too large to decode"
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


class WarningBudget:
    """Rate-limits warnings: at most ``burst`` per ``window`` seconds, then a count.

    When a window with suppressed warnings ends, the next warning first logs how many
    were suppressed.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 10,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._burst = burst
        self._window = window
        self._clock = clock
        self._start = -window
        self._used = 0
        self.suppressed = 0
        self.total = 0

    def warn(self, message: str, *args: object) -> None:
        """Log ``message % args`` as a warning, unless this window's budget is spent."""
        self.total += 1
        now = self._clock()
        if now - self._start >= self._window:
            if self.suppressed:
                self._logger.warning(
                    "%d similar warnings were suppressed in the last %g s",
                    self.suppressed,
                    self._window,
                )
            self._start, self._used, self.suppressed = now, 0, 0
        if self._used < self._burst:
            self._used += 1
            self._logger.warning(message, *args)
        else:
            self.suppressed += 1


def unknown(logger: logging.Logger, message: str, *args: object) -> None:
    """Report something a newer server sent that this SDK cannot read (once per kind).

    Logged as a warning and issued as a :class:`~lmstudio.LMStudioUnknownMessageWarning`
    (the official SDK's category), which ``warnings.filterwarnings`` can silence.
    """
    logger.warning(message, *args)
    warnings.warn(message % args, LMStudioUnknownMessageWarning, stacklevel=2)
