#!/usr/bin/env python
"""Several tools: the model picks the ones it needs, round after round.

    python examples/tool_use_multiple.py [--host HOST:PORT] [--model KEY]

``on_message`` shows every message the act adds to the chat (the assistant's tool call
requests, the tool results, the final answer); ``result.chat`` holds them all, ready to
send again with the next question.
"""

from __future__ import annotations

import argparse
import sys
from typing import Annotated, Any, Literal

import lmstudio as lms


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def convert(
    value: float, unit: Annotated[Literal["mi", "km"], "The unit to convert to"] = "mi"
) -> dict[str, Any]:
    """Convert a distance between kilometres and miles."""
    factor = 0.621371 if unit == "mi" else 1 / 0.621371
    return {"value": round(value * factor, 3), "unit": unit}


def show(message: Any) -> None:
    for part in message.content:
        if isinstance(part, lms.TextData) and part.text:
            print(f"  assistant: {part.text}")
        elif isinstance(part, lms.ToolCallRequestData):
            request = part.tool_call_request
            print(f"  assistant calls {request.name}({request.arguments})")
        elif isinstance(part, lms.ToolCallResultData):
            print(f"  tool result: {part.content}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="model key (default: any loaded LLM)")
    args = parser.parse_args()

    with lms.Client(args.host) as client:
        try:
            model = client.llm.model(args.model).result()
        except lms.LMStudioModelNotFoundError as exc:
            print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
            return 2
        question = "Add 17 and 25. Then multiply 6 by 7. Then convert 42 km to miles."
        print(f"user: {question}")
        result = model.act(
            question, [add, multiply, convert], on_message=show, max_prediction_rounds=6
        ).result()
        print(f"{result.rounds} rounds, {len(result.chat)} messages in the chat")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
