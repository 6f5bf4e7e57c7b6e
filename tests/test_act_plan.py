"""The act's round state (``_prediction/act.py``) and its events, without a socket."""

from __future__ import annotations

from typing import Any

import pytest

from lmstudio import (
    Chat,
    GuardToolCallController,
    LMStudioRuntimeError,
    PredictionRoundResult,
    RoundFragment,
    ToolCallRequest,
    ToolCallRequested,
    ToolCallRequestFailed,
    ToolCallRequestNameReceived,
    ToolCallRequestStarted,
)
from lmstudio._data.tools import tool_set
from lmstudio._prediction.act import (
    FINAL_ROUND_TOOL_CALL,
    ActPlan,
    FinishedCall,
    InvalidRequest,
    RunTool,
    UnimplementedTool,
)
from lmstudio._prediction.act_events import ActCallbacks, RoundEnded, RoundStarted
from lmstudio._prediction.events import (
    FragmentReceived,
    ToolCallGenerated,
    ToolCallGenerationFailed,
    ToolCallGenerationStarted,
    ToolCallNameReceived,
)
from lmstudio._prediction.results import PredictionFragment, PredictionResult
from lmstudio._protocol.models import (
    LlmInstanceInfo,
    LlmLoadModelConfig,
    LlmPredictionConfig,
    LlmPredictionFragment,
    LlmPredictionStats,
    SerializedLMSExtendedError,
)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


RAW = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}


def plan(max_rounds: int | None = None) -> ActPlan:
    chat = Chat()
    chat.add_user_message("hi")
    return ActPlan(chat, tool_set([add, RAW]), max_prediction_rounds=max_rounds)


def request(name: str, **arguments: Any) -> ToolCallRequest:
    return ToolCallRequest(name=name, id=f"id-{name}", arguments=arguments)


def result(content: str = "", round_index: int = 0) -> PredictionRoundResult:
    base = PredictionResult(
        content=content,
        reasoning_content="",
        stats=LlmPredictionStats(stop_reason="eosFound"),
        model_info=LlmInstanceInfo(
            model_key="m",
            format="gguf",
            display_name="M",
            path="m",
            size_bytes=1,
            identifier="m",
            instance_reference="r",
            vision=False,
            trained_for_tool_use=True,
            max_context_length=4096,
            context_length=4096,
        ),
        load_config=LlmLoadModelConfig(),
        prediction_config=LlmPredictionConfig(),
    )
    return PredictionRoundResult.from_result(base, round_index)


def test_decisions() -> None:
    state = plan()
    assert state.decide(0, request("add", a=1, b=2)) == RunTool(
        state.tools.tools["add"], {"a": 1, "b": 2}
    )
    assert state.decide(0, request("nope")) == InvalidRequest("Cannot find tool with name nope.")
    assert isinstance(state.decide(0, request("lookup")), UnimplementedTool)
    invalid = state.decide(0, request("add", a="x"))
    assert isinstance(invalid, InvalidRequest)
    assert invalid.message.startswith("Failed to parse arguments for tool add:")


def test_the_last_limited_round_offers_no_tools() -> None:
    state = plan(max_rounds=2)
    assert [state.offers_tools(0), state.offers_tools(1)] == [True, False]
    assert state.decide(1, request("add", a=1, b=2)) == InvalidRequest(FINAL_ROUND_TOOL_CALL)
    assert state.next_round() == 0
    added = state.finish_round(
        result(), [FinishedCall(request("add"), state.result_for(request("add"), 3))]
    )
    assert [type(m.message).__struct_config__.tag for m in added] == ["assistant", "tool"]
    assert state.next_round() == 1
    state.finish_round(
        result(round_index=1),
        [FinishedCall(request("add"), state.result_for(request("add"), "no"))],
    )
    assert state.next_round() is None  # the limit, even with tool results


def test_rounds_end_without_results_or_with_an_unimplemented_tool() -> None:
    state = plan()
    state.next_round()
    state.finish_round(result("done"), [])
    assert state.next_round() is None
    state = plan()
    state.next_round()
    calls = [
        FinishedCall(request("lookup"), None, unimplemented=True),
        FinishedCall(request("add"), state.result_for(request("add"), {"sum": 3})),
    ]
    state.finish_round(result(), calls)
    assert state.next_round() is None
    final = state.result(1.5)
    assert final.rounds == 1 and [r.name for r in final.unimplemented_tool_calls] == ["lookup"]
    tool_message = final.chat.messages[-1]
    assert tool_message.content[0].content == '{"sum":3}'
    assert tool_message.content[0].tool_call_id == "id-add"


def test_a_cancelled_round_records_its_text_only() -> None:
    state = plan()
    state.next_round()
    state.finish_cancelled(result("partial"))
    final = state.result(0.1, cancelled=True)
    assert final.cancelled and final.content == "partial"
    assert final.chat.messages[-1].content == [final.chat.messages[-1].content[0]]


def test_translate_numbers_the_requests_over_the_act() -> None:
    state = plan()
    error = SerializedLMSExtendedError(title="bad")
    events = [
        ToolCallGenerationStarted("c1"),
        ToolCallNameReceived("add"),
        ToolCallGenerated(request("add"), None),
        ToolCallGenerationStarted(None),
        ToolCallGenerationFailed(error, "raw"),
        ToolCallGenerated(request("add"), None),  # no start packet: a new index
    ]
    translated = [state.translate(0, e) for e in events]
    assert [type(e) for e in translated] == [
        ToolCallRequestStarted,
        ToolCallRequestNameReceived,
        ToolCallRequested,
        ToolCallRequestStarted,
        ToolCallRequestFailed,
        ToolCallRequested,
    ]
    assert [getattr(e, "call_index", None) for e in translated] == [0, 0, 0, 1, 1, 2]
    failed = translated[4]
    assert isinstance(failed, ToolCallRequestFailed) and failed.error.title == "bad"
    fragment = PredictionFragment(
        LlmPredictionFragment(
            content="x", tokens_count=1, contains_drafted=False, reasoning_type="none"
        )
    )
    assert state.translate(3, FragmentReceived(fragment)) == RoundFragment(3, fragment)


def test_guard_controller_decides_once() -> None:
    controller = GuardToolCallController(0, 1, request("add"))
    with pytest.raises(LMStudioRuntimeError, match="did not allow or deny"):
        _ = controller.decision
    controller.deny()
    assert controller.decision == ("deny", "The user denied this tool call.")
    with pytest.raises(LMStudioRuntimeError, match="already decided"):
        controller.allow()
    assert "call_index=1" in repr(controller)


def test_callbacks_get_the_official_arguments() -> None:
    calls: list[Any] = []
    callbacks = ActCallbacks(
        on_round_start=lambda i: calls.append(("start", i)),
        on_round_end=lambda i: calls.append(("end", i)),
    )
    for event in (RoundStarted(2), RoundEnded(2)):
        assert callbacks.consume(event) is event
    assert calls == [("start", 2), ("end", 2)]
    round_result = result("x", 4)
    assert round_result.round_index == 4 and round_result.content == "x"
    assert repr(round_result).startswith("PredictionRoundResult(content='x'")
