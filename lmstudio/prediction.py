"""Predictions without I/O: the request for ``llm/predict`` and the state of its stream.

Theory of operation
-------------------
``prepare_respond()`` / ``prepare_complete()`` turn the caller's arguments into a
:class:`PredictionRequest`: the channel's creation parameter plus the response format
the result will be parsed with. The engine opens the channel and feeds every decoded
toClient packet to the request's :class:`PredictionState`, which returns the events the
packet caused. Nothing here runs a callback or touches a loop: the layer that exposes
the ``Stream`` yields :class:`FragmentReceived` fragments as items and passes every event
to :meth:`PredictionCallbacks.dispatch` where the stream is consumed.

Rules (all state changes live in :class:`PredictionState`):

- Prompt processing progress only moves forward; ``0.0`` is reported before the first
  positive value and ``1.0`` at the first fragment if the server skipped them.
- The first fragment produces :class:`FirstToken` before its :class:`FragmentReceived`.
- After :meth:`PredictionState.mark_cancelled` (the engine sent ``cancel``) fragments,
  progress and tool call events are dropped; the server still ends with ``success``
  (stop reason ``userStopped``), whose result holds the text received before the cancel
  and is never parsed as structured output.
- ``success`` ends the prediction with :class:`PredictionCompleted`; later packets are
  ignored. Packets of unknown kinds (a newer server) are logged and ignored.
- ``toolCallGenerationFailed`` is reported as an event and kept in
  :attr:`PredictionState.tool_call_failures`; it does not fail the prediction.
- ``feed`` may run on the engine loop: it runs no user code. Structured output is parsed
  on the first access to ``PredictionResult.parsed``, where the result is consumed (a
  pydantic validator or a dataclass ``__post_init__`` is user code).
- One thread feeds a state at a time; :meth:`PredictionState.mark_cancelled` may be
  called from any thread.

Content: ``PredictionResult.content`` is the answer (fragments with reasoning type
``none`` that are not structural), ``reasoning_content`` the reasoning (type
``reasoning``); reasoning tags and other structural tokens belong to neither.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import msgspec
from msgspec import UNSET

from ._protocol.models import (
    KvConfig,
    LlmChannelPredictCreationParameter,
    LlmChannelPredictToClientPacket,
    LlmChannelPredictToClientPacketFragment,
    LlmChannelPredictToClientPacketPromptProcessingProgress,
    LlmChannelPredictToClientPacketSuccess,
    LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated,
    LlmChannelPredictToClientPacketToolCallGenerationEnd,
    LlmChannelPredictToClientPacketToolCallGenerationFailed,
    LlmChannelPredictToClientPacketToolCallGenerationNameReceived,
    LlmChannelPredictToClientPacketToolCallGenerationStart,
    LlmInstanceInfo,
    LlmLoadModelConfig,
    LlmPredictionConfig,
    LlmPredictionFragment,
    LlmPredictionStats,
    LlmToken,
    LlmToolUseSettingToolArray,
    ModelQuery,
    ModelSpecifier,
    ModelSpecifierInstanceReference,
    ModelSpecifierQuery,
    PromptProcessingDetails,
    SerializedLMSExtendedError,
)
from .config import (
    PredictionConfigInput,
    config_stack,
    llm_load_config_from_kv,
    prediction_config_from_kv,
    prediction_config_to_kv,
    to_prediction_config,
)
from .errors import LMStudioValueError
from .history import AssistantResponse, Chat, HistoryInput, TextData, ToolCallRequest
from .structured import ResponseFormat, ResponseFormatInput, to_response_format

__all__ = [
    "FirstToken",
    "FragmentReceived",
    "LlmPredictionStats",
    "ModelSpecifierInput",
    "PredictionCallbacks",
    "PredictionCompleted",
    "PredictionEvent",
    "PredictionFirstTokenCallback",
    "PredictionFragment",
    "PredictionFragmentCallback",
    "PredictionMessageCallback",
    "PredictionRequest",
    "PredictionResult",
    "PredictionState",
    "PromptProcessingCallback",
    "PromptProcessingProgress",
    "ToolCallArgumentsFragment",
    "ToolCallGenerated",
    "ToolCallGenerationFailed",
    "ToolCallGenerationStarted",
    "ToolCallNameReceived",
    "decode_predict_packet",
    "model_specifier",
    "prepare_complete",
    "prepare_respond",
]

_log = logging.getLogger("lmstudio.prediction")

ModelSpecifierInput: TypeAlias = str | ModelSpecifier
"""A model instance identifier (or key), or a protocol ``ModelSpecifier``."""


# --- Fragments and results -------------------------------------------------------------


class PredictionFragment:
    """One piece of generated text, as streamed (wraps the protocol's fragment)."""

    __slots__ = ("_wire",)

    def __init__(self, wire: LlmPredictionFragment) -> None:
        self._wire = wire

    @property
    def wire(self) -> LlmPredictionFragment:
        """The fragment as the server sent it."""
        return self._wire

    @property
    def content(self) -> str:
        """The text of this fragment."""
        return self._wire.content

    @property
    def tokens_count(self) -> int:
        """How many tokens this fragment holds."""
        return self._wire.tokens_count

    @property
    def contains_drafted(self) -> bool:
        """Whether speculative decoding's draft model produced (part of) it."""
        return self._wire.contains_drafted

    @property
    def reasoning_type(self) -> str:
        """``"none"``, ``"reasoning"``, ``"reasoningStartTag"`` or ``"reasoningEndTag"``."""
        return self._wire.reasoning_type

    @property
    def is_structural(self) -> bool:
        """Whether it is a structural token (such as a reasoning tag), not content."""
        return self._wire.is_structural is True

    @property
    def tokens(self) -> list[LlmToken] | None:
        """Per-token details (with log probabilities) when requested; else ``None``."""
        tokens = self._wire.tokens
        return None if tokens is UNSET else tokens

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PredictionFragment):
            return NotImplemented
        return self._wire == other._wire

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        extra = "" if self.reasoning_type == "none" else f", reasoning_type={self.reasoning_type!r}"
        return (
            f"PredictionFragment(content={self.content!r}, tokens_count={self.tokens_count}{extra})"
        )


