"""Predictions: the documented reply rules, config honoured, stats, cancellation,
concurrency, tools, images, structured output, reasoning and text completion."""

from __future__ import annotations

import base64
import json
from typing import Any

from lmstudio.testing import (
    FakeLMStudio,
    count_tokens,
    expected_reasoning,
    expected_reply,
    expected_tool_result_reply,
    render_prompt,
    split_tokens,
)

from .wire import QUIET, content_of, predict_params, query, stack, user

ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}
TOOLS = {"llm.prediction.tools": {"type": "toolArray", "tools": [ADD_TOOL]}}


def _success(packets: list[dict[str, Any]]) -> dict[str, Any]:
    assert packets[-1]["type"] == "success"
    return packets[-1]


def _predict(llm: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    packets, end = llm.stream("predict", predict_params(*args, **kwargs))
    assert end["type"] == "channelClose", end
    return packets


def _load(server: FakeLMStudio, key: str) -> None:
    server.load_model(key)


def test_default_reply_one_fragment_per_token(llm: Any) -> None:
    packets = _predict(llm, "Hello there!")
    assert [p["type"] for p in packets[:3]] == ["promptProcessingProgress"] * 3
    fragments = [p["fragment"] for p in packets if p["type"] == "fragment"]
    assert (
        "".join(f["content"] for f in fragments)
        == "You said: Hello there!"
        == expected_reply("Hello there!")
    )
    assert [f["content"] for f in fragments] == split_tokens("You said: Hello there!")
    assert all(
        f["tokensCount"] == 1 and f["reasoningType"] == "none" and not f["isStructural"]
        for f in fragments
    )
    stats = _success(packets)["stats"]
    assert stats["stopReason"] == "eosFound"
    assert stats["predictedTokensCount"] == len(fragments)
    prompt = render_prompt([user("Hello there!")])
    assert stats["promptTokensCount"] == count_tokens(prompt)
    assert stats["totalTokensCount"] == stats["promptTokensCount"] + stats["predictedTokensCount"]
    assert stats["tokensPerSecond"] > 0 and stats["timeToFirstTokenSec"] >= 0


def test_count_to_n_gives_exactly_n_fragments(server: FakeLMStudio, llm: Any) -> None:
    server.set_pace(None)  # thousands of fragments below
    packets = _predict(llm, "Count to 5.")
    assert [p["fragment"]["content"] for p in packets if p["type"] == "fragment"] == [
        "1",
        " 2",
        " 3",
        " 4",
        " 5",
    ]
    many = _predict(llm, "count to 2000")
    assert sum(p["type"] == "fragment" for p in many) == 2000
    assert _predict(llm, "count to 0")[-1]["stats"]["predictedTokensCount"] == 0


def test_success_reports_model_and_effective_configs(llm: Any) -> None:
    success = _success(
        _predict(llm, "hi", fields={"llm.prediction.temperature": 0.5, "custom.key": 1})
    )
    assert success["modelInfo"]["identifier"] == "fake/chat"
    prediction = {f["key"]: f["value"] for f in success["predictionConfig"]["fields"]}
    assert prediction["llm.prediction.temperature"] == 0.5
    assert prediction["llm.prediction.topKSampling"] == 40
    assert "custom.key" not in prediction
    load = {f["key"]: f["value"] for f in success["loadModelConfig"]["fields"]}
    assert load["llm.load.contextLength"] == 4096


def test_prompt_processing_progress(llm: Any) -> None:
    progress = [p for p in _predict(llm, "hi") if p["type"] == "promptProcessingProgress"]
    assert [p["progress"] for p in progress] == [0.0, 0.5, 1.0]
    total = progress[0]["details"]["totalPromptTokenCount"]
    assert progress[-1]["details"] == {
        "cachedTokenCount": 0,
        "totalPromptTokenCount": total,
        "processedPromptTokenCount": total,
        "unprocessedPromptTokenCount": 0,
    }


def test_conversation_reply_uses_the_last_user_message(llm: Any) -> None:
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "Be nice."}]},
        user("first"),
        {"role": "assistant", "content": [{"type": "text", "text": "You said: first"}]},
        user("second"),
    ]
    assert content_of(_predict(llm, messages)) == "You said: second"
    assert content_of(
        _predict(llm, [{"role": "system", "content": [{"type": "text", "text": "x"}]}])
    ) == ("Hello! How can I help you today?")


