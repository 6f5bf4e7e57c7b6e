"""Predictions without I/O: the predict request, and the stream state fed with packets."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
import pytest

from lmstudio._data.history import AssistantResponse, Chat
from lmstudio._data.specifiers import model_specifier
from lmstudio._prediction.callbacks import PredictionCallbacks
from lmstudio._prediction.events import (
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
from lmstudio._prediction.request import PredictionRequest, prepare_complete, prepare_respond
from lmstudio._prediction.results import PredictionFragment
from lmstudio._prediction.state import PredictionState
from lmstudio._protocol import models, strict
from lmstudio.errors import LMStudioValueError
from tests.helpers import decode_predict_packet


class Book(msgspec.Struct):
    title: str
    year: int


MODEL_INFO_2025: dict[str, Any] = {
    "type": "llm",
    "modelKey": "qwen",
    "format": "gguf",
    "displayName": "Qwen",
    "path": "lmstudio-community/qwen.gguf",
    "sizeBytes": 100,
    "identifier": "qwen",
    "instanceReference": "ref-1",
    "vision": False,
    "trainedForToolUse": True,
    "maxContextLength": 4096,
    "contextLength": 2048,
}
MODEL_INFO_2026 = {
    **MODEL_INFO_2025,
    "publisher": "lmstudio-community",
    "indexedModelIdentifier": "lmstudio-community/qwen",
    "deviceIdentifier": None,
    "ttlMs": None,
    "lastUsedTime": None,
}
API_OVERRIDE_EMPTY = {"layers": [{"layerName": "apiOverride", "config": {"fields": []}}]}


def creation(request: PredictionRequest) -> Any:
    data = msgspec.to_builtins(request.parameter)
    # what the server's schema (as strict as LM Studio's zod) accepts
    msgspec.convert(data, strict.LlmChannelPredictCreationParameter)
    return data


def packet(data: dict[str, Any]) -> models.LlmChannelPredictToClientPacket:
    decoded = decode_predict_packet(msgspec.json.encode(data))
    assert decoded is not None
    return decoded


def fragment(
    content: str, reasoning_type: str = "none", *, structural: bool | None = False, tokens: int = 1
) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "content": content,
        "tokensCount": tokens,
        "containsDrafted": False,
        "reasoningType": reasoning_type,
    }
    if structural is not None:
        wire["isStructural"] = structural
    return {"type": "fragment", "fragment": wire}


def progress(value: float) -> dict[str, Any]:
    return {
        "type": "promptProcessingProgress",
        "progress": value,
        "details": {
            "cachedTokenCount": 0,
            "totalPromptTokenCount": 10,
            "processedPromptTokenCount": 10 * value,
            "unprocessedPromptTokenCount": 10 - 10 * value,
        },
    }


def success(
    stop_reason: str = "eosFound", model_info: dict[str, Any] = MODEL_INFO_2026
) -> dict[str, Any]:
    return {
        "type": "success",
        "stats": {"stopReason": stop_reason, "predictedTokensCount": 3, "tokensPerSecond": 12.5},
        "modelInfo": model_info,
        "loadModelConfig": {
            "fields": [
                {"key": "llm.load.contextLength", "value": 2048},
                {"key": "llm.load.llama.autoFit", "value": True},
            ]
        },
        "predictionConfig": {
            "fields": [
                {"key": "llm.prediction.temperature", "value": 0.5},
                {
                    "key": "llm.prediction.maxPredictedTokens",
                    "value": {"checked": False, "value": 1000},
                },
                {"key": "llm.prediction.systemPrompt", "value": ""},
            ]
        },
    }


def feed_all(state: PredictionState, *packets: dict[str, Any]) -> list[PredictionEvent]:
    events: list[PredictionEvent] = []
    for data in packets:
        events += state.feed(packet(data))
    return events


# --- requests ------------------------------------------------------------------------------


def test_respond_request_is_what_the_official_sdk_sends() -> None:
    request = prepare_respond("qwen", "hi")
    assert creation(request) == {
        "modelSpecifier": {"type": "query", "query": {"identifier": "qwen"}},
        "history": {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
        "predictionConfigStack": API_OVERRIDE_EMPTY,
    }
    assert request.response_format is None


def test_respond_request_carries_config_and_preset() -> None:
    chat = Chat("Be brief.")
    chat.add_user_message("hi")
    request = prepare_respond(
        "qwen",
        chat,
        config={"temperature": 0.5, "maxTokens": 20, "draft_model": "small"},
        preset="my preset",
    )
    data = creation(request)
    assert data["history"] == chat.to_dict()
    assert data["fuzzyPresetIdentifier"] == "my preset"
    assert data["predictionConfigStack"]["layers"] == [
        {
            "layerName": "apiOverride",
            "config": {
                "fields": [
                    {
                        "key": "llm.prediction.maxPredictedTokens",
                        "value": {"checked": True, "value": 20},
                    },
                    {"key": "llm.prediction.temperature", "value": 0.5},
                    {"key": "llm.prediction.speculativeDecoding.draftModel", "value": "small"},
                ]
            },
        }
    ]


def test_respond_request_snapshots_the_chat() -> None:
    chat = Chat.from_history("hi")
    request = prepare_respond("qwen", chat)
    chat.add_assistant_response("later")
    assert len(creation(request)["history"]["messages"]) == 1


def test_respond_request_with_a_response_format() -> None:
    request = prepare_respond("qwen", "hi", response_format=Book)
    fields = creation(request)["predictionConfigStack"]["layers"][0]["config"]["fields"]
    assert fields == [
        {
            "key": "llm.prediction.structured",
            "value": {
                "type": "json",
                "jsonSchema": {
                    "title": "Book",
                    "type": "object",
                    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                    "required": ["title", "year"],
                },
            },
        }
    ]
    assert request.response_format is not None and request.response_format.source is Book


def test_structured_output_from_the_config_is_parsed_too() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    request = prepare_respond(
        "qwen", "hi", config={"structured": {"type": "json", "jsonSchema": schema}}
    )
    assert request.response_format is not None and request.response_format.json_schema == schema
    assert (
        prepare_respond("qwen", "hi", config={"structured": {"type": "none"}}).response_format
        is None
    )


def test_response_format_and_config_structured_conflict() -> None:
    with pytest.raises(LMStudioValueError, match="not both"):
        prepare_respond(
            "qwen",
            "hi",
            config={"structured": {"type": "json", "jsonSchema": {}}},
            response_format=Book,
        )


def test_tools_go_into_the_tools_field() -> None:
    tools = msgspec.convert(
        {
            "type": "toolArray",
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "add",
                        "description": "Add two numbers.",
                        "parameters": {
                            "type": "object",
                            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                            "required": ["a", "b"],
                        },
                    },
                }
            ],
        },
        models.LlmToolUseSettingToolArray,
    )
    request = prepare_respond("qwen", "hi", tools=tools)
    fields = creation(request)["predictionConfigStack"]["layers"][0]["config"]["fields"]
    assert fields == [{"key": "llm.prediction.tools", "value": msgspec.to_builtins(tools)}]
    with pytest.raises(LMStudioValueError, match="not both"):
        prepare_respond("qwen", "hi", tools=tools, config={"raw_tools": {"type": "none"}})


def test_complete_request_passes_the_prompt_through_unformatted() -> None:
    request = prepare_complete("qwen", "Once upon a time", config={"temperature": 0.1})
    assert creation(request) == {
        "modelSpecifier": {"type": "query", "query": {"identifier": "qwen"}},
        "history": {
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Once upon a time"}]}
            ]
        },
        "predictionConfigStack": {
            "layers": [
                {
                    "layerName": "apiOverride",
                    "config": {
                        "fields": [
                            {"key": "llm.prediction.temperature", "value": 0.1},
                            {"key": "llm.prediction.stopStrings", "value": []},
                        ]
                    },
                },
                {
                    "layerName": "completeModeFormatting",
                    "config": {
                        "fields": [
                            {
                                "key": "llm.prediction.promptTemplate",
                                "value": {
                                    "type": "jinja",
                                    "jinjaPromptTemplate": {
                                        "template": "{% for message in messages %}{{ message['content'] }}{% endfor %}"
                                    },
                                    "stopStrings": [],
                                },
                            }
                        ]
                    },
                },
            ]
        },
    }


def test_complete_keeps_the_callers_stop_strings() -> None:
    request = prepare_complete("qwen", "x", config={"stop_strings": ["\n"]})
    fields = creation(request)["predictionConfigStack"]["layers"][0]["config"]["fields"]
    assert fields == [{"key": "llm.prediction.stopStrings", "value": ["\n"]}]


def test_invalid_requests_are_rejected() -> None:
    with pytest.raises(LMStudioValueError, match="empty chat"):
        prepare_respond("qwen", [])
    with pytest.raises(LMStudioValueError, match="model identifier"):
        prepare_respond("", "hi")
    with pytest.raises(LMStudioValueError, match="preset"):
        prepare_respond("qwen", "hi", preset="")
    with pytest.raises(LMStudioValueError, match="must be a string"):
        prepare_complete("qwen", ["hi"])  # type: ignore[arg-type]
    with pytest.raises(LMStudioValueError, match="Unknown prediction config settings"):
        prepare_complete("qwen", "hi", config={"temp": 1})


def test_model_specifiers() -> None:
    reference = models.ModelSpecifierInstanceReference(instance_reference="ref-1")
    assert model_specifier(reference) is reference
    assert msgspec.to_builtins(model_specifier("a/b")) == {
        "type": "query",
        "query": {"identifier": "a/b"},
    }


# --- the stream state ----------------------------------------------------------------------


def test_a_plain_prediction() -> None:
    state = prepare_respond("qwen", "hi").new_state()
    assert state.result is None and state.stats is None and state.prompt_processing_progress is None
    events = feed_all(
        state, progress(0.5), progress(0.25), progress(1.0), fragment("Hel"), fragment("lo")
    )
    assert [type(e) for e in events] == [
        PromptProcessingProgress,
        PromptProcessingProgress,
        PromptProcessingProgress,
        FirstToken,
        FragmentReceived,
        FragmentReceived,
    ]
    assert [e.progress for e in events if isinstance(e, PromptProcessingProgress)] == [
        0.0,
        0.5,
        1.0,
    ]
    second = events[1]
    assert isinstance(second, PromptProcessingProgress) and second.details is not None
    assert second.details.total_prompt_token_count == 10
    assert state.content == "Hello"
    assert not state.finished
    (done,) = state.feed(packet(success()))
    assert isinstance(done, PredictionCompleted)
    result = done.result
    assert state.result is result and state.finished
    assert result.content == "Hello" and result.parsed == "Hello" and not result.structured
    assert result.reasoning_content == ""
    assert result.stop_reason == "eosFound" and result.stats.tokens_per_second == 12.5
    assert state.stats is result.stats
    assert result.model_info.identifier == "qwen"
    # auto-fit on: the context length LM Studio chose is left out, as the TypeScript SDK does
    assert result.load_config == models.LlmLoadModelConfig(auto_fit=True)
    assert result.prediction_config == models.LlmPredictionConfig(temperature=0.5, max_tokens=False)
    assert str(result) == "Hello"
    assert repr(result) == "PredictionResult(content='Hello', stop_reason='eosFound')"


def test_progress_is_synthesised_when_the_server_skips_it() -> None:
    state = PredictionState()
    events = feed_all(state, fragment("a"), fragment("b"))
    assert events[:3] == [
        PromptProcessingProgress(0.0),
        PromptProcessingProgress(1.0),
        FirstToken(),
    ]
    assert [type(e) for e in events[3:]] == [FragmentReceived, FragmentReceived]
    assert state.prompt_processing_progress == 1.0
    assert feed_all(state, progress(1.0)) == []


def wire(content: str) -> models.LlmPredictionFragment:
    found = packet(fragment(content))
    assert isinstance(found, models.LlmChannelPredictToClientPacketFragment)
    return found.fragment


def test_a_fragment_with_nothing_else_due_is_a_lone_event() -> None:
    state = PredictionState()
    first = state.packet(packet(fragment("a")))
    assert isinstance(first, list)
    assert [type(e) for e in first][-2:] == [FirstToken, FragmentReceived]
    second = state.packet(packet(fragment("b")))  # the hot path: no list
    assert isinstance(second, FragmentReceived) and second.fragment.content == "b"
    assert state.feed(packet(fragment("c"))) == [FragmentReceived(PredictionFragment(wire("c")))]
    assert state.content == "abc"
    state.cancel()
    assert state.packet(packet(fragment("d"))) is None
    assert state.feed(packet(fragment("e"))) == []


def test_fragment_received_is_read_only_and_compares_by_value() -> None:
    received = FragmentReceived(PredictionFragment(wire("x")))
    assert received == FragmentReceived(PredictionFragment(wire("x")))
    assert received != FragmentReceived(PredictionFragment(wire("y")))
    expected = "FragmentReceived(fragment=PredictionFragment(content='x', tokens_count=1))"
    assert repr(received) == expected
    with pytest.raises(AttributeError):
        received.fragment = received.fragment  # type: ignore[misc]
    with pytest.raises(AttributeError):
        received.other = 1  # type: ignore[attr-defined]
    match received:
        case FragmentReceived(item):
            assert item.content == "x"
        case _:
            pytest.fail("no match")


def test_fragments_are_exposed_as_public_objects() -> None:
    state = PredictionState()
    events = feed_all(state, fragment("<think>", "reasoningStartTag", structural=True, tokens=2))
    received = events[-1]
    assert isinstance(received, FragmentReceived)
    item = received.fragment
    assert isinstance(item, PredictionFragment)
    assert (item.content, item.tokens_count, item.reasoning_type) == (
        "<think>",
        2,
        "reasoningStartTag",
    )
    assert item.is_structural is True and item.contains_drafted is False and item.tokens is None
    assert (
        repr(item)
        == "PredictionFragment(content='<think>', tokens_count=2, reasoning_type='reasoningStartTag')"
    )


def test_reasoning_is_kept_apart_from_the_answer() -> None:
    state = PredictionState()
    feed_all(
        state,
        fragment("<think>", "reasoningStartTag", structural=True),
        fragment("two plus ", "reasoning"),
        fragment("two", "reasoning"),
        fragment("</think>", "reasoningEndTag", structural=True),
        fragment("\n\n", "none", structural=True),
        fragment("4", "none"),
    )
    assert state.reasoning_content == "two plus two"
    assert state.non_reasoning_content == "4"
    assert state.content == "<think>two plus two</think>\n\n4"  # everything, as official SDKs
    assert state.fragments_count == 6
    result = feed_all(state, success())[0]
    assert isinstance(result, PredictionCompleted)
    final = result.result
    assert (final.non_reasoning_content, final.reasoning_content) == ("4", "two plus two")
    assert final.content == state.content and final.parsed == "4"


def test_a_2025_server_is_understood() -> None:
    # no isStructural on fragments, no details on progress, model info without 2026 fields
    state = PredictionState()
    events = feed_all(
        state,
        {"type": "promptProcessingProgress", "progress": 0.5},
        fragment("<think>", "reasoningStartTag", structural=None),
        fragment("hm", "reasoning", structural=None),
        fragment("</think>", "reasoningEndTag", structural=None),
        fragment("ok", structural=None),
        success(model_info=MODEL_INFO_2025),
    )
    assert isinstance(events[-1], PredictionCompleted)
    final = events[-1].result
    assert final.non_reasoning_content == "ok" and final.reasoning_content == "hm"
    assert final.content == "<think>hm</think>ok"


def test_structured_results_are_parsed() -> None:
    state = prepare_respond("qwen", "hi", response_format=Book).new_state()
    feed_all(state, fragment('{"title": "Dune", '), fragment('"year": 1965}'))
    result = feed_all(state, success())[0]
    assert isinstance(result, PredictionCompleted)
    assert result.result.parsed == Book("Dune", 1965) and result.result.structured
    assert str(result.result) == '{"title": "Dune", "year": 1965}'
    assert result.result.response_format is not None


def test_structured_output_is_parsed_on_first_access_not_while_fed() -> None:
    parsed_count: list[int] = []

    @dataclasses.dataclass
    class Counted:
        n: int

        def __post_init__(self) -> None:  # user code: must not run inside feed()
            parsed_count.append(self.n)

    state = prepare_respond("qwen", "hi", response_format=Counted).new_state()
    feed_all(state, fragment('{"n": 7}'), success())
    assert parsed_count == []
    assert state.result is not None
    first = state.result.parsed
    assert isinstance(first, Counted) and first.n == 7 and state.result.structured
    assert state.result.parsed is first
    assert parsed_count == [7]  # parsed once, on first access


def test_a_structured_result_that_does_not_parse_is_text() -> None:
    state = prepare_respond("qwen", "hi", response_format=Book).new_state()
    feed_all(state, fragment('{"title": "Du'))
    result = feed_all(state, success("maxPredictedTokensReached"))[0]
    assert isinstance(result, PredictionCompleted)
    assert result.result.parsed == '{"title": "Du' and not result.result.structured


def test_cancelled_predictions_keep_what_came_before_and_are_not_parsed() -> None:
    state = prepare_respond("qwen", "hi", response_format={"type": "object"}).new_state()
    feed_all(state, fragment("{}"))
    state.cancel()
    assert state.cancelled
    assert feed_all(state, fragment(" more"), progress(0.9)) == []
    assert feed_all(state, {"type": "toolCallGenerationStart"}) == []
    (done,) = feed_all(state, success("userStopped"))
    assert isinstance(done, PredictionCompleted)
    assert done.result.content == "{}" and done.result.parsed == "{}" and not done.result.structured
    assert done.result.stop_reason == "userStopped"


def test_a_server_side_user_stop_is_not_parsed_either() -> None:
    state = prepare_respond("qwen", "hi", response_format={"type": "object"}).new_state()
    feed_all(state, fragment("{}"))
    done = feed_all(state, success("userStopped"))[0]
    assert isinstance(done, PredictionCompleted) and not done.result.structured


def test_tool_call_generation_events() -> None:
    state = PredictionState()
    events = feed_all(
        state,
        fragment("Let me add."),
        {"type": "toolCallGenerationStart", "toolCallId": "call_1"},
        {"type": "toolCallGenerationNameReceived", "name": "add"},
        {"type": "toolCallGenerationArgumentFragmentGenerated", "content": '{"a": 1, '},
        {"type": "toolCallGenerationArgumentFragmentGenerated", "content": '"b": 2}'},
        {
            "type": "toolCallGenerationEnd",
            "toolCallRequest": {
                "type": "function",
                "id": "call_1",
                "name": "add",
                "arguments": {"a": 1, "b": 2},
            },
            "rawContent": '<tool_call>{"name": "add"}</tool_call>',
        },
        {"type": "toolCallGenerationStart"},
        {"type": "toolCallGenerationFailed", "error": {"title": "Bad tool call"}},
    )
    request = models.FunctionToolCallRequest(id="call_1", name="add", arguments={"a": 1, "b": 2})
    assert events[-7:] == [
        ToolCallGenerationStarted("call_1"),
        ToolCallNameReceived("add"),
        ToolCallArgumentsFragment('{"a": 1, '),
        ToolCallArgumentsFragment('"b": 2}'),
        ToolCallGenerated(request, '<tool_call>{"name": "add"}</tool_call>'),
        ToolCallGenerationStarted(None),
        ToolCallGenerationFailed(models.SerializedLMSExtendedError(title="Bad tool call"), None),
    ]
    assert state.tool_call_requests == (request,)
    assert len(state.tool_call_failures) == 1
    done = feed_all(state, success("toolCalls"))[0]
    assert isinstance(done, PredictionCompleted)
    assert done.result.tool_call_requests == (request,) and done.result.content == "Let me add."


def test_unknown_packets_are_ignored() -> None:
    state = PredictionState()
    assert decode_predict_packet(b'{"type": "somethingNew", "x": 1}') is None
    assert state.feed({"type": "somethingNew"}) == []
    assert state.feed(object()) == []
    with pytest.raises(msgspec.ValidationError):
        decode_predict_packet(b'{"type": "fragment", "fragment": {"content": 1}}')


def test_nothing_counts_after_success() -> None:
    state = PredictionState()
    feed_all(state, fragment("a"), success())
    assert feed_all(state, fragment("b"), success("failed")) == []
    assert state.result is not None and state.result.content == "a"


# --- callbacks -------------------------------------------------------------------------------


def test_callbacks_dispatch_runs_the_matching_callback() -> None:
    calls: list[tuple[str, Any]] = []
    callbacks = PredictionCallbacks(
        on_message=lambda message: calls.append(("message", message)),
        on_first_token=lambda: calls.append(("first", None)),
        on_prediction_fragment=lambda f: calls.append(("fragment", f.content)),
        on_prompt_processing_progress=lambda p: calls.append(("progress", p)),
    )
    assert callbacks
    state = PredictionState()
    for event in feed_all(
        state,
        progress(0.5),
        fragment("a"),
        {"type": "toolCallGenerationNameReceived", "name": "x"},
        fragment("b"),
        success(),
    ):
        callbacks.dispatch(event)
    assert calls == [
        ("progress", 0.0),
        ("progress", 0.5),
        ("progress", 1.0),
        ("first", None),
        ("fragment", "a"),
        ("fragment", "b"),
        ("message", AssistantResponse(content=[models.ChatMessagePartTextData(text="ab")])),
    ]


def test_no_callbacks_is_falsy_and_dispatch_does_nothing() -> None:
    callbacks = PredictionCallbacks()
    assert not callbacks
    for event in feed_all(PredictionState(), fragment("a"), success()):
        callbacks.dispatch(event)


def test_a_raising_callback_propagates_to_the_dispatcher() -> None:
    def boom(_: float) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        PredictionCallbacks(on_prompt_processing_progress=boom).dispatch(
            PromptProcessingProgress(0.5)
        )


def test_result_to_message_feeds_a_chat() -> None:
    state = PredictionState()
    feed_all(state, fragment("4"), success())
    assert state.result is not None
    chat = Chat.from_history("2+2?")
    chat.append(state.result.to_message())
    chat.add_assistant_response(state.result)
    assert [m["content"] for m in chat.to_dict()["messages"][1:]] == [
        [{"type": "text", "text": "4"}]
    ] * 2


def test_a_reasoning_model_s_structured_answer_is_parsed_from_the_answer() -> None:
    state = prepare_respond("qwen", "hi", response_format=Book).new_state()
    feed_all(
        state,
        fragment("<think>", "reasoningStartTag", structural=True),
        fragment("a classic", "reasoning"),
        fragment("</think>", "reasoningEndTag", structural=True),
        fragment('{"title": "Dune", "year": 1965}'),
    )
    result = feed_all(state, success())[0]
    assert isinstance(result, PredictionCompleted)
    assert result.result.content.startswith("<think>a classic</think>")
    assert result.result.parsed == Book(title="Dune", year=1965)
    assert result.result.structured
