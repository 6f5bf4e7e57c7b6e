"""The judges can convict: each official client, given a broken server, reports it.

The conformance suites pass when the official clients report nothing. These tests prove
that silence means something: against a fake server broken on purpose, the scripts do
record the official client's complaints (Python: ``LMStudioUnknownMessageWarning`` and
logged warnings; TypeScript: logger warnings and the ``communicationWarning`` it sends),
and a step whose answer never validates fails on its own timeout.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lmstudio.testing import Channel, FakeLMStudio, FakeServerError

from .harness import NODE_SDK_VERSIONS, PYTHON_SDK_VERSIONS, ConformanceRun, run_against_fake

pytestmark = pytest.mark.timeout(600)

HERE = Path(__file__).resolve().parent
# Short: these steps are expected to hang until their timeout.
BROKEN_STEP_TIMEOUT = 4.0


async def broken_get_or_load(channel: Channel, creation: Any) -> None:
    """A getOrLoad that sends an unknown packet, a frame for a channel the client never
    opened, and then fails."""
    await channel.send({"type": "noSuchPacket", "detail": "judges' self-test"})
    stray = {"type": "channelSend", "channelId": 9999, "message": {"type": "loadProgress"}}
    await channel.session.send(json.dumps(stray).encode())
    raise FakeServerError("Broken on purpose by the conformance self-test")


def break_get_or_load(server: FakeLMStudio) -> None:
    server.handle_channel("llm/getOrLoad", broken_get_or_load)


def break_version(server: FakeLMStudio) -> None:
    # Both fields have the wrong type: zod rejects the rpc result.
    server.handle_rpc("system/version", lambda parameter: {"version": 123, "build": "one"})


@pytest.mark.parametrize("version", PYTHON_SDK_VERSIONS)
def test_python_judge_reports_unknown_and_stray_messages(
    version: str, official_python_sdks: Callable[[str], Path]
) -> None:
    python = official_python_sdks(version)
    script = HERE / "python" / "official_client.py"

    def command(host: str, report: Path) -> list[str]:
        arguments = ["--host", host, "--report", str(report), "--steps", "model"]
        return [str(python), "-I", str(script), *arguments, "--step-timeout", "10"]

    run = run_against_fake(command, break_get_or_load)
    assert run.returncode == 0, run.describe()
    assert not run.report["steps"]["model"]["ok"]
    problems = run.report["problems"]
    categories = [p.get("category", "") for p in problems if p["kind"] == "warning"]
    assert any(c.endswith("LMStudioUnknownMessageWarning") for c in categories), problems
    logged = [p["message"] for p in problems if p["kind"] == "log"]
    assert any("not yet used channel" in m for m in logged), problems


@pytest.mark.parametrize("version", NODE_SDK_VERSIONS)
def test_typescript_judge_reports_an_invalid_rpc_result(
    version: str, official_node_modules: Path
) -> None:
    node = shutil.which("node")
    assert node is not None
    script = HERE / "node" / "official_client.cjs"
    sdk = official_node_modules / f"sdk-{version}"

    def command(host: str, report: Path) -> list[str]:
        arguments = ["--host", host, "--report", str(report), "--steps", "version"]
        timeout = ["--step-timeout", str(BROKEN_STEP_TIMEOUT)]
        return [node, str(script), "--sdk", str(sdk), *arguments, *timeout]

    run: ConformanceRun = run_against_fake(command, break_version)
    assert run.returncode == 0, run.describe()
    outcome = run.report["steps"]["version"]
    assert not outcome["ok"] and "timed out" in outcome["error"], outcome
    assert [p for p in run.report["problems"] if p["kind"] == "warn"], run.report["problems"]
    assert run.client_warnings, "the TypeScript client sent no communicationWarning"
    assert run.server_client_warnings
