"""Run user callbacks off the engine loop.

The engine loop never runs user code. A ``Call``'s done callbacks would otherwise run
in whichever thread completes the future (the engine thread); when that happens they
are handed to one small daemon thread instead, in order. It starts on first need and
stops with the engine (:func:`shutdown`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

__all__ = ["ENGINE_THREADS", "EXITING", "dispatch", "park_if_exiting", "run_off_engine", "shutdown"]

logger = logging.getLogger("lmstudio.engine")

ENGINE_THREADS: set[int] = set()
"""Thread idents of running engine loops (maintained by ``loop.py``)."""

EXITING = threading.Event()
"""Set by the engine's exit hook (``loop.py``), before it closes what is still open."""


def park_if_exiting() -> None:
    """In a daemon thread while the interpreter exits: block for good instead of raising.

    At exit the engine closes every connection, which fails the calls in flight; a daemon
    thread still waiting on one would raise into a dying interpreter and print
    "Exception in thread" on stderr. It stays blocked instead, as a daemon thread blocked
    on a socket would, and goes with the interpreter. Elsewhere this returns at once.
    """
    if EXITING.is_set():
        thread = threading.current_thread()
        if thread.daemon and thread is not threading.main_thread():
            threading.Event().wait()


_Job = tuple[Callable[[Any], object], Any] | None

_lock = threading.Lock()
_queue: SimpleQueue[_Job] | None = None
_thread: threading.Thread | None = None


def run_off_engine(fn: Callable[[Any], object], arg: Any) -> None:
    """Call ``fn(arg)`` now, or on the dispatcher thread if this is the engine thread."""
    if threading.get_ident() in ENGINE_THREADS:
        dispatch(fn, arg)
    else:
        fn(arg)


def dispatch(fn: Callable[[Any], object], arg: Any) -> None:
    """Queue ``fn(arg)`` for the dispatcher thread (started on first use)."""
    global _queue, _thread
    with _lock:
        if _queue is None or _thread is None:
            _queue = SimpleQueue()
            _thread = threading.Thread(
                target=_run, args=(_queue,), name="lmstudio-callbacks", daemon=True
            )
            _thread.start()
        _queue.put((fn, arg))


def shutdown(timeout: float | None = None) -> None:
    """Stop the dispatcher thread after the callbacks already queued."""
    global _queue, _thread
    with _lock:
        queue, thread = _queue, _thread
        _queue = _thread = None
    if queue is not None and thread is not None:
        queue.put(None)
        if thread is not threading.current_thread():
            thread.join(timeout)


def reset_after_fork() -> None:
    """In a forked child: forget the parent's dispatcher (its thread does not exist here)."""
    global _lock, _queue, _thread
    _lock = threading.Lock()
    _queue = _thread = None
    ENGINE_THREADS.clear()


def _run(queue: SimpleQueue[_Job]) -> None:
    while (job := queue.get()) is not None:
        fn, arg = job
        try:
            fn(arg)
        except Exception:
            logger.exception("exception calling callback for %r", arg)
