"""The round state of an ``act()``: what to send next, which tool calls to start, when to stop.

No I/O and no user code: the driver (``_resources/act.py``) runs the predictions and the
tools and asks :class:`ActPlan` what each step means. Rules (all of them live here):

- Rounds count from 0. With ``max_prediction_rounds=N`` the act performs at most N
  rounds and the last one is sent without tools (as the official Python SDK does);
  without a limit it goes on while the model calls tools.
- Each tool call request gets a ``call_index`` when its generation starts, numbered from
  0 over the whole act; the events of that request carry it.
- A complete request is decided at once (:meth:`ActPlan.decide`): its tool runs
  (:class:`RunTool`, arguments converted to the declared types), or it is invalid
  (:class:`InvalidRequest`: unknown tool, arguments that do not fit, a tool call on a
  round sent without tools) and the model gets an error text instead, or its tool has no
  implementation (:class:`UnimplementedTool`, a raw definition): the act then ends after
  the round and hands the request back.
- A round's messages are recorded when all its tools are done
  (:meth:`ActPlan.finish_round`): the assistant message (its text, then every tool call
  request, with the arguments the tools ran with), then one tool message with the
  results, in request order. The act goes on while a round produced tool results, no
  request was for an unimplemented tool, and the round limit is not reached.
- A round stopped by ``cancel()`` records its text only, not its tool calls, so the chat
  stays valid to send again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeAlias

import msgspec
from msgspec import UNSET

from .._data.history import Chat, ToolCallRequest, ToolCallResultData
from .._data.tools import Tool, ToolSet, encode_tool_result
from .._exports import publish
from .._protocol.models import SerializedLMSExtendedError
from ..errors import LMStudioPredictionError, LMStudioRuntimeError, LMStudioValueError
from .act_events import (
    ActEvent,
    ActResult,
    MessageAdded,
    RoundFirstToken,
    RoundFragment,
    RoundPromptProcessingProgress,
    RoundResult,
    ToolCallRequestArgumentsFragment,
    ToolCallRequested,
    ToolCallRequestFailed,
    ToolCallRequestNameReceived,
    ToolCallRequestStarted,
)
from .events import (
    FirstToken,
    FragmentReceived,
    PredictionEvent,
    PromptProcessingProgress,
    ToolCallArgumentsFragment,
    ToolCallGenerated,
    ToolCallGenerationFailed,
    ToolCallGenerationStarted,
    ToolCallNameReceived,
)

__all__ = [
    "FINAL_ROUND_TOOL_CALL",
    "ActPlan",
    "FinishedCall",
    "GuardToolCallController",
    "InvalidRequest",
    "RunTool",
    "ToolCallDecision",
    "UnimplementedTool",
    "prediction_error",
    "tool_error_text",
]

FINAL_ROUND_TOOL_CALL = "Model requested tool use on final prediction round."
DEFAULT_DENIAL = "The user denied this tool call."


class RunTool(msgspec.Struct, frozen=True):
    """Run ``tool`` with these keyword arguments."""

    tool: Tool
    arguments: dict[str, Any]


class InvalidRequest(msgspec.Struct, frozen=True):
    """The request cannot run; ``message`` tells the model why (unless a handler says else)."""

    message: str


class UnimplementedTool(msgspec.Struct, frozen=True):
    """The tool has no implementation: the caller answers the request after the act."""


ToolCallDecision: TypeAlias = RunTool | InvalidRequest | UnimplementedTool


class FinishedCall(msgspec.Struct, frozen=True):
    """One tool call request of a round, once handled.

    ``request`` holds the arguments the tool ran with; ``result`` is ``None`` for an
    unimplemented tool (and for a request LM Studio could not parse, which has none).
    """

    request: ToolCallRequest
    result: ToolCallResultData | None
    unimplemented: bool = False


def tool_error_text(exc: BaseException) -> str:
    """What the model is told when a tool raised (the official SDK's wording)."""
    return f"Unhandled Python exception: {exc!r}"


def tool_result(request: ToolCallRequest, content: object) -> ToolCallResultData:
    """A request's result part: ``content`` as text (JSON unless it is a string)."""
    result = ToolCallResultData(content=encode_tool_result(content), name=request.name)
    if request.id is not UNSET:
        result.tool_call_id = request.id
    return result


def prediction_error(error: SerializedLMSExtendedError) -> LMStudioPredictionError:
    """A ``toolCallGenerationFailed`` error as :class:`~lmstudio.LMStudioPredictionError`."""

    def text(value: Any) -> str | None:
        return None if value is UNSET or value is None else str(value)

    def mapping(value: Any) -> Mapping[str, Any] | None:
        return value if isinstance(value, Mapping) else None

    return LMStudioPredictionError(
        text(error.title) or "Failed to parse tool call request.",
        cause=text(error.cause),
        suggestion=text(error.suggestion),
        error_data=mapping(error.error_data),
        display_data=mapping(error.display_data),
        root_title=text(error.root_title),
    )


class GuardToolCallController:
    """Passed to ``guard_tool_call``: allow, deny or rewrite one tool call before it runs.

    Call exactly one of :meth:`allow`, :meth:`allow_and_override_parameters` or
    :meth:`deny` (as in the TypeScript SDK); a guard that calls none fails the act.
    """

    __slots__ = ("_decision", "call_index", "round_index", "tool_call_request")

    def __init__(self, round_index: int, call_index: int, request: ToolCallRequest) -> None:
        self.round_index = round_index
        """The round of the request, from 0."""
        self.call_index = call_index
        """The request's index within the act, from 0."""
        self.tool_call_request = request
        """The request as the model wrote it (name, ``arguments``, ``id``)."""
        self._decision: tuple[str, Any] | None = None

    def allow(self) -> None:
        """Run the tool with the model's arguments."""
        self._decide(("allow", None))

    def allow_and_override_parameters(self, parameters: Mapping[str, Any]) -> None:
        """Run the tool with these arguments instead (they are checked like the model's,
        and recorded in the chat).

        Args:
            parameters: the arguments, by parameter name.
        """
        self._decide(("override", dict(parameters)))

    def deny(self, reason: str | None = None) -> None:
        """Do not run the tool; the model is told ``reason`` as the tool's result.

        Args:
            reason: the text for the model; ``None``: "The user denied this tool call."
        """
        self._decide(("deny", DEFAULT_DENIAL if reason is None else str(reason)))

    @property
    def decision(self) -> tuple[str, Any]:
        """``("allow", None)``, ``("override", arguments)`` or ``("deny", reason)``.

        Raises:
            LMStudioRuntimeError: the guard decided nothing.
        """
        if self._decision is None:
            raise LMStudioRuntimeError(
                f"guard_tool_call did not allow or deny the call to "
                f"{self.tool_call_request.name!r}: call controller.allow(), "
                "allow_and_override_parameters(...) or deny(...)"
            )
        return self._decision

    def _decide(self, decision: tuple[str, Any]) -> None:
        if self._decision is not None:
            raise LMStudioRuntimeError(
                f"guard_tool_call already decided ({self._decision[0]}) for this tool call"
            )
        self._decision = decision

    def __repr__(self) -> str:
        return (
            f"GuardToolCallController(round_index={self.round_index}, "
            f"call_index={self.call_index}, tool_call_request={self.tool_call_request!r})"
        )


class ActPlan(Generic[RoundResult]):
    """The state of one act (see the module docstring for its rules); its rounds'
    results are ``RoundResult`` objects."""

    def __init__(self, chat: Chat, tools: ToolSet, *, max_prediction_rounds: int | None) -> None:
        if max_prediction_rounds is not None and (
            not isinstance(max_prediction_rounds, int) or max_prediction_rounds < 1
        ):
            raise LMStudioValueError(
                f"max_prediction_rounds must be at least 1 ({max_prediction_rounds!r} given)"
            )
        self.chat = chat
        self.tools = tools
        self._max_rounds = max_prediction_rounds
        self._rounds = 0  # rounds started
        self._done = False
        self._next_call = 0
        self._open_call: int | None = None
        self._predictions: list[RoundResult] = []
        self._unimplemented: list[ToolCallRequest] = []

    # --- rounds -------------------------------------------------------------------------

    def next_round(self) -> int | None:
        """Start the next round: its index, or ``None`` when the act is over."""
        if self._done:
            return None
        index = self._rounds
        self._rounds += 1
        self._open_call = None
        return index

    def offers_tools(self, round_index: int) -> bool:
        """Whether round ``round_index`` is sent with the tools (all but a limited last)."""
        return self._max_rounds is None or round_index < self._max_rounds - 1

    @property
    def rounds(self) -> int:
        """Rounds started so far."""
        return self._rounds

    # --- events -------------------------------------------------------------------------

    def translate(self, round_index: int, event: PredictionEvent) -> ActEvent[RoundResult] | None:
        """The act event for one prediction event of round ``round_index`` (or ``None``)."""
        if type(event) is FragmentReceived:
            return RoundFragment(round_index, event.fragment)
        match event:
            case PromptProcessingProgress(progress=progress, details=details):
                return RoundPromptProcessingProgress(round_index, progress, details)
            case FirstToken():
                return RoundFirstToken(round_index)
            case ToolCallGenerationStarted(tool_call_id=tool_call_id):
                self._open_call = None
                return ToolCallRequestStarted(round_index, self._call(), tool_call_id)
            case ToolCallNameReceived(name=name):
                return ToolCallRequestNameReceived(round_index, self._call(), name)
            case ToolCallArgumentsFragment(content=content):
                return ToolCallRequestArgumentsFragment(round_index, self._call(), content)
            case ToolCallGenerated(request=request, raw_content=raw):
                index, self._open_call = self._call(), None
                return ToolCallRequested(round_index, index, request, raw)
            case ToolCallGenerationFailed(error=error, raw_content=raw):
                index, self._open_call = self._call(), None
                return ToolCallRequestFailed(round_index, index, prediction_error(error), raw)
            case _:
                return None

    def _call(self) -> int:
        """The index of the request being generated (a new one if none is open)."""
        if self._open_call is None:
            self._open_call = self._next_call
            self._next_call += 1
        return self._open_call

    # --- tool calls ---------------------------------------------------------------------

    def decide(self, round_index: int, request: ToolCallRequest) -> ToolCallDecision:
        """What to do with a complete request of round ``round_index``."""
        if not self.offers_tools(round_index):
            return InvalidRequest(FINAL_ROUND_TOOL_CALL)
        tool = self.tools.get(request.name)
        if tool is None:
            return InvalidRequest(f"Cannot find tool with name {request.name}.")
        if tool.implementation is None:
            return UnimplementedTool()
        raw = None if request.arguments is UNSET else request.arguments
        return self.arguments(tool, raw)

    def arguments(self, tool: Tool, raw: Mapping[str, Any] | None) -> RunTool | InvalidRequest:
        """Check ``raw`` arguments against ``tool``'s parameters (also a guard's override)."""
        try:
            return RunTool(tool, tool.arguments(raw))
        except LMStudioValueError as exc:
            return InvalidRequest(f"Failed to parse arguments for tool {tool.name}: {exc}")

    def result_for(self, request: ToolCallRequest, content: object) -> ToolCallResultData:
        """The result part for ``request`` (``content`` JSON-encoded unless a string)."""
        return tool_result(request, content)

    # --- recording ----------------------------------------------------------------------

    def finish_round(
        self, result: RoundResult, calls: Sequence[FinishedCall]
    ) -> list[MessageAdded]:
        """Record a finished round; returns the messages added, in order."""
        index = result.round_index
        self._predictions.append(result)
        assistant = self.chat.add_assistant_response(result.content, [c.request for c in calls])
        added = [MessageAdded(index, assistant)]
        results = [c.result for c in calls if c.result is not None]
        if results:
            added.append(MessageAdded(index, self.chat.add_tool_results(results)))
        unimplemented = [c.request for c in calls if c.unimplemented]
        self._unimplemented.extend(unimplemented)
        if not results or unimplemented or not self.offers_tools(index):
            self._done = True
        return added

    def finish_cancelled(self, result: RoundResult | None) -> list[MessageAdded]:
        """Record a round stopped by ``cancel()``: its text only; the act is over."""
        self._done = True
        if result is None:
            return []
        self._predictions.append(result)
        return [MessageAdded(result.round_index, self.chat.add_assistant_response(result.content))]

    def result(
        self, total_time_seconds: float, *, cancelled: bool = False
    ) -> ActResult[RoundResult]:
        """The act's result."""
        return ActResult(
            rounds=self._rounds,
            total_time_seconds=total_time_seconds,
            chat=self.chat,
            predictions=tuple(self._predictions),
            unimplemented_tool_calls=tuple(self._unimplemented),
            cancelled=cancelled,
        )


publish(__name__, globals())
