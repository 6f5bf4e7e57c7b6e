"""Where LM Studio listens: :class:`Target` and :func:`parse_host`.

Kept apart from the connection code so that ``Client("host:port")`` parses its host
without importing asyncio or websockets.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import LMStudioValueError

__all__ = ["Target", "parse_host"]


class Target(NamedTuple):
    """Where LM Studio listens."""

    host: str
    port: int
    secure: bool = False

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, namespace: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.secure else 'ws'}://{host}:{self.port}/{namespace}"


def parse_host(api_host: str) -> Target:
    """``host:port`` (optionally ``ws://`` / ``wss://``) as a :class:`Target`."""
    text = api_host.strip()
    secure = False
    scheme, sep, rest = text.partition("://")
    if sep:
        if scheme.lower() in ("ws", "http"):
            secure = False
        elif scheme.lower() in ("wss", "https"):
            secure = True
        else:
            raise LMStudioValueError(f"unsupported scheme in api_host {api_host!r}: use ws or wss")
        text = rest
    text = text.rstrip("/")
    if text.startswith("["):  # [IPv6]:port
        host, _, port_text = text[1:].partition("]")
        port_text = port_text.removeprefix(":")
    else:
        host, _, port_text = text.rpartition(":")
    if not host or "/" in text or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise LMStudioValueError(
            f"api_host must look like 'host:port' (e.g. 'localhost:1234'), not {api_host!r}"
        )
    return Target(host, int(port_text), secure)
