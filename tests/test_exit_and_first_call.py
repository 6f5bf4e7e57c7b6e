"""A quiet interpreter exit, and a first call that does not stall the caller's loop (issue 15, 7).

Both run in a fresh interpreter (a subprocess): the exit is the subject of the first,
and the second needs imports not done yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from lmstudio.testing import FakeLMStudio

ROOT = Path(__file__).resolve().parents[1]


def run_script(source: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-X", "dev", "-c", textwrap.dedent(source), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def test_exit_is_quiet_while_daemon_threads_iterate_and_block(
    fake_lmstudio: FakeLMStudio,
) -> None:
    fake_lmstudio.set_fragment_delay(0.01)
    done = run_script(
        """
        import sys, threading
        import lmstudio as lms

        client = lms.Client(sys.argv[1])
        model = client.llm.model().result(10)
        iterating, blocking = threading.Event(), threading.Event()

        def iterate():
            for _ in model.respond_stream("count to 10000"):
                iterating.set()

        def block():
            call = model.respond("count to 10000")
            blocking.set()
            call.result()

        for target in (iterate, block):
            threading.Thread(target=target, daemon=True).start()
        assert iterating.wait(10) and blocking.wait(10)
        print("bye")
        """,
        fake_lmstudio.api_host,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "bye\n", "")


def test_the_first_call_inside_a_running_loop_does_not_stall_it(
    fake_lmstudio: FakeLMStudio,
) -> None:
    # Before: the engine start and websockets' import ran on the caller's loop (70-150 ms).
    done = run_script(
        """
        import asyncio, json, sys, time
        import lmstudio as lms

        async def main():
            gaps, ticking = [], True

            async def heartbeat():
                last = time.perf_counter()
                while ticking:
                    await asyncio.sleep(0.001)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            async with lms.Client(sys.argv[1]) as client:
                system = client.system  # the namespace's own imports: not the engine's
                beat = asyncio.create_task(heartbeat())
                await asyncio.sleep(0.05)
                gaps.clear()
                started = time.perf_counter()
                call = system.version()
                submitted = time.perf_counter() - started
                await call
                ticking = False
                await beat
            print(json.dumps({"submit": submitted, "stall": max(gaps), "ticks": len(gaps)}))

        asyncio.run(main())
        """,
        fake_lmstudio.api_host,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    print("first call inside a running loop:", figures)
    # Generous: a loaded CI machine. The engine's imports run on its own thread, sharing
    # the GIL, so the loop keeps ticking meanwhile.
    assert figures["submit"] < 0.05, figures  # before: 70-150 ms
    assert figures["stall"] < 0.1, figures  # the engine imports on its thread, sharing the GIL
    assert figures["ticks"] >= 5, figures
