"""How the fake tool-using models call tools: deterministic, documented rules (rule 7).

A model trained for tool use (``trainedForToolUse``) that is offered tools
(``llm.prediction.tools``) follows these rules; tests may depend on them, and
``expected_tool_preamble`` / ``expected_tool_result_reply`` compute the texts.

1. *Steps.* The prompt text (rule 1 of ``_replies``) is split into steps before each
   sentence that starts with ``Then`` (after ``.``, ``!`` or ``?``; any case): ``"Add 1
   and 2. Then multiply 3 and 4."`` has two steps, ``"add 1, then 2"`` one. The first round after the user message follows step
   0; after each tool message the model follows the next step; when no step is left it
   answers ``"The result is " + ", ".join(results) + "."`` from the last tool message.
2. *Calls.* In a step, every mention of an offered tool's name (whole word, any case)
   and every word in backticks (`` `name` ``, offered or not: a way to call an unknown
   tool) is one tool call, in order of mention: several mentions, several calls in one
   round. A call's arguments follow the tool's parameter schema (``_structured``),
   filled with the numbers and the double-quoted strings of the text from its mention to
   the next one (or of the whole step when that text has none); an unknown tool gets
   ``{}``.
3. *No mention.* A step 0 that mentions no tool calls the first offered tool whose
   required number and string parameters its numbers and quoted strings can fill; if no
   tool can be filled, the model answers with text, as a model without tools would.
4. *Saying something first.* A step containing the word ``explain`` first says
   ``"Let me call " + " and ".join(names) + "."`` (the tools it calls), then calls them.
5. *Invalid calls on request.* A call whose text (from its mention to the next one)
   contains ``malformed`` streams its arguments as broken JSON and ends with
   ``toolCallGenerationFailed`` (what LM Studio sends when it cannot parse a call)
   instead of ``toolCallGenerationEnd``. A call whose text contains ``wrong arguments``
   gets arguments that fit no schema (the string ``"wrong"`` for an object parameter,
   else ``{"wrong": true}``).
6. Call ids are ``call_1``, ``call_2``... counted over the whole conversation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmstudio.testing._structured import value_for_schema

__all__ = [
    "ToolCallPlan",
    "ToolRoundPlan",
    "expected_tool_preamble",
    "plan_tool_round",
    "tool_steps",
]

_THEN = re.compile(r"(?<=[.!?])\s+(?=then(?!\w))", re.IGNORECASE)
_BACKTICKED = re.compile(r"`([A-Za-z_][\w.-]*)`")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_QUOTED = re.compile(r'"([^"]*)"')
_EXPLAIN = re.compile(r"(?<!\w)explain(?!\w)", re.IGNORECASE)
_MALFORMED = re.compile(r"(?<!\w)malformed(?!\w)", re.IGNORECASE)
_WRONG = re.compile(r"(?<!\w)wrong\s+arguments(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class ToolCallPlan:
    """One tool call the fake model makes."""

    id: str
    name: str
    arguments: dict[str, Any]
    malformed: bool = False
    """Stream broken JSON and end with ``toolCallGenerationFailed`` (rule 5)."""


@dataclass(frozen=True)
class ToolRoundPlan:
    """What the model says before its calls, and the calls."""

    preamble: str
    calls: tuple[ToolCallPlan, ...]


def expected_tool_preamble(names: Sequence[str]) -> str:
    """What a step containing ``explain`` says before calling these tools (rule 4)."""
    return "Let me call " + " and ".join(names) + "."


def tool_steps(text: str) -> list[str]:
    """The steps of a prompt text (rule 1)."""
    return [step.strip() for step in _THEN.split(text)]


def plan_tool_round(
    text: str, tools: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]]
) -> ToolRoundPlan | None:
    """The calls of this round, or ``None`` when the model answers with text instead.

    ``messages`` is the whole history (its last message is the user's or a tool message).
    """
    done = _tool_messages_since_user(messages)
    steps = tool_steps(text)
    if done >= len(steps):
        return None
    step = steps[done]
    functions = {str(t.get("function", {}).get("name", "")): t.get("function", {}) for t in tools}
    mentions = _mentions(step, list(functions))
    if not mentions:
        if done > 0:
            return None
        chosen = _first_fillable(step, list(functions.values()))
        if chosen is None:
            return None
        mentions = [(0, len(step), str(chosen.get("name", "")))]
    earlier = sum(
        1
        for message in messages
        for part in message.get("content", [])
        if isinstance(part, Mapping) and part.get("type") == "toolCallRequest"
    )
    calls = []
    for offset, (start, end, name) in enumerate(mentions):
        function = functions.get(name)
        part = step[start:end]
        if function is None:
            arguments: dict[str, Any] = {}
        elif _WRONG.search(part):
            arguments = _wrong_arguments(function)
        else:
            arguments = _arguments(function, part, step)
        malformed = bool(_MALFORMED.search(part))
        calls.append(ToolCallPlan(f"call_{earlier + offset + 1}", name, arguments, malformed))
    preamble = expected_tool_preamble([c.name for c in calls]) if _EXPLAIN.search(step) else ""
    return ToolRoundPlan(preamble, tuple(calls))


def _tool_messages_since_user(messages: Sequence[Mapping[str, Any]]) -> int:
    count = 0
    for message in reversed(messages):
        role = message.get("role")
        if role == "user":
            break
        if role == "tool":
            count += 1
    return count


def _mentions(step: str, names: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(start, end, name)`` of each mention, in order; ``end`` is the next one's start."""
    found: list[tuple[int, str]] = []
    ticked: list[tuple[int, int]] = []
    for match in _BACKTICKED.finditer(step):
        found.append((match.start(), match.group(1)))
        ticked.append(match.span())
    for name in names:
        if not name:
            continue
        for match in re.finditer(rf"(?<![\w`]){re.escape(name)}(?![\w`])", step, re.IGNORECASE):
            if not any(a <= match.start() < b for a, b in ticked):
                found.append((match.start(), name))
    if not found:
        return []
    found.sort()
    ends = [start for start, _ in found[1:]] + [len(step)]
    return [(start, end, name) for (start, name), end in zip(found, ends, strict=True)]


def _numbers(text: str) -> list[float | int]:
    return [float(n) if "." in n else int(n) for n in _NUMBER.findall(text)]


def _arguments(function: Mapping[str, Any], part: str, step: str) -> dict[str, Any]:
    numbers, strings = _numbers(part), _QUOTED.findall(part)
    if not numbers and not strings:
        numbers, strings = _numbers(step), _QUOTED.findall(step)
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    arguments = value_for_schema(parameters, numbers=numbers, strings=strings)
    return arguments if isinstance(arguments, dict) else {}


def _first_fillable(step: str, functions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    numbers, strings = len(_NUMBER.findall(step)), len(_QUOTED.findall(step))
    for function in functions:
        parameters = function.get("parameters") or {}
        properties = parameters.get("properties") or {}
        required = [properties.get(name, {}) for name in parameters.get("required", [])]
        kinds = [p.get("type") if isinstance(p, Mapping) else None for p in required]
        wanted_numbers = sum(1 for kind in kinds if kind in ("integer", "number"))
        wanted_strings = sum(1 for kind in kinds if kind == "string")
        if wanted_numbers <= numbers and wanted_strings <= strings:
            return function
    return None


def _wrong_arguments(function: Mapping[str, Any]) -> dict[str, Any]:
    parameters = function.get("parameters") or {}
    properties = parameters.get("properties") or {}
    names = list(properties) or list(parameters.get("required", [])) or ["value"]
    wrong: dict[str, Any] = {}
    for name in names:
        schema = properties.get(name, {})
        is_object = isinstance(schema, Mapping) and (
            schema.get("type") == "object" or "$ref" in schema
        )
        wrong[name] = "wrong" if is_object else {"wrong": True}
    return wrong
