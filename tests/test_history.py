"""Chat histories: building, importing (wire and OpenAI shapes), copying, JSON, repr."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from lmstudio import PredictionResult
from lmstudio._data.history import (
    AssistantResponse,
    Chat,
    ChatHistoryData,
    FileHandle,
    SystemPrompt,
    TextData,
    ToolCallRequest,
    ToolCallRequestData,
    ToolCallResultData,
    UserMessage,
)
from lmstudio._protocol import models, strict
from lmstudio.errors import LMStudioValueError

IMAGE = FileHandle(name="red.png", identifier="local:abc", size_bytes=75, file_type="image")
PDF = FileHandle(
    name="doc.pdf", identifier="local:def", size_bytes=900, file_type="application/pdf"
)
IMAGE_WIRE = {
    "type": "file",
    "name": "red.png",
    "identifier": "local:abc",
    "sizeBytes": 75,
    "fileType": "image",
}
CALL_WIRE = {
    "type": "toolCallRequest",
    "toolCallRequest": {
        "type": "function",
        "id": "call_1",
        "name": "add",
        "arguments": {"a": 1, "b": 2},
    },
}

# One history with every message and part type, in the wire shape.
FULL_WIRE: dict[str, Any] = {
    "messages": [
        {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"}, IMAGE_WIRE]},
        {"role": "assistant", "content": [{"type": "text", "text": ""}, CALL_WIRE]},
        {
            "role": "tool",
            "content": [{"type": "toolCallResult", "content": "3", "toolCallId": "call_1"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "A red square."}]},
    ]
}


def valid_on_the_wire(chat: Chat) -> dict[str, Any]:
    data = chat.to_dict()
    msgspec.convert(data, strict.ChatHistoryData)  # what LM Studio's schema accepts
    return data


def build_full_chat() -> Chat:
    chat = Chat("Be brief.")
    chat.add_user_message("What is this?", images=[IMAGE])
    chat.add_assistant_response(
        "", [ToolCallRequest(id="call_1", name="add", arguments={"a": 1, "b": 2})]
    )
    chat.add_tool_result({"tool_call_id": "call_1", "content": "3"})
    chat.add_assistant_response("A red square.")
    return chat


def prediction_result(content: str, reasoning: str = "") -> PredictionResult:
    return PredictionResult(
        content=content,
        reasoning_content=reasoning,
        stats=models.LlmPredictionStats(stop_reason="eosFound"),
        model_info=msgspec.convert(
            {
                "type": "llm",
                "modelKey": "m",
                "format": "gguf",
                "displayName": "M",
                "path": "p",
                "sizeBytes": 1,
                "identifier": "m",
                "instanceReference": "r",
                "vision": False,
                "trainedForToolUse": False,
                "maxContextLength": 8,
                "contextLength": 8,
            },
            models.LlmInstanceInfo,
        ),
        load_config=models.LlmLoadModelConfig(),
        prediction_config=models.LlmPredictionConfig(),
    )


# --- building ------------------------------------------------------------------------------


def test_building_a_chat_gives_the_wire_history() -> None:
    assert valid_on_the_wire(build_full_chat()) == FULL_WIRE


def test_add_methods_return_the_message_they_appended() -> None:
    chat = Chat()
    system = chat.add_system_prompt("s")
    user = chat.add_user_message("u")
    assistant = chat.add_assistant_response("a")
    assert isinstance(system, SystemPrompt) and isinstance(user, UserMessage)
    assert isinstance(assistant, AssistantResponse)
    assert chat.messages == (system, user, assistant)
    assert len(chat) == 3 and list(chat) == [system, user, assistant]


def test_images_and_files_follow_the_text() -> None:
    chat = Chat()
    chat.add_user_message(["one", {"text": "two"}], images=[IMAGE], files=[PDF])
    assert valid_on_the_wire(chat)["messages"][0]["content"] == [
        {"type": "text", "text": "one"},
        {"type": "text", "text": "two"},
        IMAGE_WIRE,
        {
            "type": "file",
            "name": "doc.pdf",
            "identifier": "local:def",
            "sizeBytes": 900,
            "fileType": "application/pdf",
        },
    ]


def test_an_image_alone_is_a_user_message() -> None:
    chat = Chat()
    chat.add_user_message(
        images=[
            {"name": "red.png", "identifier": "local:abc", "size_bytes": 75, "file_type": "image"}
        ]
    )
    assert chat.to_dict()["messages"] == [{"role": "user", "content": [IMAGE_WIRE]}]


def test_an_empty_user_message_is_rejected() -> None:
    with pytest.raises(LMStudioValueError, match="needs some text or a file"):
        Chat().add_user_message([])


def test_a_handle_that_is_not_one_is_rejected() -> None:
    with pytest.raises(LMStudioValueError, match="file handle"):
        Chat().add_user_message("x", images=["red.png"])  # type: ignore[list-item]
    with pytest.raises(LMStudioValueError, match="Invalid file handle"):
        Chat().add_user_message("x", images=[{"name": "red.png", "identifier": "i"}])


def test_a_prediction_result_adds_its_answer_not_its_reasoning() -> None:
    chat = Chat()
    chat.add_user_message("2+2?")
    chat.add_assistant_response(prediction_result("4", reasoning="two plus two"))
    assert chat.to_dict()["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "4"}],
    }


@pytest.mark.parametrize(
    "request_input",
    [
        ToolCallRequest(id="call_1", name="add", arguments={"a": 1, "b": 2}),
        ToolCallRequestData(
            tool_call_request=ToolCallRequest(id="call_1", name="add", arguments={"a": 1, "b": 2})
        ),
        {"type": "function", "id": "call_1", "name": "add", "arguments": {"a": 1, "b": 2}},
        {"id": "call_1", "name": "add", "arguments": {"a": 1, "b": 2}},
        CALL_WIRE,
        {"tool_call_request": CALL_WIRE["toolCallRequest"]},
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
        },
    ],
)
def test_tool_call_requests_in_every_shape(request_input: Any) -> None:
    chat = Chat()
    chat.add_tool_call_requests([request_input])
    assert chat.to_dict()["messages"][0]["content"] == [{"type": "text", "text": ""}, CALL_WIRE]


def test_invalid_tool_call_requests_are_rejected() -> None:
    with pytest.raises(LMStudioValueError, match="not valid JSON"):
        Chat().add_tool_call_requests(
            [{"id": "1", "function": {"name": "f", "arguments": "{oops"}}]
        )
    with pytest.raises(LMStudioValueError, match="Invalid tool call request"):
        Chat().add_tool_call_requests([{"id": "1"}])


def test_tool_results_in_every_shape() -> None:
    chat = Chat()
    message = chat.add_tool_results(
        [
            ToolCallResultData(content="1", tool_call_id="a"),
            {"toolCallId": "b", "content": "2"},
            {"tool_call_id": "c", "content": {"sum": 3}, "name": "add"},
            {"content": ["not", "text", "parts"]},
        ]
    )
    assert msgspec.to_builtins(message)["content"] == [
        {"type": "toolCallResult", "content": "1", "toolCallId": "a"},
        {"type": "toolCallResult", "content": "2", "toolCallId": "b"},
        {"type": "toolCallResult", "content": '{"sum": 3}', "toolCallId": "c", "name": "add"},
        {"type": "toolCallResult", "content": ""},
    ]
    with pytest.raises(LMStudioValueError, match="at least one result"):
        chat.add_tool_results([])


# --- importing ------------------------------------------------------------------------------


def test_wire_history_round_trips_exactly() -> None:
    chat = Chat.from_history(FULL_WIRE)
    assert valid_on_the_wire(chat) == FULL_WIRE
    assert chat == build_full_chat()
    assert Chat.from_history(FULL_WIRE["messages"]) == chat


def test_wire_parts_accept_snake_case_keys() -> None:
    chat = Chat.from_history(
        [
            {
                "role": "user",
                "content": [
                    {
                        "type": "file",
                        "name": "red.png",
                        "identifier": "local:abc",
                        "size_bytes": 75,
                        "file_type": "image",
                    }
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "toolCallRequest", "tool_call_request": CALL_WIRE["toolCallRequest"]}
                ],
            },
            {
                "role": "tool",
                "content": [{"type": "toolCallResult", "content": "3", "tool_call_id": "call_1"}],
            },
        ]
    )
    assert chat.to_dict()["messages"] == [
        {"role": "user", "content": [IMAGE_WIRE]},
        {"role": "assistant", "content": [CALL_WIRE]},
        FULL_WIRE["messages"][3],
    ]


def test_openai_style_history_is_converted() -> None:
    chat = Chat.from_history(
        [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "2+2?"}], "name": "ann"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a": 2, "b": 2}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "4"},
            {"role": "assistant", "content": "4", "refusal": None},
        ]
    )
    assert valid_on_the_wire(chat)["messages"] == [
        {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "content": [{"type": "text", "text": "2+2?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "toolCallRequest",
                    "toolCallRequest": {
                        "type": "function",
                        "id": "c1",
                        "name": "add",
                        "arguments": {"a": 2, "b": 2},
                    },
                }
            ],
        },
        {
            "role": "tool",
            "content": [{"type": "toolCallResult", "content": "4", "toolCallId": "c1"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "4"}]},
    ]


def test_openai_image_parts_need_an_upload_first() -> None:
    with pytest.raises(LMStudioValueError, match="prepare_image"):
        Chat.from_history(
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
                    ],
                }
            ]
        )


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([{"role": "narrator", "content": "x"}], "Unknown chat message role"),
        ([{"role": "system", "content": ["a", "b"]}], "exactly one text part"),
        ([{"role": "user", "content": []}], "needs some content"),
        ([{"role": "user", "content": [{"type": "text"}]}], "user message text"),
        ([42], "chat message"),
        ({"history": []}, "'messages' list"),
        (42, "Cannot make a chat history from int"),
    ],
)
def test_invalid_histories_are_rejected(history: Any, message: str) -> None:
    with pytest.raises(LMStudioValueError, match=message):
        Chat.from_history(history)


def test_a_string_is_one_user_message() -> None:
    assert Chat.from_history("hi").to_dict() == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    }


def test_append_and_add_entry() -> None:
    chat = Chat()
    chat.append({"role": "user", "content": "hi"})
    chat.append(AssistantResponse(content=[TextData(text="hello")]))
    chat.add_entry("tool", [{"type": "toolCallResult", "content": "x"}])
    assert chat.to_dict()["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "hello"}]},
        {"role": "tool", "content": [{"type": "toolCallResult", "content": "x"}]},
    ]


# --- independence -------------------------------------------------------------------------


def test_copies_are_independent() -> None:
    chat = build_full_chat()
    for duplicate in (chat.copy(), copy.copy(chat), copy.deepcopy(chat), Chat.from_history(chat)):
        assert duplicate == chat and duplicate is not chat
        duplicate.add_user_message("more")
        assert len(duplicate) == len(chat) + 1
    twin = chat.copy()
    request = twin.messages[2].content[1]
    assert isinstance(request, ToolCallRequestData)
    assert isinstance(request.tool_call_request.arguments, dict)
    request.tool_call_request.arguments["a"] = 100  # even mutating a copy's message
    assert chat.to_dict() == FULL_WIRE


def test_inputs_are_copied_in() -> None:
    arguments: dict[str, Any] = {"a": 1}
    message = {
        "role": "assistant",
        "content": [
            {
                "type": "toolCallRequest",
                "toolCallRequest": {"type": "function", "name": "f", "arguments": arguments},
            }
        ],
    }
    history = ChatHistoryData(messages=[msgspec.convert(message, AssistantResponse)])
    from_struct = Chat.from_history(history)
    from_dict = Chat.from_history([message])
    arguments["a"] = 2
    assert isinstance(history.messages[0], AssistantResponse)
    history.messages[0].content.clear()
    for chat in (from_struct, from_dict):
        assert chat.to_dict()["messages"][0]["content"][0]["toolCallRequest"]["arguments"] == {
            "a": 1
        }


def test_to_wire_is_a_snapshot() -> None:
    chat = Chat("s")
    snapshot = chat.to_wire()
    chat.add_user_message("later")
    assert len(snapshot.messages) == 1


# --- JSON and repr -------------------------------------------------------------------------


def test_json_round_trip() -> None:
    chat = build_full_chat()
    text = chat.to_json()
    assert msgspec.json.decode(text) == FULL_WIRE
    assert Chat.from_json(text) == chat
    assert Chat.from_json(text.encode()) == chat


def test_invalid_json_is_a_value_error() -> None:
    with pytest.raises(LMStudioValueError, match="Invalid chat history JSON"):
        Chat.from_json('{"messages": [{"role": "robot"}]}')


def test_repr_is_readable() -> None:
    chat = build_full_chat()
    chat.add_user_message("x" * 200)
    assert repr(chat) == "\n".join(
        [
            "Chat([",
            "    system: 'Be brief.',",
            "    user: 'What is this?' + <image 'red.png'>,",
            "    assistant: '' + <call add(a=1, b=2) [call_1]>,",
            "    tool: <result [call_1] '3'>,",
            "    assistant: 'A red square.',",
            f"    user: '{'x' * 57}...',",
            "])",
        ]
    )
    assert repr(Chat()) == "Chat([])"


def test_chats_compare_by_content() -> None:
    assert Chat("a") == Chat("a")
    assert Chat("a") != Chat("b")
    assert Chat("a") != "a"


def test_consecutive_user_messages_merge_as_in_the_official_sdk() -> None:
    chat = Chat("Be brief.")
    first = chat.add_user_message("Look at this:")
    second = chat.add_user_message("and this", images=[IMAGE])
    assert len(chat) == 2 and chat.messages[-1] is second
    assert [type(part) for part in second.content] == [TextData, TextData, FileHandle]
    assert [type(part) for part in first.content] == [TextData]  # handed out: unchanged
    chat.add_assistant_response("Two things.")
    chat.add_user_message("Thanks")
    assert [type(m) for m in chat.messages] == [
        SystemPrompt,
        UserMessage,
        AssistantResponse,
        UserMessage,
    ]
