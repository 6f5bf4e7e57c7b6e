"""The request/answer hooks: prompt preprocessor, generator, prediction loop handler.

Each request carries a ``taskId``; the hook's answer is ``complete`` (with the processed
message, for a preprocessor), ``error`` when the hook raises or answers nonsense, and
``aborted`` when LM Studio aborts it (the controller's ``aborted`` turns true, its
``on_aborted`` callbacks run, an ``async def`` hook is cancelled; a plain function's
late answer is dropped).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._data.history import Chat, TextData, UserMessage
from .._protocol.endpoints import plugins as plugins_api
from .._protocol.models import (
    LlmPredictionFragmentInputOpts,
    LlmTool,
    PluginsChannelSetGeneratorToClientPacketGenerate as Generate,
    PluginsChannelSetGeneratorToServerPacketFragmentGenerated as FragmentGenerated,
    PluginsChannelSetGeneratorToServerPacketToolCallGenerationArgumentFragmentGenerated as ArgumentFragment,
    PluginsChannelSetGeneratorToServerPacketToolCallGenerationEnded as ToolCallEnded,
    PluginsChannelSetGeneratorToServerPacketToolCallGenerationFailed as ToolCallFailed,
    PluginsChannelSetGeneratorToServerPacketToolCallGenerationNameReceived as ToolCallName,
    PluginsChannelSetGeneratorToServerPacketToolCallGenerationStarted as ToolCallStarted,
    PluginsChannelSetPredictionLoopHandlerToClientPacketHandlePredictionLoop as HandlePredictionLoop,
    PluginsChannelSetPredictionLoopHandlerToServerPacketComplete as Complete,
    PluginsChannelSetPromptPreprocessorToClientPacketAbort as Abort,
    PluginsChannelSetPromptPreprocessorToClientPacketPreprocess as Preprocess,
    PluginsChannelSetPromptPreprocessorToServerPacketAborted as Aborted,
    PluginsChannelSetPromptPreprocessorToServerPacketComplete as PreprocessComplete,
    PluginsChannelSetPromptPreprocessorToServerPacketError as ErrorPacket,
    ToolCallRequest,
)
from ..errors import LMStudioValueError
from ._controllers import (
    HookController,
    ProcessingController,
    TGlobalConfigSchema,
    TPluginConfigSchema,
)
from ._errors import LMStudioPluginRuntimeError
from ._serving import HookServer, call_user, serialize_error

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "GeneratorController",
    "GeneratorServer",
    "PredictionLoopHandlerController",
    "PredictionLoopServer",
    "PromptPreprocessorController",
    "PromptPreprocessorServer",
]

_log = logging.getLogger("lmstudio.plugin")


class PromptPreprocessorController(ProcessingController[TPluginConfigSchema, TGlobalConfigSchema]):
    """``preprocess_prompt``'s controller (status / debug blocks, history, client...)."""


class PredictionLoopHandlerController(
    ProcessingController[TPluginConfigSchema, TGlobalConfigSchema]
):
    """``prediction_loop_handler``'s controller (status / debug blocks, history, client...)."""


