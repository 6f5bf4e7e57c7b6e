"""Child processes of the harness: the fake server and one worker per client under test."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["BenchError", "Server", "Worker"]

ROOT = Path(__file__).resolve().parents[1]


class BenchError(Exception):
    """A child process failed or did not answer in time."""


def _readline(stream: IO[bytes], timeout: float, what: str) -> bytes:
    """One line from a child's pipe, or :class:`BenchError` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise BenchError(f"{what}: no answer within {timeout:g} s")
            line = stream.readline()
            if not line:
                raise BenchError(f"{what}: the process ended")
            return line


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Server:
    """``python -m lmstudio.testing --port 0`` in its own process."""

    def __init__(
        self,
        *,
        fragment_delay: float = 0.0,
        start_timeout: float = 60.0,
        catalog: Path | None = None,
    ) -> None:
        command = [sys.executable, "-m", "lmstudio.testing", "--port", "0"]
        command += ["--catalog", str(catalog)] if catalog is not None else []
        # Unlimited unless asked: the fake's default pace (a fast local model) would measure
        # the pace, not the clients.
        command += ["--fragment-delay", str(fragment_delay)] if fragment_delay else ["--unlimited"]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert self.proc.stdout is not None
            line = _readline(self.proc.stdout, start_timeout, "the fake server").decode()
            if "listening on" not in line:
                raise BenchError(f"the fake server did not start: {line!r}")
        except BaseException:
            _stop(self.proc)
            raise
        self.host = line.rsplit(" ", 1)[1].strip()

    def close(self) -> None:
        _stop(self.proc)

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Worker:
    """A worker process answering JSON commands (see ``_worker.py``)."""

    def __init__(self, name: str, command: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # a worker's traceback or warning shows up in the harness's stderr
            cwd=cwd,
            env=env,
        )

    def call(self, op: str, timeout: float = 300.0, **arguments: Any) -> Any:
        """Run ``op`` in the worker; its result (raises :class:`BenchError` on failure)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps({"op": op, **arguments}).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            raise BenchError(f"{self.name}: the worker is gone ({exc})") from None
        reply = json.loads(_readline(self.proc.stdout, timeout, f"{self.name} {op}"))
        if not reply["ok"]:
            raise BenchError(f"{self.name} {op}({arguments}) failed:\n{reply['error']}")
        return reply["result"]

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            _stop(self.proc)

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
