"""What an ``act()`` reports: its events, its round results, its final result, its callbacks.

An act is a ``Stream[ActEvent, ActResult]``: iterating it gives these events in order;
its callbacks (:class:`ActCallbacks`) are the same events, dispatched where the act is
consumed. One round's events, in order::

    RoundStarted
      RoundPromptProcessingProgress*  RoundFirstToken  RoundFragment*
      (ToolCallRequestStarted  ToolCallRequestNameReceived
       ToolCallRequestArgumentsFragment*  ToolCallRequested | ToolCallRequestFailed)*
      ToolCallCompleted*            (a tool may finish while the model still streams)
    RoundPredictionCompleted
      ToolCallCompleted*            (the tools still running)
    MessageAdded (the assistant's message)  [MessageAdded (the tool results)]
    RoundEnded

No I/O here: the driver (``_resources/act.py``) produces them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeAlias

import msgspec
from typing_extensions import TypeVar

from .._data.history import (
    AssistantResponse,
    Chat,
    ToolCallRequest,
    ToolCallResultData,
    ToolResultMessage,
)
from .._exports import publish
from .._protocol.models import PromptProcessingDetails
from ..errors import LMStudioPredictionError
from .callbacks import call_with_details
from .results import GeneratorPredictionResult, PredictionFragment, PredictionResult

__all__ = [
    "ActCallbacks",
    "ActEvent",
    "ActResult",
    "GeneratorRoundResult",
    "MessageAdded",
    "PredictionRoundResult",
    "RoundEnded",
    "RoundFirstToken",
    "RoundFragment",
    "RoundPredictionCompleted",
    "RoundPromptProcessingProgress",
    "RoundResult",
    "RoundResultLike",
    "RoundStarted",
    "ToolCallCompleted",
    "ToolCallOutcome",
    "ToolCallRequestArgumentsFragment",
    "ToolCallRequestFailed",
    "ToolCallRequestNameReceived",
    "ToolCallRequestStarted",
    "ToolCallRequested",
    "round_result",
]


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PredictionRoundResult(PredictionResult[str]):
    """The result of one prediction round of an act (a :class:`PredictionResult`)."""

    round_index: int = 0
    """Which round produced it, counting from 0."""

    @classmethod
    def from_result(cls, result: PredictionResult[Any], round_index: int) -> PredictionRoundResult:
        """``result`` as the result of round ``round_index``."""
        return round_result(cls, result, round_index)


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratorRoundResult(GeneratorPredictionResult):
    """The result of one round of a generator's act (a :class:`GeneratorPredictionResult`)."""

    round_index: int = 0
    """Which round produced it, counting from 0."""


class RoundResultLike(Protocol):
    """What an act needs of a round's result."""

    @property
    def content(self) -> str: ...

    @property
    def round_index(self) -> int: ...


RoundResult = TypeVar("RoundResult", bound=RoundResultLike, default=PredictionRoundResult)
"""The type of an act's round results: :class:`PredictionRoundResult` for a model's act
(the default), :class:`GeneratorRoundResult` for a generator's."""


def round_result(
    round_type: Callable[..., RoundResult], result: object, round_index: int
) -> RoundResult:
    """``result`` (a dataclass) as a ``round_type``: the result of round ``round_index``."""
    given = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.init}  # type: ignore[arg-type]
    return round_type(round_index=round_index, **given)


class ActResult(msgspec.Struct, Generic[RoundResult], frozen=True, kw_only=True):
    """The outcome of an ``act()``: how many rounds it took, how long, and the whole chat.

    ``chat`` is a copy of the chat given to ``act()`` with every round's assistant message
    (with its tool call requests) and the tool results appended: send it again to go on.
    """

    rounds: int
    """Prediction rounds performed."""
    total_time_seconds: float
    """Wall time of the whole act."""
    chat: Chat = msgspec.field(default_factory=Chat)
    """The chat of the whole exchange (the given chat, then what the act added)."""
    predictions: tuple[RoundResult, ...] = ()
    """Each round's prediction result, in order (a generator's act:
    :class:`GeneratorRoundResult` objects)."""
    unimplemented_tool_calls: tuple[ToolCallRequest, ...] = ()
    """Requests for tools given without an implementation (raw definitions): the act
    ended on them; run them, add their results with ``chat.add_tool_results`` and act
    again."""
    cancelled: bool = False
    """Whether the act was stopped by ``cancel()`` (its last round then ended early)."""

    @property
    def content(self) -> str:
        """The last round's answer text (``""`` if no round finished)."""
        return self.predictions[-1].content if self.predictions else ""


