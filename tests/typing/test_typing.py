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
        if re.match(r".+?:\d+: note:", line):
            continue  # the detail of an error (overload variants...)
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


GENERATED = re.compile(r"\w*(Rpc|Channel)\w*(Returns|Parameter|Packet)\b|ChatMessage(Part|Data)\w*")


def test_public_results_reveal_public_names() -> None:
    reveals = HERE / "typing_public_names.py"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(reveals)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    revealed: dict[int, str] = {}
    for line in done.stdout.splitlines():
        found = re.match(r'.+?:(\d+): note: Revealed type is "(.+)"$', line)
        assert found, f"unexpected mypy output: {line}"
        revealed[int(found[1])] = found[2]
    expected = {
        number: text.rsplit("# ", 1)[1]
        for number, text in enumerate(reveals.read_text().splitlines(), start=1)
        if text.strip().startswith("reveal_type(")
    }
    assert revealed == expected
    assert not [text for text in revealed.values() if GENERATED.search(text)]
