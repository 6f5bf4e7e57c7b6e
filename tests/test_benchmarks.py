"""The benchmark harness runs end to end (tiny counts); no timing is ever asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.harness import percentile, summary

ROOT = Path(__file__).resolve().parents[1]


def run_bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=240,
    )


def test_quick_run_prints_the_table_and_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = run_bench("--quick", "--skip-official", "--json", str(out))
    assert done.returncode == 0, done.stderr
    for title in (
        "round trip:",
        "streaming:",
        "concurrency:",
        "import time",
        "one-shot script",
        "threads and",
    ):
        assert title in done.stdout, title
    assert "scaling: fragments per stream" in done.stdout
    assert "targets (issue 6)" in done.stdout
    figures = json.loads(out.read_text())
    assert set(figures["rpc"]["us"]) == {"raw", "ours_block", "ours_await"}
    assert set(figures["stream"]["fragments_per_s"]) == {"raw", "ours_for", "ours_async"}
    assert set(figures["concurrent"]["seconds"]) == {"ours_gather", "ours_futures"}
    assert figures["many"]["streams"] == 20
    assert set(figures["imports"]["ms"]) == {"ours", "ours_client", "ours_protocol", "ours_io"}
    assert set(figures["oneshot"]["wall_ms"]) == {"floor", "ours"}
    assert figures["oneshot"]["cpu_ms"]["ours"]["median"] > 0
    threads = figures["resources"]["threads"]["ours"]
    assert {t["clients"] for t in threads.values()} == {1, 4}
    assert set(figures["scaling"]["upload_seconds"]["10000"]) == {"ours", "raw"}
    assert figures["meta"]["apis"]["predictions"]


def test_one_section_only(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = run_bench("--quick", "--skip-official", "--only", "rpc", "--json", str(out))
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    assert set(figures) == {"meta", "rpc"}
    assert "streaming:" not in done.stdout


def test_unknown_section_is_refused() -> None:
    done = run_bench("--only", "rpc,nope")
    assert done.returncode == 2
    assert "unknown sections: nope" in done.stderr


def test_unreachable_registry_is_a_clear_error(tmp_path: Path) -> None:
    env = {
        "LMSTUDIO_BENCH_CACHE": str(tmp_path / "cache"),
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",  # nothing listens on the discard port
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
    }
    done = run_bench("--quick", "--only", "rpc", env=env)
    assert done.returncode == 2, done.stdout
    assert "installing the official Python SDK lmstudio==" in done.stderr
    assert "is the package registry (PyPI) reachable?" in done.stderr
    assert "--skip-official" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([1.0], 0.99, 1.0), ([1.0, 2.0, 3.0, 4.0, 5.0], 0.5, 3.0), ([0.0, 10.0], 0.99, 9.9)],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_summary() -> None:
    found = summary([3.0, 1.0, 2.0])
    assert (found["median"], found["min"], found["max"], found["n"]) == (2.0, 1.0, 3.0, 3)
