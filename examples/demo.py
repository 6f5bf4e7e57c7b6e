#!/usr/bin/env python
"""``make demo``: run every example against LM Studio, or against the bundled fake server.

    python examples/demo.py [--host HOST:PORT | --fake]

LM Studio is looked for on this machine as ``lms.Client()`` would; if none answers, a
:class:`lmstudio.testing.FakeLMStudio` is started and the examples run against it. Each
example is a separate script, run here with no terminal attached (the chatbot then
plays a short scripted conversation).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

try:
    import lmstudio  # noqa: F401
except ImportError:  # a checkout that was not installed: use it in place
    sys.path.insert(0, str(ROOT))

from lmstudio._engine.discovery import discover  # noqa: E402
from lmstudio.testing import FakeLMStudio  # noqa: E402

# (script, what it shows, extra arguments against the fake server)
EXAMPLES = [
    ("chatbot.py", "a streamed chat", []),
    ("structured_output.py", "a structured reply", []),
    ("embeddings.py", "embeddings", []),
    ("speculative_decoding.py", "speculative decoding", ["--draft", "fake/chat"]),
    ("image_description.py", "an image described", []),
    ("tool_use.py", "one tool", ["--model", "fake/tools"]),
    ("tool_use_multiple.py", "several tools", ["--model", "fake/tools"]),
    ("agent_async.py", "an agent with an async tool", ["--model", "fake/tools"]),
    ("agent_guard.py", "an agent that asks before a tool runs", ["--model", "fake/tools"]),
    (
        "plugin_tools.py",
        "a plugin's tools in an agent (dice-tool --dev)",
        ["--model", "fake/tools"],
    ),
    (
        "manage_lmstudio.py",
        "managing LM Studio: hardware, engines, estimate then load, LM Link",
        [],
    ),
]


def run_examples(host: str, *, fake: bool, timeout: float) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    failed = []
    for script, what, fake_args in EXAMPLES:
        print(f"\n=== {script}: {what} ===", flush=True)
        command = [sys.executable, str(HERE / script), "--host", host]
        if fake:
            command += fake_args
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"{script} did not finish within {timeout:.0f} s", flush=True)
            failed.append(script)
            continue
        if done.returncode != 0:
            print(f"{script} failed (exit status {done.returncode})", flush=True)
            failed.append(script)
    print(f"\n{len(EXAMPLES) - len(failed)} of {len(EXAMPLES)} examples ran.", flush=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--host", help="LM Studio's host:port (default: look for it)")
    where.add_argument("--fake", action="store_true", help="use the fake server only")
    args = parser.parse_args()

    host = args.host
    if host is None and not args.fake:
        port = asyncio.run(discover())
        host = None if port is None else f"127.0.0.1:{port}"
    if host is not None:
        print(f"Running the examples against LM Studio at {host}.")
        return run_examples(host, fake=False, timeout=600)
    with FakeLMStudio(fragment_delay=0.02, load_time=0.2) as server:
        print(
            f"No LM Studio found: running the examples against lmstudio.testing's fake "
            f"LM Studio at {server.api_host} (its models echo and count; see "
            "lmstudio/testing/README.md)."
        )
        return run_examples(server.api_host, fake=True, timeout=120)


if __name__ == "__main__":
    sys.exit(main())