# --- events -----------------------------------------------------------------------------


class RoundStarted(msgspec.Struct, frozen=True):
    """A prediction round starts."""

    round_index: int


class RoundPromptProcessingProgress(msgspec.Struct, frozen=True):
    """The round's prompt processing advanced to ``progress`` (0.0 to 1.0)."""

    round_index: int
    progress: float
    details: PromptProcessingDetails | None = None


class RoundFirstToken(msgspec.Struct, frozen=True):
    """The round's first fragment arrived (just before its :class:`RoundFragment`)."""

    round_index: int


class RoundFragment(msgspec.Struct, frozen=True):
    """A fragment of the round's generated text."""

    round_index: int
    fragment: PredictionFragment


class ToolCallRequestStarted(msgspec.Struct, frozen=True):
    """The model started writing a tool call request.

    ``call_index`` numbers the act's tool call requests from 0 (stable across all of
    this call's events); ``tool_call_id`` is the model's own id, if it gave one.
    """

    round_index: int
    call_index: int
    tool_call_id: str | None


class ToolCallRequestNameReceived(msgspec.Struct, frozen=True):
    """The name of the tool being requested is known."""

    round_index: int
    call_index: int
    name: str


class ToolCallRequestArgumentsFragment(msgspec.Struct, frozen=True):
    """A piece of the request's arguments text (not necessarily valid JSON when joined)."""

    round_index: int
    call_index: int
    content: str


class ToolCallRequested(msgspec.Struct, frozen=True):
    """A complete tool call request; its tool starts now (unless invalid or guarded)."""

    round_index: int
    call_index: int
    request: ToolCallRequest
    raw_content: str | None = None


class ToolCallRequestFailed(msgspec.Struct, frozen=True):
    """The model wrote a tool call request LM Studio could not parse."""

    round_index: int
    call_index: int
    error: LMStudioPredictionError
    raw_content: str | None = None


ToolCallOutcome: TypeAlias = Literal["success", "error", "invalid", "denied"]
"""How a tool call ended: the tool returned, raised, the request was invalid (unknown
tool, arguments not fitting its parameters) or ``guard_tool_call`` denied it."""


class ToolCallCompleted(msgspec.Struct, frozen=True):
    """A tool call's result is ready (it is sent to the model in the next round).

    ``request`` holds the arguments the tool ran with (``guard_tool_call`` may have
    rewritten them); ``error`` is the tool's exception when ``outcome`` is ``"error"``.
    """

    round_index: int
    call_index: int
    request: ToolCallRequest
    result: ToolCallResultData
    outcome: ToolCallOutcome
    error: BaseException | None = None


class RoundPredictionCompleted(msgspec.Struct, Generic[RoundResult], frozen=True):
    """The round's prediction ended (tools may still be running)."""

    round_index: int
    result: RoundResult


class MessageAdded(msgspec.Struct, frozen=True):
    """A message was appended to the act's chat: an assistant message (with its tool
    call requests) or the tool results."""

    round_index: int
    message: AssistantResponse | ToolResultMessage


class RoundEnded(msgspec.Struct, frozen=True):
    """A prediction round ended (its messages are recorded)."""

    round_index: int


ActEvent: TypeAlias = (
    RoundStarted
    | RoundPromptProcessingProgress
    | RoundFirstToken
    | RoundFragment
    | ToolCallRequestStarted
    | ToolCallRequestNameReceived
    | ToolCallRequestArgumentsFragment
    | ToolCallRequested
    | ToolCallRequestFailed
    | ToolCallCompleted
    | RoundPredictionCompleted[RoundResult]
    | MessageAdded
    | RoundEnded
)
"""An item of an act's stream (see the module docstring for their order); ``ActEvent``
is a model's act's, ``ActEvent[GeneratorRoundResult]`` a generator's."""


