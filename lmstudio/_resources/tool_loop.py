"""The helper loop: a small asyncio loop thread where acts are driven (never the engine loop).

It starts on first use, is shared by every act of the process, runs as a daemon thread
(it never keeps the interpreter alive) and stops at interpreter exit. A forked child
forgets its parent's thread and starts its own when it needs one.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["helper_loop"]

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def helper_loop() -> asyncio.AbstractEventLoop:
    """The running helper loop (started on first call)."""
    global _loop, _thread
    with _lock:
        if _loop is not None and _thread is not None and _thread.is_alive():
            return _loop
        import asyncio

        loop = asyncio.new_event_loop()
        started = threading.Event()
        thread = threading.Thread(
            target=_run, args=(loop, started), name="lmstudio-act", daemon=True
        )
        thread.start()
        started.wait()
        _loop, _thread = loop, thread
        return loop


def _run(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
    import asyncio

    asyncio.set_event_loop(loop)
    loop.call_soon(started.set)
    try:
        loop.run_forever()
    finally:
        loop.close()


def _stop() -> None:
    global _loop, _thread
    with _lock:
        loop, thread = _loop, _thread
        _loop = _thread = None
    if loop is not None and thread is not None and thread.is_alive():
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:  # pragma: no cover - closed meanwhile
            return
        thread.join(1.0)


def _forget_after_fork() -> None:
    global _lock, _loop, _thread
    _lock = threading.Lock()
    _loop = _thread = None


atexit.register(_stop)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