class GeneratorController(HookController[TPluginConfigSchema, TGlobalConfigSchema]):
    """``generate``'s controller: send the reply as fragments and tool call requests.

    The senders return at once (packets keep their order); the generation ends when the
    hook returns. After the request ended or was aborted, they are ignored.
    """

    def __init__(
        self,
        client: Client,
        plugin_config: TPluginConfigSchema,
        global_config: TGlobalConfigSchema,
        working_directory: str | None,
        *,
        server: GeneratorServer,
        task_id: str,
        tool_definitions: list[LlmTool],
    ) -> None:
        super().__init__(client, plugin_config, global_config, working_directory)
        self._server = server
        self.task_id = task_id
        self.tool_definitions = tool_definitions
        """The tools the caller offers the model (``LlmToolFunction`` definitions)."""
        self._ended = False

    def get_tool_definitions(self) -> list[LlmTool]:
        """The TypeScript SDK's name for :attr:`tool_definitions`."""
        return self.tool_definitions

    def _send(self, packet: Any) -> None:
        # Under the abort lock: once the runner answers ``aborted``, nothing follows it.
        with self._lock:
            if not self._ended and not self._aborted.is_set():
                self._server.send(packet)

    def fragment_generated(
        self,
        content: str,
        *,
        reasoning_type: str | None = None,
        is_structural: bool | None = None,
        token_count: int | None = None,
    ) -> None:
        """Send a piece of the reply's text.

        Args:
            content: the text.
            reasoning_type: ``"none"``, ``"reasoning"``, ``"reasoningStartTag"`` or
                ``"reasoningEndTag"`` (``None``: plain text).
            is_structural: whether it is structural (not shown as text).
            token_count: how many tokens it stands for.
        """
        if not isinstance(content, str):
            raise LMStudioValueError(f"fragment_generated takes a str, not {content!r}")
        opts = LlmPredictionFragmentInputOpts()
        if reasoning_type is not None:
            opts.reasoning_type = reasoning_type
        if is_structural is not None:
            opts.is_structural = is_structural
        if token_count is not None:
            opts.token_count = token_count
        self._send(FragmentGenerated(task_id=self.task_id, content=content, opts=opts))

    def tool_call_generation_started(self, *, tool_call_id: str | None = None) -> None:
        """A tool call request begins."""
        packet = ToolCallStarted(task_id=self.task_id)
        if tool_call_id is not None:
            packet.tool_call_id = tool_call_id
        self._send(packet)

    def tool_call_generation_name_received(self, tool_name: str) -> None:
        """The name of the tool being called."""
        self._send(ToolCallName(task_id=self.task_id, tool_name=tool_name))

    def tool_call_generation_argument_fragment_generated(self, content: str) -> None:
        """A piece of the call's JSON arguments (shown as they stream)."""
        self._send(ArgumentFragment(task_id=self.task_id, content=content))

    def tool_call_generation_ended(
        self, tool_call_request: ToolCallRequest | Mapping[str, Any]
    ) -> None:
        """The complete tool call request (``{"name": ..., "arguments": {...}, "id": ...}``).

        Raises:
            LMStudioValueError: the request is malformed.
        """
        request = _tool_call_request(tool_call_request)
        self._send(ToolCallEnded(task_id=self.task_id, tool_call_request=request))

    def tool_call_generation_failed(self, error: BaseException | str) -> None:
        """The tool call could not be generated."""
        exc = error if isinstance(error, BaseException) else LMStudioPluginRuntimeError(error)
        self._send(ToolCallFailed(task_id=self.task_id, error=serialize_error(exc, str(exc))))

    def tool_call(
        self, name: str, arguments: Mapping[str, Any], *, tool_call_id: str | None = None
    ) -> None:
        """Send a whole tool call request: started, name, arguments, ended."""
        import json

        self.tool_call_generation_started(tool_call_id=tool_call_id)
        self.tool_call_generation_name_received(name)
        self.tool_call_generation_argument_fragment_generated(json.dumps(dict(arguments)))
        request: dict[str, Any] = {"name": name, "arguments": dict(arguments)}
        if tool_call_id is not None:
            request["id"] = tool_call_id
        self.tool_call_generation_ended(request)


def _tool_call_request(value: ToolCallRequest | Mapping[str, Any]) -> ToolCallRequest:
    if isinstance(value, ToolCallRequest):
        return value
    import msgspec

    try:
        return msgspec.convert({"type": "function", **dict(value)}, ToolCallRequest)
    except (msgspec.ValidationError, TypeError) as exc:
        raise LMStudioValueError(f"malformed tool call request {value!r}: {exc}") from None


class _TaskServer(HookServer):
    """A channel of ``taskId`` requests answered by ``complete`` / ``error`` / ``aborted``."""

    what = "hook"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.controllers: dict[str, HookController[Any, Any]] = {}

    def dispatch(self, packet: Any) -> None:
        if isinstance(packet, Abort):
            ctl = self.controllers.pop(packet.task_id, None)
            task = self.tasks.get(packet.task_id)
            if ctl is not None:
                ctl._abort()
            if task is not None:
                task.cancel()
            self.send(Aborted(task_id=packet.task_id))
            return
        started = self.start(packet)
        if started is None:
            _log.warning("%s: unexpected packet %r", self.what, packet)
            return
        ctl, args = started
        self.controllers[packet.task_id] = ctl
        self.spawn(packet.task_id, self._run(packet.task_id, ctl, args))

    def start(self, packet: Any) -> tuple[HookController[Any, Any], tuple[Any, ...]] | None:
        raise NotImplementedError

    def answer(self, task_id: str, result: Any, args: tuple[Any, ...]) -> Any:
        return Complete(task_id=task_id)

    def processing(
        self, cls: type[ProcessingController[Any, Any]], packet: Any, include_current: bool
    ) -> ProcessingController[Any, Any]:
        """A preprocessor's or prediction loop handler's controller for its request."""
        plugin_config, global_config = self.configs(
            packet.plugin_config, packet.global_plugin_config
        )
        return cls(
            self.client,
            plugin_config,
            global_config,
            packet.working_directory_path,
            task_id=packet.task_id,
            pci=packet.pci,
            token=packet.token,
            config=packet.config,
            include_current=include_current,
        )

    async def _run(
        self, task_id: str, ctl: HookController[Any, Any], args: tuple[Any, ...]
    ) -> None:
        try:
            result = await call_user(self.hook, ctl, *args)
            answer = self.answer(task_id, result, args)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if ctl.aborted:
                return
            _log.error("plugin %r: the %s failed", self.plugin.name, self.what, exc_info=True)
            title = f"{self.what.capitalize()} error in plugin {self.plugin.name!r}"
            self.send(ErrorPacket(task_id=task_id, error=serialize_error(exc, title)))
            return
        finally:
            if isinstance(ctl, GeneratorController):
                ctl._ended = True
            if self.controllers.get(task_id) is ctl:
                del self.controllers[task_id]
        if not ctl.aborted:
            self.send(answer)


