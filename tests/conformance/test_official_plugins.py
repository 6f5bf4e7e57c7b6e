"""LM Studio's official plugin runner (PyPI ``lmstudio`` 1.6.0b1) judges the fake's host side.

``python -m lmstudio.plugin --dev DIR`` of the official SDK runs the official example
plugins ``dice-tool`` (a tools provider) and ``prompt-prefix`` (a prompt preprocessor),
copied at test time from the official repository into a temporary folder (never into
this repository), against a fresh ``FakeLMStudio``: the dev runner registers the plugin
(``registerDevelopmentPlugin``), its child process connects with the identity the fake
hands out, sends config schematics, opens its hook, and answers the tool calls and
preprocess requests the fake sends. A run passes only with zero ``communicationWarning``
in either direction and no warning logged by the official runner.

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
from pathlib import Path

import pytest

import lmstudio as lms
from lmstudio.testing import FakeLMStudio, expected_tool_result_reply

pytestmark = pytest.mark.timeout(600)

VERSION = "1.6.0b1"
OFFICIAL_REPO = Path(
    os.environ.get(
        "LMSTUDIO_OFFICIAL_PYTHON_REPO", "/work/.mirror/lmstudio-ai+lmstudio-python/repo"
    )
)
READY_TIMEOUT = 60.0
SHIM = """\
import os
_port = os.environ.get("FAKE_LMSTUDIO_PORT")
if _port:
    import lmstudio.json_api as _json_api
    _json_api.ClientBase._DEFAULT_API_PORTS = (int(_port),)
