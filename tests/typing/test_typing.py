"""``mypy --strict`` on the typing examples: Call/Stream types resolve as documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_typing_examples() -> None:
    examples = HERE / "typing_examples.py"
    mistakes = HERE / "typing_mistakes.py"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            str(examples),
            str(mistakes),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    reported = set()
    for line in done.stdout.splitlines():
        found = re.match(r"(.+?):(\d+): error:", line)
        assert found, f"unexpected mypy output: {line}"
        assert Path(found[1]).name == mistakes.name, line
        reported.add(int(found[2]))
    expected = {
        number
        for number, text in enumerate(mistakes.read_text().splitlines(), start=1)
        if text.endswith("# error")
    }
    assert reported == expected, done.stdout
