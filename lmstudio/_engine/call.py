"""``Call[T]``: the future every one-shot public method returns.

A ``Call`` is a :class:`concurrent.futures.Future` (so ``concurrent.futures.wait`` and
``as_completed`` accept it) that is also awaitable from any asyncio loop, in any
thread. The engine completes it on its own loop thread; the caller picks how to wait::

    info = client.system.version().result(timeout=10)   # block
    info = await client.system.version()                # await, on any loop
    call = client.system.version(); call.cancel()       # give up

Rules, in one place:

- ``.result()`` / ``.exception()`` block the calling thread; on the engine loop thread
  they raise :class:`~lmstudio.LMStudioRuntimeError` instead of deadlocking. A
  ``timeout`` that expires raises :class:`~lmstudio.LMStudioTimeoutError` and leaves the
  call running (cancel it to give up).
- ``await call`` suspends only the awaiting task; the wake-up is bridged into the
  awaiting loop with ``call_soon_threadsafe``. Cancelling the awaiting task (e.g. by
  ``asyncio.wait_for``) cancels the call.
- A ``KeyboardInterrupt`` (Ctrl-C) or ``SystemExit`` raised while a thread blocks in
  ``.result()`` / ``.exception()`` cancels the call, as cancelling an awaiting task does,
  then propagates.
- ``.cancel()`` resolves the call as cancelled at once; the engine then forgets it (an
  rpc's late answer is dropped, a channel is cancelled on the server).
- The engine completes a call through its other face, a :class:`CallSettle` made with
  it by :func:`new_call` (the interface is in ``settle.py``); a ``Call`` itself uses
  only ``concurrent.futures.Future``'s public API.
- Done callbacks never run on the engine loop: when the engine completes a call they
  run on a small dispatcher thread, otherwise in the thread that completes or adds them.
- A failed call raises the stored :class:`~lmstudio.LMStudioError` from the waiting
  frame, so the traceback ends at the public API, not in engine internals.
"""

from __future__ import annotations

import concurrent.futures
import functools
import sys
import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .._exports import publish
from ..errors import (
    LMStudioCancelledError,
    LMStudioError,
    LMStudioRuntimeError,
    LMStudioTimeoutError,
)
from .callbacks import ENGINE_THREADS, park_if_exiting, run_off_engine

if TYPE_CHECKING:
    import asyncio

    from .settle import Settle

__all__ = ["Call", "CallSettle", "describe", "new_call"]

T = TypeVar("T")
CallT = TypeVar("CallT", bound="Call[Any]")

_Future = concurrent.futures.Future
_InvalidStateError = concurrent.futures.InvalidStateError
_FutureCancelledError = concurrent.futures.CancelledError
_FutureTimeoutError = concurrent.futures.TimeoutError
_PENDING: Any = object()  # Call._value until the engine resolves the call
_INTERRUPTS = (KeyboardInterrupt, SystemExit)  # what interrupts a blocked wait


def describe(
    call: CallT, operation: str, returns: type | None = None, *, shown_as: str = "Call"
) -> CallT:
    """Name a call after the public operation that made it, for reprs and errors.

    Args:
        call: a ``Call`` or ``Stream`` not yet handed to the caller.
        operation: what the caller wrote, e.g. ``"llm.model('qwen2.5-7b')"``.
        returns: the class of the call's value (``LLM``), for the hint an attribute of
            that class gets when looked up on the pending call (a forgotten
            ``.result()``).
        shown_as: the public type's name in that hint (``"Call"``: ``Call[LLM]``).

    Returns:
        ``call``.
    """
    call._description = operation
    call._shown_as = shown_as
    if returns is not None:
        call._returns = returns
    return call


def _forgotten_result(call: Call[Any], name: str) -> str:
    kind = call._shown_as or type(call).__name__
    returns = call._returns
    what = f"{kind}[{returns.__name__}]" if returns is not None else kind
    base = f"{type(call).__name__!r} object has no attribute {name!r}"
    if returns is not None and not hasattr(returns, name):
        return f"{base} ({call._description} is a {what})"
    value = f"the {returns.__name__}" if returns is not None else "its value"
    return (
        f"{base}: {call._description} is a {what}; use .result() (or await it) to get "
        f"{value}, then .{name}"
    )


def new_call(
    description: str, *, on_cancel: Callable[[Settle], object] | None = None
) -> tuple[Call[Any], Settle]:
    """A ``Call`` and the engine's face of it (see ``settle.py``).

    Args:
        description: what the call is, for reprs and error messages
            (``"system.version"``).
        on_cancel: run once, with the call's :class:`~.settle.Settle`, when the caller
            cancels the call before it is done; ``None``: nothing to stop.

    Returns:
        ``(call, settle)``: hand ``call`` to the caller, ``settle`` to the engine.
    """
    call: Call[Any] = Call(description, on_cancel=on_cancel)
    return call, call._settle


