"""``server.plugins``: the test-facing controls of the fake's plugin host.

Every method that waits for a plugin returns a :class:`Pending`: ``.result(timeout)``
blocks (from any thread but the server's own loop), ``await`` works on any loop, and
``.abort()`` sends the hook's abort. The state lives on the server's loop
(``_plugins.PluginHost``); this module only crosses threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from lmstudio.testing._plugins import (
    HookOutcome,
    PluginHost,
    PluginRecord,
    ToolCallOutcome,
    ToolsSession,
    plugin_host,
)

if TYPE_CHECKING:
    from lmstudio.testing._server import FakeLMStudio

__all__ = ["FakePlugins", "FakeToolsSession", "Pending"]

_T = TypeVar("_T")
DEFAULT_TIMEOUT = 10.0
_POLL = 0.005


def _user_text(text: str) -> dict[str, Any]:
    """A user message (``chatMessageData``) of one text part."""
    return {"role": "user", "content": [{"type": "text", "text": text}]}


class Pending(Generic[_T]):
    """A request to a plugin in flight: ``.result(timeout)``, ``await``, ``.abort()``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        future: concurrent.futures.Future[_T],
        abort: asyncio.Event | None,
    ) -> None:
        self._loop = loop
        self._future = future
        self._abort = abort

    def abort(self) -> None:
        """Send the hook's abort (``abort`` / ``abortToolCall``); the plugin's answer to
        it ends the request."""
        if self._abort is not None:
            self._loop.call_soon_threadsafe(self._abort.set)

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = DEFAULT_TIMEOUT) -> _T:
        """Wait for the outcome (``TimeoutError`` after ``timeout`` seconds, aborting it).

        Raises:
            PluginHookError: the plugin went away, or failed a tools session's start.
            RuntimeError: called on the server's own loop (``await`` it there).
        """
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            raise RuntimeError("await this on the fake server's loop instead of .result()")
        try:
            return self._future.result(timeout)
        except concurrent.futures.TimeoutError:
            self.abort()
            raise TimeoutError(f"the plugin did not answer within {timeout} s") from None

    def __await__(self) -> Generator[Any, None, _T]:
        return asyncio.wrap_future(self._future).__await__()


