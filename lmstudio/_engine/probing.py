"""Probing for LM Studio without a client: is a host one, which local port is it on.

``Client.is_valid_api_host(host)`` and ``Client.find_default_local_api_host()`` (the
official SDK's names) run the greeting probe (``discovery.py``) on the engine loop and
hand back a ``Call``, like every other I/O method.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .._constants import DEFAULT_PORTS
from .boundary import translate
from .call import Call, new_call
from .discovery import discover, probe
from .target import parse_host

__all__ = ["find_local_host", "is_lm_studio"]

T = TypeVar("T")


def is_lm_studio(api_host: str) -> Call[bool]:
    """Whether LM Studio's API server answers at ``api_host`` (its greeting probe).

    Raises:
        LMStudioValueError: ``api_host`` is not a valid host (raised here).
    """
    target = parse_host(api_host)
    return _on_engine(
        f"Client.is_valid_api_host({api_host!r})", lambda: probe(target.host, target.port)
    )


def find_local_host() -> Call[str | None]:
    """``"127.0.0.1:PORT"`` of LM Studio on this machine (its default ports), or ``None``."""

    async def find() -> str | None:
        port = await discover(DEFAULT_PORTS)
        return None if port is None else f"127.0.0.1:{port}"

    return _on_engine("Client.find_default_local_api_host()", find)


def _on_engine(description: str, make: Callable[[], Coroutine[Any, Any, T]]) -> Call[T]:
    from . import loop

    engine = loop.acquire()
    running: list[concurrent.futures.Future[T]] = []
    call, settle = new_call(description, on_cancel=lambda _: running and running[0].cancel())
    future = engine.run(make())
    running.append(future)

    def done(finished: concurrent.futures.Future[T]) -> None:
        try:
            settle.resolve(finished.result())
        except concurrent.futures.CancelledError:
            settle.resolve_cancelled()
        except Exception as exc:
            settle.fail(translate(exc, description))

    future.add_done_callback(done)
    call.add_done_callback(lambda _: loop.release(engine))  # off the engine thread
    return call
