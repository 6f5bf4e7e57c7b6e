"""Soak: many mixed predictions against the fake server, then a leak check (issue 15, 13).

``make soak`` (``python -m benchmarks.soak``) runs 10,000 predictions; ``tests/test_soak.py``
runs 1,000 of the same in ``make test``. Several threads block, iterate and cancel, one
thread awaits on its own event loop, and a fault is injected every few hundred predictions
(a failed prediction, a socket dropped mid-stream, a delayed first packet). Every outcome
must be a result or a typed :class:`~lmstudio.LMStudioError`.

Before and after, it measures the process's threads, open file descriptors, the engine
loop's tasks, the calls pending on the client's connections and the resident set size,
and fails if ``after`` exceeds ``before`` by more than the stated :data:`BOUNDS`.

The fake server runs in this process (its faults are injected through its API), at its
unlimited pace, so the figures include it: both measurements are taken with the server
running and the client connected. The server's record of what it received
(``server.received``) is cleared as the run goes and before each measurement: it is the
server's memory, not the client's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lmstudio as lms
from lmstudio.testing import FakeLMStudio

__all__ = ["BOUNDS", "Figures", "SoakReport", "measure", "run_soak"]

BOUNDS = {"threads": 2, "fds": 4, "engine_tasks": 2, "pending_calls": 0, "rss_mib": 16.0}
"""How much each figure may grow between before and after (RSS in MiB)."""

PROMPT = "count to 3"
MODES = ("block", "stream", "cancel")


@dataclass(frozen=True)
class Figures:
    """What one measurement found."""

    threads: int
    fds: int
    engine_tasks: int
    pending_calls: int
    rss_mib: float


@dataclass
class SoakReport:
    """The outcome of a soak run."""

    predictions: int
    seconds: float
    before: Figures
    after: Figures
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    untyped: list[str] = field(default_factory=list)

    def excesses(self) -> list[str]:
        """Every figure past its bound, and every untyped failure, as sentences.

        Returns:
            An empty list when the run held.
        """
        problems = [
            f"{name}: {getattr(self.before, name)} -> {getattr(self.after, name)} (bound +{bound})"
            for name, bound in BOUNDS.items()
            if getattr(self.after, name) - getattr(self.before, name) > bound
        ]
        if self.after.pending_calls:
            problems.append(f"{self.after.pending_calls} calls still pending")
        problems += [f"untyped failure: {text}" for text in self.untyped[:5]]
        return problems

    def lines(self) -> list[str]:
        """The report, one line per figure.

        Returns:
            Printable lines.
        """
        rate = self.predictions / self.seconds if self.seconds else 0.0
        out = [f"{self.predictions} predictions in {self.seconds:.1f} s ({rate:.0f}/s)"]
        out.append(f"{'':14}{'before':>10}{'after':>10}{'bound':>10}")
        for name, bound in BOUNDS.items():
            before, after = getattr(self.before, name), getattr(self.after, name)
            shown = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in (before, after)]
            out.append(f"{name:14}{shown[0]:>10}{shown[1]:>10}{'+' + str(bound):>10}")
        out.append("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())))
        out.append("faults: " + ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())))
        return out


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except OSError:  # not Linux: the peak, a looser figure
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1 << 20 if sys.platform == "darwin" else 1 << 10)


def _fds() -> int:
    for path in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(path))
        except OSError:
            continue
    return -1


def measure(client: lms.Client) -> Figures:
    """Threads, fds, engine tasks, pending calls and RSS, after a garbage collection.

    Args:
        client: a connected client (its engine's tasks and its connections' calls count).

    Returns:
        The figures.
    """
    gc.collect()
    time.sleep(0.2)  # let closing sockets and finished tasks go
    engine, pool = client._session._use()

    async def tasks() -> int:
        return len(asyncio.all_tasks())

    async def pending() -> int:
        return sum(conn.mux.in_flight for conn in pool.connections().values())

    return Figures(
        threads=threading.active_count(),
        fds=_fds(),
        engine_tasks=engine.run(tasks()).result(10),
        pending_calls=engine.run(pending()).result(10),
        rss_mib=_rss_mib(),
    )


def _fault(server: FakeLMStudio, rng: random.Random, report: SoakReport) -> None:
    kind = rng.choice(("fail", "drop", "delay"))
    report.faults[kind] += 1
    if kind == "fail":
        server.faults.fail("llm/predict", "Soak failure", times=1)
    elif kind == "drop":
        server.faults.drop_connection_after("llm/predict", packets=1, times=1)
    else:
        server.faults.delay("llm/predict", 0.05, times=1)


def _one(model: Any, mode: str) -> str:
    if mode == "block":
        model.respond(PROMPT).result(30)
    elif mode == "stream":
        for _ in model.respond_stream(PROMPT):
            pass
    else:
        with model.respond_stream(PROMPT) as stream:
            for _ in stream:
                stream.cancel()
        stream.result(30)
    return mode


def run_soak(
    predictions: int = 10_000,
    *,
    threads: int = 3,
    fault_every: int = 250,
    seed: int = 15,
    progress: Callable[[int], None] | None = None,
) -> SoakReport:
    """Run the soak and measure before and after.

    Args:
        predictions: how many predictions in all (a quarter of them awaited).
        threads: how many blocking threads besides the awaiting one.
        fault_every: a fault is injected after every this many predictions.
        seed: the random seed of the mix and of the faults.
        progress: called with the count done, every 1,000 predictions.

    Returns:
        The report; check :meth:`SoakReport.excesses`.
    """
    rng = random.Random(seed)
    with (
        FakeLMStudio(tokens_per_second=None) as server,
        lms.Client(server.api_host, timeout=30) as client,
    ):
        model = client.llm.model().result(30)
        for mode in MODES:  # warm up every path before measuring
            _one(model, mode)
        server.received.clear()
        before = measure(client)
        report = SoakReport(predictions, 0.0, before, before)
        lock = threading.Lock()
        done = [0]
        plan = [rng.choice((*MODES, "await")) for _ in range(predictions)]
        awaited = [i for i, mode in enumerate(plan) if mode == "await"]
        blocking = [i for i, mode in enumerate(plan) if mode != "await"]

        def settle(outcome: str) -> None:
            with lock:
                report.outcomes[outcome] += 1
                done[0] += 1
                count = done[0]
                if count % fault_every == 0:
                    _fault(server, rng, report)
                    server.received.clear()
            if progress is not None and count % 1000 == 0:
                progress(count)

        def failed(exc: BaseException) -> str:
            if isinstance(exc, lms.LMStudioError):
                return type(exc).__name__
            report.untyped.append(repr(exc))
            return "untyped"

        def blocking_worker(indices: list[int]) -> None:
            for index in indices:
                try:
                    outcome = _one(model, plan[index])
                except BaseException as exc:
                    outcome = failed(exc)
                settle(outcome)

        async def awaiting() -> None:
            for index in awaited:
                del index
                try:
                    await model.respond(PROMPT)
                    outcome = "await"
                except BaseException as exc:
                    outcome = failed(exc)
                settle(outcome)

        workers = [
            threading.Thread(target=blocking_worker, args=(blocking[n::threads],))
            for n in range(threads)
        ]
        workers.append(threading.Thread(target=asyncio.run, args=(awaiting(),)))
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        report.seconds = time.monotonic() - started
        server.faults.clear()
        server.received.clear()
        report.after = measure(client)
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.soak [--predictions N]``: run, print, 1 if past a bound.

    Args:
        argv: the command line (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--predictions", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--fault-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    report = run_soak(
        args.predictions,
        threads=args.threads,
        fault_every=args.fault_every,
        seed=args.seed,
        progress=lambda n: print(f"  {n} done", flush=True),
    )
    print("\n".join(report.lines()))
    problems = report.excesses()
    for problem in problems:
        print(f"FAIL {problem}")
    print("soak: " + ("FAILED" if problems else "within bounds"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
