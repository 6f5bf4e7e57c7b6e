"""The state of one prediction: the ``llm/predict`` channel's handler (no I/O).

Theory of operation
-------------------
``prepare_respond()`` / ``prepare_complete()`` (``request.py``) turn the caller's
arguments into a :class:`~.request.PredictionRequest`: the channel's creation parameter
plus the response format the result will be parsed with. Its :class:`PredictionState`
*is* the channel's :class:`~lmstudio._engine.handler.ChannelHandler`: the engine feeds it
every decoded toClient packet (:meth:`PredictionState.packet`), and it returns the events
the packet caused; the channel's close gives its result, a ``channelError`` its error. Nothing here runs a callback or touches a loop: the layer that exposes
the ``Stream`` yields :class:`FragmentReceived` fragments as items and passes every event
to :meth:`PredictionCallbacks.dispatch` where the stream is consumed.

Rules (all state changes live in :class:`TextPredictionState`, the base that
:class:`PredictionState` and a generator's ``GeneratorState`` share; each subclass only
turns its channel's ``success`` packet into its result):

- Prompt processing progress only moves forward; ``0.0`` is reported before the first
  positive value and ``1.0`` at the first fragment if the server skipped them.
- The first fragment produces :class:`FirstToken` before its :class:`FragmentReceived`.
- After :meth:`PredictionState.cancel` (the engine sent ``cancel``) fragments,
  progress and tool call events are dropped; the server still ends with ``success``
  (stop reason ``userStopped``), whose result holds the text received before the cancel
  and is never parsed as structured output.
- ``success`` ends the prediction with :class:`PredictionCompleted`; later packets are
  ignored. Packets of unknown kinds (a newer server) are logged and ignored.
- ``toolCallGenerationFailed`` is reported as an event and kept in
  :attr:`PredictionState.tool_call_failures`; it does not fail the prediction.
- ``packet`` runs on the engine loop: it runs no user code. Structured output is parsed
  on the first access to ``PredictionResult.parsed``, where the result is consumed (a
  pydantic validator or a dataclass ``__post_init__`` is user code).
- One thread feeds a state at a time; :meth:`PredictionState.cancel` may be
  called from any thread.

Content: ``PredictionResult.content`` is every fragment's text (as both official SDKs
give it), ``non_reasoning_content`` the answer (fragments with reasoning type ``none``
that are not structural), ``reasoning_content`` the reasoning (type ``reasoning``);
reasoning tags and other structural tokens belong to neither. Structured output is
parsed from the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, Generic

from msgspec import UNSET
from typing_extensions import TypeVar

from .._data.config import (
    llm_load_config_from_kv,
    prediction_config_from_kv,
)
from .._data.history import ToolCallRequest
from .._data.structured import ResponseFormat
from .._engine.handler import ChannelHandler
from .._protocol.models import (
    LlmChannelPredictToClientPacket,
    LlmChannelPredictToClientPacketFragment,
    LlmChannelPredictToClientPacketPromptProcessingProgress,
    LlmChannelPredictToClientPacketSuccess,
    LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated,
    LlmChannelPredictToClientPacketToolCallGenerationEnd,
    LlmChannelPredictToClientPacketToolCallGenerationFailed,
    LlmChannelPredictToClientPacketToolCallGenerationNameReceived,
    LlmChannelPredictToClientPacketToolCallGenerationStart,
    LlmPredictionFragment,
    LlmPredictionStats,
    PromptProcessingDetails,
)
from ..errors import (
    LMStudioChannelClosedError,
    LMStudioPredictionError,
    LMStudioServerError,
)
from .events import (
    FirstToken,
    FragmentReceived,
    PredictionCompleted,
    PredictionEvent,
    PromptProcessingProgress,
    ToolCallArgumentsFragment,
    ToolCallGenerated,
    ToolCallGenerationFailed,
    ToolCallGenerationStarted,
    ToolCallNameReceived,
)
from .results import GeneratedText, PredictionFragment, PredictionResult

__all__ = ["PredictionState", "TextPredictionState"]

_log = logging.getLogger("lmstudio.prediction")


# --- The stream state ------------------------------------------------------------------


R = TypeVar("R", bound=GeneratedText)


class TextPredictionState(ChannelHandler[PredictionEvent, R], Generic[R]):
    """The packets of a channel that streams a prediction into events, a snapshot and a
    result of type ``R`` (the handler): every rule but the success packet's, which a
    subclass turns into its result (:attr:`_success_type`, :meth:`_finish`)."""

    _success_type: ClassVar[type]
    """The class of the packet that ends the prediction."""

    def __init__(self) -> None:
        self._text: list[str] = []  # every fragment
        self._answer: list[str] = []
        self._reasoning: list[str] = []
        self._progress = -1.0
        self._fragments_count = 0
        self._cancelled = False
        self._result: R | None = None
        self._tool_calls: list[ToolCallRequest] = []
        self._tool_call_failures: list[ToolCallGenerationFailed] = []

    # snapshot

    @property
    def content(self) -> str:
        """The whole text received so far (reasoning and tags included)."""
        return "".join(self._text)

    @property
    def non_reasoning_content(self) -> str:
        """The answer text received so far (no reasoning, no structural tokens)."""
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
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    @property
    def finished(self) -> bool:
        """Whether ``success`` arrived."""
        return self._result is not None

    @property
    def result(self) -> R | None:
        """The result once ``success`` arrived, else ``None``."""
        return self._result

    # transitions
    def cancel(self) -> None:
        """Record that ``cancel`` was sent: later fragments are dropped, no parsing."""
        self._cancelled = True

    def feed(self, packet: LlmChannelPredictToClientPacket | object) -> list[PredictionEvent]:
        """Process one decoded toClient packet; returns the events it caused, in order."""
        events = self.packet(packet)
        if events is None:
            return []
        return events if isinstance(events, list) else [events]

    def packet(
        self, packet: LlmChannelPredictToClientPacket | object
    ) -> PredictionEvent | list[PredictionEvent] | None:
        """The events one decoded packet causes (the engine's hot path: a lone event is
        not put in a list; ``None`` or ``[]`` for none). :meth:`feed` always gives a list."""
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
            case _ if type(packet) is self._success_type:
                result = self._finish(packet)
                self._result = result
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

    def close(self) -> R:
        """The result, when LM Studio closes the channel after ``success``.

        Raises :class:`~lmstudio.LMStudioProtocolError` if it closed without one.
        """
        if self._result is None:
            raise LMStudioChannelClosedError("LM Studio ended the prediction without its result")
        return self._result

    def error(self, error: LMStudioServerError) -> BaseException:
        """A ``channelError`` as :class:`~lmstudio.LMStudioPredictionError` (a more
        specific error, such as model not found, is kept)."""
        if type(error) is not LMStudioServerError:
            return error
        return LMStudioPredictionError(
            error.title,
            cause=error.cause,
            suggestion=error.suggestion,
            error_data=error.error_data,
            display_data=error.display_data,
            root_title=error.root_title,
            stack=error.stack,
        )

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
        self._text.append(wire.content)
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

    def _finish(self, packet: Any) -> R:
        """The result for the packet that ends the prediction (of :attr:`_success_type`)."""
        raise NotImplementedError

    def _generated(self, result_type: Callable[..., R], **fields: Any) -> R:
        """A ``result_type`` holding the text and tool calls received, and ``fields``."""
        return result_type(
            content=self.content,
            reasoning_content=self.reasoning_content,
            non_reasoning_content=self.non_reasoning_content,
            tool_call_requests=tuple(self._tool_calls),
            **fields,
        )


class PredictionState(TextPredictionState[PredictionResult[Any]]):
    """One ``llm/predict`` channel's packets into events, a snapshot and a
    :class:`~lmstudio.PredictionResult` (the handler)."""

    _success_type = LlmChannelPredictToClientPacketSuccess

    def __init__(self, response_format: ResponseFormat | None = None) -> None:
        super().__init__()
        self._response_format = response_format

    @property
    def response_format(self) -> ResponseFormat | None:
        """The response format the result will be parsed with, if any."""
        return self._response_format

    @property
    def stats(self) -> LlmPredictionStats | None:
        """The prediction's statistics once it finished, else ``None``."""
        return None if self._result is None else self._result.stats

    def _finish(self, packet: LlmChannelPredictToClientPacketSuccess) -> PredictionResult[Any]:
        # A stopped prediction's text is partial: never parse it as structured output.
        stopped = self._cancelled or packet.stats.stop_reason == "userStopped"
        return self._generated(
            PredictionResult,
            stats=packet.stats,
            model_info=packet.model_info,
            load_config=llm_load_config_from_kv(packet.load_model_config),
            prediction_config=prediction_config_from_kv(packet.prediction_config),
            response_format=None if stopped else self._response_format,
        )
