"""Plugins written for the official SDK's plugin API run on this runner.

Our own official-API fixtures (``tests/conformance/python/plugins/``, which the official
runner also serves in ``tests/conformance/test_official_plugins.py``) always run; the
official dice-tool example is copied from a local mirror of the official repository at
test time (never into this one) and skips where there is none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lmstudio.testing import FakeLMStudio
from tests.conformance.harness import official_example_plugin, plugin_fixture

from .running import running_plugin

pytest_plugins = ["tests.styles"]
pytestmark = pytest.mark.timeout(60)


def test_the_tools_fixture_runs_unchanged(server: FakeLMStudio, tmp_path: Path) -> None:
    folder = plugin_fixture("tally-tools", tmp_path)
    with running_plugin(server, folder, ("toolsProvider",)) as plugin:
        record = server.plugins.get(plugin.identifier)
        assert [f["fullKey"] for f in record.config_schematics["fields"]] == [
            "progress_label",
            "progress_steps",
            "step_seconds",
            "warn_after_first",
        ]
        config = {"progress_label": "pass", "progress_steps": 2}
        session = server.plugins.tools_session(plugin.identifier, plugin_config=config).result()
        assert [t["function"]["name"] for t in session.tools] == [
            "multiply",
            "tally",
            "refuse",
            "pause",
        ]
        product = session.call("multiply", {"a": 6, "b": 7}).result()
        assert product is not None and product.result == {"product": 42}
        summed = session.call("tally", {"first": 1, "last": 4}).result()
        assert summed is not None and summed.result == {"sum": 10}
        assert summed.statuses == ["pass 1/2", "pass 2/2"]
        assert summed.warnings == ["tally is slow on purpose"]
        failed = session.call("refuse", {"reason": "testing"}).result()
        assert failed is not None and "refused on request: testing" in failed.error["title"]
        paused = session.call("pause", {"seconds": 0.01}).result()
        assert paused is not None and paused.result == "paused 0.01 s"
        assert paused.statuses == ["pausing 0.01 s"]
        assert paused.warnings == ["the pause ran to its end"]
        pending = session.call("pause", {"seconds": 30})
        pending.abort()
        assert pending.result() is None
        session.discard().result()


def test_the_preprocessor_fixture_runs_with_the_documented_edit(
    server: FakeLMStudio, tmp_path: Path
) -> None:
    folder = plugin_fixture("bracket-prompt", tmp_path)
    # README's porting note: messages are this SDK's structs, so the official
    # ``message.to_dict()`` becomes ``msgspec.to_builtins(message)``. The only edit.
    source = folder / "src" / "plugin.py"
    original = source.read_text(encoding="utf-8")
    assert original.count("message.to_dict()") == 1
    ported = original.replace("message.to_dict()", "msgspec.to_builtins(message)")
    source.write_text(ported.replace("import asyncio\n", "import asyncio\n\nimport msgspec\n", 1))
    with running_plugin(server, folder, ("promptPreprocessor",)) as plugin:
        record = server.plugins.get(plugin.identifier)
        assert [f["fullKey"] for f in record.global_config_schematics["fields"]] == [
            "show_progress",
            "seconds_per_state",
        ]
        outcome = server.plugins.preprocess(
            plugin.identifier,
            "Hello",
            plugin_config={"opening": "<<", "closing": ">>"},
            global_config={"show_progress": True},
        ).result()
        assert outcome.error is None and outcome.processed is not None
        assert [p["text"] for p in outcome.processed["content"]] == ["<<", "Hello", ">>"]
        assert [u["state"]["status"] for u in outcome.updates] == [
            "waiting",
            "loading",
            "waiting",
            "error",
            "done",
            "done",
        ]
        pending = server.plugins.preprocess(
            plugin.identifier, "Hi", global_config={"show_progress": True, "seconds_per_state": 30}
        )
        pending.abort()
        assert pending.result().aborted


def test_the_official_dice_tool_runs_unchanged(server: FakeLMStudio, tmp_path: Path) -> None:
    folder = official_example_plugin("dice-tool", tmp_path)
    with running_plugin(server, folder, ("toolsProvider",)) as plugin:
        record = server.plugins.get(plugin.identifier)
        assert [f["fullKey"] for f in record.config_schematics["fields"]] == [
            "enable_inplace_status_demo",
            "inplace_status_duration",
            "restrict_die_types",
        ]
        config = {"inplace_status_duration": 0.3}
        session = server.plugins.tools_session(plugin.identifier, plugin_config=config).result()
        outcome = session.call("roll_dice", {"count": 2, "sides": 6}).result()
        assert outcome is not None and outcome.error is None
        assert len(outcome.result["rolls"]) == 2
        assert outcome.statuses == [
            "Display status update in UI.",
            "Post-warning status update in UI.",
        ]
        assert outcome.warnings == ["Display task warning in UI."]
