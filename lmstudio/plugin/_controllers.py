"""What a hook gets as ``ctl``: config values, the client, abort state, UI blocks.

Every controller has ``plugin_config`` / ``global_config`` (instances of the plugin's
schemas), ``client`` (a :class:`~lmstudio.Client` connected as the plugin: block with
``.result()`` in a plain hook, ``await`` in an ``async def`` one), ``working_path``,
``aborted`` / ``on_aborted()`` / ``guard_abort()``. Methods that talk to LM Studio return a
:class:`~lmstudio.Call` (await it or call ``.result()``), as everywhere in this SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._data.history import Chat
from .._engine.call import Call
from .._protocol.endpoints import plugins as plugins_api
from .._protocol.models import (
    KvConfig,
    PluginsRpcProcessingGetOrLoadTokenSourceParameter,
    PluginsRpcProcessingHandleUpdateParameter,
    PluginsRpcProcessingPullHistoryParameter,
    PluginsRpcProcessingSuggestNameParameter,
    ProcessingUpdate,
    ProcessingUpdateDebugInfoBlockCreate,
    ProcessingUpdateStatusCreate,
    ProcessingUpdateStatusRemove,
    ProcessingUpdateStatusUpdate,
    StatusStepState,
)
from ..errors import LMStudioCancelledError
from ._config import BaseConfigSchema
from ._errors import LMStudioPluginRuntimeError

if TYPE_CHECKING:
    from .._client import Client
    from .._data.config import LlmPredictionConfig

__all__ = [
    "HookController",
    "ProcessingController",
    "StatusBlockController",
    "TGlobalConfigSchema",
    "TPluginConfigSchema",
]

_log = logging.getLogger("lmstudio.plugin")

TPluginConfigSchema = TypeVar("TPluginConfigSchema", bound=BaseConfigSchema)
TGlobalConfigSchema = TypeVar("TGlobalConfigSchema", bound=BaseConfigSchema)


def new_block_id() -> str:
    return f"{time.time_ns()}-{secrets.token_hex(4)}"


class HookController(Generic[TPluginConfigSchema, TGlobalConfigSchema]):
    """Common to every hook's controller (see the module docstring)."""

    def __init__(
        self,
        client: Client,
        plugin_config: TPluginConfigSchema,
        global_config: TGlobalConfigSchema,
        working_directory: str | None,
    ) -> None:
        self.client = client
        """The client the plugin runs on (connected with the plugin's identity)."""
        self.plugin_config = plugin_config
        """This chat's values of the plugin's ``ConfigSchema``."""
        self.global_config = global_config
        """The values of the plugin's ``GlobalConfigSchema``."""
        self.working_path = Path(working_directory) if working_directory else None
        """The chat's working directory, if it has one."""
        self._aborted = threading.Event()
        self._on_abort: list[Callable[[], Any]] = []
        self._lock = threading.Lock()

    @property
    def aborted(self) -> bool:
        """Whether LM Studio aborted this request (an ``async def`` hook is also cancelled)."""
        return self._aborted.is_set()

    def on_aborted(self, callback: Callable[[], Any]) -> None:
        """Run ``callback()`` when the request is aborted (at once if it already was).

        It runs on the runner's event loop: keep it quick.
        """
        with self._lock:
            if not self._aborted.is_set():
                self._on_abort.append(callback)
                return
        _run_callback(callback)

    def guard_abort(self) -> None:
        """Raise :class:`~lmstudio.LMStudioCancelledError` if the request was aborted
        (sprinkle it through a long plain-function hook)."""
        if self._aborted.is_set():
            raise LMStudioCancelledError("LM Studio aborted this plugin request")

    def wait_aborted(self, timeout: float | None = None) -> bool:
        """Block until the request is aborted or ``timeout`` passes; whether it was."""
        return self._aborted.wait(timeout)

    def get_working_directory(self) -> Path:
        """The chat's working directory (the TypeScript SDK's name).

        Raises:
            LMStudioPluginRuntimeError: the request has no working directory.
        """
        if self.working_path is None:
            raise LMStudioPluginRuntimeError("This request is not attached to a working directory")
        return self.working_path

    def _abort(self) -> None:
        with self._lock:
            if self._aborted.is_set():
                return
            self._aborted.set()
            callbacks, self._on_abort = self._on_abort, []
        for callback in callbacks:
            _run_callback(callback)


def _run_callback(callback: Callable[[], Any]) -> None:
    try:
        callback()
    except Exception:
        _log.exception("a plugin's on_aborted callback raised")


class StatusBlockController:
    """A status block in the chat, updated in place (``processingHandleUpdate``)."""

    def __init__(self, controller: ProcessingController[Any, Any], block_id: str) -> None:
        self._ctl = controller
        self.id = block_id

    def set_state(self, status: str, text: str) -> Call[None]:
        """Show ``text`` with ``status`` (``waiting``, ``loading``, ``done``, ``error``,
        ``canceled``)."""
        state = StatusStepState(status=status, text=text)
        return self._ctl._update(ProcessingUpdateStatusUpdate(id=self.id, state=state))

    def notify_waiting(self, message: str) -> Call[None]:
        """Waiting (a static icon)."""
        return self.set_state("waiting", message)

    def notify_working(self, message: str) -> Call[None]:
        """Working (a moving icon)."""
        return self.set_state("loading", message)

    def notify_error(self, message: str) -> Call[None]:
        """Failed."""
        return self.set_state("error", message)

    def notify_canceled(self, message: str) -> Call[None]:
        """Cancelled."""
        return self.set_state("canceled", message)

    def notify_done(self, message: str) -> Call[None]:
        """Done."""
        return self.set_state("done", message)

    def remove(self) -> Call[None]:
        """Remove the block."""
        return self._ctl._update(ProcessingUpdateStatusRemove(id=self.id))

    @contextlib.asynccontextmanager
    async def notify_aborted(self, message: str) -> AsyncIterator[None]:
        """``async with block.notify_aborted("Cancelled."):`` marks the block cancelled if
        the body is cancelled (the request was aborted)."""
        try:
            yield
        except (asyncio.CancelledError, LMStudioCancelledError):
            self.notify_canceled(message)
            raise

    @contextlib.contextmanager
    def notify_aborted_sync(self, message: str) -> Iterator[None]:
        """``with block.notify_aborted_sync(...)``: the same in a plain-function hook."""
        try:
            yield
        except LMStudioCancelledError:
            self.notify_canceled(message)
            raise


