"""``RecordingProxy``: record what a real LM Studio answers, for replay in tests.

    python -m lmstudio.testing --record session.jsonl --upstream localhost:1234

listens like LM Studio (``/lmstudio-greeting`` and one WebSocket per namespace) and
proxies every namespace socket to the upstream LM Studio, frame by frame, unchanged in
both directions (the client authenticates with LM Studio itself). Each finished exchange,
an rpc with its answer or a channel with all its packets, is appended to the cassette
(format and replay rules: ``_cassette``); authentication packets are not recorded and
passkeys are redacted. ``FakeLMStudio(replay=FILE)`` serves the cassette back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import msgspec
from websockets.asyncio.client import connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.http11 import Request, Response

from lmstudio.testing._cassette import header, redact
from lmstudio.testing._superjson import superjson_payload

__all__ = ["RecordingProxy"]

_log = logging.getLogger("lmstudio.testing")
_TIMEOUT = 30.0
_GREETING = b'{"lmstudio":true}'


class RecordingProxy:
    """A proxy to a real LM Studio that writes every exchange to a cassette file.

    Usage::

        with RecordingProxy("session.jsonl", upstream="localhost:1234") as proxy:
            client = lms.Client(proxy.api_host)   # talks to LM Studio through the proxy

    Args:
        cassette: the file to write (replaced if it exists).
        upstream: ``"HOST:PORT"`` of the LM Studio to record.
        host, port: where to listen (``port`` 0, the default, picks a free one).
    """

    def __init__(
        self, cassette: str | Path, *, upstream: str, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.cassette = Path(cassette)
        self.upstream = upstream.removeprefix("ws://").removeprefix("http://").rstrip("/")
        self.host = host
        self._port = port
        self._server: Server | None = None
        self._file: IO[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.exchanges = 0

    @property
    def api_host(self) -> str:
        """``"HOST:PORT"`` to give clients instead of LM Studio's."""
        if self._server is None:
            raise RuntimeError("the recording proxy is not running")
        return f"{self.host}:{self._port}"

    # -- lifecycle ---------------------------------------------------------------------

    async def astart(self) -> RecordingProxy:
        """Start on the running loop."""
        self._file = self.cassette.open("w", encoding="utf-8")
        self._write(header(self.upstream))
        self._server = await serve(
            self._handle,
            self.host,
            self._port,
            process_request=self._process_request,
            compression=None,
            max_size=None,
        )
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        """Stop, closing every socket (exchanges still open are written as ``"open"``)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        if self._file is not None:
            self._file.close()
            self._file = None

    async def __aenter__(self) -> RecordingProxy:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> RecordingProxy:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="lmstudio-recorder", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self.astart(), loop).result(_TIMEOUT)
        except BaseException:
            self._stop_thread()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(self.aclose(), self._loop).result(_TIMEOUT)
            finally:
                self._stop_thread()

    def _stop_thread(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_TIMEOUT)
            if not thread.is_alive():
                loop.close()

    # -- proxying ----------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        from lmstudio._protocol.endpoints import NAMESPACES

        path = request.path.partition("?")[0]
        if path == "/lmstudio-greeting":
            response = connection.respond(HTTPStatus.OK, "")
            response.body = _GREETING
            del response.headers["Content-Type"]
            del response.headers["Content-Length"]
            response.headers["Content-Type"] = "application/json"
            response.headers["Content-Length"] = str(len(_GREETING))
            return response
        if path[1:] in NAMESPACES:
            return None
        return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")

    async def _handle(self, client: ServerConnection) -> None:
        namespace = client.request.path.partition("?")[0][1:] if client.request else ""
        try:
            upstream = await connect(
                f"ws://{self.upstream}/{namespace}",
                compression=None,
                max_size=None,
                open_timeout=_TIMEOUT,
            )
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            _log.error("cannot reach LM Studio at %s: %s", self.upstream, exc)
            await client.close(1011, "upstream LM Studio unreachable")
            return
        exchange = _Exchanges(namespace, self._write_exchange)
        async with upstream:
            pumps = [
                asyncio.ensure_future(_pump(client, upstream, exchange.from_client)),
                asyncio.ensure_future(_pump(upstream, client, exchange.from_server)),
            ]
            _, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await client.close()
        exchange.close()

    def _write_exchange(self, exchange: dict[str, Any]) -> None:
        self.exchanges += 1
        self._write(redact(exchange))

    def _write(self, item: dict[str, Any]) -> None:
        if self._file is not None:
            self._file.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
            self._file.flush()


async def _pump(source: Any, target: Any, observe: Any) -> None:
    """Forward every frame from ``source`` to ``target``, showing each to ``observe``."""
    with contextlib.suppress(ConnectionClosed):
        async for frame in source:
            observe(frame)  # first: an answer may come back before send() returns
            await target.send(frame)


class _Exchanges:
    """The rpcs and channels in flight on one proxied socket, written when they end."""

    def __init__(self, namespace: str, write: Any) -> None:
        self.namespace = namespace
        self.write = write
        self.authenticated = False
        self.rpcs: dict[Any, dict[str, Any]] = {}
        self.channels: dict[Any, dict[str, Any]] = {}

    def from_client(self, frame: str | bytes) -> None:
        message = _json(frame)
        if message is None or not self.authenticated:
            return  # the authentication packet is never recorded
        kind = message.get("type")
        if kind == "rpcCall":
            exchange = self._start("rpc", message.get("endpoint"))
            if "parameter" in message:
                payload, _ = superjson_payload(
                    self.namespace,
                    str(message.get("endpoint")),
                    msgspec.json.encode(message["parameter"]),
                )
                if payload is not msgspec.UNSET:
                    exchange["parameter"] = msgspec.json.decode(payload)
            self.rpcs[message.get("callId")] = exchange
        elif kind == "channelCreate":
            exchange = self._start("channel", message.get("endpoint"))
            if "creationParameter" in message:
                exchange["creationParameter"] = message["creationParameter"]
            exchange["events"] = []
            self.channels[message.get("channelId")] = exchange
        elif kind == "channelSend" and message.get("channelId") in self.channels:
            self.channels[message["channelId"]]["events"].append(
                {"toServer": message.get("message")}
            )

    def from_server(self, frame: str | bytes) -> None:
        message = _json(frame)
        if message is None:
            return
        if not self.authenticated:
            self.authenticated = message.get("success") is True
            return
        kind = message.get("type")
        if kind in ("rpcResult", "rpcError"):
            exchange = self.rpcs.pop(message.get("callId"), None)
            if exchange is not None:
                if kind == "rpcError":
                    exchange["error"] = message.get("error")
                elif "result" in message:
                    exchange["result"] = message["result"]
                self.write(exchange)
        elif kind == "channelSend" and message.get("channelId") in self.channels:
            self.channels[message["channelId"]]["events"].append(
                {"toClient": message.get("message")}
            )
        elif kind in ("channelClose", "channelError"):
            exchange = self.channels.pop(message.get("channelId"), None)
            if exchange is not None:
                exchange["end"] = (
                    "close" if kind == "channelClose" else {"error": message.get("error")}
                )
                self.write(exchange)

    def close(self) -> None:
        """The socket closed: channels still open are recorded as such."""
        for exchange in self.channels.values():
            exchange["end"] = "open"
            self.write(exchange)
        self.channels.clear()

    def _start(self, kind: str, endpoint: Any) -> dict[str, Any]:
        return {"namespace": self.namespace, "kind": kind, "endpoint": str(endpoint)}


def _json(frame: str | bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None