def test_temperature_varies_the_reply(llm: Any) -> None:
    replies = {
        t: content_of(_predict(llm, "hi", fields={"llm.prediction.temperature": t}))
        for t in (0, 0.6, 0.7, 0.8)
    }
    assert replies == {t: expected_reply("hi", temperature=t) for t in replies}
    assert len(set(replies.values())) == 4
    assert (
        content_of(_predict(llm, "count to 3", fields={"llm.prediction.temperature": 0.7}))
        == "1 2 3"
    )


def test_max_tokens(llm: Any) -> None:
    box = {"llm.prediction.maxPredictedTokens": {"checked": True, "value": 3}}
    packets = _predict(llm, "count to 10", fields=box)
    assert content_of(packets) == "1 2 3"
    assert _success(packets)["stats"]["stopReason"] == "maxPredictedTokensReached"
    unchecked = {"llm.prediction.maxPredictedTokens": {"checked": False, "value": 3}}
    assert content_of(_predict(llm, "count to 5", fields=unchecked)) == "1 2 3 4 5"
    python_quirk = {"llm.prediction.maxPredictedTokens": {"checked": True, "value": False}}
    assert content_of(_predict(llm, "count to 5", fields=python_quirk)) == "1 2 3 4 5"


def test_bad_config_values_fail_the_prediction(llm: Any) -> None:
    _, end = llm.stream(
        "predict", predict_params("hi", fields={"llm.prediction.maxPredictedTokens": 3})
    )
    assert end["type"] == "channelError"
    assert end["error"]["title"] == "Invalid value for config key llm.prediction.maxPredictedTokens"
    bad_tool = {
        "llm.prediction.tools": {"type": "toolArray", "tools": [{"function": {"name": "f"}}]}
    }
    _, end = llm.stream("predict", predict_params("hi", fields=bad_tool))
    assert "'type' must be 'function'" in end["error"]["cause"]


def test_stop_strings(llm: Any) -> None:
    packets = _predict(llm, "count to 10", fields={"llm.prediction.stopStrings": [" 4"]})
    assert content_of(packets) == "1 2 3"
    stats = _success(packets)["stats"]
    assert (stats["stopReason"], stats["stopString"]) == ("stopStringFound", " 4")
    # A stop string spanning two tokens: what may start it is held back, never emitted.
    packets = _predict(llm, "abc def ghi", fields={"llm.prediction.stopStrings": ["def g"]})
    assert content_of(packets) == "You said: abc "
    # Held-back text that turns out not to be a stop string is still delivered.
    assert (
        content_of(_predict(llm, "abc dex", fields={"llm.prediction.stopStrings": ["dez"]}))
        == "You said: abc dex"
    )


def test_context_length_with_stop_at_limit(server: FakeLMStudio, llm: Any) -> None:
    server.set_pace(None)  # thousands of fragments
    fields = {"llm.prediction.contextOverflowPolicy": "stopAtLimit"}
    prompt_tokens = count_tokens(render_prompt([user("count to 10000")]))
    packets = _predict(llm, "count to 10000", fields=fields)
    stats = _success(packets)["stats"]
    assert stats["stopReason"] == "contextLengthReached"
    assert stats["predictedTokensCount"] == 4096 - prompt_tokens
    assert (
        _success(_predict(llm, "count to 5000"))["stats"]["stopReason"] == "eosFound"
    )  # truncateMiddle


def test_cancel_stops_streaming_and_succeeds_with_user_stopped(
    server: FakeLMStudio, llm: Any
) -> None:
    server.set_fragment_delay(0.02)
    channel = llm.open("predict", predict_params("count to 1000"))
    while llm.next_on(channel)["message"]["type"] != "fragment":
        pass
    llm.channel_send(channel, {"type": "cancel"})
    envelopes = llm.until_end(channel)
    assert envelopes[-1]["type"] == "channelClose"
    success = envelopes[-2]["message"]
    assert success["type"] == "success"
    assert success["stats"]["stopReason"] == "userStopped"
    assert success["stats"]["predictedTokensCount"] < 1000


def test_cancel_fast_stream_still_ends_with_success(llm: Any) -> None:
    channel = llm.open("predict", predict_params("count to 20000"))
    llm.channel_send(channel, {"type": "cancel"})
    envelopes = llm.until_end(channel)
    assert envelopes[-2]["message"]["type"] == "success"
    assert envelopes[-2]["message"]["stats"]["stopReason"] in ("userStopped", "eosFound")


