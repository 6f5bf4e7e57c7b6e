#!/usr/bin/env python
"""One tool: the model calls a Python function to answer.

    python examples/tool_use.py [--host HOST:PORT] [--model KEY]

A tool is a plain function: its name, docstring and annotated parameters tell the model
what it does and how to call it. ``act()`` runs the prediction, the tool, and the
prediction again with the tool's result, until the model answers.
"""

from __future__ import annotations

import argparse
import sys

import lmstudio as lms


def multiply(a: float, b: float) -> float:
    """Multiply two numbers (exactly, unlike a language model).

    Args:
        a: the first factor.
        b: the second factor.
    """
    return a * b


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
        result = model.act("What is 1234 * 5678? Use multiply.", [multiply]).result()
        for request in (r for p in result.predictions for r in p.tool_call_requests):
            print(f"The model called {request.name}({request.arguments})")
        print(f"Answer after {result.rounds} rounds: {result.content}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
