"""Defaults of the public API that several modules share (cheap to import: no msgspec)."""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_TTL"]

DEFAULT_TTL: Final = 3600
"""Seconds an instance loaded by this SDK may stay idle before LM Studio unloads it
(one hour, as in the official SDKs)."""