def test_concurrent_predictions_on_one_model_interleave(server: FakeLMStudio, llm: Any) -> None:
    server.set_fragment_delay(0.005)
    channels = [llm.open("predict", predict_params(f"count to {n}")) for n in (30, 40, 50)]
    order: list[int] = []
    ended: set[int] = set()
    contents: dict[int, str] = dict.fromkeys(channels, "")
    while len(ended) < len(channels):
        message = llm.wait_for(lambda m: m.get("channelId") in channels)
        order.append(message["channelId"])
        if message["type"] == "channelClose":
            ended.add(message["channelId"])
        elif message["message"]["type"] == "fragment":
            contents[message["channelId"]] += message["message"]["fragment"]["content"]
    assert [contents[c] for c in channels] == [
        expected_reply(f"count to {n}") for n in (30, 40, 50)
    ]
    first_done = order.index(channels[0], len(order) - order[::-1].index(channels[0]) - 1)
    assert any(c != channels[0] for c in order[:first_done]), (
        "the predictions ran one after the other"
    )


def test_unloading_mid_stream_ends_with_model_unloaded(
    server: FakeLMStudio, llm: Any, connect_to: Any
) -> None:
    server.set_fragment_delay(0.01)
    channel = llm.open("predict", predict_params("count to 1000"))
    while llm.next_on(channel)["message"]["type"] != "fragment":
        pass
    connect_to(server, "llm", identifier="guest:other", passkey="x").result(
        "unloadModel", {"identifier": "fake/chat"}
    )
    envelopes = llm.until_end(channel)
    assert envelopes[-2]["message"]["stats"]["stopReason"] == "modelUnloaded"


def test_fragment_delay_paces_the_stream(server: FakeLMStudio, llm: Any) -> None:
    server.set_fragment_delay(QUIET * 3)
    channel = llm.open("predict", predict_params("count to 3"))
    for _ in range(3):
        assert llm.next_on(channel)["message"]["type"] == "promptProcessingProgress"
    llm.expect_silence()
    server.set_fragment_delay(0)
    assert llm.until_end(channel)[-1]["type"] == "channelClose"


def test_reasoning_model(server: FakeLMStudio, llm: Any) -> None:
    _load(server, "fake/reasoning")
    packets = _predict(llm, "why?", model="fake/reasoning")
    fragments = [p["fragment"] for p in packets if p["type"] == "fragment"]
    assert fragments[0] == {
        "content": "<think>",
        "tokensCount": 1,
        "containsDrafted": False,
        "reasoningType": "reasoningStartTag",
        "isStructural": True,
    }
    reasoning = "".join(f["content"] for f in fragments if f["reasoningType"] == "reasoning")
    assert reasoning == expected_reasoning("why?") == "The user said: why?"
    end = next(i for i, f in enumerate(fragments) if f["reasoningType"] == "reasoningEndTag")
    assert fragments[end]["content"] == "</think>"
    assert "".join(f["content"] for f in fragments[end + 1 :]) == "You said: why?"


def test_tool_model_calls_the_tool_then_reads_its_result(server: FakeLMStudio, llm: Any) -> None:
    _load(server, "fake/tools")
    packets = _predict(llm, "What is 1 + 2? Use the add tool.", model="fake/tools", fields=TOOLS)
    kinds = [p["type"] for p in packets if p["type"] != "promptProcessingProgress"]
    assert kinds[:2] == ["toolCallGenerationStart", "toolCallGenerationNameReceived"]
    assert kinds[-2:] == ["toolCallGenerationEnd", "success"]
    start, name = packets[3], packets[4]
    assert start["toolCallId"] == "call_1"
    assert name["name"] == "add"
    arguments = "".join(
        p["content"] for p in packets if p["type"] == "toolCallGenerationArgumentFragmentGenerated"
    )
    assert json.loads(arguments) == {"a": 1, "b": 2}
    end = packets[-2]
    assert end["toolCallRequest"] == {
        "type": "function",
        "id": "call_1",
        "name": "add",
        "arguments": {"a": 1, "b": 2},
    }
    assert content_of(packets) == ""
    history = [
        user("What is 1 + 2? Use the add tool."),
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": ""},
                {"type": "toolCallRequest", "toolCallRequest": end["toolCallRequest"]},
            ],
        },
        {
            "role": "tool",
            "content": [{"type": "toolCallResult", "content": "3", "toolCallId": "call_1"}],
        },
    ]
    answer = _predict(llm, history, model="fake/tools", fields=TOOLS)
    assert content_of(answer) == "The result is 3." == expected_tool_result_reply(["3"])
    # A model not trained for tool use ignores the tools.
    assert content_of(_predict(llm, "What is 1 + 2?", fields=TOOLS)) == "You said: What is 1 + 2?"