_UNPARSED: Any = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionResult:
    """The final result of a prediction.

    ``content`` is the answer, ``reasoning_content`` the model's reasoning, kept apart
    (reasoning tags belong to neither). ``parsed`` is the structured value when a response
    format was requested and the answer parses (``structured`` is then true); otherwise
    the answer text, as for a cancelled or cut-off prediction.
    """

    content: str
    reasoning_content: str
    stats: LlmPredictionStats
    model_info: LlmInstanceInfo
    load_config: LlmLoadModelConfig
    prediction_config: LlmPredictionConfig
    tool_call_requests: tuple[ToolCallRequest, ...] = ()
    """Tool calls the model requested (when tools were offered)."""
    response_format: ResponseFormat | None = field(default=None, repr=False, compare=False)
    """The format ``parsed`` comes from; ``None`` for plain text."""
    _parsed: tuple[Any, bool] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def parsed(self) -> Any:
        """The structured value (a dict, or an instance of the requested type), else the text.

        Parsed on first access, where the result is consumed: a type's own validation code
        never runs on the engine loop.
        """
        return self._parse()[0]

    @property
    def structured(self) -> bool:
        """Whether ``parsed`` holds a structured value (the answer parsed)."""
        return self._parse()[1]

    @property
    def stop_reason(self) -> str:
        """Why generation stopped (``stats.stop_reason``), e.g. ``"eosFound"``."""
        return self.stats.stop_reason

    def to_message(self) -> AssistantResponse:
        """The assistant message for this result (what ``on_message`` receives)."""
        return AssistantResponse(content=[TextData(text=self.content)])

    def _to_history_content(self) -> str:
        return self.content

    def _parse(self) -> tuple[Any, bool]:
        cached = self._parsed
        if cached is None:
            cached = (self.content, False)
            if self.response_format is not None:
                try:
                    cached = (self.response_format.parse(self.content), True)
                except Exception as exc:
                    # As the official SDK: an answer that does not parse (cut off, or a
                    # grammar that is not JSON) is reported as text, ``structured`` false.
                    _log.warning("Structured prediction result did not parse: %s", exc)
            object.__setattr__(self, "_parsed", cached)
        return cached

    def __str__(self) -> str:
        return self.content

    def __repr__(self) -> str:
        return f"PredictionResult(content={self.content!r}, stop_reason={self.stop_reason!r})"


