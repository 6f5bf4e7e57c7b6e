"""Futures-based Python SDK for LM Studio's native WebSocket API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
