"""``python -m benchmarks`` (``make bench``): this SDK next to a raw client and the official SDK.

One run starts the fake LM Studio (``python -m lmstudio.testing``, streaming as fast as it
can) in its own process and one worker process per client: this SDK, a raw synchronous
``websockets`` client doing the same exchanges, and LM Studio's official Python SDK
(installed on demand into ``.cache/bench/``). Every figure is measured in that run with
fixed counts after a warm-up; repeats are interleaved (the order rotates), so drift of the
machine hits every client alike; ratios are taken between figures of the same run. See
``benchmarks/README.md`` for how to read the table.

    python -m benchmarks [--quick] [--skip-official] [--only rpc,stream,...] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._procs import ROOT, BenchError, Server, Worker
from benchmarks.report import print_report

SECTIONS = (
    "rpc",
    "stream",
    "concurrent",
    "many",
    "imports",
    "oneshot",
    "resources",
    "scaling",
    "real",  # a real model: this SDK vs llama_cpp directly (benchmarks/real.py)
)


@dataclass(frozen=True)
class Counts:
    calls: int = 1000
    fragments: int = 20_000
    concurrent: int = 100
    concurrent_fragments: int = 50
    many: int = 1000
    repeat: int = 5
    scaling_repeat: int = 3
    imports: int = 7
    oneshot: int = 9
    clients: int = 20
    open_streams: int = 100
    scaling_fragments: tuple[int, ...] = (100, 1_000, 10_000, 100_000)
    official_max_fragments: int = 10_000
    scaling_streams: tuple[int, ...] = (1, 10, 100, 1_000)
    history_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    upload_sizes: tuple[int, ...] = (100_000, 1_000_000, 10_000_000)
    real_runs: int = 5
    real_tokens: int = 64


QUICK = Counts(
    calls=30,
    fragments=300,
    concurrent=5,
    concurrent_fragments=5,
    many=20,
    repeat=2,
    scaling_repeat=1,
    imports=2,
    oneshot=2,
    clients=2,
    open_streams=3,
    scaling_fragments=(10, 100),
    official_max_fragments=100,
    scaling_streams=(1, 5),
    history_sizes=(1_000,),
    upload_sizes=(10_000,),
    real_runs=1,
    real_tokens=8,
)


# --- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(values),
        "p99": percentile(values, 0.99),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


# --- running ---------------------------------------------------------------------------------


Run = tuple[str, Worker, str, dict[str, Any]]


def interleaved(runs: Sequence[Run], repeat: int) -> dict[str, list[Any]]:
    """Every run ``repeat`` times, one of each in turn, rotating the order every round."""
    results: dict[str, list[Any]] = {label: [] for label, *_ in runs}
    for round_ in range(repeat):
        shift = round_ % len(runs)
        for label, worker, op, arguments in [*runs[shift:], *runs[:shift]]:
            results[label].append(worker.call(op, **arguments))
    return results


class Bench:
    def __init__(self, counts: Counts, official_python: Path | None, stack: ExitStack) -> None:
        self.counts = counts
        self.official_python = official_python
        self.stack = stack
        self.tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lms-bench-")))
        self.server = stack.enter_context(Server())
        self.ours = stack.enter_context(self.worker("ours"))
        self.raw = stack.enter_context(self.worker("raw"))
        self.official = (
            stack.enter_context(self.worker("official")) if official_python is not None else None
        )
        self.results: dict[str, Any] = {}

    def worker(self, side: str) -> Worker:
        """A fresh worker process for one client (``ours``, ``raw`` or ``official``)."""
        if side == "official":
            assert self.official_python is not None
            script = self.tmp / "official_worker.py"
            script.write_bytes((Path(__file__).parent / "official_worker.py").read_bytes())
            env = {
                k: v
                for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONHOME", "LMSTUDIO_API_TOKEN", "LM_API_TOKEN")
            }
            command = [str(self.official_python), "-I", str(script)]
            return Worker(side, command, cwd=self.tmp, env=env)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return Worker(side, [sys.executable, "-m", f"benchmarks.{side}"], cwd=ROOT, env=env)

    @contextmanager
    def fresh(self, side: str) -> Iterator[Worker]:
        with self.worker(side) as worker:
            yield worker

    def sides(self) -> list[tuple[str, Worker]]:
        found = [("ours", self.ours), ("raw", self.raw)]
        if self.official is not None:
            found.append(("official", self.official))
        return found

    # --- sections -----------------------------------------------------------------------

    def warm_up(self) -> None:
        host = self.server.host
        for _, worker in self.sides():
            worker.call("rpc", host=host, calls=20)
            worker.call("stream", host=host, fragments=200)
        self.results["meta"]["apis"] = self.ours.call("info")
        if self.official is not None:
            self.results["meta"]["official_version"] = self.official.call("info")["version"]

    def rpc(self) -> None:
        c, host = self.counts, self.server.host
        runs: list[Run] = [
            ("raw", self.raw, "rpc", {"host": host, "calls": c.calls}),
            ("ours_block", self.ours, "rpc", {"host": host, "calls": c.calls, "mode": "block"}),
            ("ours_await", self.ours, "rpc", {"host": host, "calls": c.calls, "mode": "await"}),
        ]
        if self.official is not None:
            runs += [
                ("official_block", self.official, "rpc", {"host": host, "calls": c.calls}),
                (
                    "official_await",
                    self.official,
                    "rpc",
                    {"host": host, "calls": c.calls, "mode": "await"},
                ),
            ]
        found = interleaved(runs, c.repeat)
        self.results["rpc"] = {
            "calls": c.calls,
            "repeat": c.repeat,
            "us": {
                label: summary([x for run in values for x in run])
                for label, values in found.items()
            },
        }

    def stream(self) -> None:
        c, host = self.counts, self.server.host
        n = c.fragments
        runs: list[Run] = [
            ("raw", self.raw, "stream", {"host": host, "fragments": n}),
            ("ours_for", self.ours, "stream", {"host": host, "fragments": n, "mode": "for"}),
            ("ours_async", self.ours, "stream", {"host": host, "fragments": n, "mode": "async"}),
        ]
        if self.official is not None:
            runs.append(("official_for", self.official, "stream", {"host": host, "fragments": n}))
        found = interleaved(runs, c.repeat)
        self.results["stream"] = {
            "fragments": n,
            "repeat": c.repeat,
            "fragments_per_s": {
                label: summary([n / s for s in values]) for label, values in found.items()
            },
        }

    def concurrent(self) -> None:
        c, host = self.counts, self.server.host
        arguments = {"host": host, "streams": c.concurrent, "fragments": c.concurrent_fragments}
        runs: list[Run] = [
            ("ours_gather", self.ours, "concurrent", {**arguments, "mode": "async"}),
            ("ours_futures", self.ours, "concurrent", {**arguments, "mode": "futures"}),
        ]
        if self.official is not None:
            runs.append(("official_gather", self.official, "concurrent", arguments))
        found = interleaved(runs, c.repeat)
        self.results["concurrent"] = {
            "streams": c.concurrent,
            "fragments": c.concurrent_fragments,
            "repeat": c.repeat,
            "seconds": {
                label: summary([run["seconds"] for run in values])
                for label, values in found.items()
            },
            "latency_s": {
                label: summary([x for run in values for x in run["latencies"]])
                for label, values in found.items()
                if values[0]["latencies"]
            },
        }

    def many(self) -> None:
        """1,000 concurrent streams on one client, each side in a fresh process (memory)."""
        c, host = self.counts, self.server.host
        arguments = {"host": host, "streams": c.many, "fragments": c.concurrent_fragments}
        found: dict[str, Any] = {}
        sides = ["ours"] + (["official"] if self.official is not None else [])
        for side in sides:
            with self.fresh(side) as worker:
                worker.call("concurrent", host=host, streams=10, fragments=10)  # warm up
                found[side] = worker.call("concurrent", timeout=600, **arguments)
        self.results["many"] = {
            "streams": c.many,
            "fragments": c.concurrent_fragments,
            "seconds": {side: r["seconds"] for side, r in found.items()},
            "p99_latency_s": {side: percentile(r["latencies"], 0.99) for side, r in found.items()},
            "rss_growth": {side: r["rss_growth"] for side, r in found.items()},
        }

    def imports(self) -> None:
        """``import lmstudio`` in fresh interpreters (the first run, which may compile, is dropped)."""
        _compile_ours()
        c = self.counts
        timer = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
        # This repository's package first on the path, whether or not it is installed.
        ours_python = [sys.executable, "-c"]
        cases: list[tuple[str, list[str], str]] = [
            ("ours", ours_python, "import lmstudio"),
            ("ours_client", ours_python, _CLIENT),
            ("ours_protocol", ours_python, _PROTOCOL),
            ("ours_io", ours_python, _IO),
        ]
        if self.official_python is not None:
            cases.append(("official", [str(self.official_python), "-I", "-c"], "import lmstudio"))
        found: dict[str, list[float]] = {label: [] for label, *_ in cases}
        for round_ in range(c.imports + 1):
            for label, python, statement in cases:
                done = subprocess.run(
                    [*python, timer.format(statement)],
                    capture_output=True,
                    text=True,
                    cwd=ROOT if label.startswith("ours") else self.tmp,
                    env=_WITH_BYTECODE,
                    timeout=120,
                    check=True,
                )
                if round_:
                    found[label].append(float(done.stdout.strip().splitlines()[-1]) * 1e3)
        top = _import_profile()
        self.results["imports"] = {
            "runs": c.imports,
            "ms": {label: summary(values) for label, values in found.items()},
            "ours_top_modules": top,
        }

    def oneshot(self) -> None:
        """A whole one-shot script per run: start Python, import, connect, one respond(), exit.

        What command-line users pay on every run. Fresh processes, interleaved, the first
        round (which may compile bytecode) dropped; wall time and the process's CPU time.
        ``floor`` imports what any asyncio websockets client needs (interpreter, asyncio,
        websockets, msgspec) and does nothing else.
        """
        _compile_ours()
        c, host = self.counts, self.server.host
        ours_python = [sys.executable, "-c"]
        cases: list[tuple[str, list[str], str, Path]] = [
            ("floor", ours_python, _FLOOR, ROOT),
            ("ours", ours_python, _ONESHOT_OURS.format(host=host), ROOT),
        ]
        if self.official_python is not None:
            official = [str(self.official_python), "-I", "-c"]
            cases.append(("official", official, _ONESHOT_OFFICIAL.format(host=host), self.tmp))
        wall: dict[str, list[float]] = {label: [] for label, *_ in cases}
        cpu: dict[str, list[float]] = {label: [] for label, *_ in cases}
        for round_ in range(c.oneshot + 1):
            shift = round_ % len(cases)
            for label, python, script, cwd in [*cases[shift:], *cases[:shift]]:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(
                    [*python, script],
                    capture_output=True,
                    text=True,
                    cwd=cwd,
                    env=_WITH_BYTECODE,
                    timeout=120,
                )
                elapsed = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if done.returncode != 0 or (label != "floor" and "You said" not in done.stdout):
                    raise BenchError(f"one-shot script ({label}) failed: {done.stderr[-2000:]}")
                if round_:
                    wall[label].append(elapsed * 1e3)
                    cpu[label].append(
                        (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
                    )
        self.results["oneshot"] = {
            "runs": c.oneshot,
            "wall_ms": {label: summary(values) for label, values in wall.items()},
            "cpu_ms": {label: summary(values) for label, values in cpu.items()},
        }

    def resources(self) -> None:
        """Threads and memory, each measured in a fresh worker process."""
        c, host = self.counts, self.server.host
        sides = ["ours"] + (["official"] if self.official is not None else [])
        threads: dict[str, Any] = {}
        idle: dict[str, Any] = {}
        open_streams: dict[str, Any] = {}
        with Server(fragment_delay=0.5) as slow:
            for side in sides:
                threads[side] = {}
                for n in (1, 4):
                    with self.fresh(side) as worker:
                        threads[side][n] = worker.call("threads", host=host, clients=n)
                with self.fresh(side) as worker:
                    idle[side] = worker.call("idle_memory", host=host, clients=c.clients)
                with self.fresh(side) as worker:
                    open_streams[side] = worker.call(
                        "stream_memory", host=slow.host, streams=c.open_streams, timeout=300
                    )
        self.results["resources"] = {
            "threads": threads,
            "idle_clients": c.clients,
            "idle": idle,
            "open_streams": c.open_streams,
            "stream": open_streams,
        }

    def real(self) -> None:
        from benchmarks.real import measure, unavailable

        reason, c = unavailable(), self.counts
        self.results["real"] = (
            {"skipped": reason} if reason else measure(c.real_runs, c.real_tokens)
        )

    def scaling(self) -> None:
        c, host = self.counts, self.server.host
        fragments: dict[int, dict[str, Any]] = {}
        for n in c.scaling_fragments:
            runs: list[Run] = [
                ("ours", self.ours, "stream", {"host": host, "fragments": n}),
                ("raw", self.raw, "stream", {"host": host, "fragments": n}),
            ]
            if self.official is not None and n <= c.official_max_fragments:
                runs.append(("official", self.official, "stream", {"host": host, "fragments": n}))
            found = interleaved(runs, c.scaling_repeat)
            fragments[n] = {
                label: statistics.median(n / s for s in values) for label, values in found.items()
            }
        streams: dict[int, dict[str, Any]] = {}
        for n in c.scaling_streams:
            arguments = {"host": host, "streams": n, "fragments": c.concurrent_fragments}
            runs = [("ours", self.ours, "concurrent", arguments)]
            if self.official is not None:
                runs.append(("official", self.official, "concurrent", arguments))
            found = interleaved(runs, c.scaling_repeat)
            streams[n] = {
                label: statistics.median(r["seconds"] for r in values)
                for label, values in found.items()
            }
        payloads: dict[str, dict[int, dict[str, Any]]] = {"history": {}, "upload": {}}
        # Uploads stay in the server's memory: a server of their own, stopped afterwards.
        with Server() as server:
            for op, sizes in (("history", c.history_sizes), ("upload", c.upload_sizes)):
                for size in sizes:
                    arguments = {"host": server.host, "size": size, "repeat": 1}
                    runs = [(side, worker, op, arguments) for side, worker in self.sides()]
                    found = interleaved(runs, c.scaling_repeat)
                    payloads[op][size] = {
                        label: {
                            "seconds": statistics.median(x[0] for run in values for x in run),
                            "client_cpu": statistics.median(x[1] for run in values for x in run),
                        }
                        for label, values in found.items()
                    }
        self.results["scaling"] = {
            "fragments_per_s": fragments,
            "concurrent_fragments": c.concurrent_fragments,
            "concurrent_seconds": streams,
            "history_seconds": payloads["history"],
            "upload_seconds": payloads["upload"],
        }


# What a first call loads, step by step: the client class, the generated protocol layer
# (models and the endpoint registry), then the I/O stack the first connection needs.
_CLIENT = "import lmstudio; lmstudio.Client"
_PROTOCOL = f"{_CLIENT}; import lmstudio._protocol.models, lmstudio._protocol.endpoints"
_IO = f"{_PROTOCOL}; import lmstudio._engine.pool"


# Fresh interpreters read bytecode, as an installed package does (pip compiles it): a
# PYTHONDONTWRITEBYTECODE inherited from a tool's environment would have them compile
# this repository's sources on every run, and only ours (the official SDK's venv has its
# bytecode from pip).
_WITH_BYTECODE = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _compile_ours() -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "lmstudio")],
        capture_output=True,
        env=_WITH_BYTECODE,
        timeout=300,
    )


# The one-shot script, written as each SDK's documentation shows it.
_FLOOR = "import asyncio, msgspec, websockets.asyncio.client"
_ONESHOT_OURS = (
    "import lmstudio as lms\n"
    "with lms.Client({host!r}) as client:\n"
    "    model = client.llm.model('fake/chat').result()\n"
    "    print(model.respond('Hello!').result().content)\n"
)
_ONESHOT_OFFICIAL = (
    "import lmstudio as lms\n"
    "with lms.Client({host!r}) as client:\n"
    "    model = client.llm.model('fake/chat')\n"
    "    print(model.respond('Hello!').content)\n"
)


def _import_profile() -> list[list[Any]]:
    """The modules that cost most up to the protocol layer (``-X importtime``, self ms)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROTOCOL],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    rows: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].startswith("import time:") and parts[1].strip().isdigit():
            rows.append((parts[2].strip(), int(parts[0].split(":")[1]) / 1e3))
    return [list(row) for row in sorted(rows, key=lambda row: -row[1])[:8]]


