#!/usr/bin/env python
"""Structured output: the model's answer arrives as a typed object.

    python examples/structured_output.py [--host HOST:PORT] [--model KEY]

``response_format`` takes a msgspec ``Struct`` (as here), a dataclass, a ``TypedDict``,
a pydantic model or a JSON schema dict; ``result.parsed`` holds the parsed answer.
"""

from __future__ import annotations

import argparse
import sys

import msgspec

import lmstudio as lms


class Book(msgspec.Struct):
    """Structured information about a published book."""

    title: str
    author: str
    year: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="model key (default: any loaded LLM)")
    args = parser.parse_args()

    with lms.Client(args.host) as client:
        try:
            model = client.llm.model(args.model, show_progress=True).result()
        except lms.LMStudioModelNotFoundError as exc:
            print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
            return 2
        result = model.respond("Tell me about The Hobbit.", response_format=Book).result()
        book = result.parsed
        if not result.structured:  # e.g. the answer was cut off by the context length
            print(f"The answer did not parse as a Book: {result.content!r}")
            return 1
        print(f"Book: {book.title!r} by {book.author}, published in {book.year}")
        print(f"Raw answer: {result.content}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
