"""The engine: one asyncio loop in one daemon thread per process.

Every socket and every in-flight call lives on this loop; public methods only
*submit* work to it (:meth:`Engine.submit`) and hand back a ``Call`` or ``Stream``.

Lifecycle:

- started lazily by the first client that needs it (:func:`acquire`), shared by every
  client of the process, and stopped when the last one is closed (:func:`release`),
  so a closed client leaves no thread, task or socket behind;
- at interpreter exit, a hook closes whatever is still open (a script that forgets
  ``close()`` exits promptly and quietly);
- in a child after ``os.fork()``, the parent's engine is forgotten, its sockets never
  touched (they belong to the parent), its calls in flight failed at once with
  :class:`~lmstudio.LMStudioRuntimeError`, and the next use starts a fresh engine.

Submissions are batched: a burst of submissions from many threads costs one wake-up
of the loop, and connections flush what they have to send once per batch.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._constants import ENGINE_START_TIMEOUT, EXIT_TIMEOUT
from ..errors import LMStudioRuntimeError
from . import callbacks
from .callbacks import ENGINE_THREADS

if TYPE_CHECKING:
    import concurrent.futures


__all__ = ["Closable", "Engine", "acquire", "release"]


class Closable(Protocol):
    """What the engine closes at interpreter exit: a client's pool of connections."""

    async def close(self, timeout: float = ...) -> None: ...


logger = logging.getLogger("lmstudio.engine")

T = TypeVar("T")


