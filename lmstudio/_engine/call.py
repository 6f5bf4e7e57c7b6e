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
- ``.cancel()`` resolves the call as cancelled at once; the engine then forgets it (an
  rpc's late answer is dropped, a channel is cancelled on the server).
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
from concurrent.futures._base import CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED
from typing import TYPE_CHECKING, Any, TypeVar

from .._exports import publish
from ..errors import (
    LMStudioCancelledError,
    LMStudioError,
    LMStudioRuntimeError,
    LMStudioTimeoutError,
)
from .callbacks import ENGINE_THREADS, run_off_engine

if TYPE_CHECKING:
    import asyncio

__all__ = ["Call"]

T = TypeVar("T")

_Future = concurrent.futures.Future
_InvalidStateError = concurrent.futures.InvalidStateError
_CANCELLED_STATES = (CANCELLED, CANCELLED_AND_NOTIFIED)
DONE_STATES = (FINISHED, CANCELLED, CANCELLED_AND_NOTIFIED)


class Call(concurrent.futures.Future[T]):
    """The pending result of one LM Studio request: block, await or cancel it.

    ``result(timeout=None)`` blocks; ``await call`` works from any event loop;
    ``cancel()``, ``done()``, ``cancelled()``, ``exception()`` and
    ``add_done_callback()`` behave as on :class:`concurrent.futures.Future`.
    """

    def __init__(self, description: str = "call") -> None:
        super().__init__()
        self._description = description
        self._cancel_hook: Callable[[], object] | None = None
        self._wire: tuple[Any, int] | None = None  # (connection, id), set by the engine

    def __repr__(self) -> str:
        state = self._state.lower().replace("_and_notified", "")
        return f"<{type(self).__name__} {self._description} state={state}>"

    # --- waiting --------------------------------------------------------------------

    def result(self, timeout: float | None = None) -> T:
        """The value, blocking up to ``timeout`` seconds (``None``: until done).

        Raises the call's error, :class:`~lmstudio.LMStudioCancelledError` if it was
        cancelled, or :class:`~lmstudio.LMStudioTimeoutError` if ``timeout`` expires
        first (the call keeps running).
        """
        if self._state != FINISHED:
            self._wait(timeout)
        exc = self._exception
        if exc is not None:
            raise _for_raise(exc)
        return self._result  # type: ignore[return-value]

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The call's error, or ``None`` if it succeeded; blocks like :meth:`result`."""
        if self._state != FINISHED:
            self._wait(timeout)
        return self._exception

    def _wait(self, timeout: float | None) -> None:
        """Block until done; raise if cancelled, on timeout, or on the engine thread."""
        with self._condition:
            if self._state not in DONE_STATES:
                if threading.get_ident() in ENGINE_THREADS:
                    raise LMStudioRuntimeError(
                        f"{self._description}: cannot block on a call from the lmstudio engine "
                        "thread (it would deadlock); await it or use a done callback instead"
                    )
                self._condition.wait(timeout)
            if self._state in _CANCELLED_STATES:
                raise LMStudioCancelledError(f"{self._description} was cancelled")
            if self._state != FINISHED:
                raise LMStudioTimeoutError(
                    f"{self._description} is not done after waiting {timeout} s "
                    "(it is still running; cancel() it to give up)"
                )

    def __await__(self) -> Generator[Any, None, T]:
        """Wait on the running asyncio loop; cancelling the awaiting task cancels the call."""
        if self._state not in DONE_STATES:
            yield from _wait_on_running_loop(self)
        if self._state in _CANCELLED_STATES:
            raise LMStudioCancelledError(f"{self._description} was cancelled")
        exc = self._exception
        if exc is not None:
            raise _for_raise(exc)
        return self._result  # type: ignore[return-value]

    # --- cancelling and callbacks -----------------------------------------------------

    def cancel(self) -> bool:
        """Cancel the call; ``False`` if it already finished. The engine then forgets it."""
        if not super().cancel():
            return False
        hook, self._cancel_hook = self._cancel_hook, None
        if hook is not None:
            hook()
        return True

    def add_done_callback(self, fn: Callable[[_Future[T]], object]) -> None:
        """Call ``fn(call)`` when done; never on the engine loop (see the module docstring)."""
        super().add_done_callback(functools.partial(run_off_engine, fn))

    # --- engine side --------------------------------------------------------------------
    # The engine settles calls with these; they tolerate a concurrent user cancel().

    # try/except rather than contextlib.suppress: these are on the hot path.

    def _set_result(self, value: Any) -> None:
        try:  # noqa: SIM105
            _Future.set_result(self, value)
        except _InvalidStateError:
            pass

    def _set_exception(self, exc: BaseException) -> None:
        try:  # noqa: SIM105
            _Future.set_exception(self, exc)
        except _InvalidStateError:
            pass

    def _set_cancelled(self) -> None:
        """Resolve as cancelled from the engine side (no cancel hook runs)."""
        _Future.cancel(self)


def _for_raise(exc: BaseException) -> BaseException:
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
