"""``import lmstudio`` stays cheap: the heavy modules load when first used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEAVY = ("msgspec", "websockets", "asyncio", "lmstudio._protocol")


def run(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )


def loaded_after(code: str) -> set[str]:
    """``sys.modules`` once ``code`` ran in a fresh interpreter."""
    done = run(f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))")
    return set(json.loads(done.stdout.splitlines()[-1]))


def heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith(HEAVY)}


def test_importtime_of_import_lmstudio() -> None:
    done = run("import lmstudio", "-X", "importtime")
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "lmstudio" in imported  # the measurement works
    assert heavy(imported) == set()
    assert {m for m in imported if m.startswith("lmstudio.")} == {"lmstudio._exports"}


def test_import_lmstudio_loads_no_submodule() -> None:
    modules = loaded_after("import lmstudio")
    # only the table of public names, which imports nothing
    assert {m for m in modules if m.startswith("lmstudio.")} == {"lmstudio._exports"}
    assert heavy(modules) == set()


def test_a_client_loads_no_protocol_and_no_io_until_used() -> None:
    modules = loaded_after("import lmstudio\nclient = lmstudio.Client()")
    assert "lmstudio._client" in modules
    assert heavy(modules) == set()
    assert "lmstudio._resources.llm" not in modules  # namespaces load on first use


def test_a_client_with_a_host_loads_no_io_until_used() -> None:
    modules = loaded_after("import lmstudio\nclient = lmstudio.Client('ws://localhost:1234')")
    assert "lmstudio._engine.target" in modules  # the host was parsed
    assert heavy(modules) == set()
    assert "lmstudio._engine.connection" not in modules


def test_a_public_name_loads_its_module() -> None:
    modules = loaded_after("import lmstudio\nlmstudio.Chat")
    assert {"lmstudio._data.history", "msgspec", "lmstudio._protocol.models"} <= modules
    assert "websockets" not in modules and "asyncio" not in modules
