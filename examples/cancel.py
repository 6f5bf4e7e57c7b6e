#!/usr/bin/env python
"""Cancel a streamed answer mid-way: the model stops generating, the result says so.

    python examples/cancel.py [--host HOST:PORT] [--model KEY] [--after N]

The answer streams until N fragments (default 8) have arrived, then ``stream.cancel()``
tells LM Studio to stop. The stream still ends with a result: the text written so far,
and the stop reason ``userStopped``.
"""

from __future__ import annotations

import argparse
import sys

import lmstudio as lms

PROMPT = "Write a long story about a lighthouse keeper who keeps a light through a storm."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="model key (default: any loaded LLM)")
    parser.add_argument("--after", type=int, default=8, help="fragments before cancelling")
    args = parser.parse_args()

    with lms.Client(args.host) as client:
        try:
            model = client.llm.model(args.model).result()
        except lms.LMStudioModelNotFoundError as exc:
            print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
            return 2
        print(f"{model.identifier}: ", end="", flush=True)
        seen = 0
        with model.respond_stream(PROMPT) as stream:
            for fragment in stream:
                print(fragment.content, end="", flush=True)
                seen += 1
                if seen == args.after:
                    stream.cancel()  # LM Studio stops; what arrived stays
            result = stream.result()
        tokens, reason = result.stats.predicted_tokens_count, result.stats.stop_reason
        print(f"\n[cancelled after {seen} fragments, {tokens} tokens generated: {reason}]")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