class ProcessingController(HookController[TPluginConfigSchema, TGlobalConfigSchema]):
    """The controller of a prompt preprocessor and of a prediction loop handler."""

    def __init__(
        self,
        client: Client,
        plugin_config: TPluginConfigSchema,
        global_config: TGlobalConfigSchema,
        working_directory: str | None,
        *,
        task_id: str,
        pci: str,
        token: str,
        config: KvConfig,
        include_current: bool,
    ) -> None:
        super().__init__(client, plugin_config, global_config, working_directory)
        self.task_id = task_id
        self.pci = pci
        self.token = token
        self._config = config
        self._include_current = include_current

    @property
    def config(self) -> LlmPredictionConfig:
        """The prediction config of the request being processed."""
        from .._data.config import prediction_config_from_kv

        return prediction_config_from_kv(self._config)

    def _update(self, update: ProcessingUpdate) -> Call[None]:
        parameter = PluginsRpcProcessingHandleUpdateParameter(
            pci=self.pci, token=self.token, update=update
        )
        return self.client._session.rpc(plugins_api.PROCESSING_HANDLE_UPDATE, parameter)

    def _create_status(self, status: str, text: str) -> tuple[StatusBlockController, Call[None]]:
        block = StatusBlockController(self, new_block_id())
        state = StatusStepState(status=status, text=text)
        return block, self._update(ProcessingUpdateStatusCreate(id=block.id, state=state))

    def create_status(self, status: str, text: str) -> StatusBlockController:
        """A new status block (the TypeScript SDK's ``createStatus``); update it in place.

        The block is created in the background (a failure is logged).
        """
        block, call = self._create_status(status, text)
        call.add_done_callback(_log_failure)
        return block

    def notify_start(self, message: str) -> Call[StatusBlockController]:
        """A new status block showing ``message`` as waiting; its controller for updates.

        ``block = await ctl.notify_start("Working...")`` (or ``.result()``).
        """
        block, call = self._create_status("waiting", message)
        return _then(call, block)

    def notify_done(self, message: str) -> Call[None]:
        """A new status block showing ``message`` as done."""
        return self._create_status("done", message)[1]

    def create_debug_info_block(self, debug_info: str) -> Call[None]:
        """A debug info block (shown in LM Studio's developer view)."""
        update = ProcessingUpdateDebugInfoBlockCreate(id=new_block_id(), debug_info=debug_info)
        return self._update(update)

    def debug(self, *messages: object) -> Call[None]:
        """``print``-like: a debug info block of the messages joined by spaces."""
        return self.create_debug_info_block(" ".join(map(str, messages)))

    def set_sender_name(self, name: str) -> Call[None]:
        """The sender name shown above the message being produced."""
        parameter = PluginsRpcProcessingSuggestNameParameter(
            pci=self.pci, token=self.token, name=name
        )
        return self.client._session.rpc(plugins_api.PROCESSING_SET_SENDER_NAME, parameter)

    def pull_history(self) -> Call[Chat]:
        """The chat being processed, as a :class:`~lmstudio.Chat` (a copy)."""
        parameter = PluginsRpcProcessingPullHistoryParameter(
            pci=self.pci, token=self.token, include_current=self._include_current
        )
        return self.client._session.rpc(
            plugins_api.PROCESSING_PULL_HISTORY, parameter, transform=Chat.from_history
        )

    def has_status(self) -> Call[bool]:
        """Whether this prediction already shows a status."""
        return self.client._session.rpc(plugins_api.PROCESSING_HAS_STATUS, self._ids())

    def needs_naming(self) -> Call[bool]:
        """Whether the conversation still needs a name."""
        return self.client._session.rpc(plugins_api.PROCESSING_NEEDS_NAMING, self._ids())

    def suggest_name(self, name: str) -> Call[None]:
        """Suggest a name for the conversation."""
        parameter = PluginsRpcProcessingSuggestNameParameter(
            pci=self.pci, token=self.token, name=name
        )
        return self.client._session.rpc(plugins_api.PROCESSING_SUGGEST_NAME, parameter)

    def _ids(self) -> PluginsRpcProcessingGetOrLoadTokenSourceParameter:
        return PluginsRpcProcessingGetOrLoadTokenSourceParameter(pci=self.pci, token=self.token)


def _then(call: Call[Any], value: Any) -> Call[Any]:
    """A call resolving to ``value`` once ``call`` succeeds (failing as it fails)."""
    from .._engine.compose import gather

    return gather([call], lambda _: value, "plugins.processingHandleUpdate")


def _log_failure(call: Any) -> None:
    if not call.cancelled() and call.exception() is not None:
        _log.warning("a plugin UI update failed: %s", call.exception())


def completed_call(description: str) -> Call[None]:
    """An already resolved ``Call[None]`` (for fire-and-forget sends that may be awaited)."""
    from .._engine.compose import gather

    return gather([], lambda _: None, description)


StatusBlockController.__module__ = "lmstudio.plugin"
HookController.__module__ = "lmstudio.plugin"
ProcessingController.__module__ = "lmstudio.plugin"
