"""Payloads every worker builds identically (the official SDK's worker repeats them)."""

from __future__ import annotations

__all__ = ["filler", "image_bytes"]

_WORDS = "the quick brown fox jumps over the lazy dog "
_PNG = b"\x89PNG\r\n\x1a\n"


def filler(size: int) -> str:
    """``size`` characters of plain words (a large chat message)."""
    return (_WORDS * (size // len(_WORDS) + 1))[:size]


def image_bytes(size: int) -> bytes:
    """``size`` bytes: a PNG signature then filler (what the server sniffs as an image)."""
    body = bytes(range(256)) * ((size - len(_PNG)) // 256 + 1)
    return _PNG + body[: size - len(_PNG)]
