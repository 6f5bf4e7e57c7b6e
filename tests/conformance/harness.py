"""Install LM Studio's official clients on demand and run them against the fake server.

The official clients are test-only dependencies that live outside our virtual environment:

- the Python SDK (PyPI ``lmstudio``, which shares our import name) in one virtual
  environment per version, ``.cache/conformance/python-<version>/``, from the pinned
  ``python/requirements-<version>.txt``;
- the TypeScript SDK (npm ``@lmstudio/sdk``, two versions under npm aliases) installed with
  ``npm ci`` from the committed ``node/package.json`` and ``node/package-lock.json`` into
  ``.cache/conformance/node/``.

Installation happens once per machine (a stamp file records what was installed, so a warm
run costs a hash of two small files) under an exclusive file lock, so concurrent pytest
processes cannot corrupt it. An unreachable registry or a missing Node.js FAILS the tests
with the reason: CI has to prove conformance, not skip it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lmstudio.testing import FakeLMStudio

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = Path(os.environ.get("LMSTUDIO_CONFORMANCE_CACHE", ROOT / ".cache" / "conformance"))
PYTHON_SDK_VERSIONS = ("1.5.0", "1.6.0b1")
NODE_SDK_VERSIONS = ("1.5.0", "2.0.0")
INSTALL_TIMEOUT = 600.0
# Every step of a script has its own timeout (a hung official call costs one step, not the
# run); the whole script gets a ceiling on top.
STEP_TIMEOUT = 20.0
RUN_TIMEOUT = 240.0
_SCRUBBED_ENV = {"PYTHONPATH", "PYTHONHOME", "LMSTUDIO_API_TOKEN", "LM_API_TOKEN"}


class InstallError(Exception):
    """The official client could not be installed (no registry, no Node.js...)."""


@contextlib.contextmanager
def _locked(name: str, cache: Path = CACHE) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _run_install(command: list[str], cwd: Path, what: str, registry: str = "PyPI") -> None:
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{what}: `{' '.join(command)}` failed: {exc}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-3000:]
        raise InstallError(
            f"{what}: `{' '.join(command)}` exited with {done.returncode} "
            f"(is the package registry ({registry}) reachable?):\n{output}"
        )


def python_sdk_requirements(version: str) -> Path:
    """The pinned requirements of the official Python SDK ``version``."""
    return HERE / "python" / f"requirements-{version}.txt"


def ensure_python_sdk(version: str, cache: Path = CACHE) -> Path:
    """The python interpreter of a venv under ``cache`` with the official Python SDK ``version``.

    The benchmarks install the official SDK they measure with this too.
    """
    requirements = python_sdk_requirements(version)
    venv = cache / f"python-{version}"
    python = venv / "bin" / "python"
    stamp = venv / ".conformance-stamp"
    wanted = _fingerprint(requirements.read_bytes(), sys.version.encode())
    with _locked(f"python-{version}", cache):
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        shutil.rmtree(venv, ignore_errors=True)
        what = f"installing the official Python SDK lmstudio=={version} from PyPI"
        print(f"{what} into {venv} (once)...", file=sys.stderr, flush=True)
        _run_install([sys.executable, "-m", "venv", str(venv)], cache, what)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--no-input"]
        _run_install(
            [
                *pip,
                "install",
                "--quiet",
                "--timeout",
                "30",
                "--retries",
                "2",
                "-r",
                str(requirements),
            ],
            cache,
            what,
        )
        stamp.write_text(wanted)
        return python


def ensure_node_sdks() -> Path:
    """The ``node_modules`` folder holding ``sdk-<version>`` for every TypeScript SDK."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise InstallError(
            "the TypeScript conformance tests need Node.js and npm on PATH "
            f"(found node={node}, npm={npm})"
        )
    source = HERE / "node"
    target = CACHE / "node"
    manifest = (source / "package.json").read_bytes()
    lock = (source / "package-lock.json").read_bytes()
    node_version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    wanted = _fingerprint(manifest, lock, node_version.encode())
    stamp = target / ".conformance-stamp"
    with _locked("node"):
        modules = target / "node_modules"
        if modules.is_dir() and stamp.exists() and stamp.read_text() == wanted:
            return modules
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        (target / "package.json").write_bytes(manifest)
        (target / "package-lock.json").write_bytes(lock)
        npm_ci = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        _run_install(
            [*npm_ci, "--fetch-timeout=30000", "--fetch-retries=2"],
            target,
            "installing the official TypeScript SDKs with npm ci",
            registry="npm",
        )
        stamp.write_text(wanted)
        return modules


