"""Every public name of LM Studio's official Python SDK is a name of ours, or listed as left out.

The official SDK (installed by the conformance harness in its own venv, since it shares our
import name) prints its names in a subprocess. The README's "Names from LM Studio's official
SDK" table lists the names left out, with the reason: the test reads that table, so the list
exists once.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import lmstudio

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ("1.5.0", "1.6.0b1")
DUMP = "import json, lmstudio; print(json.dumps(sorted(n for n in dir(lmstudio) if n[:1] != '_')))"


def left_out() -> set[str]:
    """The official names the README lists as left out (first column of its table)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Names from LM Studio's official SDK", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            first = row.split("|")[1]
            names.update(re.findall(r"`(\w+)`", first))
    assert names, "the README's table of names left out is missing"
    return names


@pytest.fixture(scope="module")
def official_names(
    official_python_sdks: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for version in VERSIONS:
        done = subprocess.run(
            [str(official_python_sdks(version)), "-I", "-c", DUMP],
            capture_output=True,
            text=True,
            cwd=tmp_path_factory.mktemp("names"),
            timeout=120,
            check=True,
        )
        found[version] = set(json.loads(done.stdout))
        assert {"Client", "llm", "Chat", "LMStudioServerError"} <= found[version]  # it works
    return found


@pytest.mark.parametrize("version", VERSIONS)
def test_every_official_name_is_ours_or_listed_as_left_out(
    official_names: dict[str, set[str]], version: str
) -> None:
    missing = official_names[version] - set(lmstudio.__all__) - left_out()
    assert not missing, f"official names neither exported nor listed in the README: {missing}"


def test_the_left_out_list_is_exact(official_names: dict[str, set[str]]) -> None:
    listed = left_out()
    assert not listed & set(lmstudio.__all__), "the README lists as left out a name we export"
    every = set().union(*official_names.values())
    assert listed <= every, (
        f"the README lists names the official SDK does not have: {listed - every}"
    )


def test_async_twins_are_the_same_classes() -> None:
    assert lmstudio.AsyncClient is lmstudio.Client
    assert lmstudio.AsyncLLM is lmstudio.LLM
    assert lmstudio.AsyncEmbeddingModel is lmstudio.EmbeddingModel
    assert lmstudio.AsyncPredictionStream is lmstudio.PredictionStream
    assert lmstudio.LlmPredictionFragment is lmstudio.PredictionFragment
    assert issubclass(lmstudio.LLM, lmstudio.SyncModelHandle)