# --- callbacks --------------------------------------------------------------------------

_Callback: TypeAlias = Callable[..., object] | None


class ActCallbacks(msgspec.Struct, frozen=True, kw_only=True):
    """The user callbacks of an act; :meth:`dispatch` runs them for one event.

    The official Python SDK's callbacks (``on_message(message)``,
    ``on_first_token(round_index)``, ``on_prediction_fragment(fragment, round_index)``,
    ``on_round_start(round_index)``, ``on_round_end(round_index)``,
    ``on_prediction_completed(round_result)``,
    ``on_prompt_processing_progress(progress, round_index)``, with the prompt's
    ``details`` as a third argument to a callback that takes one) and the TypeScript SDK's
    tool call request callbacks (``on_tool_call_request_start(round_index, call_index,
    tool_call_id)``, ``..._name_received(round_index, call_index, name)``,
    ``..._argument_fragment_generated(round_index, call_index, content)``,
    ``..._end(round_index, call_index, request)``, ``..._failure(round_index,
    call_index, error)``, ``on_tool_call_result(round_index, call_index, result)``).
    """

    on_message: _Callback = None
    on_first_token: _Callback = None
    on_prediction_fragment: _Callback = None
    on_round_start: _Callback = None
    on_round_end: _Callback = None
    on_prediction_completed: _Callback = None
    on_prompt_processing_progress: _Callback = None
    on_tool_call_request_start: _Callback = None
    on_tool_call_request_name_received: _Callback = None
    on_tool_call_request_argument_fragment_generated: _Callback = None
    on_tool_call_request_end: _Callback = None
    on_tool_call_request_failure: _Callback = None
    on_tool_call_result: _Callback = None

    def consume(self, event: ActEvent) -> ActEvent:
        """The act stream's ``consume`` hook: run the callbacks, keep the event as an item."""
        self.dispatch(event)
        return event

    def dispatch(self, event: ActEvent) -> None:
        """Run the callback this event calls for, if set."""
        cb: Any
        match event:
            case RoundFragment(round_index, fragment):
                if (cb := self.on_prediction_fragment) is not None:
                    cb(fragment, round_index)
            case RoundStarted(round_index):
                if (cb := self.on_round_start) is not None:
                    cb(round_index)
            case RoundPromptProcessingProgress(round_index, progress, details):
                if (cb := self.on_prompt_processing_progress) is not None:
                    call_with_details(cb, (progress, round_index), details)
            case RoundFirstToken(round_index):
                if (cb := self.on_first_token) is not None:
                    cb(round_index)
            case ToolCallRequestStarted(round_index, call_index, tool_call_id):
                if (cb := self.on_tool_call_request_start) is not None:
                    cb(round_index, call_index, tool_call_id)
            case ToolCallRequestNameReceived(round_index, call_index, name):
                if (cb := self.on_tool_call_request_name_received) is not None:
                    cb(round_index, call_index, name)
            case ToolCallRequestArgumentsFragment(round_index, call_index, content):
                if (cb := self.on_tool_call_request_argument_fragment_generated) is not None:
                    cb(round_index, call_index, content)
            case ToolCallRequested(round_index, call_index, request):
                if (cb := self.on_tool_call_request_end) is not None:
                    cb(round_index, call_index, request)
            case ToolCallRequestFailed(round_index, call_index, error):
                if (cb := self.on_tool_call_request_failure) is not None:
                    cb(round_index, call_index, error)
            case ToolCallCompleted(round_index, call_index, _, result):
                if (cb := self.on_tool_call_result) is not None:
                    cb(round_index, call_index, result)
            case RoundPredictionCompleted(_, result):
                if (cb := self.on_prediction_completed) is not None:
                    cb(result)
            case MessageAdded(_, message):
                if (cb := self.on_message) is not None:
                    cb(message)
            case RoundEnded(round_index):
                if (cb := self.on_round_end) is not None:
                    cb(round_index)


publish(__name__, globals())