@dataclass
class ConformanceRun:
    """What one official client did against a fresh fake server, and what the server saw."""

    report: dict[str, Any]
    stdout: str
    stderr: str
    returncode: int
    server_warnings: list[str]
    client_warnings: list[dict[str, Any]]
    server_client_warnings: list[str]
    notifications: list[dict[str, Any]]
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def describe(self) -> str:
        """A summary for assertion messages."""
        return (
            f"client {self.report.get('client')} {self.report.get('sdk_version') or self.report.get('sdkVersion')}"
            f"\nexit code {self.returncode}\nstderr tail:\n{self.stderr[-2000:]}"
        )


def run_against_fake(
    command: Callable[[str, Path], list[str]],
    setup: Callable[[FakeLMStudio], object] | None = None,
    catalog: Any = None,
) -> ConformanceRun:
    """Start a fresh fake server, run ``command(api_host, report_path)`` against it.

    ``setup(server)`` may prepare the server first (the judges' self-tests break it on
    purpose); ``catalog`` replaces the default catalog (the real-model run). The command
    runs from an empty temporary directory, without PYTHONPATH.
    """
    with (
        tempfile.TemporaryDirectory(prefix="lms-conformance-") as tmp,
        FakeLMStudio(catalog=catalog) as server,
    ):
        if setup is not None:
            setup(server)
        # The default pace (a fast local model): a cancel lands mid-stream, as with LM Studio.
        report_path = Path(tmp) / "report.json"
        # No path to this repository, and no API token a developer may have set (the fake
        # takes any client; a malformed token would fail the official client up front).
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        try:
            done = subprocess.run(
                command(server.api_host, report_path),
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
            stdout, stderr, returncode = done.stdout, done.stderr, done.returncode
        except subprocess.TimeoutExpired as exc:
            stdout = _text(exc.stdout)
            stderr = _text(exc.stderr) + f"\n[killed after {RUN_TIMEOUT} s]"
            returncode = -1
        report: dict[str, Any] = {}
        if report_path.exists():
            report = json.loads(report_path.read_text(encoding="utf-8"))
        received = [(m.namespace, dict(m.message)) for m in server.received]
        # Every frame the client sent is on record: its communicationWarnings among them.
        client_warnings = [
            {"namespace": namespace, **message}
            for namespace, message in received
            if message.get("type") == "communicationWarning"
        ]
        return ConformanceRun(
            report=report,
            stdout=stdout,
            stderr=stderr,
            returncode=returncode,
            server_warnings=list(server.warnings),
            client_warnings=client_warnings,
            server_client_warnings=list(server.client_warnings),
            notifications=list(server.notifications),
            received=received,
        )


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


# Plugins written for the official SDK's plugin API. Our own fixtures (``python/plugins/``)
# are always there; the official SDK's example plugins are only in a local git mirror of
# its repository (not in its PyPI sdist), which a new machine may not have.
PLUGIN_FIXTURES = HERE / "python" / "plugins"
OFFICIAL_PYTHON_REPO = Path(
    os.environ.get(
        "LMSTUDIO_OFFICIAL_PYTHON_REPO", "/work/.mirror/lmstudio-ai+lmstudio-python/repo"
    )
)


def plugin_fixture(name: str, target: Path) -> Path:
    """A copy in ``target`` of our official-API plugin fixture ``python/plugins/<name>``."""
    return Path(shutil.copytree(PLUGIN_FIXTURES / name, target / name))


def official_example_plugin(name: str, target: Path) -> Path:
    """A copy in ``target`` of the official SDK's example plugin ``examples/plugins/<name>``,
    taken from the mirror of its repository (never copied into this one).

    Skips the test when the mirror is missing (``LMSTUDIO_OFFICIAL_PYTHON_REPO`` points
    elsewhere): our own fixtures cover the same ground without it.
    """
    if not OFFICIAL_PYTHON_REPO.exists():
        pytest.skip(
            f"the official Python SDK repository (its example plugins) is not at "
            f"{OFFICIAL_PYTHON_REPO}; set LMSTUDIO_OFFICIAL_PYTHON_REPO to a clone"
        )
    folder = target / name
    for part in ("manifest.json", "src/plugin.py"):
        shown = subprocess.run(
            [
                "git",
                "-C",
                str(OFFICIAL_PYTHON_REPO),
                "show",
                f"HEAD:examples/plugins/{name}/{part}",
            ],
            capture_output=True,
            check=True,
            timeout=30,
        )
        (folder / part).parent.mkdir(parents=True, exist_ok=True)
        (folder / part).write_bytes(shown.stdout)
    return folder