class PromptPreprocessorServer(_TaskServer):
    """The ``setPromptPreprocessor`` channel: ``preprocess_prompt(ctl, message)``."""

    endpoint = plugins_api.SET_PROMPT_PREPROCESSOR
    hook_name = "preprocess_prompt"
    what = "prompt preprocessor"

    def start(self, packet: Any) -> tuple[HookController[Any, Any], tuple[Any, ...]] | None:
        if not isinstance(packet, Preprocess):
            return None
        return self.processing(PromptPreprocessorController, packet, False), (packet.input,)

    def answer(self, task_id: str, result: Any, args: tuple[Any, ...]) -> Any:
        return PreprocessComplete(task_id=task_id, processed=processed_message(result, args[0]))


def processed_message(result: Any, original: Any) -> UserMessage:
    """What a preprocessor returned, as the user message to send on.

    ``None``: the message unchanged; a ``str``: the message's text replaced by it; a
    ``UserMessage`` or a dict of one (wire or OpenAI shape).

    Raises:
        LMStudioValueError: anything else (a malformed prompt).
    """
    if result is None:
        if not isinstance(original, UserMessage):
            raise LMStudioValueError(
                f"the prompt to preprocess is not a user message: {original!r}"
            )
        return original
    if isinstance(result, str):
        return UserMessage(content=[TextData(text=result)])
    if isinstance(result, UserMessage):
        return result
    if isinstance(result, Mapping):
        try:
            message = Chat().append(result)
        except LMStudioValueError as exc:
            raise LMStudioValueError(
                f"preprocess_prompt returned a malformed prompt: {exc}"
            ) from None
        if isinstance(message, UserMessage):
            return message
    raise LMStudioValueError(
        f"preprocess_prompt returned a malformed prompt {result!r}: expected None (no change), "
        "a str, a UserMessage or a user message dict"
    )


class GeneratorServer(_TaskServer):
    """The ``setGenerator`` channel: ``generate(ctl, chat)``."""

    endpoint = plugins_api.SET_GENERATOR
    hook_name = "generate"
    what = "generator"

    def start(self, packet: Any) -> tuple[HookController[Any, Any], tuple[Any, ...]] | None:
        if not isinstance(packet, Generate):
            return None
        plugin_config, global_config = self.configs(
            packet.plugin_config, packet.global_plugin_config
        )
        ctl: GeneratorController[Any, Any] = GeneratorController(
            self.client,
            plugin_config,
            global_config,
            packet.working_directory_path,
            server=self,
            task_id=packet.task_id,
            tool_definitions=list(packet.tool_definitions),
        )
        return ctl, (Chat.from_history(packet.input),)


class PredictionLoopServer(_TaskServer):
    """The ``setPredictionLoopHandler`` channel: ``prediction_loop_handler(ctl)``."""

    endpoint = plugins_api.SET_PREDICTION_LOOP_HANDLER
    hook_name = "prediction_loop_handler"
    what = "prediction loop handler"

    def start(self, packet: Any) -> tuple[HookController[Any, Any], tuple[Any, ...]] | None:
        if not isinstance(packet, HandlePredictionLoop):
            return None
        return self.processing(PredictionLoopHandlerController, packet, True), ()


for _cls in (PromptPreprocessorController, PredictionLoopHandlerController, GeneratorController):
    _cls.__module__ = "lmstudio.plugin"
