"""What every hook's server shares: its channel, user code off the engine loop, errors.

A hook's channel is opened with no inactivity timeout (LM Studio may send nothing for
hours) and read on the runner's own event loop; dispatching a packet only starts a task,
so requests are served concurrently. User code runs in that task: an ``async def`` hook on
the runner's loop, a plain function in a daemon worker thread that carries the task's
context variables (:func:`call_user`). The engine loop only carries packets.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import threading
import traceback
import weakref
from collections.abc import Callable, Coroutine, Hashable
from typing import TYPE_CHECKING, Any

from .._constants import PLUGIN_MAX_HOOK_THREADS
from .._engine.handler import ChannelHandler
from .._protocol.models import KvConfig, SerializedLMSExtendedError

if TYPE_CHECKING:
    from .._client import Client
    from .._engine.stream import Stream
    from .._protocol.endpoints import Channel
    from ._config import BaseConfigSchema
    from ._discovery import LoadedPlugin

__all__ = ["HookServer", "call_user", "serialize_error"]

_log = logging.getLogger("lmstudio.plugin")


async def call_user(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a hook or a tool: ``async def`` ones here, plain ones in a worker thread."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    result = await _in_thread(fn, *args)
    if inspect.isawaitable(result):
        result = await result
    return result


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a daemon thread, with the caller's context variables.

    Daemon threads (at most ``PLUGIN_MAX_HOOK_THREADS`` at once): a plain-function hook
    that never returns (an aborted one, say) cannot keep the runner from stopping, as a
    ``ThreadPoolExecutor`` worker would at exit.
    """
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(PLUGIN_MAX_HOOK_THREADS)
    await slots.acquire()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        slots.release()
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def run() -> None:
        try:
            outcome = (True, context.run(fn, *args))
        except BaseException as exc:  # handed to the awaiting task
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, *outcome)

    try:
        threading.Thread(target=run, name="plugin-hook", daemon=True).start()
    except BaseException:
        slots.release()
        raise
    return await future


def serialize_error(exc: BaseException, title: str) -> SerializedLMSExtendedError:
    """An exception as LM Studio's error shape (title, cause, stack)."""
    cause = f"{type(exc).__name__}: {exc}"
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return SerializedLMSExtendedError(title=title, root_title=title, cause=cause, stack=stack)


class _Uncancellable(ChannelHandler[Any, None]):
    """A hook channel has no cancel packet: stopping it only forgets it locally (the
    connection's close tells LM Studio)."""

    cancel_packet = None


class HookServer:
    """One hook's channel: reads its packets, starts a task per request, sends answers."""

    endpoint: Channel[None, Any, Any]
    hook_name: str

    def __init__(self, plugin: LoadedPlugin, client: Client) -> None:
        self.plugin = plugin
        self.client = client
        self.hook = plugin.hooks[self.hook_name]
        self.stream: Stream[Any, Any] | None = None
        self.tasks: dict[Hashable, asyncio.Task[None]] = {}

    def open(self) -> None:
        """Open the hook's channel (``set*`` endpoint), no inactivity timeout."""
        self.stream = self.client._session.channel(
            self.endpoint, None, handler=_Uncancellable(), timeout=None
        )

    async def serve(self) -> None:
        """Dispatch packets until LM Studio closes the channel (or it fails)."""
        assert self.stream is not None
        async for packet in self.stream:
            try:
                self.dispatch(packet)
            except Exception:
                _log.exception(
                    "plugin %r: cannot handle %s", self.plugin.name, type(packet).__name__
                )

    def dispatch(self, packet: Any) -> None:
        raise NotImplementedError

    def send(self, packet: Any) -> None:
        """Send a to-server packet on the channel (from any thread; dropped once it ended)."""
        assert self.stream is not None
        self.client._session.send(self.endpoint, self.stream, packet)

    def spawn(self, key: Hashable, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run one request's coroutine as a task, tracked by ``key`` until it ends."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks[key] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self.tasks.get(key) is done:
                del self.tasks[key]
            if not done.cancelled() and done.exception() is not None:
                _log.error(
                    "plugin %r: request %r failed in the runner",
                    self.plugin.name,
                    key,
                    exc_info=done.exception(),
                )

        task.add_done_callback(forget)
        return task

    async def shutdown(self) -> None:
        """Cancel every request in flight and wait for them to finish."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        if self.stream is not None:
            self.stream.cancel()

    def configs(
        self, plugin_config: KvConfig, global_config: KvConfig
    ) -> tuple[BaseConfigSchema, BaseConfigSchema]:
        return (
            self.plugin.config_schema._parse(plugin_config),
            self.plugin.global_config_schema._parse(global_config),
        )