def test_tool_model_calls_every_mentioned_tool_with_quoted_strings(
    server: FakeLMStudio, llm: Any
) -> None:
    _load(server, "fake/tools")
    weather = {
        "type": "function",
        "function": {
            "name": "weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    fields = {"llm.prediction.tools": {"type": "toolArray", "tools": [ADD_TOOL, weather]}}
    packets = _predict(
        llm, 'Check the weather in "Paris", then add 4 and 5', model="fake/tools", fields=fields
    )
    calls = [p["toolCallRequest"] for p in packets if p["type"] == "toolCallGenerationEnd"]
    assert calls == [
        {"type": "function", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}},
        {"type": "function", "id": "call_2", "name": "add", "arguments": {"a": 4, "b": 5}},
    ]


def test_max_tokens_inside_a_tool_call_fails_it(server: FakeLMStudio, llm: Any) -> None:
    _load(server, "fake/tools")
    fields = {**TOOLS, "llm.prediction.maxPredictedTokens": {"checked": True, "value": 3}}
    packets = _predict(llm, "add 1 and 2", model="fake/tools", fields=fields)
    assert "toolCallGenerationFailed" in [p["type"] for p in packets]
    assert _success(packets)["stats"]["stopReason"] == "maxPredictedTokensReached"


def _upload(server: FakeLMStudio, connect_to: Any, name: str, data: bytes) -> dict[str, Any]:
    files = connect_to(server, "files")
    handle = files.result(
        "uploadFileBase64", {"name": name, "contentBase64": base64.b64encode(data).decode()}
    )
    return {"type": "file", "name": name, **handle}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_vision_model_sees_images(server: FakeLMStudio, llm: Any, connect_to: Any) -> None:
    _load(server, "fake/vision")
    image = _upload(server, connect_to, "red.png", PNG)
    assert image["fileType"] == "image"
    packets = _predict(llm, [user("What is this?", image)], model="fake/vision")
    assert content_of(packets) == "You said: What is this? (I see 1 image: red.png)"
    assert content_of(packets) == expected_reply("What is this?", images=["red.png"])


def test_an_image_for_a_model_without_vision_fails(
    server: FakeLMStudio, llm: Any, connect_to: Any
) -> None:
    image = _upload(server, connect_to, "red.png", PNG)
    packets, end = llm.stream("predict", predict_params([user("What is this?", image)]))
    assert packets == []
    assert end["type"] == "channelError"
    assert end["error"]["title"] == "Model does not support images"


def test_an_unknown_file_fails(llm: Any) -> None:
    ghost = {
        "type": "file",
        "name": "x.png",
        "identifier": "ghost",
        "sizeBytes": 1,
        "fileType": "image",
    }
    _, end = llm.stream("predict", predict_params([user("?", ghost)]))
    assert end["error"]["title"] == 'File not found: "ghost"'


def _conforms(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "object":
        return isinstance(value, dict) and all(
            k in value and _conforms(value[k], schema["properties"][k])
            for k in schema.get("required", [])
        )
    if kind == "array":
        return (
            isinstance(value, list)
            and len(value) >= schema.get("minItems", 0)
            and all(_conforms(v, schema["items"]) for v in value)
        )
    if kind == "integer":
        return isinstance(value, int) and schema.get("minimum", value) <= value <= schema.get(
            "maximum", value
        )
    if kind == "string":
        return (
            isinstance(value, str)
            and len(value) >= schema.get("minLength", 0)
            and ("enum" not in schema or value in schema["enum"])
        )
    return True


def test_structured_output_conforms_to_the_json_schema(llm: Any) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 8},
            "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
            "genre": {"type": "string", "enum": ["fiction", "poetry"]},
            "authors": {"type": "array", "items": {"$ref": "#/$defs/author"}, "minItems": 2},
        },
        "required": ["title", "year", "genre", "authors"],
        "$defs": {
            "author": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            }
        },
    }
    setting = {"llm.prediction.structured": {"type": "json", "jsonSchema": schema}}
    value = json.loads(content_of(_predict(llm, "Tell me about a book", fields=setting)))
    assert value == {
        "title": "titlexxx",
        "year": 1900,
        "genre": "fiction",
        "authors": [{"name": "name"}, {"name": "name"}],
    }
    resolved = {
        **schema,
        "properties": {
            **schema["properties"],
            "authors": {**schema["properties"]["authors"], "items": schema["$defs"]["author"]},
        },
    }
    assert _conforms(value, resolved)


