#!/usr/bin/env python
"""Speculative decoding: a small draft model proposes tokens, the main model checks them.

    python examples/speculative_decoding.py [--host HOST:PORT] [--model KEY] [--draft KEY]

The draft model must share the main model's vocabulary: by default the smallest other
downloaded LLM of the same architecture is used.
"""

from __future__ import annotations

import argparse
import sys

import lmstudio as lms


def pick_draft(client: lms.Client, main: lms.LLM) -> str | None:
    info = main.model_info
    candidates = [
        m.info
        for m in client.llm.list_downloaded().result()
        if m.model_key != info.model_key
        and m.info.architecture == info.architecture
        and m.info.size_bytes < info.size_bytes
    ]
    return min(candidates, key=lambda m: m.size_bytes).model_key if candidates else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="main model key (default: any loaded LLM)")
    parser.add_argument("--draft", help="draft model key (default: a smaller sibling)")
    args = parser.parse_args()

    with lms.Client(args.host) as client:
        try:
            model = client.llm.model(args.model).result()
        except lms.LMStudioModelNotFoundError as exc:
            print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
            return 2
        draft = args.draft or pick_draft(client, model)
        if draft is None:
            print(
                f"Skipped: no smaller downloaded model shares {model.identifier}'s "
                "architecture (pass --draft KEY)"
            )
            return 0
        print(f"Main model: {model.identifier}, draft model: {draft}")
        stream = model.respond_stream(
            "What are the prime numbers below 30?", config={"draft_model": draft, "max_tokens": 200}
        )
        for fragment in stream:
            print(fragment.content, end="", flush=True)
        print()
        stats = stream.result().stats
        print(
            f"Accepted {stats.accepted_draft_tokens_count} of "
            f"{stats.predicted_tokens_count} tokens from the draft model"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
