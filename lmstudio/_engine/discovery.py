"""Finding LM Studio when no host is given: the ``/lmstudio-greeting`` probe.

LM Studio answers ``GET /lmstudio-greeting`` with HTTP 200 and ``{"lmstudio": true}``
on its internal API port, one of ``DEFAULT_PORTS``. All ports are probed at once;
the first of them, in order, that answers wins.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

from .._constants import DEFAULT_PORTS, GREETING_MAX_BYTES, GREETING_PATH, PROBE_TIMEOUT

__all__ = ["discover", "probe"]

logger = logging.getLogger("lmstudio.engine")


async def discover(
    ports: Sequence[int] = DEFAULT_PORTS,
    *,
    host: str = "127.0.0.1",
    timeout: float = PROBE_TIMEOUT,
) -> int | None:
    """The first port in ``ports`` where LM Studio answers the greeting, else ``None``."""
    answers = await asyncio.gather(*(probe(host, port, timeout=timeout) for port in ports))
    for port, ok in zip(ports, answers, strict=True):
        if ok:
            return port
    return None


async def probe(host: str, port: int, *, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether ``host:port`` answers ``GET /lmstudio-greeting`` like LM Studio."""
    try:
        return await asyncio.wait_for(_greet(host, port), timeout)
    except (OSError, asyncio.TimeoutError, ValueError, EOFError) as exc:
        logger.debug("no LM Studio at %s:%d: %r", host, port, exc)
        return False


async def _greet(host: str, port: int) -> bool:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {GREETING_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Accept: application/json\r\nConnection: close\r\n\r\n".encode("ascii")
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[1] != "200":
            return False
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(min(int(headers["content-length"]), GREETING_MAX_BYTES))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        else:
            body = await reader.read(GREETING_MAX_BYTES)
        answer = json.loads(body)
        return isinstance(answer, dict) and bool(answer.get("lmstudio"))
    finally:
        writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while len(body) < GREETING_MAX_BYTES:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            break
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    return body