def _meta(counts: Counts, quick: bool) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):  # no git: an unpacked archive
        commit = ""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "commit": commit or None,
        "quick": quick,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny counts (a smoke test)")
    parser.add_argument(
        "--skip-official", action="store_true", help="do not install or run the official SDK"
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"sections to run (of {','.join(SECTIONS)})"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    counts = QUICK if args.quick else Counts()

    official_python = None
    if not args.skip_official:
        from benchmarks.official import InstallError, ensure_official

        try:
            official_python = ensure_official()
        except InstallError as exc:
            print(f"error: {exc}", file=sys.stderr)
            print(
                "(run with --skip-official to benchmark without the official SDK)",
                file=sys.stderr,
            )
            return 2

    started = time.perf_counter()
    try:
        with ExitStack() as stack:
            bench = Bench(counts, official_python, stack)
            bench.results["meta"] = _meta(counts, args.quick)
            bench.warm_up()
            steps: dict[str, Callable[[], None]] = {
                "rpc": bench.rpc,
                "stream": bench.stream,
                "concurrent": bench.concurrent,
                "many": bench.many,
                "imports": bench.imports,
                "oneshot": bench.oneshot,
                "resources": bench.resources,
                "scaling": bench.scaling,
                "real": bench.real,
            }
            for section in SECTIONS:
                if section in sections:
                    print(f"running {section}...", file=sys.stderr, flush=True)
                    steps[section]()
            results = bench.results
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    results["meta"]["seconds"] = time.perf_counter() - started
    print_report(results)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0
