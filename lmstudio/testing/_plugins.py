"""LM Studio's host side of plugins: registrations, hook channels and hook requests.

Rules of this file (the fake's behaviour, documented in ``README.md``):

- ``registerDevelopmentPlugin`` registers ``owner/name`` and hands out a plugin client
  identity (``clientIdentifier`` / ``clientPasskey`` in a ``ready`` packet); registering
  the same plugin again replaces the earlier registration. A production plugin's identity
  is made by a test (``server.plugins.add_plugin``), as LM Studio passes one to the plugin
  process in environment variables. Plugin identities pass authentication even when the
  server requires API tokens.
- Hook channels (``setToolsProvider``, ``setPromptPreprocessor``, ``setGenerator``,
  ``setPredictionLoopHandler``), config schematics and ``pluginInitCompleted`` are
  accepted only from a connection authenticated with a plugin identity.
- Every hook request has its own id (``taskId`` / ``sessionId``); the packets a plugin
  sends for it are routed to that request and recorded (``server.plugins.answers``).
  Preprocess and prediction-loop requests carry a ``pci`` and ``token``, valid for the
  ``processing*`` rpcs from then on (the last 256 are kept). A hook channel that ends fails its open
  requests with :class:`PluginHookError`.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._plugin_records import (
    HOOK_ENDPOINTS,
    HOOK_TEXT,
    HookOutcome,
    PluginHookError,
    PluginRecord,
    Task,
    ToolCallOutcome,
    ToolsSession,
    absorb,
    error_text,
    gone,
    kv_config,
)

if TYPE_CHECKING:
    from lmstudio.testing._core import ServerCore
    from lmstudio.testing._session import CallContext, Channel

__all__ = [
    "HOOK_ENDPOINTS",
    "HookOutcome",
    "PluginHookError",
    "PluginHost",
    "PluginRecord",
    "ToolCallOutcome",
    "ToolsSession",
    "kv_config",
    "plugin_host",
]


_KEPT_PROCESSES = 256


class PluginHost:
    """Every plugin of one fake server and the hook requests in flight (server loop only)."""

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.plugins: dict[str, PluginRecord] = {}
        self.identities: dict[str, PluginRecord] = {}
        self.tasks: dict[str, Task] = {}
        self.processing: dict[str, Task] = {}
        self.sessions: dict[str, ToolsSession] = {}
        self.answers: list[dict[str, Any]] = []
        self.reported_errors: list[dict[str, Any]] = []
        self.reindex_count = 0
        self.routed: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.confirm_tool_calls = True
        self.text_input = ""
        self._ids = itertools.count(1)

    # -- registration ----------------------------------------------------------------

    def register(self, manifest: Mapping[str, Any], *, dev: bool) -> PluginRecord:
        identifier = f"{manifest['owner']}/{manifest['name']}"
        old = self.plugins.get(identifier.lower())
        if old is not None:
            self.unregister(old)
        kind = "dev" if dev else "prod"
        record = PluginRecord(
            identifier=identifier,
            manifest=dict(manifest),
            client_identifier=f"plugin:{kind}:{identifier}:{secrets.token_hex(4)}",
            client_passkey=secrets.token_hex(16),
            dev=dev,
        )
        self.plugins[identifier.lower()] = record
        self.identities[record.client_identifier] = record
        return record

    def unregister(self, record: PluginRecord) -> None:
        record.registered = False
        if self.plugins.get(record.identifier.lower()) is record:
            del self.plugins[record.identifier.lower()]

    def accepts(self, identifier: str, passkey: str) -> bool:
        record = self.identities.get(identifier)
        return record is not None and secrets.compare_digest(record.client_passkey, passkey)

    def caller(self, ctx: CallContext) -> PluginRecord | None:
        identifier = ctx.session.client_identifier
        return self.identities.get(identifier) if identifier is not None else None

    def require_caller(self, ctx: CallContext) -> PluginRecord:
        record = self.caller(ctx)
        if record is None:
            raise FakeServerError(
                f"plugins/{ctx.name} is only available to plugins",
                cause="This client did not authenticate with a plugin client identity.",
                suggestion="Register the plugin with registerDevelopmentPlugin and connect "
                "with the clientIdentifier/clientPasskey it returns.",
            )
        return record

    def find(self, identifier: str, hook: str) -> PluginRecord:
        record = self.plugins.get(identifier.lower())
        if record is None:
            known = ", ".join(sorted(r.identifier for r in self.plugins.values())) or "none"
            raise FakeServerError(
                f'Plugin "{identifier}" not found',
                cause=f"Registered plugins: {known}.",
            )
        if hook not in record.hooks:
            raise FakeServerError(
                f'Plugin "{identifier}" does not provide a {HOOK_TEXT[hook]}',
                cause=f"Its open hooks: {', '.join(sorted(record.hooks)) or 'none'}.",
            )
        return record

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    # -- hook channels ---------------------------------------------------------------

    async def serve_hook(self, ch: Channel, hook: str) -> None:
        """Run one hook channel until its connection goes: route what the plugin sends."""
        record = self.require_caller(ch)
        if hook in record.hooks:
            raise FakeServerError(f"Plugin {record.identifier!r} already has a {hook} channel")
        record.hooks[hook] = ch
        try:
            while True:
                packet = await ch.receive()
                self.answers.append({"plugin": record.identifier, "hook": hook, "packet": packet})
                self._route(hook, packet)
        finally:
            if record.hooks.get(hook) is ch:
                del record.hooks[hook]
            self._fail_open(record, hook)

    def _route(self, hook: str, packet: dict[str, Any]) -> None:
        if hook == "toolsProvider":
            session = self.sessions.get(packet.get("sessionId", ""))
            if session is None:
                return
            kind = packet["type"]
            if kind in ("sessionInitialized", "sessionInitializationFailed"):
                if session.ready is not None and not session.ready.done():
                    if kind == "sessionInitialized":
                        session.tools = list(packet["toolDefinitions"])
                        session.ready.set_result(None)
                    else:
                        session.ready.set_exception(
                            PluginHookError(error_text(packet["error"]), packet["error"])
                        )
                return
            queue = session.calls.get(packet.get("callId", ""))
            if queue is not None:
                queue.put_nowait(packet)
            return
        task = self.tasks.get(packet.get("taskId", ""))
        if task is not None and task.hook == hook:
            task.queue.put_nowait(packet)

    def _fail_open(self, record: PluginRecord, hook: str) -> None:
        if hook == "toolsProvider":
            for session in list(self.sessions.values()):
                if session.plugin is record:
                    if session.ready is not None and not session.ready.done():
                        session.ready.set_exception(gone(record))
                    for queue in session.calls.values():
                        queue.put_nowait(None)
            return
        for task in list(self.tasks.values()):
            if task.plugin is record and task.hook == hook:
                task.queue.put_nowait(None)

    # -- processing (pci + token) ----------------------------------------------------

    def processing_task(self, parameter: Any) -> Task:
        task = self.processing.get(parameter.pci)
        if (
            task is None
            or task.token is None
            or not secrets.compare_digest(task.token, parameter.token)
        ):
            raise FakeServerError(
                "Invalid prediction context identifier or token",
                cause="The pci/token pair belongs to no request in progress "
                "(they are valid until the request they came with ends).",
            )
        return task

    # -- hook requests ---------------------------------------------------------------

    def _new_task(
        self,
        record: PluginRecord,
        hook: str,
        history: Sequence[Mapping[str, Any]],
        current: Mapping[str, Any] | None,
        *,
        with_pci: bool,
    ) -> Task:
        task_id = self.next_id("task")
        task = Task(
            plugin=record,
            hook=hook,
            outcome=HookOutcome(hook=hook, task_id=task_id),
            queue=asyncio.Queue(),
            history=[dict(m) for m in history],
            current=dict(current) if current is not None else None,
        )
        if with_pci:
            task.pci, task.token = self.next_id("pci"), secrets.token_hex(16)
            self.processing[task.pci] = task
        self.tasks[task_id] = task
        return task

    def _end_task(self, task: Task) -> None:
        self.tasks.pop(task.outcome.task_id, None)
        # The pci names the prediction process, which outlives the hook's request (a
        # plugin may still report on it, e.g. a status block's "canceled" after an abort):
        # it stays valid, the oldest forgotten past _KEPT_PROCESSES.
        while len(self.processing) > _KEPT_PROCESSES:
            del self.processing[next(iter(self.processing))]

    async def _run_task(
        self,
        task: Task,
        request: dict[str, Any],
        abort: asyncio.Event | None,
        on_packet: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> HookOutcome:
        """Send ``request`` to the plugin; collect its packets until it ends the task."""
        ch = task.plugin.hooks.get(task.hook)
        outcome = task.outcome
        try:
            if ch is None:
                raise gone(task.plugin)
            await ch.send(request)
            aborting: asyncio.Task[bool] | None = None
            if abort is not None:
                aborting = asyncio.ensure_future(abort.wait())
            try:
                while True:
                    getting = asyncio.ensure_future(task.queue.get())
                    waits: set[asyncio.Future[Any]] = {getting}
                    if aborting is not None:
                        waits.add(aborting)
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                    if not getting.done():
                        getting.cancel()
                        aborting = None
                        await ch.send({"type": "abort", "taskId": outcome.task_id})
                        continue
                    packet = getting.result()
                    if packet is None:
                        raise gone(task.plugin)
                    outcome.packets.append(packet)
                    if on_packet is not None:
                        await on_packet(packet)
                    if absorb(outcome, packet):
                        return outcome
            finally:
                if aborting is not None:
                    aborting.cancel()
        finally:
            self._end_task(task)

    async def preprocess(
        self,
        identifier: str,
        message: Mapping[str, Any],
        *,
        history: Sequence[Mapping[str, Any]] = (),
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
        abort: asyncio.Event | None = None,
    ) -> HookOutcome:
        """Send a ``preprocess`` request for ``message`` (a ``chatMessageData``)."""
        record = self.find(identifier, "promptPreprocessor")
        task = self._new_task(record, "promptPreprocessor", history, message, with_pci=True)
        request: dict[str, Any] = {
            "type": "preprocess",
            "taskId": task.outcome.task_id,
            "input": dict(message),
            "config": {"fields": []},
            "pluginConfig": kv_config(plugin_config),
            "globalPluginConfig": kv_config(global_config),
            "workingDirectoryPath": working_directory,
            "enabledPluginInfos": [r.info() for r in self.plugins.values()],
            "pci": task.pci,
            "token": task.token,
        }
        return await self._run_task(task, request, abort)

    async def generate(
        self,
        identifier: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
        abort: asyncio.Event | None = None,
        on_packet: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> HookOutcome:
        """Send a ``generate`` request for the chat ``messages``."""
        record = self.find(identifier, "generator")
        task = self._new_task(record, "generator", messages, None, with_pci=False)
        request: dict[str, Any] = {
            "type": "generate",
            "taskId": task.outcome.task_id,
            "input": {"messages": [dict(m) for m in messages]},
            "pluginConfig": kv_config(plugin_config),
            "globalPluginConfig": kv_config(global_config),
            "toolDefinitions": [dict(t) for t in tools],
            "workingDirectoryPath": working_directory,
        }
        return await self._run_task(task, request, abort, on_packet)

    async def prediction_loop(
        self,
        identifier: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
        abort: asyncio.Event | None = None,
    ) -> HookOutcome:
        """Send a ``handlePredictionLoop`` request over the chat ``messages``."""
        record = self.find(identifier, "predictionLoopHandler")
        history, current = list(messages[:-1]), (messages[-1] if messages else None)
        task = self._new_task(record, "predictionLoopHandler", history, current, with_pci=True)
        request: dict[str, Any] = {
            "type": "handlePredictionLoop",
            "taskId": task.outcome.task_id,
            "config": {"fields": []},
            "pluginConfig": kv_config(plugin_config),
            "globalPluginConfig": kv_config(global_config),
            "workingDirectoryPath": working_directory,
            "enabledPluginInfos": [r.info() for r in self.plugins.values()],
            "pci": task.pci,
            "token": task.token,
        }
        return await self._run_task(task, request, abort)

    # -- tools provider sessions -----------------------------------------------------

    async def open_tools_session(
        self,
        identifier: str,
        *,
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
    ) -> ToolsSession:
        """Send ``initSession``; return once the plugin listed its tools."""
        record = self.find(identifier, "toolsProvider")
        session = ToolsSession(plugin=record, session_id=self.next_id("session"))
        session.ready = asyncio.get_running_loop().create_future()
        self.sessions[session.session_id] = session
        try:
            await record.hooks["toolsProvider"].send(
                {
                    "type": "initSession",
                    "pluginConfig": kv_config(plugin_config),
                    "globalPluginConfig": kv_config(global_config),
                    "workingDirectoryPath": working_directory,
                    "sessionId": session.session_id,
                }
            )
            await session.ready
        except BaseException:
            self.sessions.pop(session.session_id, None)
            raise
        return session

    async def call_tool(
        self,
        session: ToolsSession,
        name: str,
        arguments: Any,
        *,
        call_id: str | None = None,
        abort: asyncio.Event | None = None,
        on_packet: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> ToolCallOutcome | None:
        """Send ``callTool``; the outcome once it completes or fails (``None``: aborted)."""
        call_id = call_id or self.next_id(f"{session.session_id}-call")
        outcome = ToolCallOutcome(name=name, call_id=call_id)
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        session.calls[call_id] = queue
        ch = session.plugin.hooks.get("toolsProvider")
        try:
            if ch is None or session.ended:
                raise gone(session.plugin)
            await ch.send(
                {
                    "type": "callTool",
                    "sessionId": session.session_id,
                    "callId": call_id,
                    "toolName": name,
                    "parameters": arguments,
                }
            )
            while True:
                getting = asyncio.ensure_future(queue.get())
                aborting = asyncio.ensure_future(abort.wait()) if abort is not None else None
                waits: set[asyncio.Future[Any]] = {getting}
                if aborting is not None:
                    waits.add(aborting)
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if aborting is not None:
                        aborting.cancel()
                if not getting.done():
                    getting.cancel()
                    await ch.send(
                        {
                            "type": "abortToolCall",
                            "sessionId": session.session_id,
                            "callId": call_id,
                        }
                    )
                    return None
                packet = getting.result()
                if packet is None:
                    raise gone(session.plugin)
                outcome.packets.append(packet)
                if on_packet is not None:
                    await on_packet(packet)
                match packet["type"]:
                    case "toolCallStatus":
                        outcome.statuses.append(packet["statusText"])
                    case "toolCallWarn":
                        outcome.warnings.append(packet["warnText"])
                    case "toolCallComplete":
                        outcome.result = packet["result"]
                        return outcome
                    case "toolCallError":
                        outcome.error = packet["error"]
                        return outcome
        finally:
            session.calls.pop(call_id, None)

    async def discard_session(self, session: ToolsSession) -> None:
        """Send ``discardSession`` (once) and forget the session."""
        if session.ended:
            return
        session.ended = True
        self.sessions.pop(session.session_id, None)
        for queue in session.calls.values():
            queue.put_nowait(None)
        ch = session.plugin.hooks.get("toolsProvider")
        if ch is not None:
            await ch.send({"type": "discardSession", "sessionId": session.session_id})

    # -- predictions routed through plugins -----------------------------------------

    async def preprocess_for_prediction(
        self, messages: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The chat with its last user message preprocessed by every routed plugin."""
        if not self.routed or not messages or messages[-1].get("role") != "user":
            return messages
        current = messages[-1]
        for identifier, plugin_config, global_config in list(self.routed):
            record = self.plugins.get(identifier.lower())
            if record is None or "promptPreprocessor" not in record.hooks:
                continue
            outcome = await self.preprocess(
                identifier,
                current,
                history=messages[:-1],
                plugin_config=plugin_config,
                global_config=global_config,
            )
            if outcome.error is not None:
                raise FakeServerError(
                    outcome.error.get("title") or f"Prompt preprocessing failed in {identifier}",
                    cause=outcome.error.get("cause"),
                )
            if outcome.processed is not None:
                current = outcome.processed
        return [*messages[:-1], current]


def plugin_host(core: ServerCore) -> PluginHost:
    """The server's plugin host, made on first use."""
    host = core.plugins
    if host is None:
        host = core.plugins = PluginHost(core)
    assert isinstance(host, PluginHost)
    return host
