"""An official-SDK plugin runs on this runner: the official dice-tool example, copied from
the official repository at test time (never into this one), served as it is."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lmstudio.testing import FakeLMStudio

from .running import running_plugin

pytest_plugins = ["tests.styles"]
pytestmark = pytest.mark.timeout(60)

OFFICIAL_REPO = Path(
    os.environ.get(
        "LMSTUDIO_OFFICIAL_PYTHON_REPO", "/work/.mirror/lmstudio-ai+lmstudio-python/repo"
    )
)


def _official_example(name: str, target: Path) -> Path:
    if not OFFICIAL_REPO.exists():
        pytest.skip(f"the official Python SDK repository is not at {OFFICIAL_REPO}")
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


def test_the_official_dice_tool_runs_unchanged(server: FakeLMStudio, tmp_path: Path) -> None:
    folder = _official_example("dice-tool", tmp_path)
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