"""
_COMPLAINT = re.compile(r"^(WARNING|CRITICAL):|UnknownMessage|communicationWarning", re.M)


def _copy_example(name: str, target: Path) -> Path:
    """The official example plugin ``name``, copied from the official repository."""
    if not OFFICIAL_REPO.exists():
        pytest.fail(
            f"the official Python SDK repository is expected at {OFFICIAL_REPO} "
            "(set LMSTUDIO_OFFICIAL_PYTHON_REPO)",
            pytrace=False,
        )
    folder = target / name
    for part in ("manifest.json", "src/plugin.py"):
        shown = subprocess.run(
            ["git", "-C", str(OFFICIAL_REPO), "show", f"HEAD:examples/plugins/{name}/{part}"],
            capture_output=True,
            check=True,
            timeout=30,
        )
        (folder / part).parent.mkdir(parents=True, exist_ok=True)
        (folder / part).write_bytes(shown.stdout)
    return folder


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


def _run(
    python: Path, tmp_path: Path, shim: Path, example: str, identifier: str, hook: str
) -> Iterator[tuple[FakeLMStudio, OfficialRunner]]:
    folder = _copy_example(example, tmp_path / "plugins")
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
def dice(python: Path, tmp_path: Path, shim: Path) -> Iterator[tuple[FakeLMStudio, OfficialRunner]]:
    yield from _run(python, tmp_path, shim, "dice-tool", "lmstudio/py-dice-tool", "toolsProvider")


@pytest.fixture
def prefix(
    python: Path, tmp_path: Path, shim: Path
) -> Iterator[tuple[FakeLMStudio, OfficialRunner]]:
    yield from _run(
        python, tmp_path, shim, "prompt-prefix", "lmstudio/prompt-prefix", "promptPreprocessor"
    )


NO_DEMO = {"enable_inplace_status_demo": False}


def test_dice_tool_registers_and_serves_tool_calls(
    dice: tuple[FakeLMStudio, OfficialRunner],
) -> None:
    server, _ = dice
    record = server.plugins.get("lmstudio/py-dice-tool")
    assert record.dev and record.manifest["runner"] == "node"  # what the official runner sends
    keys = [f["fullKey"] for f in (record.config_schematics or {})["fields"]]
    assert keys == ["enable_inplace_status_demo", "inplace_status_duration", "restrict_die_types"]
    session = server.plugins.tools_session("lmstudio/py-dice-tool", plugin_config=NO_DEMO).result()
    assert [t["function"]["name"] for t in session.tools] == ["roll_dice"]
    outcome = session.call("roll_dice", {"count": 3, "sides": 6}).result()
    assert outcome is not None and outcome.error is None
    assert len(outcome.result["rolls"]) == 3
    assert all(1 <= r <= 6 for r in outcome.result["rolls"])
    assert outcome.result["total"] == sum(outcome.result["rolls"])
    failed = session.call("roll_dice", {"count": 1, "sides": 7}).result()
    assert failed is not None and "not a conventional polyhedral die" in failed.error["title"]
    session.discard().result()


def test_dice_tool_status_updates_and_abort(dice: tuple[FakeLMStudio, OfficialRunner]) -> None:
    server, _ = dice
    config = {"enable_inplace_status_demo": True, "inplace_status_duration": 0.3}
    session = server.plugins.tools_session("lmstudio/py-dice-tool", plugin_config=config).result()
    outcome = session.call("roll_dice", {"count": 1, "sides": 20}).result()
    assert outcome is not None
    assert outcome.statuses == ["Display status update in UI.", "Post-warning status update in UI."]
    assert outcome.warnings == ["Display task warning in UI."]
    slow = {"enable_inplace_status_demo": True, "inplace_status_duration": 3.0}
    slow_session = server.plugins.tools_session(
        "lmstudio/py-dice-tool", plugin_config=slow
    ).result()
    pending = slow_session.call("roll_dice", {"count": 1, "sides": 4})
    pending.abort()
    assert pending.result() is None
    slow_session.discard().result()
    session.discard().result()


def test_a_client_act_uses_the_official_dice_tool(
    dice: tuple[FakeLMStudio, OfficialRunner],
) -> None:
    server, _ = dice
    with lms.Client(server.api_host) as client:
        model = client.llm.model("fake/tools").result()
        with client.plugins.plugin_tools(
            "lmstudio/py-dice-tool", plugin_config=NO_DEMO
        ).result() as dice_tools:
            result = model.act(
                "Roll 2 dice with 6 sides. Use the roll_dice tool.", dice_tools
            ).result()
    assert result.rounds == 2
    tool_result = result.chat.to_wire().messages[2].content[0].content
    assert '"rolls"' in tool_result and '"total"' in tool_result
    assert result.content == expected_tool_result_reply([tool_result])


def test_prompt_prefix_preprocesses_with_status_blocks(
    prefix: tuple[FakeLMStudio, OfficialRunner],
) -> None:
    server, _ = prefix
    record = server.plugins.get("lmstudio/prompt-prefix")
    assert [f["fullKey"] for f in (record.config_schematics or {})["fields"]] == ["prefix"]
    assert record.global_config_schematics is not None
    demo = {"enable_inplace_status_demo": True, "inplace_status_duration": 0.2}
    outcome = server.plugins.preprocess(
        "lmstudio/prompt-prefix", "Hello", plugin_config={"prefix": ">> "}, global_config=demo
    ).result()
    assert outcome.error is None and outcome.processed is not None
    assert [p["text"] for p in outcome.processed["content"]] == [">> ", "Hello"]
    kinds = [u["type"] for u in outcome.updates]
    assert kinds[0] == "status.create" and kinds.count("status.update") == 5
    assert outcome.updates[-1]["state"]["status"] == "done"  # notify_done's own block


def _status_updates(server: FakeLMStudio) -> list[str]:
    calls = server.calls("plugins/processingHandleUpdate")
    return [c["parameter"]["update"]["state"]["status"] for c in calls]


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the plugin did not get there in 10 s"
        time.sleep(0.01)


def test_prompt_prefix_aborts(prefix: tuple[FakeLMStudio, OfficialRunner]) -> None:
    server, _ = prefix
    slow = {"enable_inplace_status_demo": True, "inplace_status_duration": 30.0}
    pending = server.plugins.preprocess("lmstudio/prompt-prefix", "Hello", global_config=slow)
    _wait_for(lambda: _status_updates(server) == ["waiting"])  # its status block is up
    pending.abort()
    outcome = pending.result()
    assert outcome.aborted
    # after "aborted" the plugin marks its block canceled (notify_aborted), an rpc that
    # must be answered before the runner is stopped
    _wait_for(lambda: "canceled" in _status_updates(server))
    time.sleep(0.2)
    assert outcome.updates[-1]["state"]["status"] == "canceled"


def test_a_prediction_routed_through_prompt_prefix(
    prefix: tuple[FakeLMStudio, OfficialRunner],
) -> None:
    server, _ = prefix
    server.plugins.route_predictions(
        "lmstudio/prompt-prefix", plugin_config={"prefix": "Say: "}, global_config=NO_DEMO
    )
    with lms.Client(server.api_host) as client:
        model = client.llm.model("fake/chat").result()
        # the fake joins a message's text parts with a newline (its reply rule 1)
        assert model.respond("Hello").result().content == "You said: Say: \nHello"
