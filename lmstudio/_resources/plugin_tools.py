"""A plugin's tools, usable in ``act()``: one ``plugins/startToolUseSession`` channel.

Rules (as the TypeScript SDK's ``RemoteToolUseSession``):

- :meth:`PluginsNamespace.plugin_tools` opens the channel; its ``Call`` resolves with the
  :class:`PluginToolSession` once LM Studio sends ``sessionReady`` with the plugin's tool
  definitions (or fails with LM Studio's error, or after ``timeout`` seconds).
- ``session.tools`` are :class:`~lmstudio.RemoteTool` objects: pass them (or the session
  itself) as ``act(..., tools=...)``. Calling one sends ``callTool`` on the session's
  channel and waits for ``toolCallComplete`` (the plugin's result) or ``toolCallError``
  (raised as :class:`~lmstudio.LMStudioServerError`, which ``act()`` reports to the
  model). Cancelling a call (an act being cancelled) sends ``abortToolCall``.
- The session lives until :meth:`PluginToolSession.close` (or the end of its ``with`` /
  ``async with`` block) sends ``discardSession``; the plugin then forgets it. Calls still
  waiting then fail, as they do when the connection drops. The channel has no inactivity
  timeout: a session may stay idle while a model thinks.
- The handler runs on the engine loop and only settles calls; status and warning texts
  from the plugin are logged (``lmstudio.plugins``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from .._data.tools import RemoteTool
from .._engine.call import Call, new_call
from .._engine.handler import ChannelHandler
from .._exports import publish
from .._protocol.endpoints import plugins as plugins_api
from .._protocol.models import (
    LlmTool,
    PluginsChannelStartToolUseSessionCreationParameter,
    PluginsChannelStartToolUseSessionToClientPacketSessionReady,
    PluginsChannelStartToolUseSessionToClientPacketToolCallComplete,
    PluginsChannelStartToolUseSessionToClientPacketToolCallError,
    PluginsChannelStartToolUseSessionToClientPacketToolCallStatus,
    PluginsChannelStartToolUseSessionToClientPacketToolCallWarn,
    PluginsChannelStartToolUseSessionToServerPacketAbortToolCall,
    PluginsChannelStartToolUseSessionToServerPacketCallTool,
)
from ..errors import (
    LMStudioChannelClosedError,
    LMStudioServerError,
    LMStudioTimeoutError,
    server_error_from_payload,
)
from .tool_loop import helper_loop

if TYPE_CHECKING:
    from .._engine.session import Session
    from .._engine.settle import Settle
    from .._engine.stream import Stream

__all__ = ["PluginToolSession", "open_tool_session"]

_log = logging.getLogger("lmstudio.plugins")


class PluginToolSession:
    """A plugin's tools for ``act()``: ``with client.plugins.plugin_tools(...).result() as s``.

    ``tools``: the plugin's tools as :class:`~lmstudio.RemoteTool` objects; iterating the
    session gives them too, so ``model.act(chat, session)`` works, as does
    ``[*session.tools, my_function]``. ``close()`` (or leaving the ``with`` block) ends
    the session.
    """

    def __init__(self, session: Session, plugin_identifier: str) -> None:
        self._session = session
        self.plugin_identifier = plugin_identifier
        self.tools: list[RemoteTool] = []
        self._stream: Stream[Any, Any] | None = None
        self._pending: dict[int, Settle] = {}
        self._ids = itertools.count()
        self._closed = False

    def __iter__(self) -> Iterator[RemoteTool]:
        return iter(self.tools)

    def __repr__(self) -> str:
        names = ", ".join(t.name for t in self.tools)
        return f"<PluginToolSession {self.plugin_identifier!r} [{names}]>"

    def call_tool(self, name: str, arguments: Any) -> Call[Any]:
        """Call one of the plugin's tools directly.

        Args:
            name: the tool's name (one of ``tools``).
            arguments: its arguments (JSON-able; a dict for a tool with parameters).

        Returns:
            ``Call[Any]``: the plugin's result (JSON value). Cancelling it sends
            ``abortToolCall``.

        Raises:
            LMStudioServerError: (from the call) the plugin reported the tool's error.
            LMStudioChannelClosedError: (from the call) the session ended first.
        """
        stream = self._stream
        call_id = next(self._ids)
        call, settle = new_call(
            f"plugins.startToolUseSession.callTool({name!r})",
            on_cancel=lambda _: self._abort(call_id),
        )
        if self._closed or stream is None:
            settle.fail(LMStudioChannelClosedError("This plugin tool session has ended"))
            return call
        self._pending[call_id] = settle
        packet = PluginsChannelStartToolUseSessionToServerPacketCallTool(
            call_id=call_id, name=name, arguments=arguments
        )
        self._session.send(plugins_api.START_TOOL_USE_SESSION, stream, packet)
        return call

    def close(self) -> None:
        """End the session (sends ``discardSession``); calls still waiting fail."""
        if self._closed:
            return
        self._closed = True
        if self._stream is not None:
            self._stream.cancel()
        self._fail_pending(LMStudioChannelClosedError("The plugin tool session was closed"))

    def __enter__(self) -> PluginToolSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> PluginToolSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- internals -------------------------------------------------------------------

    def _abort(self, call_id: int) -> None:
        settle = self._pending.pop(call_id, None)
        if settle is not None and self._stream is not None and not self._closed:
            packet = PluginsChannelStartToolUseSessionToServerPacketAbortToolCall(call_id=call_id)
            self._session.send(plugins_api.START_TOOL_USE_SESSION, self._stream, packet)

    def _remote_tool(self, definition: LlmTool) -> RemoteTool:
        name = definition.function.name

        async def call_plugin_tool(**arguments: Any) -> Any:
            return await self.call_tool(name, arguments)

        return RemoteTool(definition, call_plugin_tool)

    def _settle(self, call_id: int) -> Settle | None:
        return self._pending.pop(call_id, None)

    def _fail_pending(self, exc: BaseException) -> None:
        pending, self._pending = self._pending, {}
        for settle in pending.values():
            settle.fail(exc)


class _SessionHandler(ChannelHandler[None, None]):
    """The session channel's packets: ready, then tool call answers (engine loop)."""

    cancel_packet: ClassVar[Any] = {"type": "discardSession"}

    def __init__(self, owner: PluginToolSession, ready: Settle) -> None:
        self._owner = owner
        self._ready = ready

    def packet(self, packet: Any) -> None:
        owner = self._owner
        match packet:
            case PluginsChannelStartToolUseSessionToClientPacketSessionReady(
                tool_definitions=definitions
            ):
                owner.tools = [owner._remote_tool(d) for d in definitions]
                self._ready.resolve(owner)
            case PluginsChannelStartToolUseSessionToClientPacketToolCallComplete():
                settle = owner._settle(int(packet.call_id))
                if settle is not None:
                    settle.resolve(packet.result)
            case PluginsChannelStartToolUseSessionToClientPacketToolCallError():
                settle = owner._settle(int(packet.call_id))
                if settle is not None:
                    settle.fail(server_error_from_payload(msgspec.to_builtins(packet.error)))
            case PluginsChannelStartToolUseSessionToClientPacketToolCallStatus():
                _log.info(
                    "%s tool call %s: %s",
                    owner.plugin_identifier,
                    packet.call_id,
                    packet.status_text,
                )
            case PluginsChannelStartToolUseSessionToClientPacketToolCallWarn():
                _log.warning(
                    "%s tool call %s: %s", owner.plugin_identifier, packet.call_id, packet.warn_text
                )
            case _:
                _log.debug("Ignoring an unknown tool use session packet: %r", packet)
        return None

    def close(self) -> None:
        ended = LMStudioChannelClosedError(
            f"LM Studio ended the tool use session with {self._owner.plugin_identifier!r}"
        )
        self._owner._closed = True
        self._ready.fail(ended)
        self._owner._fail_pending(ended)

    def error(self, error: LMStudioServerError) -> BaseException:
        self._owner._closed = True
        self._ready.fail(error)
        self._owner._fail_pending(error)
        return error


def open_tool_session(
    session: Session,
    creation: PluginsChannelStartToolUseSessionCreationParameter,
    timeout: float | None,
) -> Call[PluginToolSession]:
    """Open the channel; the ``Call`` resolves at ``sessionReady`` (see the module rules)."""
    owner = PluginToolSession(session, creation.plugin_identifier)
    ready_call, ready = new_call(
        f"plugins.startToolUseSession({creation.plugin_identifier!r})",
        on_cancel=lambda _: owner.close(),
    )
    handler = _SessionHandler(owner, ready)
    owner._stream = session.channel(
        plugins_api.START_TOOL_USE_SESSION, creation, handler=handler, timeout=None
    )
    if timeout is not None:
        loop = helper_loop()

        def expire() -> None:
            if ready.wanted():
                ready.fail(
                    LMStudioTimeoutError(
                        f"{creation.plugin_identifier!r} listed no tools within {timeout} s"
                    )
                )
                owner.close()

        loop.call_soon_threadsafe(loop.call_later, timeout, expire)
    return ready_call


publish(__name__, globals())
