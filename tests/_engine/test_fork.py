"""After ``os.fork()``, calls in flight in the parent fail at once in the child (issue 15, 8)."""

from __future__ import annotations

import os
import sys
import time

import pytest

from lmstudio import Client, LMStudioRuntimeError
from lmstudio.testing import FakeLMStudio

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")


def in_child(check: object) -> str:
    """Run ``check()`` in a forked child; what it returns (or raised), as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            outcome = str(check())  # type: ignore[operator]
        except BaseException as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        os.write(write, outcome.encode())
        os._exit(0)
    os.close(write)
    chunks = []
    deadline = time.monotonic() + 20
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
        assert time.monotonic() < deadline
    os.close(read)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def test_calls_in_flight_fail_at_once_in_the_child(fake_lmstudio: FakeLMStudio) -> None:
    with (
        fake_lmstudio.faults.delay("version", 3.0),
        Client(fake_lmstudio.api_host, timeout=None) as client,
    ):
        client.llm.list_loaded().result(10)  # connected
        rpc = client.system.version()
        stream = client.llm.model().result(10).respond_stream("count to 10000")
        time.sleep(0.05)

        def check() -> str:
            started = time.monotonic()
            outcomes = []
            for call in (rpc, stream):
                try:
                    call.result(5)
                except LMStudioRuntimeError as exc:
                    outcomes.append("fork" in str(exc))
            took = time.monotonic() - started
            fresh = Client(fake_lmstudio.api_host)
            try:
                works = fresh.llm.list_loaded().result(10) is not None
            finally:
                fresh.close()
            return f"{outcomes} {took < 1} {works}"

        sys.stdout.flush()
        assert in_child(check) == "[True, True] True True"
        assert rpc.result(10) is not None  # the parent's calls go on
        stream.cancel()
