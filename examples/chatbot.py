#!/usr/bin/env python
"""A terminal chatbot: the answer streams in as the model writes it.

    python examples/chatbot.py [--host HOST:PORT] [--model KEY]

Type a message and press Enter; an empty line (or Ctrl-D) ends the chat. When stdin is
not a terminal, each of its lines is a message (``echo "Hi" | python chatbot.py``), and
with no input at all a short scripted conversation runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

import lmstudio as lms

SCRIPT = ["Hello! Who are you?", "Tell me a fun fact about octopuses, in one sentence."]


def prompts() -> Iterator[str]:
    if sys.stdin.isatty():
        while True:
            try:
                text = input("You (leave blank to exit): ")
            except EOFError:
                print()
                return
            if not text:
                return
            yield text
    else:
        lines = [line.strip() for line in sys.stdin if line.strip()]
        for text in lines or SCRIPT:
            print(f"You: {text}")
            yield text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="model key (default: any loaded LLM)")
    args = parser.parse_args()

    lms.configure_default_client(args.host)
    try:
        model = lms.llm(args.model).result()
    except lms.LMStudioModelNotFoundError as exc:
        print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
        return 2

    chat = lms.Chat("You are a friendly, concise assistant.")
    for text in prompts():
        chat.add_user_message(text)
        print("Bot: ", end="", flush=True)
        # on_message adds the answer to the chat once it is complete
        for fragment in model.respond_stream(chat, on_message=chat.append):
            print(fragment.content, end="", flush=True)
        print()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