class FakeToolsSession:
    """A tools provider session the test opened (``server.plugins.tools_session``)."""

    def __init__(self, plugins: FakePlugins, session: ToolsSession) -> None:
        self._plugins = plugins
        self._session = session

    @property
    def session_id(self) -> str:
        return self._session.session_id

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The ``llmTool`` definitions the plugin listed for this session."""
        return list(self._session.tools)

    def call(self, name: str, arguments: Any = None) -> Pending[ToolCallOutcome | None]:
        """Send ``callTool``; the outcome, or ``None`` once ``.abort()`` aborted the call."""
        abort = asyncio.Event()
        host = self._plugins._host

        async def run() -> ToolCallOutcome | None:
            args = {} if arguments is None else arguments
            return await host.call_tool(self._session, name, args, abort=abort)

        return self._plugins._start(run(), abort)

    def discard(self) -> Pending[None]:
        """Send ``discardSession``."""
        return self._plugins._start(self._plugins._host.discard_session(self._session), None)


class FakePlugins:
    """The fake LM Studio's plugin host, as tests drive it (``server.plugins``)."""

    def __init__(self, server: FakeLMStudio) -> None:
        self._server = server

    @property
    def _host(self) -> PluginHost:
        core = self._server._core
        host = core.plugins
        if host is None:  # made on the server's loop, where a registration may race it
            host = self._server._call(lambda: plugin_host(core))
        assert isinstance(host, PluginHost)
        return host

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop = self._server._loop
        if loop is None:
            raise RuntimeError("the fake server is not running")
        return loop

    def _start(self, coro: Coroutine[Any, Any, _T], abort: asyncio.Event | None) -> Pending[_T]:
        loop = self._loop()
        return Pending(loop, asyncio.run_coroutine_threadsafe(coro, loop), abort)

    # -- plugins ---------------------------------------------------------------------

    def registered(self) -> list[str]:
        """The identifiers (``owner/name``) of the registered plugins."""
        return [r.identifier for r in list(self._host.plugins.values())]

    def get(self, identifier: str) -> PluginRecord:
        """A registered plugin: its manifest, client identity, open ``hooks``,
        ``config_schematics``, ``global_config_schematics``, ``init_completed``.

        Raises:
            KeyError: no plugin of that identifier is registered.
        """
        found = self._host.plugins.get(identifier.lower())
        if found is None:
            raise KeyError(f"no plugin {identifier!r} is registered (have: {self.registered()})")
        return found

    def wait_ready(self, identifier: str, *, hooks: Sequence[str] = ()) -> Pending[PluginRecord]:
        """Wait until ``identifier`` is registered and sent ``pluginInitCompleted`` (and, if
        given, opened every hook in ``hooks``: ``"toolsProvider"``, ``"promptPreprocessor"``,
        ``"generator"``, ``"predictionLoopHandler"``)."""
        host = self._host

        async def wait() -> PluginRecord:
            while True:
                found = host.plugins.get(identifier.lower())
                if found is not None and found.init_completed and set(hooks) <= set(found.hooks):
                    return found
                await asyncio.sleep(_POLL)

        return self._start(wait(), None)

    def add_plugin(self, manifest: Mapping[str, Any]) -> tuple[str, str]:
        """Register a production plugin (``{"type": "plugin", "runner": ..., "owner": ...,
        "name": ...}``); returns the ``(clientIdentifier, clientPasskey)`` LM Studio gives its
        process (``LMS_PLUGIN_CLIENT_IDENTIFIER`` / ``LMS_PLUGIN_CLIENT_PASSKEY``)."""
        record = self._server._call(lambda: self._host.register(manifest, dev=False))
        return record.client_identifier, record.client_passkey

    # -- hook requests ---------------------------------------------------------------

    def preprocess(
        self,
        identifier: str,
        message: Mapping[str, Any] | str,
        *,
        history: Sequence[Mapping[str, Any]] = (),
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
    ) -> Pending[HookOutcome]:
        """Send the prompt preprocessor a ``preprocess`` request for a user message (a
        ``chatMessageData`` dict, or text); ``outcome.processed`` is its answer. Configs are
        KV configs or ``{key: value}`` mappings."""
        if isinstance(message, str):
            message = _user_text(message)
        abort = asyncio.Event()
        coro = self._host.preprocess(
            identifier,
            message,
            history=history,
            plugin_config=plugin_config,
            global_config=global_config,
            working_directory=working_directory,
            abort=abort,
        )
        return self._start(coro, abort)

    def generate(
        self,
        identifier: str,
        messages: Sequence[Mapping[str, Any]] | str,
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
    ) -> Pending[HookOutcome]:
        """Send the generator a ``generate`` request over a chat (``chatMessageData`` dicts,
        or one user text); ``outcome.content`` / ``outcome.tool_calls`` are its answer."""
        if isinstance(messages, str):
            messages = [_user_text(messages)]
        abort = asyncio.Event()
        coro = self._host.generate(
            identifier,
            messages,
            tools=tools,
            plugin_config=plugin_config,
            global_config=global_config,
            working_directory=working_directory,
            abort=abort,
        )
        return self._start(coro, abort)

    def prediction_loop(
        self,
        identifier: str,
        messages: Sequence[Mapping[str, Any]] | str,
        *,
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
    ) -> Pending[HookOutcome]:
        """Send the prediction loop handler a ``handlePredictionLoop`` request (its
        ``processingPullHistory`` returns ``messages``)."""
        if isinstance(messages, str):
            messages = [_user_text(messages)]
        abort = asyncio.Event()
        coro = self._host.prediction_loop(
            identifier,
            messages,
            plugin_config=plugin_config,
            global_config=global_config,
            working_directory=working_directory,
            abort=abort,
        )
        return self._start(coro, abort)

    def tools_session(
        self,
        identifier: str,
        *,
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
        working_directory: str | None = None,
    ) -> Pending[FakeToolsSession]:
        """Send the tools provider ``initSession``; the session once it listed its tools.

        ``.result()`` raises ``PluginHookError`` if the plugin answered
        ``sessionInitializationFailed``."""

        async def start() -> FakeToolsSession:
            session = await self._host.open_tools_session(
                identifier,
                plugin_config=plugin_config,
                global_config=global_config,
                working_directory=working_directory,
            )
            return FakeToolsSession(self, session)

        return self._start(start(), None)

    # -- routing and records -----------------------------------------------------------

    def route_predictions(
        self,
        identifier: str,
        *,
        plugin_config: Mapping[str, Any] | None = None,
        global_config: Mapping[str, Any] | None = None,
    ) -> None:
        """Enable a plugin for every ``llm/predict``, as a chat with the plugin enabled in
        LM Studio: its prompt preprocessor rewrites the last user message before the model
        answers (the preprocessor's error fails the prediction)."""
        entry = (identifier, dict(plugin_config or {}), dict(global_config or {}))
        self._server._call(lambda: self._host.routed.append(entry))

    def stop_routing(self) -> None:
        """Predictions no longer go through any plugin."""
        self._server._call(self._host.routed.clear)

    @property
    def answers(self) -> list[dict[str, Any]]:
        """Every packet plugins sent on hook channels: ``{"plugin", "hook", "packet"}``."""
        return list(self._host.answers)

    @property
    def reported_errors(self) -> list[dict[str, Any]]:
        """The ``reportError`` parameters received."""
        return list(self._host.reported_errors)

    @property
    def reindex_count(self) -> int:
        """How many ``reindexPlugins`` calls arrived."""
        return self._host.reindex_count

    @property
    def confirm_tool_calls(self) -> bool:
        """How ``processingHandleRequest`` answers ``confirmToolCall`` (allow by default)."""
        return self._host.confirm_tool_calls

    @confirm_tool_calls.setter
    def confirm_tool_calls(self, allow: bool) -> None:
        self._host.confirm_tool_calls = allow

    @property
    def text_input(self) -> str:
        """What ``processingHandleRequest`` answers to ``textInput`` (``""`` by default)."""
        return self._host.text_input

    @text_input.setter
    def text_input(self, text: str) -> None:
        self._host.text_input = text
