"""The WebSocket fast path: text frames read and written without websockets' objects.

websockets' sans-I/O ``ClientProtocol`` parses the handshake and every frame it is
given, through a stack of generators and one ``Frame`` object per frame: the costliest
step of receiving a stream of small messages. Once a connection is open, the
connection (``connection.py``) uses the functions here instead, for the one kind of
frame LM Studio sends all the time:

- :func:`read_frames` walks a buffer of frames, hands the payload of each final,
  unmasked text frame without extension bits to ``on_text`` (the multiplexer), and
  every other frame (ping, pong, close, a fragment, binary, anything invalid) *whole*
  to ``on_frame``, which gives it to websockets. As websockets then only ever gets
  complete frames, its parser stays at a frame boundary.
- :func:`text_frames` frames outgoing text messages with masking keys the caller
  draws (:class:`MaskingKeys`, ``os.urandom`` in bulk), as websockets' ``send_text``
  would, without its per-frame objects and copies.
- :func:`fast_path_ok` is the one check that decides between this path and websockets'
  own parser. It looks at websockets internals (the reader's buffer and the generator
  its parser is suspended in, see the function), so it is written to answer ``False``
  on any websockets whose internals differ: every frame then goes through websockets,
  correctly, only slower. ``pyproject.toml`` bounds ``websockets`` to the major
  versions this is tested with.

Everything here is pure (no socket, no state beyond :class:`MaskingKeys`); the tests
in ``tests/_engine/test_framing.py`` cut byte streams at every position.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .._constants import MASKING_KEY_BATCH

__all__ = ["MaskingKeys", "apply_mask", "fast_path_ok", "read_frames", "text_frames"]

_FIN_TEXT = 0x81  # FIN, no extension bits, opcode TEXT
_MASK_BIT = 0x80
_VIEW_FROM = 4096  # payloads of this size or more are handed on as views, never copied


def _apply_mask_py(data: bytes, mask: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` repeated (RFC 6455 section 5.3)."""
    size = len(data)
    if not size:
        return b""
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


def _fastest_apply_mask() -> Callable[[bytes, bytes], bytes]:
    try:  # websockets' C helper when it is there; the same result either way (tested)
        from websockets.speedups import apply_mask
    except ImportError:  # pragma: no cover - websockets without its C extension
        return _apply_mask_py
    return apply_mask


apply_mask: Callable[[bytes, bytes], bytes] = _fastest_apply_mask()
"""``apply_mask(data, mask)``: ``data`` masked (or unmasked) with a 4-byte key."""


# --- receiving ---------------------------------------------------------------------------


def read_frames(
    data: bytes,
    on_text: Callable[[bytes | memoryview], object],
    on_frame: Callable[[bytes], bool],
) -> tuple[int, int]:
    """Hand on the complete frames at the start of ``data``, in order.

    Args:
        data: received bytes, starting at a frame boundary.
        on_text: called with the payload of each final, unmasked text frame without
            extension bits (``bytes``; a ``memoryview`` of ``data`` from 4 KiB on, so a
            large payload is not copied).
        on_frame: called with each other frame, whole (header included); it returns
            whether to go on reading here (``False``: stop after this frame, e.g. the
            connection closed or a fragmented message began).

    Returns:
        ``(end, needed)``: ``data[:end]`` was handed on. If ``end < len(data)`` and
        ``needed > 0``, ``data[end:]`` is the start of a frame that is not complete
        yet, and reading again makes progress once at least ``needed`` bytes from
        ``end`` are there (the full header, then the full frame). ``needed`` is 0
        when ``on_frame`` stopped the reading (or when all of ``data`` was handed on).
    """
    end = len(data)
    pos = 0
    while end - pos >= 2:
        first = data[pos]
        second = data[pos + 1]
        length = second & 0x7F
        start = pos + 2
        if length >= 126:
            extra = 2 if length == 126 else 8
            if start + extra > end:
                return pos, extra + 2
            length = int.from_bytes(data[start : start + extra], "big")
            start += extra
        if second & _MASK_BIT:  # a server must not mask: websockets fails the connection
            start += 4
        stop = start + length
        if stop > end:
            return pos, stop - pos
        if first == _FIN_TEXT and second < _MASK_BIT:
            on_text(data[start:stop] if length < _VIEW_FROM else memoryview(data)[start:stop])
        elif not on_frame(data[pos:stop]):
            return stop, 0
        pos = stop
    return pos, (2 if pos < end else 0)


def fast_path_ok(ws: Any) -> bool:
    """Whether frames may bypass websockets' parser now (the one fallback check).

    Only when its parser waits at a frame boundary with nothing buffered, and when
    websockets does not log frames (its logger at DEBUG level: then it sees every
    frame, so that each one is logged). This reads websockets internals: its
    protocol's ``debug`` flag, its reader's ``buffer``, and which generator its parser
    is suspended in (``StreamReader.at_eof``, through ``gi_yieldfrom``). If any of them
    is missing or different, the answer is ``False`` and websockets parses every frame.

    Args:
        ws: websockets' ``ClientProtocol`` of an open connection.

    Returns:
        ``True`` if :func:`read_frames` may take over.
    """
    if _AT_EOF_CODE is None:
        return False
    try:
        if ws.debug is not False or len(ws.reader.buffer):
            return False
        generator: Any = ws.parser
        while (inner := getattr(generator, "gi_yieldfrom", None)) is not None:
            generator = inner
        return getattr(generator, "gi_code", None) is _AT_EOF_CODE
    except (AttributeError, TypeError):
        return False


def _at_eof_code() -> Any:
    try:
        from websockets.streams import StreamReader
    except ImportError:  # pragma: no cover - another websockets layout
        return None
    return getattr(getattr(StreamReader, "at_eof", None), "__code__", None)


_AT_EOF_CODE = _at_eof_code()


# --- sending -----------------------------------------------------------------------------


def text_frames(messages: list[bytes], keys: bytes) -> list[bytes]:
    """Client text frames of ``messages``, as websockets' ``send_text`` makes them.

    Args:
        messages: UTF-8 payloads, one frame each (final, opcode TEXT, masked).
        keys: the masking keys, 4 random bytes per message, in order.

    Returns:
        Chunks to write in order: one per small message; a header and a payload for a
        message of 126 bytes or more (so a large payload is never joined to a header).
    """
    frames: list[bytes] = []
    at = 0
    for message in messages:
        mask = keys[at : at + 4]
        at += 4
        length = len(message)
        if length < 126:
            frames.append(bytes((_FIN_TEXT, _MASK_BIT | length)) + mask + apply_mask(message, mask))
            continue
        if length < 65536:
            header = b"\x81\xfe" + length.to_bytes(2, "big")
        else:
            header = b"\x81\xff" + length.to_bytes(8, "big")
        frames.append(header + mask)
        frames.append(apply_mask(message, mask))
    return frames


class MaskingKeys:
    """Masking keys for client frames, drawn from ``os.urandom`` in bulk.

    Args:
        batch: random bytes drawn at a time (512: 128 frames; small per connection).
    """

    __slots__ = ("_at", "_batch", "_pool")

    def __init__(self, batch: int = MASKING_KEY_BATCH) -> None:
        self._batch = batch
        self._pool = b""
        self._at = 0

    def take(self, count: int) -> bytes:
        """``4 * count`` fresh random bytes: the keys of ``count`` frames."""
        size = 4 * count
        at = self._at
        if at + size > len(self._pool):
            self._pool, at = os.urandom(max(self._batch, size)), 0
        self._at = at + size
        return self._pool[at : at + size]
