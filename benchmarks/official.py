"""Install LM Studio's official Python SDK on demand, in its own virtual environment.

The official SDK (PyPI ``lmstudio``) shares this project's import name, so it lives in
``.cache/bench/official-<version>/`` (git-ignored), installed from the pinned
``requirements-official.txt``. Installing is idempotent: a stamp records what was
installed (the requirements and the Python version), so a warm run costs a hash of one
small file; an exclusive file lock keeps concurrent runs from corrupting it. When the
package registry cannot be reached, :class:`InstallError` says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CACHE", "VERSION", "InstallError", "ensure_official"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = Path(os.environ.get("LMSTUDIO_BENCH_CACHE", ROOT / ".cache" / "bench"))
REQUIREMENTS = HERE / "requirements-official.txt"
VERSION = re.search(r"^lmstudio==(\S+)", REQUIREMENTS.read_text(), re.M).group(1)  # type: ignore[union-attr]
INSTALL_TIMEOUT = 600.0


class InstallError(Exception):
    """The official SDK could not be installed (registry unreachable, no venv module...)."""


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
            cwd=CACHE,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{what}: `{' '.join(command)}` failed: {exc}") from None
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-2000:]
        raise InstallError(
            f"{what}: `{' '.join(command)}` exited with status {done.returncode}; "
            f"is the package registry (PyPI) reachable?\n{output}"
        )


def ensure_official() -> Path:
    """The interpreter of a virtual environment holding the official SDK (installed if needed)."""
    requirements = REQUIREMENTS.read_bytes()
    venv = CACHE / f"official-{VERSION}"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = venv / ".bench-stamp"
    wanted = hashlib.sha256(requirements + sys.version.encode()).hexdigest()
    with _locked(CACHE / f".official-{VERSION}.lock"):
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        shutil.rmtree(venv, ignore_errors=True)
        what = f"installing the official Python SDK lmstudio=={VERSION} into {venv}"
        print(f"{what} (once)...", file=sys.stderr, flush=True)
        _run([sys.executable, "-m", "venv", str(venv)], what)
        _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "--timeout",
                "30",
                "--retries",
                "2",
                "-r",
                str(REQUIREMENTS),
            ],
            what,
        )
        stamp.write_text(wanted)
        return python