# --- Events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromptProcessingProgress:
    """Prompt processing advanced to ``progress`` (0.0 to 1.0)."""

    progress: float
    details: PromptProcessingDetails | None = None


@dataclass(frozen=True, slots=True)
class FirstToken:
    """The first fragment arrived (just before its :class:`FragmentReceived`)."""


class FragmentReceived:
    """A fragment of generated text: the stream's item (read-only).

    A plain class rather than a frozen dataclass: one is made per fragment, and a
    frozen dataclass is several times slower to create.
    """

    __slots__ = ("_fragment",)
    __match_args__ = ("fragment",)

    def __init__(self, fragment: PredictionFragment) -> None:
        self._fragment = fragment

    @property
    def fragment(self) -> PredictionFragment:
        """The fragment."""
        return self._fragment

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FragmentReceived):
            return NotImplemented
        return self._fragment == other._fragment

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FragmentReceived(fragment={self._fragment!r})"


@dataclass(frozen=True, slots=True)
class ToolCallGenerationStarted:
    """The model started writing a tool call."""

    tool_call_id: str | None


@dataclass(frozen=True, slots=True)
class ToolCallNameReceived:
    """The name of the tool being called is known."""

    name: str


@dataclass(frozen=True, slots=True)
class ToolCallArgumentsFragment:
    """A piece of the tool call's arguments text."""

    content: str


@dataclass(frozen=True, slots=True)
class ToolCallGenerated:
    """A complete tool call request."""

    request: ToolCallRequest
    raw_content: str | None


@dataclass(frozen=True, slots=True)
class ToolCallGenerationFailed:
    """The model wrote a tool call the server could not parse."""

    error: SerializedLMSExtendedError
    raw_content: str | None


@dataclass(frozen=True, slots=True)
class PredictionCompleted:
    """The prediction ended (``success``); the stream's final value."""

    result: PredictionResult


PredictionEvent: TypeAlias = (
    PromptProcessingProgress
    | FirstToken
    | FragmentReceived
    | ToolCallGenerationStarted
    | ToolCallNameReceived
    | ToolCallArgumentsFragment
    | ToolCallGenerated
    | ToolCallGenerationFailed
    | PredictionCompleted
)


# --- The stream state ------------------------------------------------------------------


