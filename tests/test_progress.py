"""Progress bars for loading: the plain bar and tqdm's, drawn where the call is consumed."""

from __future__ import annotations

import io

import pytest

import lmstudio as lms
from lmstudio.testing import FakeLMStudio


def test_the_plain_bar_draws_and_ends_once() -> None:
    out = io.StringIO()
    bar = lms.progress_bar("Loading x", file=out, tqdm=False)
    for progress in (0.0, 0.5, 0.25, 1.0, 1.0):  # going back and repeats are ignored
        bar(progress)
    text = out.getvalue()
    assert text.endswith("Loading x [" + "#" * 30 + "] 100%\n")
    assert text.count("\n") == 1
    assert text.startswith("\rLoading x [" + "." * 30 + "]   0%")  # later redraws are throttled


def test_a_download_update_counts_bytes() -> None:
    out = io.StringIO()
    bar = lms.progress_bar(file=out, tqdm=False)

    class Update:
        downloaded_bytes, total_bytes = 1, 4

    bar(Update())
    bar.close()
    assert "25%" in out.getvalue()


def test_tqdm_draws_when_installed() -> None:
    pytest.importorskip("tqdm")
    out = io.StringIO()
    bar = lms.progress_bar("Loading y", file=out, tqdm=True)
    bar(0.5)
    bar(1.0)
    assert "Loading y" in out.getvalue() and "1000/1000" in out.getvalue()


def test_show_progress_draws_a_bar_while_loading(
    fake_lmstudio: FakeLMStudio, ms: float, capsys: pytest.CaptureFixture[str]
) -> None:
    with lms.Client(fake_lmstudio.api_host) as client:
        model = client.llm.load_new_instance("fake/chat", "shown", show_progress=True)
        assert model.result(5000 * ms).identifier == "shown"
    err = capsys.readouterr().err
    assert "Loading fake/chat" in err and "100%" in err


def test_on_load_progress_wins_over_show_progress(
    fake_lmstudio: FakeLMStudio, ms: float, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[float] = []
    with lms.Client(fake_lmstudio.api_host) as client:
        client.llm.load_new_instance(
            "fake/chat", "mine", show_progress=True, on_load_progress=seen.append
        ).result(5000 * ms)
    assert seen[-1] == 1.0
    assert "Loading" not in capsys.readouterr().err
