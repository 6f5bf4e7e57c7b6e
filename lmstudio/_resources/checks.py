"""Argument checks the namespaces and handles share (raised before anything is sent)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from msgspec import UNSET

from ..errors import LMStudioValueError

__all__ = ["check_key", "device_identifier", "texts_of", "ttl_ms"]


def device_identifier(device: object) -> Any:
    """A ``device=`` argument as the wire's ``deviceIdentifier`` (absent for ``None``).

    Raises:
        LMStudioValueError: not a non-empty string.
    """
    if device is None:
        return UNSET
    check_key(device, "device identifier")
    return device


def ttl_ms(ttl: object) -> int:
    """A ``ttl`` in seconds as the protocol's milliseconds.

    Raises:
        LMStudioValueError: not a positive number.
    """
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0:
        raise LMStudioValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")
    return max(1, round(ttl * 1000))


def check_key(value: object, what: str) -> None:
    """Raise :class:`~lmstudio.LMStudioValueError` unless ``value`` is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise LMStudioValueError(f"The {what} must be a non-empty string, not {value!r}")


def texts_of(texts: Iterable[str], what: str) -> list[str]:
    """The strings of ``texts`` as a list.

    Raises:
        LMStudioValueError: an item is not a string.
    """
    found = list(texts)
    for text in found:
        if not isinstance(text, str):
            raise LMStudioValueError(
                f"{what} takes a string or an iterable of strings, found {type(text).__name__}"
            )
    return found