def test_structured_output_follows_a_gbnf_grammar(llm: Any) -> None:
    grammar = 'root ::= "answer: " ("yes" | "no") "."'
    setting = {"llm.prediction.structured": {"type": "gbnf", "gbnfGrammar": grammar}}
    assert content_of(_predict(llm, "?", fields=setting)) == "answer: no."
    bad = {"llm.prediction.structured": {"type": "gbnf", "gbnfGrammar": "root ::= missing"}}
    _, end = llm.stream("predict", predict_params("?", fields=bad))
    assert end["error"]["title"] == "Invalid structured output setting"


def test_presets(connect_to: Any) -> None:
    presets = {"Precise": {"llm.prediction.temperature": 0.5}}
    with FakeLMStudio(presets=presets) as server:
        llm = connect_to(server, "llm")
        assert content_of(_predict(llm, "hi", fuzzyPresetIdentifier="precise")) == expected_reply(
            "hi", temperature=0.5
        )
        _, end = llm.stream("predict", predict_params("hi", fuzzyPresetIdentifier="Sloppy"))
        assert end["error"]["displayData"] == {
            "code": "generic.presetNotFound",
            "specifiedFuzzyPresetIdentifier": "Sloppy",
            "availablePresetsSample": [{"identifier": "Precise", "name": "Precise"}],
            "totalAvailablePresets": 1,
        }


def test_draft_model_stats(llm: Any) -> None:
    fields = {"llm.prediction.speculativeDecoding.draftModel": "fake/tools"}
    packets = _predict(llm, "count to 6", fields=fields)
    drafted = [p["fragment"]["containsDrafted"] for p in packets if p["type"] == "fragment"]
    assert drafted == [False, True] * 3
    stats = _success(packets)["stats"]
    assert (stats["usedDraftModelKey"], stats["acceptedDraftTokensCount"]) == ("fake/tools", 3)


def test_text_completion_mode_of_the_official_sdks(llm: Any) -> None:
    completion = {"llm.prediction.promptTemplate": {"type": "jinja", "stopStrings": []}}
    params = predict_params("The sky is", fields={})
    params["predictionConfigStack"]["layers"].append(
        stack(completion, "completeModeFormatting")["layers"][0]
    )
    packets, _ = llm.stream("predict", params)
    assert content_of(packets) == "You said: The sky is"
    assert _success(packets)["stats"]["promptTokensCount"] == count_tokens("The sky is")


def test_complete_raw_text(llm: Any) -> None:
    creation = {
        "modelSpecifier": query("fake/chat"),
        "rawPrompt": "count to 3",
        "predictionConfigStack": stack(),
    }
    packets, end = llm.stream("completeRawText", creation)
    assert end["type"] == "channelClose"
    assert content_of(packets) == "1 2 3"


def test_apply_prompt_template(llm: Any) -> None:
    messages = [user("Hello"), {"role": "assistant", "content": [{"type": "text", "text": "Hi!"}]}]
    result = llm.result(
        "applyPromptTemplate",
        {
            "specifier": query("fake/chat"),
            "history": {"messages": messages},
            "predictionConfigStack": {"layers": []},
            "opts": {},
        },
    )
    assert result == {
        "formatted": "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi!<|im_end|>\n<|im_start|>assistant\n"
    }
    with_tools = llm.result(
        "applyPromptTemplate",
        {
            "specifier": query("fake/chat"),
            "history": {"messages": messages[:1]},
            "predictionConfigStack": {"layers": []},
            "opts": {"toolDefinitions": [ADD_TOOL]},
        },
    )
    assert with_tools["formatted"].startswith("<|im_start|>system\n# Tools\n[")


def test_many_tiny_fragments_as_fast_as_possible(server: FakeLMStudio, connect_to: Any) -> None:
    server.set_pace(None)
    llm = connect_to(
        server, "llm", judge=False
    )  # fragments are judged elsewhere; 20,000 would be slow
    packets = _predict(llm, "count to 20000")
    fragments = [p["fragment"]["content"] for p in packets if p["type"] == "fragment"]
    assert len(fragments) == 20000
    assert "".join(fragments) == expected_reply("count to 20000")
