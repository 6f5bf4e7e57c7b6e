#!/usr/bin/env python
"""A plugin's tools in an agent: run the dice-tool plugin, then let a model use its tool.

    python examples/plugin_tools.py [--host HOST:PORT] [--model KEY]

Starts ``python -m lmstudio.plugin examples/plugins/dice-tool --dev`` against LM Studio
(it registers as a development plugin), waits until LM Studio offers its tools, runs
``act()`` with them (``client.plugins.plugin_tools``: each tool call goes to the plugin
process over LM Studio), then stops the plugin with Ctrl-C, as a terminal would.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lmstudio as lms

PLUGIN = Path(__file__).resolve().parent / "plugins" / "dice-tool"
PLUGIN_ID = "lmstudio/dice-tool"  # the manifest's owner/name


def start_plugin(host: str | None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "lmstudio.plugin", str(PLUGIN), "--dev"]
    if host is not None:
        command += ["--api-host", host]
    # Its own process group, so Ctrl-C reaches the runner and the plugin it runs; what it
    # prints and logs shows up among this script's output.
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_plugin(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            return process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return process.wait(5)


def open_tools(client: lms.Client, wait: float) -> lms.PluginToolSession:
    """The plugin's tools, once it has registered and listed them (or the last error)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return client.plugins.plugin_tools(PLUGIN_ID).result(timeout=10)
        except lms.LMStudioServerError:  # not registered yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="LM Studio's host:port (default: look for it)")
    parser.add_argument("--model", help="the model to use (default: any loaded one)")
    args = parser.parse_args()

    with lms.Client(args.host) as client:
        try:
            model = client.llm.model(args.model).result(timeout=60)
        except lms.LMStudioModelNotFoundError as exc:
            print(f"{exc}\n(load a model in LM Studio, or pass --model KEY)", file=sys.stderr)
            return 2
        plugin = start_plugin(client.api_host)
        try:
            with open_tools(client, wait=30) as dice:
                print("The plugin offers:", ", ".join(tool.name for tool in dice.tools))
                result = model.act(
                    "Roll 2 dice with 6 sides each (use roll_dice) and tell me the total.",
                    dice.tools,
                ).result()
                for request in (r for p in result.predictions for r in p.tool_call_requests):
                    print(f"The model called {request.name}({request.arguments})")
                print(f"Answer after {result.rounds} rounds: {result.content}")
        finally:
            code = stop_plugin(plugin)
    print(f"The plugin stopped (exit status {code}).")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lms.LMStudioError as exc:  # no LM Studio, the plugin not registering...: one line
        sys.exit(f"error: {exc}")
