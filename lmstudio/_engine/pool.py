"""A client's connections: one per namespace, opened on first use (engine loop only).

Every method here runs on the engine loop, in submission order, so the first use of
a namespace creates exactly one connection however many threads ask at once. When no
host was given, the greeting probe runs once and its answer is shared by every
namespace. A connection that ends is forgotten; the next use of its namespace opens
a new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from .._constants import (
    CLOSE_TIMEOUT,
    DEFAULT_PORTS,
    MAX_MESSAGE_SIZE,
    OPEN_TIMEOUT,
    PING_INTERVAL,
    PING_TIMEOUT,
)
from ..errors import LMStudioCancelledError, LMStudioClientError
from .decoders import Decoder
from .discovery import discover
from .handler import ChannelHandler
from .identity import Identity
from .settle import Settle, Sink
from .target import Target

if TYPE_CHECKING:
    from .connection import Connection
    from .loop import Engine

__all__ = ["Pool"]


class Pool:
    """Connections of one client, by namespace."""

    def __init__(
        self,
        engine: Engine,
        target: Target | None,
        identity: Identity,
        *,
        ports: Sequence[int] = DEFAULT_PORTS,
        open_timeout: float = OPEN_TIMEOUT,
        ping_interval: float | None = PING_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
        max_message_size: int = MAX_MESSAGE_SIZE,
        default_client: bool = False,
    ) -> None:
        self.engine = engine
        self._default_client = default_client
        self.target = target
        self.closed = False
        self._identity = identity
        self._ports = tuple(ports)
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._max_message_size = max_message_size
        self._connections: dict[str, Connection] = {}
        self._discovery: asyncio.Task[Target] | None = None

    def connections(self) -> dict[str, Connection]:
        """The open or opening connections, by namespace (a copy)."""
        return dict(self._connections)

    # --- submitted operations --------------------------------------------------------------
    # Each request is known here by its engine face (settle.py); its route is set once it
    # is on a connection: (connection, callId or channelId).

    def start_rpc(
        self,
        namespace: str,
        endpoint: str,
        parameter: msgspec.Raw | None,
        settle: Settle,
        decoder: Decoder | None,
        transform: Callable[[Any], Any] | None,
        timeout: float | None,
    ) -> None:
        """Send an ``rpcCall`` on ``namespace``'s connection (opened on first use)."""
        if not settle.wanted():  # cancelled before it started
            return
        if self.closed:
            settle.fail(_closed_error(namespace))
            return
        conn = self._connection(namespace)
        call_id = conn.mux.start_rpc(
            settle, endpoint, parameter, decoder, transform=transform, timeout=timeout
        )
        settle.route = (conn, call_id)
        conn.flush_soon()

    def cancel_rpc(self, settle: Settle) -> None:
        """Forget a cancelled rpc (its late answer is dropped)."""
        route = settle.route
        if route is not None:
            conn, call_id = route
            conn.mux.cancel_rpc(call_id)

    def start_channel(
        self,
        namespace: str,
        endpoint: str,
        creation_parameter: msgspec.Raw | None,
        sink: Sink,
        handler: ChannelHandler[Any, Any],
        decoder: Decoder,
        kinds: frozenset[str] | None,
        timeout: float | None,
        cancellable: bool = True,
    ) -> None:
        """Send a ``channelCreate`` on ``namespace``'s connection (opened on first use).

        ``cancellable``: the endpoint takes packets from the client (its cancel); if not,
        cancelling abandons the channel without sending anything.
        """
        if not sink.wanted():  # cancelled before it started: nothing to stop
            sink.resolve_cancelled()
            return
        if self.closed:
            sink.fail(_closed_error(namespace))
            return
        conn = self._connection(namespace)
        channel_id = conn.mux.start_channel(
            sink,
            endpoint,
            creation_parameter,
            handler,
            decoder,
            kinds=kinds,
            timeout=timeout,
            cancellable=cancellable,
        )
        sink.route = (conn, channel_id)
        conn.flush_soon()

    def cancel_channel(self, sink: Sink) -> None:
        """Ask the server to stop a channel its caller cancelled."""
        route = sink.route
        if route is not None:
            conn, channel_id = route
            conn.mux.cancel_channel(channel_id)
            conn.flush_soon()

    def send_packet(self, sink: Sink, packet: msgspec.Raw) -> None:
        """Send a feature's packet on a live channel (dropped once it has ended)."""
        route = sink.route
        if route is not None:
            conn, channel_id = route
            if conn.mux.send_packet(channel_id, packet):
                conn.flush_soon()

    # --- connections -----------------------------------------------------------------------

    def _connection(self, namespace: str) -> Connection:
        conn = self._connections.get(namespace)
        if conn is None:
            # Imported here, on the engine thread: websockets' import (~80 ms) never
            # stalls a caller's event loop on its first call (issue 15, point 7).
            from .connection import Connection

            conn = Connection(
                self.engine,
                namespace,
                self._identity,
                self._forget,
                open_timeout=self._open_timeout,
                ping_interval=self._ping_interval,
                ping_timeout=self._ping_timeout,
                max_message_size=self._max_message_size,
            )
            self._connections[namespace] = conn
            conn.open(self._resolve)
        return conn

    def _forget(self, conn: Connection) -> None:
        if self._connections.get(conn.namespace) is conn:
            del self._connections[conn.namespace]

    async def _resolve(self) -> Target:
        if self.target is not None:
            return self.target
        discovery = self._discovery
        if discovery is None or (discovery.done() and discovery.exception() is not None):
            discovery = self._discovery = self.engine.loop.create_task(self._discover())
            discovery.add_done_callback(_retrieve)
        return await asyncio.shield(discovery)

    async def _discover(self) -> Target:
        port = await discover(self._ports)
        if port is None:
            ports = ", ".join(map(str, self._ports))
            where = (
                "lms.configure_default_client('localhost:1234') before the first lms.* call"
                if self._default_client
                else "Client('localhost:1234')"
            )
            raise LMStudioClientError(
                f"LM Studio is not reachable at any of its default ports ({ports}) on this "
                f"machine; is it running? If its server runs elsewhere, say where: {where}"
            )
        self.target = Target("127.0.0.1", port)
        return self.target

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Cancel everything in flight and close every connection (idempotent)."""
        self.closed = True
        self.engine.pools.discard(self)
        if self._discovery is not None and not self._discovery.done():
            self._discovery.cancel()
        conns = list(self._connections.values())
        if conns:
            await asyncio.gather(*(conn.close(timeout) for conn in conns))


def _closed_error(namespace: str) -> LMStudioCancelledError:
    return LMStudioCancelledError(f"cancelled: the client was closed ({namespace})")


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()
