"""The tools provider hook: ``list_provided_tools(ctl)`` and the tool calls that follow.

LM Studio opens a tools session per chat (``initSession``): the hook returns the tools
(any definition ``act()`` accepts: functions, ``ToolFunctionDef``...), sent back as their
definitions; then ``callTool`` runs one (plain functions in a worker thread, ``async def``
ones on the runner's loop), ``abortToolCall`` cancels it and ``discardSession`` ends the
session. Inside a tool, :func:`get_tool_call_context` gives the status / warning senders.
A failing hook or tool is reported as that session's or call's error.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from .._data.tools import ToolSet, tool_set
from .._engine.call import Call
from .._protocol.endpoints import plugins as plugins_api
from .._protocol.models import (
    LlmTool,
    PluginsChannelSetToolsProviderToClientPacketAbortToolCall as AbortToolCall,
    PluginsChannelSetToolsProviderToClientPacketCallTool as CallTool,
    PluginsChannelSetToolsProviderToClientPacketDiscardSession as DiscardSession,
    PluginsChannelSetToolsProviderToClientPacketInitSession as InitSession,
    PluginsChannelSetToolsProviderToServerPacketSessionInitializationFailed as InitFailed,
    PluginsChannelSetToolsProviderToServerPacketSessionInitialized as Initialized,
    PluginsChannelSetToolsProviderToServerPacketToolCallComplete as CallComplete,
    PluginsChannelSetToolsProviderToServerPacketToolCallError as CallError,
    PluginsChannelSetToolsProviderToServerPacketToolCallStatus as CallStatus,
    PluginsChannelSetToolsProviderToServerPacketToolCallWarn as CallWarn,
)
from ._controllers import HookController, TGlobalConfigSchema, TPluginConfigSchema, completed_call
from ._errors import LMStudioPluginRuntimeError
from ._serving import HookServer, call_user, serialize_error

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "ToolCallContext",
    "ToolsProviderController",
    "ToolsProviderServer",
    "get_tool_call_context",
    "get_tool_call_context_async",
]

_log = logging.getLogger("lmstudio.plugin")


class ToolsProviderController(HookController[TPluginConfigSchema, TGlobalConfigSchema]):
    """``list_provided_tools``'s controller: configs, client, ``session_id``."""

    def __init__(
        self,
        client: Client,
        plugin_config: TPluginConfigSchema,
        global_config: TGlobalConfigSchema,
        working_directory: str | None,
        session_id: str,
    ) -> None:
        super().__init__(client, plugin_config, global_config, working_directory)
        self.session_id = session_id


class ToolCallContext:
    """A running tool call: status and warning lines in its UI block, abort state.

    ``notify_status`` / ``notify_warning`` send at once and return a resolved
    :class:`~lmstudio.Call`, so both ``tcc.notify_status("...")`` and
    ``await tcc.notify_status("...")`` work.
    """

    def __init__(self, server: ToolsProviderServer, session_id: str, call_id: str) -> None:
        self._server = server
        self.session_id = session_id
        self.call_id = call_id
        self.aborted = False
        """Whether LM Studio aborted this call (an ``async def`` tool is also cancelled)."""

    def notify_status(self, message: str) -> Call[None]:
        """Show a progress line for the call."""
        self._server.send(
            CallStatus(session_id=self.session_id, call_id=self.call_id, status_text=message)
        )
        return completed_call("plugins.toolCallStatus")

    def notify_warning(self, message: str) -> Call[None]:
        """Show a warning for the call."""
        self._server.send(
            CallWarn(session_id=self.session_id, call_id=self.call_id, warn_text=message)
        )
        return completed_call("plugins.toolCallWarn")


_TOOL_CALL: contextvars.ContextVar[ToolCallContext] = contextvars.ContextVar("lmstudio_tool_call")


def get_tool_call_context() -> ToolCallContext:
    """The tool call being run (call it inside a plugin's tool).

    Raises:
        LMStudioPluginRuntimeError: not inside a plugin tool call.
    """
    context = _TOOL_CALL.get(None)
    if context is None:
        raise LMStudioPluginRuntimeError(
            "get_tool_call_context() works only inside a tool provided by a plugin"
        )
    return context


def get_tool_call_context_async() -> ToolCallContext:
    """:func:`get_tool_call_context` (the official SDK's name for ``async def`` tools)."""
    return get_tool_call_context()


class _Session:
    __slots__ = ("calls", "ready")

    def __init__(self) -> None:
        self.ready: asyncio.Future[ToolSet | None] = asyncio.get_running_loop().create_future()
        self.calls: dict[str, ToolCallContext] = {}