class Engine:
    """The loop thread. Use :func:`acquire` / :func:`release` rather than this class."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.users = 0
        self.defunct = False  # set in a forked child: this engine belongs to the parent
        self.pools: set[Closable] = set()
        self.stopped = False
        self._queue: deque[tuple[Callable[..., object], tuple[Any, ...]]] = deque()
        self._wake_pending = False
        self._draining = False
        self._after_drain: list[Callable[[], object]] = []
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lmstudio-engine", daemon=True)
        self.thread.start()
        if not self._started.wait(ENGINE_START_TIMEOUT):  # pragma: no cover - a starved machine
            raise LMStudioRuntimeError("the lmstudio engine thread did not start")

    # --- any thread ----------------------------------------------------------------------

    def submit(self, fn: Callable[..., object], *args: Any) -> bool:
        """Run ``fn(*args)`` on the loop, in submission order (any thread, non-blocking).

        ``False`` if the engine has stopped. A submission that races with the stop is
        not run either: the calls among its arguments are cancelled (see ``_run``).
        """
        if self.stopped:
            return False
        self._queue.append((fn, args))
        if not self._wake_pending:
            self._wake_pending = True
            try:
                self.loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # the loop is closed: the engine has stopped
                self._wake_pending = False
                self._cancel_leftovers()
                return False
        return True

    def run(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run a coroutine on the loop; its future (for a few control operations only).

        Raises :class:`LMStudioRuntimeError` if the engine has stopped; the coroutine is
        closed then, never left un-awaited.
        """
        try:
            if self.stopped:
                raise RuntimeError("stopped")
            return asyncio.run_coroutine_threadsafe(coro, self.loop)
        except RuntimeError:  # stopped, or the loop closed meanwhile
            coro.close()
            raise LMStudioRuntimeError("the lmstudio engine has stopped") from None

    def in_engine_thread(self) -> bool:
        return threading.get_ident() == self.thread.ident

    def stop(self, timeout: float | None = None) -> None:
        """Stop the loop and wait (up to ``timeout``) for the thread to finish."""
        self.stopped = True
        with contextlib.suppress(RuntimeError):  # already closed
            self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.in_engine_thread():
            self.thread.join(timeout)

    # --- engine thread -------------------------------------------------------------------

    def after_drain(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` once the current batch of submissions is done (or soon)."""
        if self._draining:
            self._after_drain.append(fn)
        else:
            self.loop.call_soon(fn)

    def _drain(self) -> None:
        self._wake_pending = False  # before popping: a later submission schedules again
        self._draining = True
        queue = self._queue
        try:
            while queue:
                fn, args = queue.popleft()
                try:
                    fn(*args)
                except Exception:
                    logger.exception("lmstudio engine: unexpected error in %r", fn)
        finally:
            self._draining = False
            after, self._after_drain = self._after_drain, []
            for fn in after:
                try:
                    fn()
                except Exception:
                    logger.exception("lmstudio engine: unexpected error in %r", fn)

    def _run(self) -> None:
        ident = threading.get_ident()
        ENGINE_THREADS.add(ident)
        asyncio.set_event_loop(self.loop)
        self._started.set()
        try:
            # websockets (~60 ms of imports, for connection.py) is imported here, after
            # the caller stopped waiting and before the loop runs: a first call never
            # stalls the caller's event loop, nor an engine callback (issue 15, point 7).
            import websockets.client
            import websockets.frames
            import websockets.http11
            import websockets.protocol
            import websockets.uri  # noqa: F401

            self.loop.run_forever()
        finally:
            self.stopped = True
            try:
                _finish_loop(self.loop)
            finally:
                ENGINE_THREADS.discard(ident)
                self._cancel_leftovers()

    def _cancel_leftovers(self) -> None:
        """Cancel the calls of submissions that raced with the stop (they never run)."""
        from ..errors import LMStudioCancelledError
        from .settle import Settle

        while self._queue:
            try:
                _, args = self._queue.popleft()
            except IndexError:  # pragma: no cover - emptied concurrently
                break
            for arg in args:
                if isinstance(arg, Settle):  # a no-op if it is settled already
                    arg.fail(LMStudioCancelledError("cancelled: the client was closed meanwhile"))


def _finish_loop(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


# --- the process-wide engine ----------------------------------------------------------

_lock = threading.Lock()
_engine: Engine | None = None
_forked_away: list[Engine] = []  # parents' engines, kept alive so their sockets are never closed


def acquire() -> Engine:
    """The running engine (started if needed), counted as used until :func:`release`."""
    global _engine
    with _lock:
        engine = _engine
        if engine is None:
            engine = _engine = Engine()
        engine.users += 1
        return engine


def release(engine: Engine, timeout: float | None = None) -> None:
    """Stop using ``engine``; the last user stops it and its loop thread."""
    global _engine
    with _lock:
        if engine.defunct:
            return
        engine.users -= 1
        if engine.users > 0:
            return
        if _engine is engine:
            _engine = None
        last = _engine is None
    engine.stop(timeout)
    if last:
        callbacks.shutdown(timeout)


def _at_exit() -> None:
    """Close what is still open, promptly, so the interpreter exits quietly."""
    global _engine
    callbacks.EXITING.set()  # daemon threads waiting on calls stay blocked, quietly
    with _lock:
        engine, _engine = _engine, None
    if engine is None or engine.defunct:
        return
    pools = list(engine.pools)
    if pools and not engine.in_engine_thread():
        try:
            closing = engine.run(_close_pools(pools))
            closing.result(EXIT_TIMEOUT)
        except Exception:  # a timeout or a dead loop: drop the sockets with the loop
            pass
    engine.stop(EXIT_TIMEOUT)
    callbacks.shutdown(EXIT_TIMEOUT)


async def _close_pools(pools: list[Closable]) -> None:
    await asyncio.gather(*(pool.close(EXIT_TIMEOUT / 2) for pool in pools))


def _after_fork_in_child() -> None:
    global _engine, _lock
    _lock = threading.Lock()
    parent = _engine
    if parent is not None:
        parent.defunct = True
        _forked_away.append(parent)
        _engine = None
    callbacks.reset_after_fork()
    if parent is not None:
        # The parent's calls in flight would never resolve here (its loop thread does
        # not exist in the child): fail them now. From a thread, because a lock that
        # another parent thread held at the fork stays held in the child: a stuck
        # settling blocks that daemon thread, never the child.
        threading.Thread(
            target=_fail_parent_calls, args=(parent,), name="lmstudio-fork", daemon=True
        ).start()


def _fail_parent_calls(parent: Engine) -> None:
    """Fail what the parent's engine had in flight (in a forked child; nothing else runs it)."""
    from ..errors import LMStudioRuntimeError

    def error() -> LMStudioRuntimeError:
        return LMStudioRuntimeError(
            "this call was in flight when the process forked; its connection belongs to "
            "the parent process: start it again in the child"
        )

    from .settle import Settle

    while parent._queue:  # submitted, not started
        with contextlib.suppress(IndexError):
            _, args = parent._queue.popleft()
            for arg in args:
                if isinstance(arg, Settle):
                    arg.fail(error())
    for pool in list(parent.pools):
        for conn in getattr(pool, "connections", dict)().values():
            with contextlib.suppress(Exception):
                conn.mux.fail_all(error)


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
