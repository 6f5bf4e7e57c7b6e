"""One ``Call`` from several: the engine's way to join calls (features use this; only
the engine settles a ``Call``, through its ``settle.py`` face).

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

from .call import Call, new_call
from .settle import Settle

__all__ = ["gather"]

T = TypeVar("T")
R = TypeVar("R")


def gather(calls: Sequence[Call[T]], combine: Callable[[list[T]], R], description: str) -> Call[R]:
    """A call of ``combine([each result, in order])`` once every call in ``calls`` is done."""
    pending = list(calls)

    def cancel_all(_: object = None) -> None:
        for call in pending:
            call.cancel()

    joined: Call[R]
    joined, settle = new_call(description, on_cancel=cancel_all)
    if not pending:
        _settle(settle, combine, [])
        return joined
    lock = threading.Lock()
    remaining = len(pending)

    def one_done(call: concurrent.futures.Future[Any]) -> None:
        nonlocal remaining
        if not settle.wanted():
            return
        if call.cancelled():
            settle.resolve_cancelled()
            cancel_all()
            return
        error = call.exception()
        if error is not None:
            settle.fail(error)
            cancel_all()
            return
        with lock:
            remaining -= 1
            last = remaining == 0
        if last:
            _settle(settle, combine, [c.result() for c in pending])

    for call in pending:
        # The base method: ``one_done`` is cheap and thread-safe, so it may run on the
        # engine loop (``Call.add_done_callback`` would bounce it to another thread).
        concurrent.futures.Future.add_done_callback(call, one_done)
    return joined


def _settle(settle: Settle, combine: Callable[[list[T]], R], results: list[T]) -> None:
    try:
        value = combine(results)
    except Exception as exc:
        settle.fail(exc)
    else:
        settle.resolve(value)