class PredictionState:
    """Collects one ``predict`` channel's packets into events, a snapshot and a result."""

    def __init__(self, response_format: ResponseFormat | None = None) -> None:
        self._response_format = response_format
        self._answer: list[str] = []
        self._reasoning: list[str] = []
        self._progress = -1.0
        self._fragments_count = 0
        self._cancelled = False
        self._result: PredictionResult | None = None
        self._tool_calls: list[ToolCallRequest] = []
        self._tool_call_failures: list[ToolCallGenerationFailed] = []

    # snapshot
    @property
    def response_format(self) -> ResponseFormat | None:
        """The response format the result will be parsed with, if any."""
        return self._response_format

    @property
    def content(self) -> str:
        """The answer text received so far."""
        return "".join(self._answer)

    @property
    def reasoning_content(self) -> str:
        """The reasoning text received so far."""
        return "".join(self._reasoning)

    @property
    def fragments_count(self) -> int:
        """How many fragments were received (dropped ones not counted)."""
        return self._fragments_count

    @property
    def prompt_processing_progress(self) -> float | None:
        """Last prompt processing progress, ``None`` before any."""
        return None if self._progress < 0 else self._progress

    @property
    def tool_call_requests(self) -> tuple[ToolCallRequest, ...]:
        """Tool calls generated so far."""
        return tuple(self._tool_calls)

    @property
    def tool_call_failures(self) -> tuple[ToolCallGenerationFailed, ...]:
        """Tool calls the server failed to parse."""
        return tuple(self._tool_call_failures)

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`mark_cancelled` was called."""
        return self._cancelled

    @property
    def finished(self) -> bool:
        """Whether ``success`` arrived."""
        return self._result is not None

    @property
    def result(self) -> PredictionResult | None:
        """The result once ``success`` arrived, else ``None``."""
        return self._result

    @property
    def stats(self) -> LlmPredictionStats | None:
        """The prediction's statistics once it finished, else ``None``."""
        return None if self._result is None else self._result.stats

    # transitions
    def mark_cancelled(self) -> None:
        """Record that ``cancel`` was sent: later fragments are dropped, no parsing."""
        self._cancelled = True

    def feed(self, packet: LlmChannelPredictToClientPacket | object) -> list[PredictionEvent]:
        """Process one decoded toClient packet; returns the events it caused, in order."""
        events = self.events_of(packet)
        if events is None:
            return []
        return events if isinstance(events, list) else [events]

    def events_of(
        self, packet: LlmChannelPredictToClientPacket | object
    ) -> PredictionEvent | list[PredictionEvent] | None:
        """:meth:`feed` for the engine's hot path: a lone event is not put in a list."""
        if self._result is not None:
            _log.debug("Ignoring a predict packet after success: %s", type(packet).__name__)
            return None
        if type(packet) is LlmChannelPredictToClientPacketFragment:
            return self._on_fragment(packet.fragment)
        match packet:
            case LlmChannelPredictToClientPacketPromptProcessingProgress(
                progress=progress, details=details
            ):
                if self._cancelled:
                    return []
                return self._advance(progress, None if details is UNSET else details)
            case LlmChannelPredictToClientPacketSuccess():
                result = self._finish(packet)
                return [PredictionCompleted(result)]
            case _ if self._cancelled:
                return []
            case LlmChannelPredictToClientPacketToolCallGenerationStart(tool_call_id=call_id):
                return [ToolCallGenerationStarted(None if call_id is UNSET else call_id)]
            case LlmChannelPredictToClientPacketToolCallGenerationNameReceived(name=name):
                return [ToolCallNameReceived(name)]
            case LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated(
                content=content
            ):
                return [ToolCallArgumentsFragment(content)]
            case LlmChannelPredictToClientPacketToolCallGenerationEnd(
                tool_call_request=request, raw_content=raw
            ):
                self._tool_calls.append(request)
                return [ToolCallGenerated(request, None if raw is UNSET else raw)]
            case LlmChannelPredictToClientPacketToolCallGenerationFailed(
                error=error, raw_content=raw
            ):
                _log.warning("The model generated a tool call the server could not parse")
                failure = ToolCallGenerationFailed(error, None if raw is UNSET else raw)
                self._tool_call_failures.append(failure)
                return [failure]
            case _:
                _log.debug("Ignoring an unknown predict packet: %r", packet)
                return []

    def _advance(
        self, progress: float, details: PromptProcessingDetails | None
    ) -> list[PredictionEvent]:
        last = self._progress
        if progress <= last:
            return []
        self._progress = progress
        events: list[PredictionEvent] = []
        if last < 0 < progress:
            events.append(PromptProcessingProgress(0.0))
        events.append(PromptProcessingProgress(progress, details))
        return events

    def _on_fragment(
        self, wire: LlmPredictionFragment
    ) -> FragmentReceived | list[PredictionEvent] | None:
        if self._cancelled:
            return None
        if wire.is_structural is not True:
            if wire.reasoning_type == "none":
                self._answer.append(wire.content)
            elif wire.reasoning_type == "reasoning":
                self._reasoning.append(wire.content)
        received = FragmentReceived(PredictionFragment(wire))
        count = self._fragments_count
        self._fragments_count = count + 1
        if count and self._progress >= 1.0:  # the usual case: no other event is due
            return received
        events = self._advance(1.0, None) if self._progress < 1.0 else []
        if count == 0:
            events.append(FirstToken())
        events.append(received)
        return events

    def _finish(self, packet: LlmChannelPredictToClientPacketSuccess) -> PredictionResult:
        # A stopped prediction's text is partial: never parse it as structured output.
        stopped = self._cancelled or packet.stats.stop_reason == "userStopped"
        self._result = PredictionResult(
            content=self.content,
            reasoning_content=self.reasoning_content,
            stats=packet.stats,
            model_info=packet.model_info,
            load_config=llm_load_config_from_kv(packet.load_model_config),
            prediction_config=prediction_config_from_kv(packet.prediction_config),
            tool_call_requests=tuple(self._tool_calls),
            response_format=None if stopped else self._response_format,
        )
        return self._result


