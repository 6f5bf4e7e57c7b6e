"""Soak (issue 15, point 13): 1,000 mixed predictions leak nothing (``make soak``: 10,000)."""

from __future__ import annotations

import pytest

from benchmarks.soak import BOUNDS, run_soak


@pytest.mark.timeout(90)
def test_a_thousand_mixed_predictions_with_faults_leak_nothing() -> None:
    report = run_soak(1000, threads=3, fault_every=200, seed=15)
    assert report.excesses() == [], "\n".join(report.lines())
    assert sum(report.outcomes.values()) == 1000
    assert sum(report.faults.values()) == 5
    assert {"block", "stream", "cancel", "await"} <= set(report.outcomes)
    assert report.after.pending_calls == 0
    assert BOUNDS["pending_calls"] == 0
