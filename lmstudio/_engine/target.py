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
        """``host:port``, an IPv6 address in brackets (``[::1]:1234``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, namespace: str) -> str:
        return f"{'wss' if self.secure else 'ws'}://{self.where}/{namespace}"


def parse_host(api_host: str) -> Target:
    """``host:port`` (optionally ``ws://`` / ``wss://``) as a :class:`Target`.

    Raises:
        LMStudioValueError: not ``host:port``, an unknown scheme, or credentials
            (``user:password@``) in it; an error message never repeats credentials.
    """
    text = api_host.strip()
    if "@" in text:
        # Userinfo has no meaning to LM Studio (it authenticates with an API token), and
        # echoing it would print a password: refuse it without repeating the host.
        raise LMStudioValueError(
            "api_host must not contain credentials (anything before '@'); LM Studio "
            "authenticates with an API token: pass api_token= (or set LMSTUDIO_API_TOKEN)"
        )
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