@functools.cache
def _packet_decoder() -> msgspec.json.Decoder[LlmChannelPredictToClientPacket]:
    return msgspec.json.Decoder(LlmChannelPredictToClientPacket)


_KNOWN_PACKET_TYPES = frozenset(
    cls.__struct_config__.tag
    for cls in (
        LlmChannelPredictToClientPacketFragment,
        LlmChannelPredictToClientPacketPromptProcessingProgress,
        LlmChannelPredictToClientPacketToolCallGenerationStart,
        LlmChannelPredictToClientPacketToolCallGenerationNameReceived,
        LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated,
        LlmChannelPredictToClientPacketToolCallGenerationEnd,
        LlmChannelPredictToClientPacketToolCallGenerationFailed,
        LlmChannelPredictToClientPacketSuccess,
    )
)


def decode_predict_packet(data: bytes | str) -> LlmChannelPredictToClientPacket | None:
    """Decode a ``predict`` toClient packet's JSON; ``None`` for a kind this SDK does not know.

    Raises ``msgspec.ValidationError`` / ``DecodeError`` for a known kind that is malformed.
    """
    try:
        return _packet_decoder().decode(data)
    except msgspec.ValidationError:
        raw = msgspec.json.decode(data)
        if isinstance(raw, dict) and raw.get("type") not in _KNOWN_PACKET_TYPES:
            return None
        raise


# --- Callbacks -------------------------------------------------------------------------


PredictionMessageCallback: TypeAlias = Callable[[AssistantResponse], object]
PredictionFirstTokenCallback: TypeAlias = Callable[[], object]
PredictionFragmentCallback: TypeAlias = Callable[["PredictionFragment"], object]
PromptProcessingCallback: TypeAlias = Callable[[float], object]


@dataclass(frozen=True, slots=True)
class PredictionCallbacks:
    """The user callbacks of a prediction; :meth:`dispatch` runs them for an event.

    The layer that owns the stream calls ``dispatch`` where the stream is consumed (never on
    the engine loop); a callback's exception propagates to that caller.
    """

    on_message: PredictionMessageCallback | None = None
    on_first_token: PredictionFirstTokenCallback | None = None
    on_prediction_fragment: PredictionFragmentCallback | None = None
    on_prompt_processing_progress: PromptProcessingCallback | None = None

    def __bool__(self) -> bool:
        return any(
            cb is not None
            for cb in (
                self.on_message,
                self.on_first_token,
                self.on_prediction_fragment,
                self.on_prompt_processing_progress,
            )
        )

    def dispatch(self, event: PredictionEvent) -> None:
        """Run the callback(s) this event calls for, if set."""
        match event:
            case PromptProcessingProgress(progress=progress):
                if self.on_prompt_processing_progress is not None:
                    self.on_prompt_processing_progress(progress)
            case FirstToken():
                if self.on_first_token is not None:
                    self.on_first_token()
            case FragmentReceived(fragment=fragment):
                if self.on_prediction_fragment is not None:
                    self.on_prediction_fragment(fragment)
            case PredictionCompleted(result=result):
                if self.on_message is not None:
                    self.on_message(result.to_message())
            case _:
                pass


# --- Requests --------------------------------------------------------------------------

# A pass-through prompt template: the prompt reaches the model unformatted (completion).
_RAW_PROMPT_TEMPLATE = "{% for message in messages %}{{ message['content'] }}{% endfor %}"
COMPLETION_FORMATTING_LAYER = "completeModeFormatting"


@dataclass(frozen=True, slots=True)
class PredictionRequest:
    """Everything needed to run one prediction: the creation parameter and the parsing."""

    parameter: LlmChannelPredictCreationParameter
    response_format: ResponseFormat | None = None
    config: LlmPredictionConfig = field(default_factory=LlmPredictionConfig)
    """The caller's config as sent (with ``structured`` / ``raw_tools`` filled in)."""

    def new_state(self) -> PredictionState:
        """A fresh stream state for this request."""
        return PredictionState(self.response_format)


