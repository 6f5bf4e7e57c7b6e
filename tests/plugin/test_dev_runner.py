"""``python -m lmstudio.plugin DIR --dev`` as a subprocess against the fake: registration,
a served tool call end to end, reloading on a change, a clean stop on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lmstudio.testing import FakeLMStudio

from .running import EXAMPLES, INVALID, ROOT

pytest_plugins = ["tests.styles"]
pytestmark = pytest.mark.timeout(90)


@contextmanager
def dev_runner(server: FakeLMStudio, folder: Path, *extra: str) -> Iterator[subprocess.Popen[str]]:
    """The runner in its own process group; Ctrl-C'd (the whole group, as a terminal does)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "lmstudio.plugin",
        str(folder),
        "--dev",
        "--api-host",
        server.api_host,
        *extra,
    ]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        _assert_group_gone(process.pid)


def _assert_group_gone(pgid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError("a plugin process outlived the runner")


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def test_dice_tool_dev_serves_a_tool_call_end_to_end(server: FakeLMStudio) -> None:
    with dev_runner(server, EXAMPLES / "dice-tool", "--debug") as process:
        record = server.plugins.wait_ready("lmstudio/dice-tool", hooks=("toolsProvider",)).result(
            timeout=30
        )
        assert record.client_identifier.startswith("plugin:dev:")
        session = server.plugins.tools_session("lmstudio/dice-tool").result()
        outcome = session.call("roll_dice", {"count": 2, "sides": 20}).result()
        assert outcome is not None and outcome.error is None
        assert 2 <= outcome.result["total"] <= 40
        session.discard().result()
        code, out, err = _stop(process)
    assert code == 0, out + err
    assert "Registered development plugin lmstudio/dice-tool" in out
    assert "Traceback" not in err, err
    sent = [r.message for r in server.received if r.message.get("type") == "channelSend"]
    assert {"type": "end"} in [m.get("message") for m in sent]  # the registration ended
    assert "lmstudio/dice-tool" not in server.plugins.registered()
    assert "authenticating as plugin:" in err  # --debug logs the identity...
    assert record.client_passkey not in out + err  # ...never the passkey


def test_dev_reloads_the_plugin_when_its_files_change(server: FakeLMStudio, tmp_path: Path) -> None:
    folder = tmp_path / "dice-tool"
    shutil.copytree(EXAMPLES / "dice-tool", folder)
    with dev_runner(server, folder) as process:
        server.plugins.wait_ready("lmstudio/dice-tool", hooks=("toolsProvider",)).result(timeout=30)
        source = folder / "src" / "plugin.py"
        source.write_text(
            source.read_text(encoding="utf-8").replace("roll_dice", "roll_die"), encoding="utf-8"
        )
        deadline = time.monotonic() + 30
        names: list[str] = []
        while time.monotonic() < deadline:
            try:
                session = server.plugins.tools_session("lmstudio/dice-tool").result(timeout=5)
            except Exception:
                time.sleep(0.2)
                continue
            names = [t["function"]["name"] for t in session.tools]
            if names == ["roll_die"]:
                break
            time.sleep(0.2)
        assert names == ["roll_die"]
        code, out, err = _stop(process)
    assert code == 0, out + err
    assert "Plugin files changed: reloading" in out


def test_dev_reports_a_plugin_without_hooks_and_waits(server: FakeLMStudio) -> None:
    with dev_runner(server, INVALID / "no_hooks") as process:
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and "lmstudio-tests/no-hooks" not in server.plugins.registered()
        ):
            time.sleep(0.1)
        time.sleep(3)  # the child fails at start; the parent keeps the registration
        assert process.poll() is None
        code, out, err = _stop(process)
    assert code == 0
    assert "No plugin hooks defined" in err
    assert "waiting for a change" in out


def test_a_bad_manifest_fails_at_once(server: FakeLMStudio) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lmstudio.plugin",
            str(INVALID / "bad_manifest"),
            "--dev",
            "--api-host",
            server.api_host,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert '"runner" must be "python"' in done.stderr
    assert "Traceback" not in done.stderr


def test_production_mode_needs_the_identity_variables(server: FakeLMStudio) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_PLUGIN_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lmstudio.plugin",
            str(EXAMPLES / "dice-tool"),
            "--api-host",
            server.api_host,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert (
        "LMS_PLUGIN_CLIENT_IDENTIFIER and LMS_PLUGIN_CLIENT_PASSKEY must both be set" in done.stderr
    )


def test_done_when_a_clients_act_uses_the_dev_plugins_tool(server: FakeLMStudio) -> None:
    """The issue's "Done when": the dice-tool example under ``--dev`` serves a tool call,
    and a client's ``act()`` uses that plugin's tool (over ``startToolUseSession``)."""
    from lmstudio import Client

    with dev_runner(server, EXAMPLES / "dice-tool") as process:
        server.plugins.wait_ready("lmstudio/dice-tool", hooks=("toolsProvider",)).result(timeout=30)
        with Client(server.api_host) as client:
            model = client.llm.model("fake/tools").result()
            with client.plugins.plugin_tools("lmstudio/dice-tool").result() as dice:
                assert [tool.name for tool in dice.tools] == ["roll_dice"]
                result = model.act("Use the roll_dice tool with 2 and 6.", dice.tools).result()
        served = [a for a in server.plugins.answers if a["packet"]["type"] == "toolCallComplete"]
        assert len(served) == 1
        rolled = served[0]["packet"]["result"]
        assert len(rolled["rolls"]) == 2 and all(1 <= r <= 6 for r in rolled["rolls"])
        assert result.rounds == 2
        messages = result.chat.to_dict()["messages"]
        tool_results = [m for m in messages if m["role"] == "tool"]
        assert len(tool_results) == 1
        assert f'"total":{rolled["total"]}' in tool_results[0]["content"][0]["content"]
        final = messages[-1]
        assert final["role"] == "assistant" and "The result is" in final["content"][0]["text"]
        code, out, err = _stop(process)
    assert code == 0, out + err


@pytest.mark.parametrize(
    ("name", "hook"),
    [
        ("dice-tool", "toolsProvider"),
        ("prompt-prefix", "promptPreprocessor"),
        ("canned-reply", "generator"),
    ],
)
def test_every_example_runs_with_dev(server: FakeLMStudio, name: str, hook: str) -> None:
    with dev_runner(server, EXAMPLES / name) as process:
        server.plugins.wait_ready(f"lmstudio/{name}", hooks=(hook,)).result(timeout=30)
        code, out, err = _stop(process)
    assert code == 0, out + err
    assert "Traceback" not in err, err
