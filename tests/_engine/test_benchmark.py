"""The latency benchmark still runs (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--calls",
            "20",
            "--fragments",
            "50",
            "--repeat",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "x raw" in done.stdout
    figures = json.loads(out.read_text())
    assert set(figures["rpc_ratio"]) == {"sdk_block", "sdk_await"}
    assert set(figures["stream_ratio"]) == {"sdk_iterate", "sdk_async_iterate"}
