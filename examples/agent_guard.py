#!/usr/bin/env python
"""An agent that asks before running a tool (``guard_tool_call``).

    python examples/agent_guard.py [--host HOST:PORT] [--model KEY] [--yes]

The guard sees each tool call before it runs and allows it, denies it (the model is
told why) or rewrites its arguments. Guards run one at a time, so asking a human works;
without a terminal (``make demo``) the question reads end-of-file and the call is denied.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import lmstudio as lms

SANDBOX = Path(tempfile.mkdtemp(prefix="lmstudio-agent-"))


def write_file(name: str, text: str) -> str:
    """Write a text file in the sandbox folder."""
    path = SANDBOX / Path(name).name
    path.write_text(text)
    return f"wrote {len(text)} characters to {path.name}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: find it)")
    parser.add_argument("--model", help="model key (default: any loaded LLM)")
    parser.add_argument("--yes", action="store_true", help="allow every tool call")
    args = parser.parse_args()

    def ask(round_index: int, call_index: int, controller: lms.GuardToolCallController) -> None:
        request = controller.tool_call_request
        if args.yes:
            controller.allow()
            return
        print(f"Allow {request.name}({request.arguments})? [y/N] ", end="", flush=True)
        answer = sys.stdin.readline()
        if not answer:
            print("(no terminal: no)")
        if answer.strip().lower() in ("y", "yes"):
            controller.allow()
        else:
            controller.deny("The user did not allow writing that file.")

    with lms.Client(args.host) as client:
        try:
            model = client.llm.model(args.model).result()
        except lms.LMStudioModelNotFoundError as exc:
            print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
            return 2
        result = model.act(
            'Save a haiku about autumn: use write_file with the name "haiku.txt" and the '
            'text "Leaves fall".',
            [write_file],
            guard_tool_call=ask,
        ).result()
        print(f"Model: {result.content}")
        print(f"Files written: {sorted(p.name for p in SANDBOX.iterdir()) or 'none'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, a model not found...: one line
        sys.exit(f"error: {exc}")
