"""LM Studio's official plugin runner (PyPI ``lmstudio`` 1.6.0b1) judges the fake's host side.

``python -m lmstudio.plugin --dev DIR`` of the official SDK runs plugins written for the
official plugin API against a fresh ``FakeLMStudio``: the dev runner registers the plugin
(``registerDevelopmentPlugin``), its child process connects with the identity the fake
hands out, sends config schematics, opens its hook, and answers the tool calls and
preprocess requests the fake sends. A run passes only with zero ``communicationWarning``
in either direction and no warning logged by the official runner.

The plugins are our own fixtures in ``python/plugins/`` (``tally-tools``, a tools
provider; ``bracket-prompt``, a prompt preprocessor), so the suite needs nothing but
PyPI. The official SDK's own examples (``dice-tool``, ``prompt-prefix``) are not in its
PyPI sdist: their variants here copy them from a local mirror of the official repository
and skip where there is none.

The official runner has no host option (it probes LM Studio's default ports): a
``sitecustomize.py`` on ``PYTHONPATH`` points the official client's probe at the fake's
port, in the dev runner and in the plugin process it starts.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import lmstudio as lms
from lmstudio.testing import FakeLMStudio, expected_tool_result_reply

from .harness import official_example_plugin, plugin_fixture

pytestmark = pytest.mark.timeout(600)

VERSION = "1.6.0b1"
READY_TIMEOUT = 60.0
SHIM = """\
import os
_port = os.environ.get("FAKE_LMSTUDIO_PORT")
if _port:
    import lmstudio.json_api as _json_api
    _json_api.ClientBase._DEFAULT_API_PORTS = (int(_port),)
