"""The engine as the features see it: submit rpcs and channels, get Calls and Streams.

A :class:`Session` belongs to one ``Client`` and is used from any thread. It encodes
parameters in the caller's thread (so a bad argument raises right there), creates the
``Call`` / ``Stream``, and submits the rest to the engine loop. Nothing here imports
asyncio or websockets: the engine starts, and those are imported, on first use.

Feature API (see ``rpc`` and ``channel``), with the generated typed descriptors::

    from .._protocol.endpoints import llm, system
    call = session.rpc(llm.LIST_LOADED)                            # Call[list[LlmInstanceInfo]]
    call = session.rpc(llm.TOKENIZE, parameter, transform=ids)     # Call[list[int]]
    stream = session.channel(llm.PREDICT, creation, handler=PredictionState(...),
                             consume=on_event)                     # Stream[I, R]

``mypy --strict`` checks each call site: the endpoint exists, the parameter has its type
(an endpoint without one takes none), ``transform`` takes its result.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from .._constants import (
    CLOSE_TIMEOUT,
    DEFAULT_PORTS,
    DEFAULT_TIMEOUT,
    MAX_MESSAGE_SIZE,
    MAX_UPLOAD_SIZE,
    OPEN_TIMEOUT,
    PING_INTERVAL,
    PING_TIMEOUT,
)
from .._exports import publish
from .._types import USE_CLIENT_DEFAULT, Timeout, check_timeout
from ..errors import LMStudioCancelledError, LMStudioRuntimeError, LMStudioValueError
from .call import Call, new_call
from .handler import ChannelHandler
from .identity import Identity, resolve_identity
from .stream import Skip, Stream, new_stream
from .target import parse_host

if TYPE_CHECKING:
    import concurrent.futures

    import msgspec
    from typing_extensions import TypeVar

    from .._protocol.endpoints import Channel, Endpoint, Rpc
    from .decoders import Decoder
    from .loop import Engine
    from .pool import Pool

    # Type checkers only (no typing_extensions at run time: ``Client()`` stays cheap).
    # Defaults (PEP 696) let one signature cover what took overloads: without
    # ``transform`` a call gives the endpoint's result; without ``consume`` the items are
    # the handler's events; without a handler, any packet and no final value.
    P = TypeVar("P")
    R = TypeVar("R")
    T = TypeVar("T", default=R)
    C = TypeVar("C")
    E = TypeVar("E", default=Any)
    F = TypeVar("F", default=None)
    I = TypeVar("I", default=E)  # noqa: E741
    Out = TypeVar("Out")  # a channel's to-server packet

__all__ = ["ClientState", "Session", "parse_host"]


class ClientState(enum.Enum):
    UNOPENED = "unopened"  # created, nothing connected yet
    OPENED = "opened"  # the engine is in use (connections open on demand)
    CLOSED = "closed"  # closed: every further use raises


class Session:
    """One client's access to the engine (thread-safe). Features call ``rpc``/``channel``."""

    def __init__(
        self,
        api_host: str | None = None,
        *,
        api_token: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        ports: Sequence[int] = DEFAULT_PORTS,
        open_timeout: float = OPEN_TIMEOUT,
        ping_interval: float | None = PING_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
        max_upload_size: int = MAX_UPLOAD_SIZE,
        max_message_size: int = MAX_MESSAGE_SIZE,
        default_client: bool = False,
    ) -> None:
        self.target = None if api_host is None else parse_host(api_host)
        self.default_client = default_client
        """Whether this is ``lms.*``'s default client: error hints then suggest ``lms.*``."""
        self.identity: Identity = resolve_identity(api_token)
        self.timeout = check_timeout(timeout)
        """The default inactivity timeout of each call (set it with :meth:`set_timeout`)."""
        self.max_upload_size = _check_size(max_upload_size, "max_upload_size")
        self.state = ClientState.UNOPENED
        self._options: dict[str, Any] = {
            "ports": tuple(ports),
            "open_timeout": open_timeout,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "max_message_size": _check_size(max_message_size, "max_message_size"),
            "default_client": default_client,
        }
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._pool: Pool | None = None

    def set_timeout(self, timeout: object) -> None:
        """Change the default inactivity timeout of calls started from now on.

        Raises:
            LMStudioValueError: ``timeout`` is not a positive number or ``None``.
        """
        self.timeout = check_timeout(timeout)

    @property
    def api_host(self) -> str | None:
        """``host:port`` given or discovered; ``None`` until discovery ran."""
        target = self._pool.target if self._pool is not None else self.target
        return None if target is None else target.where

    def resolve_timeout(self, timeout: Timeout) -> float | None:
        """A call's inactivity timeout: ``timeout``, or the client's for ``USE_CLIENT_DEFAULT``.

        Raises:
            LMStudioValueError: not a positive number or ``None``.
        """
        return self.timeout if timeout is USE_CLIENT_DEFAULT else check_timeout(timeout)

    # --- the feature API -------------------------------------------------------------------

    @overload
    def rpc(
        self,
        endpoint: Rpc[None, R],
        /,
        *,
        transform: Callable[[R], T] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[T]: ...

    @overload
    def rpc(
        self,
        endpoint: Rpc[P, R],
        parameter: P,
        /,
        *,
        transform: Callable[[R], T] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[T]: ...

    def rpc(
        self,
        endpoint: Rpc[Any, Any],
        parameter: Any = None,
        /,
        *,
        transform: Callable[[Any], Any] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[Any]:
        """Call an rpc endpoint (``endpoints.llm.TOKENIZE``...); decode its result.

        ``parameter``: the endpoint's generated struct (none for an endpoint without
        one); a dict with camelCase keys also encodes (an untyped escape hatch for
        tests). It is encoded here, so a struct of another type or a value that does not
        encode raises :class:`~lmstudio.LMStudioValueError` at once, as does a descriptor
        the protocol does not have. ``transform`` runs on the engine loop on the decoded
        result: keep it quick and never call user code from it. ``timeout`` is the
        inactivity timeout (``None``: none; default: the client's).
        """
        namespace, endpoint_name = _names(endpoint, "rpc")
        decoder = _rpc_decoder(namespace, endpoint_name)
        raw = _encode(parameter, namespace, endpoint_name, "parameter")
        seconds = self.timeout if timeout is USE_CLIENT_DEFAULT else check_timeout(timeout)
        engine, pool = self._use()
        call, settle = new_call(
            f"{namespace}.{endpoint_name}",
            on_cancel=functools.partial(engine.submit, pool.cancel_rpc),
        )
        if not engine.submit(
            pool.start_rpc, namespace, endpoint_name, raw, settle, decoder, transform, seconds
        ):
            settle.fail(_closed_meanwhile())
        return call

    def channel(
        self,
        endpoint: Channel[C, Any, Any],
        creation_parameter: C,
        /,
        *,
        handler: ChannelHandler[E, F] | None = None,
        consume: Callable[[E], I | Skip] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
        stream_class: type[Stream[I, F]] = Stream,
    ) -> Stream[I, F]:
        """Open a channel endpoint (``endpoints.llm.PREDICT``...); its packets feed ``handler``.

        ``creation_parameter``: the endpoint's generated struct (``None`` for a channel
        without one), encoded and checked here as :meth:`rpc`'s parameter. Packets are
        decoded into the endpoint's generated packet union; ``handler`` (a fresh
        :class:`ChannelHandler` per channel, run on the engine loop; default: packets as
        items, no final value) turns them into events and a final value. ``consume`` runs
        where the stream is consumed and turns each event into an item or :data:`SKIP`:
        user callbacks go there. ``timeout`` is the inactivity timeout, as for
        :meth:`rpc`. ``stream_class`` is the :class:`Stream` subclass to create (a
        feature's accessors; its constructor takes ``Stream``'s arguments): the stream is
        one, although its static type is ``Stream[I, R]``.
        """
        namespace, endpoint_name = _names(endpoint, "channel")
        decoder, kinds = _channel_decoder(namespace, endpoint_name)
        raw = _encode(creation_parameter, namespace, endpoint_name, "creation_parameter")
        seconds = self.timeout if timeout is USE_CLIENT_DEFAULT else check_timeout(timeout)
        engine, pool = self._use()
        stream, sink = new_stream(
            f"{namespace}.{endpoint_name}",
            consume,
            on_cancel=functools.partial(engine.submit, pool.cancel_channel),
            stream_class=stream_class,
        )
        if not engine.submit(
            pool.start_channel,
            namespace,
            endpoint_name,
            raw,
            sink,
            handler if handler is not None else ChannelHandler(),
            decoder,
            kinds,
            seconds,
            (namespace, endpoint_name) not in _uncancellable,
        ):
            sink.fail(_closed_meanwhile())
        return stream

    def send(
        self, endpoint: Channel[Any, Any, Out], stream: Stream[Any, Any], packet: Out, /
    ) -> None:
        """Send one to-server ``packet`` on ``stream``, a channel of ``endpoint`` (any thread).

        ``packet``: one of the endpoint's generated to-server packet structs (a dict with
        camelCase keys also encodes). It is encoded here, so a value that does not encode
        raises :class:`~lmstudio.LMStudioValueError` at once; packets keep their order.
        Once the channel has ended the packet is dropped: the server has nobody to give
        it to, and the stream already says how the channel ended.
        """
        namespace, endpoint_name = _names(endpoint, "channel")
        raw = _encode(packet, namespace, endpoint_name, None)
        engine, pool = self._use()
        engine.submit(pool.send_packet, stream._settle, raw)

    # --- lifecycle -------------------------------------------------------------------------

    def _use(self) -> tuple[Engine, Pool]:
        engine, pool = self._engine, self._pool
        if engine is not None and pool is not None and not engine.defunct:
            return engine, pool
        return self._start()

    def _start(self) -> tuple[Engine, Pool]:
        engine = self._engine
        if engine is not None and engine.defunct:
            # A forked child: the parent's engine and sockets are not ours.
            self._lock = threading.Lock()
            self._engine = self._pool = None
        with self._lock:
            if self.state is ClientState.CLOSED:
                raise LMStudioRuntimeError(
                    "this client is closed; create a new Client to talk to LM Studio"
                )
            if self._engine is None or self._pool is None:
                from . import loop
                from .pool import Pool

                engine = loop.acquire()
                pool = Pool(engine, self.target, self.identity, **self._options)
                engine.pools.add(pool)
                self._engine, self._pool = engine, pool
                self.state = ClientState.OPENED
            return self._engine, self._pool

    def close(self, timeout: float = CLOSE_TIMEOUT + 1.0) -> None:
        """Cancel what is in flight and close every connection (idempotent, blocking).

        Args:
            timeout: seconds to wait at most for the connections to close; then the
                sockets are left to the engine, which aborts them.

        Raises:
            LMStudioRuntimeError: called on the engine thread (it would deadlock).
        """
        engine = self._engine
        if engine is not None and engine.in_engine_thread():
            raise LMStudioRuntimeError("cannot close a client from the lmstudio engine thread")
        for closing in self._closing(timeout):
            with contextlib.suppress(Exception):
                closing.result(timeout)

    async def aclose(self, timeout: float = CLOSE_TIMEOUT + 1.0) -> None:
        """:meth:`close` for async code: waits without blocking the running loop.

        Args:
            timeout: as for :meth:`close`.
        """
        import asyncio

        for closing in self._closing(timeout):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.wrap_future(closing), timeout)

    def _closing(self, timeout: float) -> Iterator[concurrent.futures.Future[None]]:
        """The one implementation of :meth:`close` and :meth:`aclose`.

        It yields what the caller must wait for (blocking or awaiting; a failure or a
        timeout there is not an error: the sockets go with the engine), and does the
        rest itself: mark the client closed, close its pool on the engine, release the
        engine (its thread stops with the last client).
        """
        with self._lock:
            if self.state is ClientState.CLOSED:
                return
            self.state = ClientState.CLOSED
            engine, pool = self._engine, self._pool
            self._engine = self._pool = None
        if engine is None or pool is None or engine.defunct:
            return  # never opened, or a forked child's copy of the parent's engine
        from . import loop

        try:
            # If the engine stopped (at exit, its hook closed every pool), the sockets
            # went with its loop: never create the coroutine of a stopped engine.
            if not engine.stopped:
                try:
                    closing = engine.run(pool.close())
                except LMStudioRuntimeError:  # it stopped meanwhile
                    return
                yield closing
        finally:  # also when the wait is interrupted (Ctrl-C, a cancelled task)
            loop.release(engine, timeout)


def _closed_meanwhile() -> LMStudioCancelledError:
    return LMStudioCancelledError("cancelled: the client was closed meanwhile")


def _check_size(size: object, name: str) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise LMStudioValueError(f"{name} must be a positive number of bytes, not {size!r}")
    return size


# --- endpoint lookup, per-endpoint decoders and parameter encoding -----------------------

_rpc_decoders: dict[tuple[str, str], Decoder | None] = {}
_channel_decoders: dict[tuple[str, str], tuple[Decoder, frozenset[str] | None]] = {}
_uncancellable: set[tuple[str, str]] = set()  # channels with no to-server packet


_A = {"rpc": "an rpc", "channel": "a channel", "signal": "a signal", "writableSignal": "a signal"}


def _names(descriptor: object, kind: str) -> tuple[str, str]:
    """The namespace and name of a typed descriptor of ``kind`` (else a clear error)."""
    found_kind = getattr(descriptor, "kind", None)
    if found_kind is None or not isinstance(getattr(descriptor, "name", None), str):
        raise LMStudioValueError(
            f"expected an endpoint descriptor (lmstudio._protocol.endpoints.<namespace>), "
            f"not {descriptor!r}"
        )
    if found_kind != kind:
        raise LMStudioValueError(f"{descriptor!r} is {_A[found_kind]}, not {_A[kind]}")
    return descriptor.namespace, descriptor.name  # type: ignore[attr-defined]


def _endpoint(namespace: str, name: str, kind: str) -> Endpoint:
    """The registry's entry (for a hand-made descriptor: a clear error if there is none)."""
    from .._protocol.endpoints import endpoint

    try:
        found = endpoint(namespace, name)
    except KeyError as exc:
        raise LMStudioValueError(str(exc.args[0])) from None
    if found.kind != kind:
        raise LMStudioValueError(f"{namespace}/{name} is {_A[found.kind]}, not {_A[kind]}")
    return found


def _rpc_decoder(namespace: str, name: str) -> Decoder | None:
    key = (namespace, name)
    try:
        return _rpc_decoders[key]
    except KeyError:
        pass
    from .decoders import decoder_for

    returns = _endpoint(namespace, name, "rpc").returns
    decoder = None if returns is None else decoder_for(returns)
    _rpc_decoders[key] = decoder
    return decoder


def _channel_decoder(namespace: str, name: str) -> tuple[Decoder, frozenset[str] | None]:
    key = (namespace, name)
    try:
        return _channel_decoders[key]
    except KeyError:
        pass
    from .decoders import decoder_for, packet_kinds

    entry = _endpoint(namespace, name, "channel")
    packet = entry.to_client_packet
    found = (decoder_for(packet), None if packet is None else packet_kinds(packet))
    if entry.to_server_packet is None:  # e.g. system/alive: no cancel packet may be sent
        _uncancellable.add(key)
    _channel_decoders[key] = found
    return found


def _encode(value: Any, namespace: str, endpoint: str, part: str | None) -> msgspec.Raw | None:
    """``value`` as JSON; a struct must be the endpoint's ``part`` type (``None``: packets)."""
    if value is None:
        return None
    import msgspec

    from . import wire

    if part is not None and isinstance(value, msgspec.Struct):
        expected = getattr(_endpoint_of(namespace, endpoint), part)
        if not (isinstance(expected, type) and isinstance(value, expected)) and not (
            expected is not None and _in_union(value, expected)
        ):
            wanted = "nothing" if expected is None else getattr(expected, "__name__", expected)
            raise LMStudioValueError(
                f"the {namespace}.{endpoint} {part} is {wanted}, not {type(value).__name__}"
            )
    try:
        return msgspec.Raw(wire.encoder.encode(value))
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
        from .boundary import translate

        error = translate(
            exc, f"cannot encode the {namespace}.{endpoint} parameter", fallback=LMStudioValueError
        )
        raise error from error.__cause__


def _endpoint_of(namespace: str, name: str) -> Endpoint:
    from .._protocol.endpoints import endpoint

    return endpoint(namespace, name)  # known: its decoder was looked up first


def _in_union(value: object, expected: object) -> bool:
    import typing

    return any(
        isinstance(value, member)
        for member in typing.get_args(expected)
        if isinstance(member, type)
    )


publish(__name__, globals())
