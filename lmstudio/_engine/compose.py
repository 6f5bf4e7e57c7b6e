"""One ``Call`` from several: the engine's way to join calls (features use this,
never ``Call``'s private setters).

LM Studio has no batch endpoints (``embed`` of a list is one ``embedString`` per text),
and a few methods span namespaces (``list_loaded_models`` asks ``llm`` and
``embedding``). :func:`gather` starts nothing itself: it joins calls already submitted
into one ``Call`` of their combined value, so the public methods that need more than
one request still return a single future-like object.

Rules: the joined call fails with the first sub-call error (the others are cancelled),
is cancelled if a sub-call is, and cancelling it cancels every sub-call. ``combine``
runs once, in the thread that completes the last sub-call (possibly the engine loop):
it must be quick and never call user code.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .call import Call

__all__ = ["gather"]

T = TypeVar("T")
R = TypeVar("R")


def gather(calls: Sequence[Call[T]], combine: Callable[[list[T]], R], description: str) -> Call[R]:
    """A call of ``combine([each result, in order])`` once every call in ``calls`` is done."""
    joined: Call[R] = Call(description)
    pending = list(calls)

    def cancel_all() -> None:
        for call in pending:
            call.cancel()

    joined._cancel_hook = cancel_all
    if not pending:
        _settle(joined, combine, [])
        return joined
    lock = threading.Lock()
    remaining = len(pending)

    def one_done(call: concurrent.futures.Future[Any]) -> None:
        nonlocal remaining
        if joined.done():
            return
        if call.cancelled():
            joined._set_cancelled()
            cancel_all()
            return
        error = call.exception()
        if error is not None:
            joined._set_exception(error)
            cancel_all()
            return
        with lock:
            remaining -= 1
            last = remaining == 0
        if last:
            _settle(joined, combine, [c.result() for c in pending])

    for call in pending:
        # The base method: ``one_done`` is cheap and thread-safe, so it may run on the
        # engine loop (``Call.add_done_callback`` would bounce it to another thread).
        concurrent.futures.Future.add_done_callback(call, one_done)
    return joined


def _settle(joined: Call[R], combine: Callable[[list[T]], R], results: list[T]) -> None:
    try:
        value = combine(results)
    except Exception as exc:
        joined._set_exception(exc)
    else:
        joined._set_result(value)
