"""What the fake LLMs answer: a pure function of the conversation and the config.

Public, stable rules (tests may depend on them; ``expected_reply`` and friends compute
them, so a test never has to restate them):

1. The *prompt text* is the text of the last user message (its text parts joined with
   ``"\\n"``), stripped; for a text completion (a ``completeModeFormatting`` layer, or the
   ``completeRawText`` channel) the whole prompt, stripped.
2. ``count to N`` (any case, optional trailing punctuation) is answered ``"1 2 ... N"``:
   exactly N fragments (``"1"``, ``" 2"``, ... ``" N"``), whatever the temperature.
   ``count to 0`` gives an empty reply.
3. An empty prompt text is answered ``"Hello! How can I help you today?"``.
4. Anything else is echoed with a prefix: ``"You said: " + text``. The temperature picks
   the prefix: unset or 0 gives ``"You said: "``; any other temperature ``t`` gives
   ``["I heard: ", "Echo: ", "Noted: "][round(t * 100) % 3]``.
5. A vision model shown images in the last user message appends
   ``" (I see N image(s): a.png, b.png)"`` (``image`` when N is 1) to rule 3/4's reply.
6. A reasoning model (model key containing ``reasoning`` or ``thinking``) first emits
   ``<think>``, the reasoning ``"The user said: " + text`` (``"The user said nothing."``
   when empty), then ``</think>``; its content is the tags, the reasoning and the reply.
7. A tool-trained model offered tools (``llm.prediction.tools``) answers a user message
   with tool calls, as ``_tools`` decides: the steps of the prompt text (a sentence
   starting with ``Then`` begins the next round's step), one call per tool named (or
   word in backticks), arguments from the step's numbers and double-quoted strings, else
   the first tool those can fill, else text; ``explain``, ``malformed`` and ``wrong
   arguments`` on request. When no step is left after the tool results it answers
   ``"The result is " + ", ".join(contents) + "."``.
8. Structured output (``llm.prediction.structured``) replaces the content: for a JSON
   schema, ``json.dumps(value, ensure_ascii=False)`` of the value ``_structured`` builds
   (``{"type": "object"}`` when no schema is given); for a GBNF grammar, its shortest
   string (``_gbnf``). No reasoning and no tool calls then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lmstudio.testing._gbnf import shortest_text
from lmstudio.testing._structured import value_for_schema
from lmstudio.testing._tools import ToolCallPlan, plan_tool_round

__all__ = [
    "ReplyPlan",
    "ToolCallPlan",
    "expected_reasoning",
    "expected_reply",
    "expected_tool_result_reply",
    "is_reasoning_model",
    "plan_reply",
]

MAX_COUNT = 10_000_000
GREETING = "Hello! How can I help you today?"
_COUNT = re.compile(r"count\s+to\s+(\d+)\W*", re.IGNORECASE)
_PREFIXES = ("You said: ", "I heard: ", "Echo: ", "Noted: ")


def expected_reply(
    text: str, *, temperature: float | None = None, images: Sequence[str] = ()
) -> str:
    """The default reply to a prompt text (rules 2 to 5 of the module docstring)."""
    text = text.strip()
    counted = _COUNT.fullmatch(text)
    if counted:
        n = min(int(counted.group(1)), MAX_COUNT)
        return " ".join(str(i) for i in range(1, n + 1))
    if not text:
        reply = GREETING
    else:
        variant = 0 if not temperature else 1 + round(temperature * 100) % 3
        reply = _PREFIXES[variant] + text
    if images:
        noun = "image" if len(images) == 1 else "images"
        reply += f" (I see {len(images)} {noun}: {', '.join(images)})"
    return reply


def expected_reasoning(text: str) -> str:
    """A reasoning model's reasoning for a prompt text (rule 6), without the tags."""
    text = text.strip()
    return f"The user said: {text}" if text else "The user said nothing."


def expected_tool_result_reply(contents: Sequence[str]) -> str:
    """A tool model's reply once the last message holds tool results (rule 7)."""
    return "The result is " + ", ".join(contents) + "."


def is_reasoning_model(model_key: str) -> bool:
    """Whether a model key names a reasoning model (rule 6)."""
    key = model_key.lower()
    return "reasoning" in key or "thinking" in key


@dataclass(frozen=True)
class ReplyPlan:
    content: str
    reasoning: str | None = None
    tool_calls: tuple[ToolCallPlan, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StructuredRequest:
    kind: str  # "json" or "gbnf"
    json_schema: Any = None
    grammar: str = ""


def prompt_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """Rule 1: the text of the last user message."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return "\n".join(
                part.get("text", "")
                for part in message.get("content", [])
                if part.get("type") == "text"
            ).strip()
    return ""


def last_user_images(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    for message in reversed(messages):
        if message.get("role") == "user":
            return [
                str(part.get("name", ""))
                for part in message.get("content", [])
                if part.get("type") == "file" and part.get("fileType") == "image"
            ]
    return []


def plan_reply(
    *,
    messages: Sequence[Mapping[str, Any]],
    raw_prompt: str | None,
    model_key: str,
    vision: bool,
    trained_for_tool_use: bool,
    temperature: float | None,
    tools: Sequence[Mapping[str, Any]],
    structured: StructuredRequest | None,
) -> ReplyPlan:
    """What a fake LLM answers (rules 1 to 8)."""
    text = raw_prompt.strip() if raw_prompt is not None else prompt_text(messages)
    if structured is not None:
        if structured.kind == "gbnf":
            return ReplyPlan(shortest_text(structured.grammar))
        schema = (
            structured.json_schema if structured.json_schema is not None else {"type": "object"}
        )
        return ReplyPlan(json.dumps(value_for_schema(schema), ensure_ascii=False))
    reasoning = expected_reasoning(text) if is_reasoning_model(model_key) else None
    if trained_for_tool_use and tools and raw_prompt is None:
        last = messages[-1] if messages else {}
        if last.get("role") in ("user", "tool"):
            round_plan = plan_tool_round(text, tools, messages)
            if round_plan is not None:
                return ReplyPlan(round_plan.preamble, reasoning, round_plan.calls)
        if last.get("role") == "tool":
            contents = [str(part.get("content", "")) for part in last.get("content", [])]
            return ReplyPlan(expected_tool_result_reply(contents), reasoning)
    images = last_user_images(messages) if vision and raw_prompt is None else []
    return ReplyPlan(expected_reply(text, temperature=temperature, images=images), reasoning)