def model_specifier(model: ModelSpecifierInput) -> ModelSpecifier:
    """The ``modelSpecifier`` for an identifier (a query, as the official SDK sends)."""
    if isinstance(model, ModelSpecifierQuery | ModelSpecifierInstanceReference):
        return model
    if not isinstance(model, str) or not model:
        raise LMStudioValueError(f"Expected a model identifier, got {model!r}")
    return ModelSpecifierQuery(query=ModelQuery(identifier=model))


def prepare_respond(
    model: ModelSpecifierInput,
    history: HistoryInput,
    *,
    config: PredictionConfigInput | None = None,
    preset: str | None = None,
    response_format: ResponseFormatInput | None = None,
    tools: LlmToolUseSettingToolArray | None = None,
) -> PredictionRequest:
    """The request for a chat response to ``history``.

    ``config`` is a typed config or a dict; ``preset`` a preset name (fuzzy matched by the
    server); ``response_format`` asks for structured output (see ``lmstudio.structured``);
    ``tools`` the tool definitions to offer (from ``tools.py``). Raises
    ``LMStudioValueError`` for invalid arguments.
    """
    chat = history if isinstance(history, Chat) else Chat.from_history(history)
    if len(chat) == 0:
        raise LMStudioValueError("Cannot respond to an empty chat history")
    return _prepare(model, chat, config, preset, response_format, tools, completion=False)


def prepare_complete(
    model: ModelSpecifierInput,
    prompt: str,
    *,
    config: PredictionConfigInput | None = None,
    preset: str | None = None,
    response_format: ResponseFormatInput | None = None,
) -> PredictionRequest:
    """The request for a text completion of ``prompt`` (no chat template applied).

    As the official SDKs do on ``predict``: a one-message history with the prompt, and a
    ``completeModeFormatting`` layer whose prompt template passes it through unchanged.
    Stop strings default to none, so a preset's do not apply.
    """
    if not isinstance(prompt, str):
        raise LMStudioValueError(
            f"A completion prompt must be a string, not {type(prompt).__name__}"
        )
    chat = Chat()
    chat.add_user_message(prompt)
    return _prepare(model, chat, config, preset, response_format, None, completion=True)


def _prepare(
    model: ModelSpecifierInput,
    chat: Chat,
    config_input: PredictionConfigInput | None,
    preset: str | None,
    response_format: ResponseFormatInput | None,
    tools: LlmToolUseSettingToolArray | None,
    *,
    completion: bool,
) -> PredictionRequest:
    config = to_prediction_config(config_input)
    fmt: ResponseFormat | None = None
    if response_format is not None:
        if config.structured is not UNSET:
            raise LMStudioValueError(
                "Give structured output either as response_format or as config 'structured', not both"
            )
        fmt = to_response_format(response_format)
        config = msgspec.structs.replace(config, structured=fmt.setting)
    elif config.structured is not UNSET and config.structured.type_ != "none":
        fmt = to_response_format(config.structured)
    if tools is not None:
        if config.raw_tools is not UNSET:
            raise LMStudioValueError(
                "Give tools either as tools= or as config 'raw_tools', not both"
            )
        config = msgspec.structs.replace(config, raw_tools=tools)
    if completion and config.stop_strings is UNSET:
        config = msgspec.structs.replace(config, stop_strings=[])
    layers: list[tuple[str, KvConfig]] = [("apiOverride", prediction_config_to_kv(config))]
    if completion:
        layers.append((COMPLETION_FORMATTING_LAYER, _completion_formatting()))
    parameter = LlmChannelPredictCreationParameter(
        model_specifier=model_specifier(model),
        history=chat.to_wire(),
        prediction_config_stack=config_stack(*layers),
    )
    if preset is not None:
        if not isinstance(preset, str) or not preset:
            raise LMStudioValueError(f"preset must be a non-empty string, got {preset!r}")
        parameter.fuzzy_preset_identifier = preset
    return PredictionRequest(parameter, fmt, config)


def _completion_formatting() -> KvConfig:
    template: Mapping[str, Any] = {
        "type": "jinja",
        "jinjaPromptTemplate": {"template": _RAW_PROMPT_TEMPLATE},
        "stopStrings": [],
    }
    config = to_prediction_config({"prompt_template": template})
    return prediction_config_to_kv(config)