"""
_COMPLAINT = re.compile(r"^(WARNING|CRITICAL):|UnknownMessage|communicationWarning", re.M)
TALLY = "conformance/tally-tools"
BRACKET = "conformance/bracket-prompt"

Served = tuple[FakeLMStudio, "OfficialRunner"]


class OfficialRunner:
    """``python -m lmstudio.plugin --dev DIR`` of the official SDK against ``server``."""

    def __init__(self, python: Path, folder: Path, server: FakeLMStudio, shim: Path) -> None:
        env = dict(os.environ, FAKE_LMSTUDIO_PORT=str(server.port), PYTHONPATH=str(shim))
        env.pop("VIRTUAL_ENV", None)
        self.process = subprocess.Popen(
            [str(python), "-m", "lmstudio.plugin", "--dev", str(folder)],
            cwd=folder.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.output, _ = self.process.communicate(timeout=10)
        return self.output


@pytest.fixture(scope="module")
def python(official_python_sdks: Callable[[str], Path]) -> Path:
    return official_python_sdks(VERSION)


@pytest.fixture
def shim(tmp_path: Path) -> Path:
    folder = tmp_path / "shim"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SHIM)
    return folder


@contextmanager
def _serve(python: Path, folder: Path, shim: Path, identifier: str, hook: str) -> Iterator[Served]:
    with FakeLMStudio() as server:
        runner = OfficialRunner(python, folder, server, shim)
        try:
            server.plugins.wait_ready(identifier, hooks=[hook]).result(READY_TIMEOUT)
            yield server, runner
        finally:
            output = runner.stop()
        assert server.warnings == [], server.warnings
        assert server.client_warnings == [], server.client_warnings
        assert not _COMPLAINT.findall(output), output


@pytest.fixture
def tally(python: Path, tmp_path: Path, shim: Path) -> Iterator[Served]:
    folder = plugin_fixture("tally-tools", tmp_path / "plugins")
    with _serve(python, folder, shim, TALLY, "toolsProvider") as served:
        yield served


@pytest.fixture
def bracket(python: Path, tmp_path: Path, shim: Path) -> Iterator[Served]:
    folder = plugin_fixture("bracket-prompt", tmp_path / "plugins")
    with _serve(python, folder, shim, BRACKET, "promptPreprocessor") as served:
        yield served


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the plugin did not get there in 10 s"
        time.sleep(0.01)


def _tool_statuses(server: FakeLMStudio) -> list[str]:
    """The ``toolCallStatus`` texts the plugin sent so far (calls still running included)."""
    packets = [r.message.get("message") for r in list(server.received)]
    return [
        p["statusText"]
        for p in packets
        if isinstance(p, dict) and p.get("type") == "toolCallStatus"
    ]


def _status_updates(server: FakeLMStudio) -> list[str]:
    calls = server.calls("plugins/processingHandleUpdate")
    return [c["parameter"]["update"]["state"]["status"] for c in calls]


# --- our official-API fixtures (always run) ---------------------------------------------


def test_tools_provider_registers_and_serves_tool_calls(tally: Served) -> None:
    server, _ = tally
    record = server.plugins.get(TALLY)
    assert record.dev and record.manifest["runner"] == "node"  # what the official runner sends
    fields = (record.config_schematics or {})["fields"]
    assert [(f["fullKey"], f["typeKey"], f["defaultValue"]) for f in fields] == [
        ("progress_label", "string", "step"),
        ("progress_steps", "numeric", 3),
        ("step_seconds", "numeric", 0.0),
        ("warn_after_first", "boolean", True),
    ]
    assert [f["typeParams"].get("int") for f in fields] == [None, True, False, None]
    assert record.global_config_schematics is None  # no GlobalConfigSchema: none sent
    session = server.plugins.tools_session(TALLY).result()
    assert [t["function"]["name"] for t in session.tools] == [
        "multiply",
        "tally",
        "refuse",
        "pause",
    ]
    multiply = session.tools[0]["function"]
    assert multiply["description"] == "Multiply the number a by the number b."
    assert sorted(multiply["parameters"]["properties"]) == ["a", "b"]
    outcome = session.call("multiply", {"a": 6, "b": 7}).result()
    assert outcome is not None and outcome.error is None
    assert outcome.result == {"product": 42}
    assert outcome.statuses == [] and outcome.warnings == []
    failed = session.call("refuse", {"reason": "testing"}).result()
    assert failed is not None and failed.result is None and failed.error is not None
    assert "refused on request: testing" in failed.error["title"]
    assert "refuse" in failed.error["title"]
    session.discard().result()


def test_tools_provider_reports_progress_and_aborts(tally: Served) -> None:
    server, _ = tally
    config = {"progress_label": "pass", "progress_steps": 2, "step_seconds": 0.05}
    session = server.plugins.tools_session(TALLY, plugin_config=config).result()
    outcome = session.call("tally", {"first": 1, "last": 4}).result()
    assert outcome is not None and outcome.error is None
    assert outcome.result == {"sum": 10}
    assert outcome.statuses == ["pass 1/2", "pass 2/2"]
    assert outcome.warnings == ["tally is slow on purpose"]
    session.discard().result()
    # A session of its own for the async tool: the official runner (1.6.0b1) runs a
    # session's calls in one task, where an async tool's context leaks into the next sync
    # tool call, which then fails on an assertion of the official SDK.
    pauses = server.plugins.tools_session(TALLY).result()
    quick = pauses.call("pause", {"seconds": 0.01}).result()
    assert quick is not None and quick.result == "paused 0.01 s"
    assert quick.statuses == ["pausing 0.01 s"] and quick.warnings == ["the pause ran to its end"]
    pending = pauses.call("pause", {"seconds": 30})
    _wait_for(lambda: "pausing 30 s" in _tool_statuses(server))  # the pause is under way
    pending.abort()
    assert pending.result() is None
    # the official runner serves a session's calls one at a time: this one is answered only
    # because the abort ended the 30 s pause
    after = pauses.call("pause", {"seconds": 0.02}).result(timeout=10)
    assert after is not None and after.result == "paused 0.02 s"
    pauses.discard().result()


def test_a_client_act_uses_the_provided_tools(tally: Served) -> None:
    server, _ = tally
    with lms.Client(server.api_host) as client:
        model = client.llm.model("fake/tools").result()
        with client.plugins.plugin_tools(TALLY).result() as tools:
            result = model.act("What is 6 times 7? Use the multiply tool.", tools).result()
    assert result.rounds == 2
    tool_result = result.chat.to_wire().messages[2].content[0].content
    assert '"product"' in tool_result and "42" in tool_result
    assert result.content == expected_tool_result_reply([tool_result])


def test_prompt_preprocessor_walks_a_status_block(bracket: Served) -> None:
    server, _ = bracket
    record = server.plugins.get(BRACKET)
    assert [f["fullKey"] for f in (record.config_schematics or {})["fields"]] == [
        "opening",
        "closing",
    ]
    assert [f["fullKey"] for f in (record.global_config_schematics or {})["fields"]] == [
        "show_progress",
        "seconds_per_state",
    ]
    outcome = server.plugins.preprocess(
        BRACKET,
        "Hello",
        plugin_config={"opening": "<<", "closing": ">>"},
        global_config={"show_progress": True, "seconds_per_state": 0.01},
    ).result()
    assert outcome.error is None and outcome.processed is not None
    assert [p["text"] for p in outcome.processed["content"]] == ["<<", "Hello", ">>"]
    updates = outcome.updates
    assert [u["type"] for u in updates] == [
        "status.create",
        *["status.update"] * 4,
        "status.create",
    ]
    assert [u["state"]["status"] for u in updates] == [
        "waiting",
        "loading",
        "waiting",
        "error",
        "done",
        "done",
    ]
    assert [u["state"]["text"] for u in updates][::5] == ["Queued", "Message bracketed"]
    assert len({u["id"] for u in updates[:5]}) == 1 and updates[5]["id"] != updates[0]["id"]


def test_prompt_preprocessor_without_progress_only_reports_done(bracket: Served) -> None:
    server, _ = bracket
    outcome = server.plugins.preprocess(BRACKET, "Hi").result()  # the schemas' defaults
    assert outcome.error is None and outcome.processed is not None
    assert [p["text"] for p in outcome.processed["content"]] == ["[", "Hi", "]"]
    assert [(u["type"], u["state"]["status"]) for u in outcome.updates] == [
        ("status.create", "done")
    ]


def test_prompt_preprocessor_aborts(bracket: Served) -> None:
    server, _ = bracket
    slow = {"show_progress": True, "seconds_per_state": 30.0}
    pending = server.plugins.preprocess(BRACKET, "Hello", global_config=slow)
    _wait_for(lambda: _status_updates(server) == ["waiting"])  # its status block is up
    pending.abort()
    outcome = pending.result()
    assert outcome.aborted and outcome.processed is None
    # after "aborted" the plugin marks its block canceled (notify_aborted), an rpc that
    # must be answered before the runner is stopped
    _wait_for(lambda: "canceled" in _status_updates(server))
    time.sleep(0.2)
    assert outcome.updates[-1]["state"] == {
        "status": "canceled",
        "text": "Stopped before bracketing",
    }


def test_a_prediction_routed_through_the_prompt_preprocessor(bracket: Served) -> None:
    server, _ = bracket
    server.plugins.route_predictions(BRACKET, plugin_config={"opening": "Say:", "closing": "!"})
    with lms.Client(server.api_host) as client:
        model = client.llm.model("fake/chat").result()
        # the fake joins a message's text parts with a newline (its reply rule 1)
        assert model.respond("Hello").result().content == "You said: Say:\nHello\n!"


# --- the official SDK's examples (need the mirror of its repository) -------------------


def test_the_official_dice_tool_example(python: Path, tmp_path: Path, shim: Path) -> None:
    folder = official_example_plugin("dice-tool", tmp_path / "plugins")
    with _serve(python, folder, shim, "lmstudio/py-dice-tool", "toolsProvider") as (server, _):
        record = server.plugins.get("lmstudio/py-dice-tool")
        keys = [f["fullKey"] for f in (record.config_schematics or {})["fields"]]
        assert keys == [
            "enable_inplace_status_demo",
            "inplace_status_duration",
            "restrict_die_types",
        ]
        config = {"inplace_status_duration": 0.3}
        session = server.plugins.tools_session(
            "lmstudio/py-dice-tool", plugin_config=config
        ).result()
        outcome = session.call("roll_dice", {"count": 3, "sides": 6}).result()
        assert outcome is not None and outcome.error is None
        assert len(outcome.result["rolls"]) == 3
        assert outcome.result["total"] == sum(outcome.result["rolls"])
        assert outcome.statuses == [
            "Display status update in UI.",
            "Post-warning status update in UI.",
        ]
        assert outcome.warnings == ["Display task warning in UI."]
        failed = session.call("roll_dice", {"count": 1, "sides": 7}).result()
        assert failed is not None and "not a conventional polyhedral die" in failed.error["title"]
        session.discard().result()


def test_the_official_prompt_prefix_example(python: Path, tmp_path: Path, shim: Path) -> None:
    folder = official_example_plugin("prompt-prefix", tmp_path / "plugins")
    with _serve(python, folder, shim, "lmstudio/prompt-prefix", "promptPreprocessor") as (
        server,
        _,
    ):
        demo = {"enable_inplace_status_demo": True, "inplace_status_duration": 0.2}
        outcome = server.plugins.preprocess(
            "lmstudio/prompt-prefix", "Hello", plugin_config={"prefix": ">> "}, global_config=demo
        ).result()
        assert outcome.error is None and outcome.processed is not None
        assert [p["text"] for p in outcome.processed["content"]] == [">> ", "Hello"]
        kinds = [u["type"] for u in outcome.updates]
        assert kinds[0] == "status.create" and kinds.count("status.update") == 5
        assert outcome.updates[-1]["state"]["status"] == "done"  # notify_done's own block
