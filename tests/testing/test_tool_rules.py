"""The fake tool-using models' rules (``lmstudio/testing/_tools.py``), without a socket."""

from __future__ import annotations

from typing import Any

from lmstudio.testing import expected_tool_preamble
from lmstudio.testing._tools import plan_tool_round, tool_steps


def tool(tool_name: str, /, **properties: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool_name,
            "parameters": {
                "type": "object",
                "properties": {key: {"type": kind} for key, kind in properties.items()},
                "required": list(properties),
            },
        },
    }


ADD = tool("add", a="integer", b="integer")
GREET = tool("greet", name="string")
NOW = tool("now")


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def tool_message(*contents: str) -> dict[str, Any]:
    return {"role": "tool", "content": [{"type": "toolCallResult", "content": c} for c in contents]}


def calls(text: str, tools: list[dict[str, Any]], *after: dict[str, Any]) -> Any:
    plan = plan_tool_round(text, tools, [user(text), *after])
    if plan is None:
        return None
    return [(c.name, c.arguments) for c in plan.calls]


def test_steps_are_sentences_starting_with_then() -> None:
    assert tool_steps("Add 1 and 2. Then add 3 and 4! then stop") == [
        "Add 1 and 2.",
        "Then add 3 and 4!",
        "then stop",
    ]
    assert tool_steps("greet, then add 1 and 2") == ["greet, then add 1 and 2"]


def test_each_mention_is_a_call_with_the_numbers_after_it() -> None:
    assert calls("add 1 and 2 and add 3 and 4", [ADD]) == [
        ("add", {"a": 1, "b": 2}),
        ("add", {"a": 3, "b": 4}),
    ]
    assert calls('What is 1 + 2? Use add, and greet "Ann"', [ADD, GREET]) == [
        ("add", {"a": 1, "b": 2}),
        ("greet", {"name": "Ann"}),
    ]


def test_without_a_mention_the_first_fillable_tool_else_text() -> None:
    assert calls("What is 5 plus 6?", [GREET, ADD]) == [("add", {"a": 5, "b": 6})]
    assert calls("Hello there", [GREET, ADD]) is None
    assert calls("Hello there", [GREET, NOW]) == [("now", {})]


def test_later_steps_follow_the_tool_results() -> None:
    text = "Add 1 and 2. Then add 3 and 4."
    assert calls(text, [ADD]) == [("add", {"a": 1, "b": 2})]
    assert calls(text, [ADD], tool_message("3")) == [("add", {"a": 3, "b": 4})]
    assert calls(text, [ADD], tool_message("3"), tool_message("7")) is None


def test_backticks_call_unknown_tools_and_ids_count_the_conversation() -> None:
    earlier = {
        "role": "assistant",
        "content": [{"type": "toolCallRequest", "toolCallRequest": {"name": "x", "id": "c"}}],
    }
    plan = plan_tool_round("Call `frobnicate` now", [ADD], [earlier, user("Call `frobnicate`")])
    assert plan is not None
    assert [(c.id, c.name, c.arguments) for c in plan.calls] == [("call_2", "frobnicate", {})]


def test_explain_malformed_and_wrong_arguments() -> None:
    plan = plan_tool_round("Explain, then add 1 and 2", [ADD], [user("x")])
    assert plan is not None and plan.preamble == expected_tool_preamble(["add"])
    assert expected_tool_preamble(["add", "greet"]) == "Let me call add and greet."
    plan = plan_tool_round("add 1 and 2 malformed, add 3 4", [ADD], [user("x")])
    assert plan is not None and [c.malformed for c in plan.calls] == [True, False]
    assert calls("add 1 and 2 with wrong arguments", [ADD]) == [
        ("add", {"a": {"wrong": True}, "b": {"wrong": True}})
    ]