class Call(concurrent.futures.Future[T]):
    """The pending result of one LM Studio request: block, await or cancel it.

    ``result(timeout=None)`` blocks; ``await call`` works from any event loop;
    ``cancel()``, ``done()``, ``cancelled()``, ``exception()`` and
    ``add_done_callback()`` behave as on :class:`concurrent.futures.Future`.
    """

    def __init__(
        self, description: str = "call", *, on_cancel: Callable[[Settle], object] | None = None
    ) -> None:
        super().__init__()
        self._description = description
        self._on_cancel = on_cancel
        # The value, once the engine resolved the call (the Future holds it already): a
        # lock-free fast path for result() and await of a successful call.
        self._value: Any = _PENDING
        self._returns: type | None = self._default_returns
        self._shown_as: str | None = None  # the public type's name, when not the class's
        self._settle: Settle = self._settle_class(self)

    _settle_class: ClassVar[type[Any]]  # CallSettle (set below); Stream: StreamSink
    _default_returns: ClassVar[type | None] = None
    """The class of the value, when a subclass knows it (``PredictionStream``)."""

    def __repr__(self) -> str:
        if self.cancelled():
            state = "cancelled"
        elif self.done():
            exc = _Future.exception(self, 0)
            if exc is None:
                outcome = type(_Future.result(self, 0)).__name__
                state = f"finished returned {outcome}"
            else:
                state = f"finished raised {type(exc).__name__}"
        else:
            state = "running" if self.running() else "pending"
        return f"<{type(self).__name__} {self._description} state={state}>"

    if not TYPE_CHECKING:  # type checkers report the mistake themselves

        def __getattr__(self, name: str) -> Any:
            # Only reached for a name a Call does not have: a forgotten .result()?
            if name.startswith("_"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            raise AttributeError(_forgotten_result(self, name))

    # --- waiting --------------------------------------------------------------------

    def result(self, timeout: float | None = None) -> T:
        """The value, blocking up to ``timeout`` seconds (``None``: until done).

        Args:
            timeout: seconds to wait at most; ``None``: until the call is done.

        Returns:
            The call's value.

        Raises:
            LMStudioError: the call's error (a subclass: server, transport, timeout...).
            LMStudioCancelledError: the call was cancelled.
            LMStudioTimeoutError: ``timeout`` expired first (the call keeps running).
            LMStudioRuntimeError: called on the engine thread (it would deadlock).
        """
        value = self._value
        if value is not _PENDING:
            return value  # type: ignore[no-any-return]
        exc = self._wait(timeout)
        if exc is not None:
            raise _for_raise(exc)
        return _Future.result(self, 0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The call's error, or ``None`` if it succeeded; blocks and raises like :meth:`result`."""
        return self._wait(timeout)

    def _wait(self, timeout: float | None) -> BaseException | None:
        """Block until done (through ``Future.exception``) and return the stored error.

        Raises ours instead of ``concurrent.futures``' cancelled and timeout errors, and
        refuses to block the engine thread.
        """
        if threading.get_ident() in ENGINE_THREADS and not self.done():
            raise LMStudioRuntimeError(
                f"{self._description}: cannot block on a call from the lmstudio engine "
                "thread (it would deadlock); await it or use a done callback instead"
            )
        try:
            return _Future.exception(self, timeout)
        except _INTERRUPTS:
            # Ctrl-C (or a SystemExit from a signal handler) while this thread waits: the
            # caller is gone, so is the call (a stream is cancelled on the server).
            self.cancel()
            raise
        except _FutureCancelledError:
            raise LMStudioCancelledError(f"{self._description} was cancelled") from None
        except _FutureTimeoutError:
            raise LMStudioTimeoutError(
                f"{self._description} is not done after waiting {timeout} s "
                "(it is still running; cancel() it to give up)"
            ) from None

    def __await__(self) -> Generator[Any, None, T]:
        """Wait on the running asyncio loop; cancelling the awaiting task cancels the call."""
        value = self._value
        if value is not _PENDING:
            return value  # type: ignore[no-any-return]
        if not self.done():
            yield from _wait_on_running_loop(self)
        exc = self._wait(0)
        if exc is not None:
            raise _for_raise(exc)
        return _Future.result(self, 0)

    # --- cancelling and callbacks -----------------------------------------------------

    def cancel(self) -> bool:
        """Cancel the call; the engine then forgets it.

        Returns:
            ``True`` if the call is cancelled now, ``False`` if it had finished already.
        """
        if not super().cancel():
            return False
        hook, self._on_cancel = self._on_cancel, None
        if hook is not None:
            hook(self._settle)
        return True

    def add_done_callback(self, fn: Callable[[_Future[T]], object]) -> None:
        """Call ``fn(call)`` when done; never on the engine loop (see the module docstring)."""
        super().add_done_callback(functools.partial(run_off_engine, fn))

    def consume_in_background(self, executor: concurrent.futures.Executor | None = None) -> Call[T]:
        """Consume the call now, off this thread, so that its callbacks run as it goes.

        A call's callbacks (``on_prediction_fragment``, ``on_load_progress``...) run where
        it is consumed: for a call you only pass to ``concurrent.futures.wait`` or
        ``as_completed``, nobody consumes it until ``.result()``. This consumes it in a
        daemon thread (or on ``executor``), which runs them live::

            calls = [model.respond(p, on_prediction_fragment=show).consume_in_background()
                     for p in prompts]
            for call in concurrent.futures.as_completed(calls): ...

        Args:
            executor: where to consume it; ``None`` (default): a new daemon thread.

        Returns:
            A ``Call`` of the same value that completes once the consumption is over, so
            every callback has run when it is done (cancelling it cancels this call). A
            callback that raises stops this call (a prediction ends cancelled) and fails
            the returned one with that error. A call with no callbacks is returned as it
            is.
        """
        if not self._consumable():
            return self
        done, settle = new_call(
            f"{self._description}.consume_in_background()", on_cancel=lambda _: self.cancel()
        )
        if executor is None:
            threading.Thread(target=_consume, args=(self, settle), daemon=True).start()
        else:
            executor.submit(_consume, self, settle)
        return done

    def _consumable(self) -> bool:
        """Whether consuming the call runs callbacks (a ``Stream`` with a consume hook)."""
        return getattr(self, "_consume", None) is not None


class CallSettle:
    """The engine's face of a :class:`Call` (the :class:`~.settle.Settle` interface).

    It completes the call through ``concurrent.futures.Future``'s own methods (so a
    ``Call`` override never runs, nor its cancel hook), tolerating a concurrent cancel.
    """

    __slots__ = ("_call", "route")

    def __init__(self, call: Call[Any]) -> None:
        self._call = call
        self.route: Any = None

    def wanted(self) -> bool:
        return not self._call.done()

    # try/except rather than contextlib.suppress: these are on the hot path.

    def resolve(self, value: Any) -> None:
        call = self._call
        try:
            _Future.set_result(call, value)
        except _InvalidStateError:  # the caller cancelled it meanwhile
            return
        call._value = value

    def fail(self, exc: BaseException) -> None:
        try:  # noqa: SIM105
            _Future.set_exception(self._call, exc)
        except _InvalidStateError:
            pass

    def resolve_cancelled(self) -> None:
        _Future.cancel(self._call)

    def __repr__(self) -> str:
        return f"<settle of {self._call!r}>"


Call._settle_class = CallSettle


def _consume(call: Call[Any], settle: Settle) -> None:
    try:
        value = call.result()
    except LMStudioCancelledError:
        settle.resolve_cancelled()
    except BaseException as exc:  # the call's error, or one of its callbacks'
        settle.fail(exc)
    else:
        settle.resolve(value)


def _for_raise(exc: BaseException) -> BaseException:
    park_if_exiting()  # a daemon thread at interpreter exit: quiet (callbacks.py)
    # Our own errors are created, not raised, on the engine: dropping any traceback from
    # an earlier raise keeps the traceback ending in the caller's frame.
    if isinstance(exc, LMStudioError):
        return exc.with_traceback(None)
    return exc


def _wait_on_running_loop(call: _Future[Any]) -> Generator[Any, None, None]:
    asyncio = _asyncio()
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    # The base method on purpose: this internal callback is cheap and thread-safe, so it
    # runs directly in the completing (engine) thread.
    _Future.add_done_callback(call, functools.partial(_wake_waiter, loop, waiter))
    try:
        yield from waiter
    except BaseException:
        # The awaiting task was cancelled (or the coroutine closed): give up the call too.
        call.cancel()
        raise


def _asyncio() -> Any:
    # Awaiting implies asyncio is imported; avoid importing it with the package.
    module = sys.modules.get("asyncio")
    if module is None:  # pragma: no cover - defensive
        import asyncio as module
    return module


def _wake_waiter(loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[None], _: object) -> None:
    try:  # noqa: SIM105 - hot path
        loop.call_soon_threadsafe(_resolve_waiter, waiter)
    except RuntimeError:  # the awaiting loop is closed: nobody waits any more
        pass


def _resolve_waiter(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


publish(__name__, globals())
