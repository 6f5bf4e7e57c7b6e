"""The fake models' public rules, pinned: tests of users depend on them staying stable."""

from __future__ import annotations

import math

import pytest

from lmstudio.testing import (
    count_tokens,
    default_catalog,
    embed_text,
    expected_reasoning,
    expected_reply,
    expected_tool_result_reply,
    load_catalog,
    parse_api_token,
    render_prompt,
    shortest_text,
    split_tokens,
    token_id,
    tokenize,
    value_for_schema,
)
from lmstudio.testing._gbnf import GrammarError
from lmstudio.testing._structured import SchemaError


def test_tokenizer_is_lossless_and_its_ids_are_pinned() -> None:
    assert split_tokens("Hello, world!") == ["Hello", ",", " world", "!"]
    assert tokenize("Hello, world!") == [4578, 16878, 97707, 77971]
    assert token_id(" world") == 97707
    for text in ("", "  lead and trail  ", "tabs\tand\nnewlines", "ünïcödé 漢字 ok", "a__b--c"):
        assert "".join(split_tokens(text)) == text
        assert count_tokens(text) == len(tokenize(text))
    assert split_tokens("end  ") == ["end", "  "]


def test_reply_rules() -> None:
    assert expected_reply("  Hi there ") == "You said: Hi there"
    assert expected_reply("COUNT TO 3!") == "1 2 3"
    assert split_tokens(expected_reply("count to 12")) == ["1", *(f" {i}" for i in range(2, 13))]
    assert expected_reply("") == "Hello! How can I help you today?"
    assert [expected_reply("x", temperature=t) for t in (None, 0, 0.6, 0.7, 0.8, 1.0)] == [
        "You said: x",
        "You said: x",
        "I heard: x",
        "Echo: x",
        "Noted: x",
        "Echo: x",
    ]
    assert (
        expected_reply("look", images=["a.png", "b.png"])
        == "You said: look (I see 2 images: a.png, b.png)"
    )
    assert expected_reasoning("why") == "The user said: why"
    assert expected_reasoning(" ") == "The user said nothing."
    assert expected_tool_result_reply(["3", '"ok"']) == 'The result is 3, "ok".'


def test_embedding_rule_is_pinned() -> None:
    assert embed_text("hello", 4) == pytest.approx(
        [-0.5547001962, 0.2773500981, -0.5547001962, 0.5547001962]
    )
    vector = embed_text("The quick brown fox", 64)
    assert math.isclose(math.fsum(x * x for x in vector), 1.0)
    with pytest.raises(ValueError):
        embed_text("x", 0)


def test_json_schema_values() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "array", "items": {"type": "string"}, "minItems": 3},
            "b": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMinimum": 5}]},
            "c": {"type": ["null", "boolean"]},
            "d": {"type": "string", "format": "date"},
            "e": {
                "allOf": [
                    {"properties": {"x": {"const": 7}}},
                    {"properties": {"y": {"type": "integer", "multipleOf": 5, "minimum": 3}}},
                ]
            },
            "f": {"type": "string", "maxLength": 2},
            "g": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}]},
        },
    }
    assert value_for_schema(schema) == {
        "a": ["a", "a 2", "a 3"],
        "b": 5.5,
        "c": True,
        "d": "2024-01-01",
        "e": {"x": 7, "y": 5},
        "f": "f",
        "g": [1, True],
    }
    assert value_for_schema({"type": "integer", "maximum": -3}) == -3
    assert value_for_schema({"type": "string"}) == "text"
    assert value_for_schema(
        {"type": "object", "properties": {"n": {"type": "number"}, "s": {"type": "string"}}},
        numbers=[2.5],
        strings=["hi"],
    ) == {"n": 2.5, "s": "hi"}


def test_recursive_schemas_terminate() -> None:
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {"child": {"$ref": "#/$defs/node"}},
                "required": [],
            }
        },
        "$ref": "#/$defs/node",
    }
    value = value_for_schema(tree)
    depth = 0
    while value:
        value = value["child"]
        depth += 1
    assert depth == 8
    with pytest.raises(SchemaError):
        value_for_schema({"$ref": "#/$defs/missing"})
    with pytest.raises(SchemaError):
        value_for_schema({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}})


def test_gbnf_shortest_string() -> None:
    assert shortest_text('root ::= "yes" | "no"') == "no"
    assert shortest_text('root ::= [a-z]{3} "-" [^a-c] x+\nx ::= "1" | "22"  # comment') == "aaa-d1"
    assert shortest_text('root ::= ( "a" |\n "b" )* "\\x41\\u00e9" .') == "Aéa"
    grammar = 'root ::= "[" ws (item ("," ws item)*)? "]"\nitem ::= [0-9]+\nws ::= [ \\t\\n]*'
    assert shortest_text(grammar) == "[]"
    for broken in (
        "root ::= undefined",
        'item ::= "x"',
        "root ::= root",
        'root ::= "unterminated',
        "root ::= (",
    ):
        with pytest.raises(GrammarError):
            shortest_text(broken)


def test_prompt_template() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "hi"},
                {
                    "type": "file",
                    "name": "a.png",
                    "identifier": "1",
                    "sizeBytes": 1,
                    "fileType": "image",
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {
                    "type": "toolCallRequest",
                    "toolCallRequest": {"type": "function", "name": "f", "arguments": {"x": 1}},
                }
            ],
        },
        {"role": "tool", "content": [{"type": "toolCallResult", "content": "2"}]},
    ]
    assert render_prompt(messages) == (
        "<|im_start|>user\nhi<image><|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call><|im_end|>\n'
        "<|im_start|>tool\n2<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_default_catalog_and_tokens() -> None:
    keys = [entry["modelKey"] for entry in default_catalog()]
    assert keys == ["fake/chat", "fake/reasoning", "fake/tools", "fake/vision", "fake/embed"]
    models = load_catalog(None)
    assert [m.loaded for m in models] == [True, False, False, False, True]
    assert models[4].embedding_dimensions == 384
    assert all(
        m.info["format"] in ("gguf", "safetensors") for m in models
    )  # values both generations know
    assert parse_api_token(" sk-lm-Abcd1234:Abcdefghij0123456789 ") == (
        "Abcd1234",
        "Abcdefghij0123456789",
    )
    with pytest.raises(ValueError):
        parse_api_token("sk-lm-Abcd1234:short")
