"""``client.plugins``: using LM Studio plugins from a client, as the TypeScript SDK can.

- ``client.plugins.generator("owner/name")``: a generator plugin as a model
  (:class:`LLMGenerator`: ``respond`` / ``respond_stream`` / ``act`` over
  ``generateWithGenerator``, through the prediction machinery every model uses; results
  are :class:`~lmstudio.GeneratorPredictionResult` objects: a generator reports no
  statistics or model info).
- ``client.plugins.plugin_tools("owner/name")``: a plugin's tools for ``act()``
  (``startToolUseSession``; see ``plugin_tools.py``).
- ``client.plugins.reindex_plugins()``.

Writing plugins is ``lmstudio.plugin``'s job, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from msgspec import UNSET

from .._constants import DEFAULT_MAX_PARALLEL_TOOL_CALLS
from .._data.tools import ToolDefinition
from .._engine.call import Call, describe
from .._engine.stream import Stream
from .._exports import publish
from .._prediction.act_events import ActCallbacks, GeneratorRoundResult
from .._prediction.callbacks import (
    PredictionCallbacks,
    PredictionFragmentCallback,
    PredictionMessageCallback,
)
from .._prediction.events import PredictionEvent
from .._prediction.generator import GeneratorState
from .._prediction.request import PredictionRequest, prepare_respond
from .._prediction.results import GeneratorPredictionResult, PredictionFragment
from .._prediction.stream import consumer
from .._protocol.endpoints import plugins as plugins_api
from .._protocol.models import (
    KvConfig,
    KvConfigField,
    LlmTool,
    LlmToolUseSettingToolArray,
    PluginConfigSpecifierDirect,
    PluginsChannelGenerateWithGeneratorCreationParameter,
    PluginsChannelStartToolUseSessionCreationParameter,
)
from .._types import (
    USE_CLIENT_DEFAULT,
    PredictionFirstTokenCallback,
    PromptProcessingCallback,
    Timeout,
)
from ..errors import LMStudioValueError
from .act import ActStream, GuardToolCallHandler, InvalidToolRequestHandler, start_act
from .plugin_tools import PluginToolSession, open_tool_session

if TYPE_CHECKING:
    from .._data.history import HistoryInput
    from .._engine.session import Session

__all__ = ["LLMGenerator", "PluginConfigInput", "PluginsNamespace"]

PluginConfigInput = KvConfig | Mapping[str, Any]
"""A plugin's config: a ``KvConfig`` or ``{key: value}`` (its config schema's keys)."""


def _config_specifier(
    plugin_config: PluginConfigInput | None, working_directory: str | None
) -> PluginConfigSpecifierDirect:
    if plugin_config is None:
        config = KvConfig(fields=[])
    elif isinstance(plugin_config, KvConfig):
        config = plugin_config
    elif isinstance(plugin_config, Mapping):
        config = KvConfig(
            fields=[KvConfigField(key=str(k), value=v) for k, v in plugin_config.items()]
        )
    else:
        raise LMStudioValueError(
            f"plugin_config must be a KvConfig or a mapping, not {type(plugin_config).__name__}"
        )
    if working_directory is not None and not isinstance(working_directory, str):
        raise LMStudioValueError("working_directory must be a string (a path) or None")
    return PluginConfigSpecifierDirect(
        config=config,
        working_directory_path=UNSET if working_directory is None else working_directory,
    )


def _check_identifier(identifier: object) -> str:
    if not isinstance(identifier, str) or identifier.count("/") != 1 or identifier.startswith("/"):
        raise LMStudioValueError(f'A plugin identifier is "owner/name", not {identifier!r}')
    return identifier


class LLMGenerator:
    """A generator plugin used as a model: ``client.plugins.generator("owner/name")``.

    ``respond`` / ``respond_stream`` / ``act`` work as :class:`~lmstudio.LLM`'s, over the
    plugin's ``generateWithGenerator``; results are
    :class:`~lmstudio.GeneratorPredictionResult` objects (a generator reports its text
    and tool call requests, no statistics or model info). Creating it sends nothing.
    """

    def __init__(self, session: Session, identifier: str) -> None:
        self._session = session
        self.identifier = identifier

    def __repr__(self) -> str:
        return f"LLMGenerator({self.identifier!r})"

    def _creation(
        self,
        request: PredictionRequest,
        plugin_config: PluginConfigInput | None,
        working_directory: str | None,
    ) -> PluginsChannelGenerateWithGeneratorCreationParameter:
        raw_tools = request.config.raw_tools
        tools: list[LlmTool] = []
        if isinstance(raw_tools, LlmToolUseSettingToolArray) and raw_tools.tools is not UNSET:
            tools = list(raw_tools.tools)
        return PluginsChannelGenerateWithGeneratorCreationParameter(
            plugin_identifier=self.identifier,
            plugin_config_specifier=_config_specifier(plugin_config, working_directory),
            tools=tools,
            history=request.parameter.history,
        )

    def respond_stream(
        self,
        history: HistoryInput,
        *,
        plugin_config: PluginConfigInput | None = None,
        working_directory: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Stream[PredictionFragment, GeneratorPredictionResult]:
        """The generator's next message in a chat, streamed fragment by fragment.

        ``for fragment in generator.respond_stream("Hi"): print(fragment.content, end="")``

        Args:
            history: the chat so far (a ``Chat``, a string, or what ``Chat.from_history``
                takes).
            plugin_config: the plugin's config (``{key: value}`` or a ``KvConfig``);
                ``None``: its defaults.
            working_directory: the directory the plugin may work in; ``None``: none.
            on_message, on_first_token, on_prediction_fragment,
            on_prompt_processing_progress: as for ``LLM.respond_stream``.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            A ``Stream[PredictionFragment, GeneratorPredictionResult]``: iterate it for the
            fragments, ``.result()`` or ``await`` it for the
            :class:`~lmstudio.GeneratorPredictionResult`, ``.cancel()`` it to stop the
            generator (the result then holds the text so far, ``cancelled`` true).

        Raises:
            LMStudioValueError: an invalid argument (raised here, before anything is sent).

        The stream fails with :class:`~lmstudio.LMStudioPredictionError` if the plugin
        is not registered, provides no generator, or reports an error.
        """
        request = prepare_respond(self.identifier, history)
        creation = self._creation(request, plugin_config, working_directory)
        callbacks = PredictionCallbacks(
            on_message, on_first_token, on_prediction_fragment, on_prompt_processing_progress
        )
        stream = self._session.channel(
            plugins_api.GENERATE_WITH_GENERATOR,
            creation,
            handler=GeneratorState(self.identifier),
            consume=consumer(callbacks),
            timeout=timeout,
        )
        return describe(
            stream, f"LLMGenerator({self.identifier!r}).respond_stream(...)", shown_as=""
        )

    def respond(
        self,
        history: HistoryInput,
        *,
        plugin_config: PluginConfigInput | None = None,
        working_directory: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[GeneratorPredictionResult]:
        """The generator's next message (the same request as :meth:`respond_stream`).

        ``print(generator.respond("Hello!").result().content)``

        Args:
            history, plugin_config, working_directory, on_message, on_first_token,
            on_prediction_fragment, on_prompt_processing_progress, timeout: as for
                :meth:`respond_stream`.

        Returns:
            ``Call[GeneratorPredictionResult]`` (at run time the same stream).

        Raises:
            LMStudioValueError: an invalid argument (raised here).
        """
        stream = self.respond_stream(
            history,
            plugin_config=plugin_config,
            working_directory=working_directory,
            on_message=on_message,
            on_first_token=on_first_token,
            on_prediction_fragment=on_prediction_fragment,
            on_prompt_processing_progress=on_prompt_processing_progress,
            timeout=timeout,
        )
        return describe(stream, f"LLMGenerator({self.identifier!r}).respond(...)")

    def act(
        self,
        chat: HistoryInput,
        tools: Iterable[ToolDefinition],
        *,
        max_prediction_rounds: int | None = None,
        max_parallel_tool_calls: int | None = DEFAULT_MAX_PARALLEL_TOOL_CALLS,
        plugin_config: PluginConfigInput | None = None,
        working_directory: str | None = None,
        guard_tool_call: GuardToolCallHandler | None = None,
        handle_invalid_tool_request: InvalidToolRequestHandler | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
        **callbacks: Any,
    ) -> ActStream[GeneratorRoundResult]:
        """Let the generator use ``tools``, round after round, as ``LLM.act`` does.

        Args:
            chat: the conversation (copied; ``ActResult.chat`` is the act's own).
            tools: as for ``LLM.act`` (functions, ``ToolFunctionDef``, raw definitions,
                a plugin's :class:`~lmstudio.RemoteTool` objects); each round offers
                them to the generator (its ``generate`` request's tool definitions).
            max_prediction_rounds, max_parallel_tool_calls, guard_tool_call,
            handle_invalid_tool_request: as for ``LLM.act``.
            plugin_config, working_directory: as for :meth:`respond_stream`.
            timeout: each round's inactivity timeout.
            **callbacks: ``LLM.act``'s callbacks (``on_message``, ``on_round_start``,
                ``on_prediction_fragment``, ``on_tool_call_result``...);
                ``on_prediction_completed`` gets a
                :class:`~lmstudio.GeneratorRoundResult`.

        Returns:
            An ``ActStream[GeneratorRoundResult]``: ``.result()`` or ``await`` it for the
            :class:`~lmstudio.ActResult` (its ``predictions`` are
            :class:`~lmstudio.GeneratorRoundResult` objects), iterate it for its events.

        Raises:
            LMStudioValueError: an invalid tool, chat, limit or callback name (raised here).
        """
        try:
            act_callbacks = ActCallbacks(**callbacks)
        except TypeError as exc:
            raise LMStudioValueError(f"act() got an unknown callback: {exc}") from None
        specifier = _config_specifier(plugin_config, working_directory)
        session = self._session

        def predict_round(
            request: PredictionRequest,
        ) -> Stream[PredictionEvent, GeneratorPredictionResult]:
            creation = self._creation(request, None, None)
            creation.plugin_config_specifier = specifier
            return session.channel(
                plugins_api.GENERATE_WITH_GENERATOR,
                creation,
                handler=GeneratorState(self.identifier),
                timeout=timeout,
            )

        acting = start_act(
            predict_round,
            self.identifier,
            chat,
            tools,
            max_prediction_rounds=max_prediction_rounds,
            max_parallel_tool_calls=max_parallel_tool_calls,
            config=None,
            preset=None,
            callbacks=act_callbacks,
            guard_tool_call=guard_tool_call,
            handle_invalid_tool_request=handle_invalid_tool_request,
            round_type=GeneratorRoundResult,
        )
        return describe(acting, f"LLMGenerator({self.identifier!r}).act(...)", shown_as="")


class PluginsNamespace:
    """``client.plugins``: generator plugins as models, plugin tools, reindexing."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def generator(self, identifier: str) -> LLMGenerator:
        """A generator plugin as a model (sends nothing; the plugin is found when used).

        ``print(client.plugins.generator("me/echo").respond("Hi").result().content)``

        Args:
            identifier: the plugin, ``"owner/name"``.

        Returns:
            An :class:`LLMGenerator` with ``respond`` / ``respond_stream`` / ``act``.

        Raises:
            LMStudioValueError: ``identifier`` is not ``"owner/name"``.
        """
        return LLMGenerator(self._session, _check_identifier(identifier))

    def plugin_tools(
        self,
        identifier: str,
        *,
        plugin_config: PluginConfigInput | None = None,
        working_directory: str | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[PluginToolSession]:
        """Start a tool use session with a tools provider plugin.

        ``with client.plugins.plugin_tools("lmstudio/py-dice-tool").result() as dice:``
        ``    model.act("Roll 2d6", dice.tools).result()``

        Args:
            identifier: the plugin, ``"owner/name"``.
            plugin_config: its config (``{key: value}`` or a ``KvConfig``); ``None``: its
                defaults.
            working_directory: the directory its tools may work in; ``None``: none.
            timeout: seconds to wait for the plugin's tool list (``None``: no limit;
                default: the client's). The session itself has no inactivity timeout.

        Returns:
            ``Call[PluginToolSession]``: the session once the plugin listed its tools; use
            it as ``with`` / ``async with`` (or call ``close()``) to end it.

        Raises:
            LMStudioValueError: an invalid argument (raised here).

        The call fails with :class:`~lmstudio.LMStudioServerError` if the plugin is not
        registered, provides no tools, or fails to list them, and with
        :class:`~lmstudio.LMStudioTimeoutError` after ``timeout``.
        """
        creation = PluginsChannelStartToolUseSessionCreationParameter(
            plugin_identifier=_check_identifier(identifier),
            plugin_config_specifier=_config_specifier(plugin_config, working_directory),
        )
        seconds = self._session.resolve_timeout(timeout)
        call = open_tool_session(self._session, creation, seconds)
        return describe(call, f"client.plugins.plugin_tools({identifier!r})")

    def reindex_plugins(self, *, timeout: Timeout = USE_CLIENT_DEFAULT) -> Call[None]:
        """Ask LM Studio to reindex its installed plugins.

        As in LM Studio, the call returns once the reindex is requested, not finished.

        Args:
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[None]``.
        """
        call = self._session.rpc(plugins_api.REINDEX_PLUGINS, timeout=timeout)
        return describe(call, "client.plugins.reindex_plugins()")


publish(__name__, globals())