class ToolsProviderServer(HookServer):
    """The ``setToolsProvider`` channel."""

    endpoint = plugins_api.SET_TOOLS_PROVIDER
    hook_name = "list_provided_tools"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.sessions: dict[str, _Session] = {}

    def dispatch(self, packet: Any) -> None:
        match packet:
            case InitSession():
                if packet.session_id in self.sessions:
                    _log.warning("tools session %r started twice", packet.session_id)
                    return
                self.sessions[packet.session_id] = _Session()
                self.spawn(("init", packet.session_id), self._init(packet))
            case CallTool():
                self.spawn((packet.session_id, packet.call_id), self._call(packet))
            case AbortToolCall():
                self._abort(packet.session_id, packet.call_id)
            case DiscardSession():
                session = self.sessions.pop(packet.session_id, None)
                if session is not None:
                    for call_id in list(session.calls):
                        self._abort(packet.session_id, call_id)
                    init = self.tasks.get(("init", packet.session_id))
                    if init is not None:
                        init.cancel()
            case _:
                _log.warning("tools provider: unexpected packet %r", packet)

    async def _init(self, packet: InitSession) -> None:
        session = self.sessions[packet.session_id]
        plugin_config, global_config = self.configs(
            packet.plugin_config, packet.global_plugin_config
        )
        ctl: ToolsProviderController[Any, Any] = ToolsProviderController(
            self.client,
            plugin_config,
            global_config,
            packet.working_directory_path,
            packet.session_id,
        )
        try:
            tools = await call_user(self.hook, ctl)
            if tools is None:
                raise LMStudioPluginRuntimeError(
                    "list_provided_tools returned None, not a list of tools"
                )
            tools = (
                list(tools)
                if not isinstance(tools, (Mapping, str)) and not callable(tools)
                else [tools]
            )
            toolset = tool_set(tools) if tools else None
        except asyncio.CancelledError:
            session.ready.set_result(None)
            raise
        except Exception as exc:
            _log.error("plugin %r: list_provided_tools failed", self.plugin.name, exc_info=True)
            session.ready.set_result(None)
            title = (
                f"Tools listing error in plugin {self.plugin.name!r}: {type(exc).__name__}: {exc}"
            )
            self.send(InitFailed(session_id=packet.session_id, error=serialize_error(exc, title)))
            return
        session.ready.set_result(toolset)
        offered = toolset.setting.tools if toolset is not None else []
        definitions: list[LlmTool] = list(offered) if isinstance(offered, list) else []
        self.send(Initialized(session_id=packet.session_id, tool_definitions=definitions))

    async def _call(self, packet: CallTool) -> None:
        session = self.sessions.get(packet.session_id)
        if session is None:
            error = LMStudioPluginRuntimeError(f"no tools session {packet.session_id!r}")
            self._fail(packet, error)
            return
        context = ToolCallContext(self, packet.session_id, packet.call_id)
        session.calls[packet.call_id] = context
        try:
            toolset = await session.ready
            tool = toolset.get(packet.tool_name) if toolset is not None else None
            if tool is None or tool.implementation is None:
                raise LMStudioPluginRuntimeError(
                    f"plugin {self.plugin.name!r} provides no tool named {packet.tool_name!r}"
                )
            raw = packet.parameters if isinstance(packet.parameters, Mapping) else {}
            arguments = tool.arguments(raw)
            _TOOL_CALL.set(context)
            implementation = tool.implementation
            if inspect.iscoroutinefunction(implementation):
                result = await implementation(**arguments)
            else:
                result = await call_user(lambda: implementation(**arguments))
        except asyncio.CancelledError:
            raise  # aborted: LM Studio expects no answer
        except Exception as exc:
            if not context.aborted:
                _log.error(
                    "plugin %r: tool %r failed", self.plugin.name, packet.tool_name, exc_info=True
                )
                self._fail(packet, exc)
            return
        finally:
            session.calls.pop(packet.call_id, None)
        if context.aborted:
            return
        self.send(
            CallComplete(
                session_id=packet.session_id, call_id=packet.call_id, result=_jsonable(result)
            )
        )

    def _fail(self, packet: CallTool, exc: BaseException) -> None:
        cause = f"{type(exc).__name__}: {exc}"
        # LM Studio's tool UI shows only the title, so it carries the cause too.
        title = f"Error calling tool {packet.tool_name} in plugin {self.plugin.name!r} ({cause})"
        self.send(
            CallError(
                session_id=packet.session_id,
                call_id=packet.call_id,
                error=serialize_error(exc, title),
            )
        )

    def _abort(self, session_id: str, call_id: str) -> None:
        session = self.sessions.get(session_id)
        context = session.calls.get(call_id) if session is not None else None
        if context is not None:
            context.aborted = True
        task = self.tasks.get((session_id, call_id))
        if task is not None:
            task.cancel()


def _jsonable(value: Any) -> Any:
    try:
        return msgspec.to_builtins(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)


ToolsProviderController.__module__ = "lmstudio.plugin"
ToolCallContext.__module__ = "lmstudio.plugin"
