"""``Stream[I, R]``: a channel's items, then its final value.

A ``Stream`` is a :class:`~lmstudio.Call` of its final value ``R`` that can also be
iterated for its items ``I``, with ``for`` or ``async for``::

    stream = model.respond_stream("Tell me a story")
    for fragment in stream:              # or: async for fragment in stream
        print(fragment.content, end="")
    result = stream.result()             # or: await stream (also without iterating)

Rules, in one place:

- Items are never lost or reordered: the engine appends what arrives to an unbounded
  buffer (a slow consumer never stalls the socket it shares with other calls) and logs
  once past ``STREAM_HIGH_WATER`` unconsumed items; a blocked consumer is woken once per
  batch of arrivals. The engine feeds and settles a stream through its other face, the
  :class:`StreamSink` :func:`new_stream` makes with it (interface: ``settle.py``).
- One consumer at a time (another thread or task gets
  :class:`~lmstudio.LMStudioRuntimeError`); the stream is its own iterator, so a later
  loop continues where an earlier one stopped.
- ``.cancel()`` sends the channel's cancel packet and ends iteration at once; the result
  is the server's final value if it still sends one (a prediction: ``userStopped``),
  else the stream resolves as cancelled. ``.close()`` / ``aclose()`` / leaving ``with``
  or ``async with`` cancel an unfinished stream, drop what was not consumed and wait at
  most ``CLOSE_TIMEOUT`` for the end; an exception leaving the block is not masked.
- A failure (server error, dropped connection, timeout) is raised by the iterator after
  the items that arrived before it, and by ``.result()`` / ``await``.
- Feature hooks run where the stream is consumed, never on the engine loop: ``consume``
  turns each event into an item (or :data:`SKIP`) in the iterating thread or task, and
  ``.result()`` / ``await`` run it for every event they drain, so per-item callbacks
  fire even when nobody iterates. Cancelling the task that awaits the final value
  cancels the stream; cancelling one waiting for the next item does not.
- LM Studio never keeps generating for a caller that is gone: ``KeyboardInterrupt``
  (Ctrl-C) or ``SystemExit`` while a thread blocks in ``.result()`` or waits for an item
  cancels the stream, then propagates; a stream nothing references any more (``break``
  out of ``for f in model.respond_stream(...)``, a dropped variable) is cancelled when
  collected (at once in CPython). A stream kept in a variable is not cancelled by a
  ``break``: ``close()`` it or use ``with``. A done callback keeps its stream alive.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, overload

from .._constants import CLOSE_TIMEOUT, STREAM_HIGH_WATER
from .._exports import publish
from ..errors import LMStudioError, LMStudioRuntimeError, LMStudioTimeoutError
from .call import (
    _INTERRUPTS,
    Call,
    _asyncio,
    _for_raise,
    _Future,
    _FutureCancelledError,
    _FutureTimeoutError,
    _InvalidStateError,
    _resolve_waiter,
    _wake_waiter,
)
from .callbacks import ENGINE_THREADS
from .handler import SKIP, Skip

if TYPE_CHECKING:
    import asyncio
    from types import TracebackType

    from typing_extensions import Self

    from .settle import Sink

__all__ = ["SKIP", "Skip", "Stream", "StreamSink", "new_stream"]

logger = logging.getLogger("lmstudio.engine")

I = TypeVar("I")  # noqa: E741 - the conventional name for the item type
R = TypeVar("R")


class _Poll(enum.Enum):
    EMPTY = enum.auto()  # nothing to take now
    END = enum.auto()  # nothing more will come (finished, failed or cancelled)


_EMPTY: Final = _Poll.EMPTY
_END: Final = _Poll.END

S = TypeVar("S", bound="Stream[Any, Any]")


@overload
def new_stream(
    description: str,
    consume: Callable[[Any], Any] | None = None,
    *,
    on_cancel: Callable[[Sink], object] | None = None,
    stream_class: None = None,
) -> tuple[Stream[Any, Any], Sink]: ...


@overload
def new_stream(
    description: str,
    consume: Callable[[Any], Any] | None = None,
    *,
    on_cancel: Callable[[Sink], object] | None = None,
    stream_class: type[S],
) -> tuple[S, Sink]: ...


def new_stream(
    description: str,
    consume: Callable[[Any], Any] | None = None,
    *,
    on_cancel: Callable[[Sink], object] | None = None,
    stream_class: type[Stream[Any, Any]] | None = None,
) -> tuple[Stream[Any, Any], Sink]:
    """A ``Stream`` and the engine's face of it (see ``settle.py``).

    Args:
        description: what the stream is, for reprs and errors (``"llm.predict"``).
        consume: turns each pushed event into an item, or :data:`SKIP`, where the
            stream is consumed; ``None``: events are the items.
        on_cancel: run once, with the stream's :class:`~.settle.Sink`, when the
            caller cancels it; ``None``: nothing to stop.
        stream_class: the :class:`Stream` subclass to make (its constructor takes
            ``Stream``'s arguments); ``None``: ``Stream``.

    Returns:
        ``(stream, sink)``: hand ``stream`` to the caller, ``sink`` to the engine.
    """
    cls: type[Stream[Any, Any]] = Stream if stream_class is None else stream_class
    stream = cls(description, consume, on_cancel=on_cancel)
    sink = stream._settle
    assert isinstance(sink, StreamSink)
    return stream, sink


class Stream(Call[R], Generic[I, R]):
    """Items of one LM Studio channel (``for`` / ``async for``), then its final value."""

    def __init__(
        self,
        description: str = "stream",
        consume: Callable[[Any], I | Skip] | None = None,
        *,
        on_cancel: Callable[[Sink], object] | None = None,
    ) -> None:
        # Before Call.__init__: the sink it makes (_settle_class) binds to the buffer.
        self._events: deque[Any] = deque()
        self._consume = consume
        self._mutex = threading.Lock()  # guards the two waiter slots
        self._sleeper: threading.Lock | None = None
        self._async_waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None
        self._consumer = threading.Lock()  # held by the one active consumer
        self._cancel_requested = False
        self._ended = False  # settled by the engine (set after the Future is done)
        self._backlog_logged = False
        super().__init__(description)
        # The cancel hook lives on the sink: it also runs if the stream is collected.
        self._sink: StreamSink = self._settle  # type: ignore[assignment]
        self._sink._hook = on_cancel

    # --- consuming ----------------------------------------------------------------------

    def __iter__(self) -> Stream[I, R]:
        return self

    def __next__(self) -> I:
        if not self._consumer.acquire(blocking=False):
            raise _busy(self)
        try:
            item = self._poll()
            if item is _EMPTY:
                item = self._next_item(None)
        finally:
            self._consumer.release()
        if item is _END:
            exc = self._failure()
            if exc is not None:
                raise exc
            raise StopIteration
        return item  # type: ignore[no-any-return]

    def __aiter__(self) -> Stream[I, R]:
        return self

    async def __anext__(self) -> I:
        if not self._consumer.acquire(blocking=False):
            raise _busy(self)
        try:
            while (item := self._poll()) is _EMPTY:
                await self._async_block()
        finally:
            self._consumer.release()
        if item is _END:
            exc = self._failure()
            if exc is not None:
                raise exc
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    def result(self, timeout: float | None = None) -> R:
        """The final value, blocking up to ``timeout`` seconds (``None``: until done).

        Events not consumed yet go through the stream's ``consume`` hook first, in this
        thread, so their callbacks run. Raises like :meth:`Call.result`.
        """
        if self._drains():
            try:
                deadline = None if timeout is None else time.monotonic() + timeout
                while self._next_item(deadline) is not _END:
                    pass
            finally:
                self._consumer.release()
            if deadline is not None:
                timeout = max(0.0, deadline - time.monotonic())
        return super().result(timeout)

    def __await__(self) -> Generator[Any, None, R]:
        """Wait for the final value on the running loop, draining events through ``consume``."""
        # An awaiting task is a consumer, although asyncio holds tasks only weakly: the
        # engine keeps the stream (and so the task) while it waits.
        sink = self._sink
        sink._awaiting += 1
        sink._awaited = self
        try:
            if self._drains():
                try:
                    while (item := self._poll()) is not _END:
                        if item is _EMPTY:
                            try:
                                yield from self._async_block().__await__()
                            except BaseException:
                                self.cancel()
                                raise
                finally:
                    self._consumer.release()
            return (yield from super().__await__())
        finally:
            sink._unawait()

    def cancel(self) -> bool:
        """Cancel on the server and end iteration now; ``False`` if already finished.

        The stream then resolves with the server's final value if it sends one (a
        cancelled prediction does), else as cancelled.
        """
        if self.done():
            return self.cancelled()
        if not self._cancel_requested:
            self._cancel_requested = True
            self._events.clear()
            self._wake()
            hook = self._sink.take_hook()
            if hook is not None:
                hook(self._sink)
        return True

    def add_done_callback(self, fn: Callable[[_Future[R]], object]) -> None:
        """Call ``fn(stream)`` when done (as :meth:`Call.add_done_callback`).

        The stream is then kept until it ends, even if nothing else references it (a
        stream nothing references is otherwise cancelled: see the module docstring).
        """
        if not self.done():
            self._sink._pinned = self
        super().add_done_callback(fn)

    # --- closing -------------------------------------------------------------------------

    def close(self, timeout: float | None = CLOSE_TIMEOUT) -> None:
        """Be done with the stream: cancel it if it has not finished, wait for its end.

        What leaving ``with stream:`` does, as ``close()`` in LM Studio's official SDK.
        Items not consumed yet are dropped and iteration ends; the final value (for a
        cancelled prediction, the text so far with stop reason ``"userStopped"``) stays
        available to :meth:`result`. The stream's own error is not raised here.

        Args:
            timeout: seconds to wait at most for the server to end the stream
                (default ``CLOSE_TIMEOUT``, 2 s); ``None``: no limit. If it expires, the
                stream stays cancelling and ends when the server answers, or when the
                connection or the client closes.

        Raises:
            LMStudioRuntimeError: called on the engine thread for a stream that has not
                ended (waiting there would deadlock).
        """
        if threading.get_ident() in ENGINE_THREADS and not self.done():
            raise LMStudioRuntimeError(
                f"{self._description}: cannot close a stream from the lmstudio engine thread "
                "(it would wait for the engine); cancel() it instead"
            )
        self._give_up()
        with contextlib.suppress(_FutureCancelledError, _FutureTimeoutError):
            _Future.exception(self, timeout)

    async def aclose(self, timeout: float | None = CLOSE_TIMEOUT) -> None:
        """:meth:`close` for async code: waits on the running loop without blocking it.

        Args:
            timeout: as for :meth:`close`.
        """
        self._give_up()
        if not self.done():
            asyncio = _asyncio()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_until_done(self), timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _give_up(self) -> None:
        """Cancel if not finished; end iteration and drop unconsumed items either way."""
        self.cancel()
        self._cancel_requested = True  # (cancel() leaves a finished stream as it is)
        self._events.clear()
        self._wake()

    # --- consumer internals --------------------------------------------------------------

    def _drains(self) -> bool:
        """Whether waiting for the result must run ``consume`` (then holds the consumer lock).

        Not if there is no hook, after a cancel, or if another consumer is iterating
        (that one runs the hook).
        """
        return (
            self._consume is not None
            and not self._cancel_requested
            and self._consumer.acquire(blocking=False)
        )

    def _poll(self) -> Any:
        """The next item, ``_EMPTY`` if none is ready, or ``_END``. Runs ``consume``."""
        events = self._events
        consume = self._consume
        while True:
            if self._cancel_requested:
                return _END
            if not events:
                # The engine appends before it settles: read the state, then look again.
                over = self._ended
                if not events:
                    return _END if over else _EMPTY
            event = events.popleft()
            if consume is None:
                return event
            try:
                item = consume(event)
            except BaseException:
                # The consumer's own hook failed: it gets the error, the server stops.
                self.cancel()
                raise
            if item is not SKIP:
                return item

    def _next_item(self, deadline: float | None) -> Any:
        while (item := self._poll()) is _EMPTY:
            self._block(deadline)
        return item

    def _failure(self) -> BaseException | None:
        if self._cancel_requested or not self._ended or self.cancelled():
            return None
        exc = _Future.exception(self, 0)
        return None if exc is None else _for_raise(exc)

    def _ready(self) -> bool:
        return bool(self._events) or self._cancel_requested or self._ended

    def _block(self, deadline: float | None) -> None:
        sleeper = threading.Lock()
        sleeper.acquire()
        with self._mutex:
            self._sleeper = sleeper
        # Check again after publishing the sleeper: whatever arrived before it was
        # published is seen here, whatever arrives after will release it.
        if self._ready():
            self._clear_sleeper(sleeper)
            return
        if threading.get_ident() in ENGINE_THREADS:
            self._clear_sleeper(sleeper)
            raise LMStudioRuntimeError(
                f"{self._description}: cannot block on a stream from the lmstudio engine thread"
            )
        timeout = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            acquired = sleeper.acquire(timeout=timeout)
        except _INTERRUPTS:
            # Ctrl-C while this thread waits for an item: stop the stream on the server.
            self._clear_sleeper(sleeper)
            self.cancel()
            raise
        if not acquired:
            self._clear_sleeper(sleeper)
            if not self._ready():
                raise LMStudioTimeoutError(f"{self._description} is not done (still running)")

    def _clear_sleeper(self, sleeper: threading.Lock) -> None:
        with self._mutex:
            if self._sleeper is sleeper:
                self._sleeper = None

    async def _async_block(self) -> None:
        loop = _asyncio().get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        with self._mutex:
            self._async_waiter = (loop, waiter)
        sink = self._sink
        sink._awaiting += 1  # kept while a task waits (see __await__)
        sink._awaited = self
        try:
            if not self._ready():
                await waiter
        finally:
            sink._unawait()
            with self._mutex:
                if self._async_waiter is not None and self._async_waiter[1] is waiter:
                    self._async_waiter = None

    # --- the engine's side (through StreamSink) -----------------------------------------

    def _backlog_warning(self) -> None:
        self._backlog_logged = True
        logger.warning(
            "%s: more than %d items are waiting to be consumed; they are kept, "
            "but is anything reading this stream?",
            self._description,
            STREAM_HIGH_WATER,
        )

    def _wake(self) -> None:
        """Wake the consumer, if one waits (any thread; once per batch of events)."""
        with self._mutex:
            sleeper, self._sleeper = self._sleeper, None
            async_waiter, self._async_waiter = self._async_waiter, None
        if sleeper is not None:
            sleeper.release()
        if async_waiter is not None:
            loop, waiter = async_waiter
            try:  # noqa: SIM105 - hot path
                loop.call_soon_threadsafe(_resolve_waiter, waiter)
            except RuntimeError:  # that loop is closed: nobody waits any more
                pass


class StreamSink:
    """The engine's face of a :class:`Stream` (the :class:`~.settle.Sink` interface).

    ``push`` / ``push_many`` are the buffer's own ``append`` / ``extend`` (no Python frame
    per item); :meth:`wake` checks the backlog once per batch. It holds its stream weakly:
    a stream nothing references is collected while the engine holds this sink, and the
    weak reference's callback runs the cancel hook (settling it then is a no-op). A done
    callback (:meth:`Stream.add_done_callback`) pins the stream until it ends.
    """

    __slots__ = (
        "__weakref__",
        "_awaited",
        "_awaiting",
        "_ended",
        "_hook",
        "_pinned",
        "_ref",
        "push",
        "push_many",
        "route",
    )

    def __init__(self, stream: Stream[Any, Any]) -> None:
        self.route: Any = None
        self.push: Callable[[Any], None] = stream._events.append
        self.push_many: Callable[[list[Any]], None] = stream._events.extend
        self._hook: Callable[[Sink], object] | None = None  # the cancel hook (Stream sets it)
        self._ended = False
        self._pinned: Stream[Any, Any] | None = None  # kept for a done callback
        self._awaited: Stream[Any, Any] | None = None  # kept while tasks await it
        self._awaiting = 0
        self._ref = weakref.ref(stream, self._collected)

    def _unawait(self) -> None:
        self._awaiting -= 1
        if self._awaiting <= 0:
            self._awaiting = 0
            self._awaited = None

    def take_hook(self) -> Callable[[Sink], object] | None:
        """The cancel hook, once (``None`` after that, or once the stream ended)."""
        hook, self._hook = self._hook, None
        return hook

    def _collected(self, _: object) -> None:
        # The stream was garbage-collected (any thread, possibly the engine's): cancel
        # it if it had not ended. The hook only submits to the engine (non-blocking).
        hook = self.take_hook()
        if hook is not None and not self._ended:
            with contextlib.suppress(Exception):
                hook(self)

    def wanted(self) -> bool:
        stream = self._ref()
        return stream is not None and not stream._cancel_requested and not stream.done()

    def wake(self) -> None:
        stream = self._ref()
        if stream is None:
            return
        if len(stream._events) > STREAM_HIGH_WATER and not stream._backlog_logged:
            stream._backlog_warning()
        stream._wake()

    # try/except rather than contextlib.suppress: as in CallSettle.

    def resolve(self, value: Any) -> None:
        stream = self._ref()
        if stream is not None:
            try:
                _Future.set_result(stream, value)
            except _InvalidStateError:  # the caller cancelled it meanwhile
                pass
            else:
                stream._value = value
        self._finish(stream)

    def fail(self, exc: BaseException) -> None:
        stream = self._ref()
        if stream is not None:
            try:  # noqa: SIM105
                _Future.set_exception(stream, exc)
            except _InvalidStateError:
                pass
        self._finish(stream)

    def resolve_cancelled(self) -> None:
        stream = self._ref()
        if stream is not None:
            _Future.cancel(stream)
        self._finish(stream)

    def _finish(self, stream: Stream[Any, Any] | None) -> None:
        self._ended = True
        self._hook = None
        self._pinned = None
        if stream is not None:
            stream._ended = True
            stream._wake()

    def __repr__(self) -> str:
        return f"<sink of {self._ref()!r}>"


Stream._settle_class = StreamSink


async def _until_done(call: Call[Any]) -> None:
    loop = _asyncio().get_running_loop()
    waiter = loop.create_future()
    # The base method: the wake-up is cheap and thread-safe (see call.py).
    _Future.add_done_callback(call, functools.partial(_wake_waiter, loop, waiter))
    await waiter


def _busy(stream: Stream[Any, Any]) -> LMStudioError:
    return LMStudioRuntimeError(
        f"{stream._description} is already being consumed by another thread or task "
        "(a stream has one consumer at a time)"
    )


publish(__name__, globals())
