"""The table ``python -m benchmarks`` prints (see ``benchmarks/README.md``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["TARGETS", "print_report", "targets"]

NAMES = {
    "raw": "raw websockets, sync",
    "ours_block": "lmstudio, .result()",
    "ours_await": "lmstudio, await",
    "ours_for": "lmstudio, for",
    "ours_async": "lmstudio, async for",
    "ours_futures": "lmstudio, futures .result()",
    "official_block": "official 1.5.0, sync",
    "official_await": "official 1.5.0, await",
    "official_for": "official 1.5.0, for",
    "ours_gather": "lmstudio, asyncio.gather",
    "official_gather": "official 1.5.0, asyncio.gather",
    "ours": "lmstudio",
    "official": "official 1.5.0",
}

TARGETS = {
    "rpc": 1.3,  # round trip / raw round trip, at most
    "stream_raw": 1.0,  # fragments/s / raw fragments/s, at least
    "stream_official": 15.0,  # fragments/s / official fragments/s, at least
    "concurrent": 4.0,  # official seconds / our seconds, at least
    "import_ms": 50.0,  # import lmstudio, at most
    "threads": 1,  # background threads whatever the number of clients
    "oneshot_ratio": 0.6,  # one-shot script wall time / the official SDK's, at most
}


def _name(label: str) -> str:
    name = NAMES.get(label, label)
    if label.startswith("ours") and label != "ours":
        name = NAMES[label].replace("lmstudio, ", "lmstudio   ")
    return name


def _ratio(value: float, base: float | None) -> str:
    if base is None or base != base or not base:
        return ""
    return f"{value / base:.2f}"


def _mb(value: float) -> str:
    return f"{value / 1e6:6.2f} MB" if abs(value) >= 1e5 else f"{value / 1e3:6.1f} kB"


def _section(title: str, header: str) -> None:
    print()
    print(title)
    print(header)


def _rows(
    figures: dict[str, dict[str, Any]],
    fmt: Callable[[float], str],
    worst: str,
) -> None:
    raw = figures.get("raw", {}).get("median")
    official = next((v["median"] for k, v in figures.items() if k.startswith("official")), None)
    for label, s in figures.items():
        vs_official = "" if label.startswith("official") else _ratio(s["median"], official)
        print(
            f"  {_name(label):<32}{fmt(s['median']):>12}{fmt(s[worst]):>12}"
            f"{_ratio(s['median'], raw):>9}{vs_official:>12}"
        )


def print_report(results: dict[str, Any]) -> None:
    meta = results["meta"]
    apis = meta.get("apis", {})
    print(
        f"lmstudio benchmarks: Python {meta['python']} ({meta['implementation']}) on "
        f"{meta['platform']}, {meta['cpus']} CPUs, commit {meta['commit']}, "
        f"{meta.get('seconds', 0):.0f} s{' (--quick: tiny counts)' if meta['quick'] else ''}"
    )
    print(
        "the fake LM Studio runs in its own process, each client in its own worker process; "
        f"official SDK: lmstudio {meta.get('official_version', '(skipped)')}"
    )
    if apis:
        print(f"this SDK's predictions through {apis['predictions']}")
        print(f"this SDK's uploads through {apis['uploads']}")
    columns = f"  {'':<32}{'median':>12}{{worst:>12}}{'÷ raw':>9}{'÷ official':>12}"

    if "rpc" in results:
        r = results["rpc"]
        _section(
            f"round trip: llm.list_loaded(), {r['calls']} sequential calls x {r['repeat']} runs "
            "(microseconds per call, lower is better)",
            columns.format(worst="p99"),
        )
        _rows(r["us"], lambda v: f"{v:,.0f} us", "p99")

    if "stream" in results:
        r = results["stream"]
        _section(
            f"streaming: one respond_stream() of {r['fragments']:,} fragments x {r['repeat']} "
            "runs (fragments per second, higher is better)",
            columns.format(worst="worst"),
        )
        _rows(r["fragments_per_s"], lambda v: f"{v:,.0f}", "min")

    if "concurrent" in results:
        r = results["concurrent"]
        _section(
            f"concurrency: {r['streams']} respond() at once on one client, {r['fragments']} "
            f"fragments each, x {r['repeat']} runs (seconds for all, lower is better)",
            columns.format(worst="worst"),
        )
        _rows(r["seconds"], lambda v: f"{v:.3f} s", "max")
        for label, s in r.get("latency_s", {}).items():
            print(
                f"  {_name(label):<32}one respond(): median {s['median']:.3f} s, "
                f"p99 {s['p99']:.3f} s"
            )

    if "many" in results:
        r = results["many"]
        _section(
            f"{r['streams']:,} concurrent respond() on one client, {r['fragments']} fragments "
            "each (fresh process)",
            f"  {'':<32}{'seconds':>12}{'p99 one':>12}{'peak RSS +':>14}{'per stream':>14}",
        )
        for side, seconds in r["seconds"].items():
            growth = r["rss_growth"][side]
            print(
                f"  {_name(side):<32}{seconds:>10.3f} s{r['p99_latency_s'][side]:>10.3f} s"
                f"{_mb(growth):>14}{_mb(growth / r['streams']):>14}"
            )

    if "imports" in results:
        r = results["imports"]
        _section(
            f"import time in fresh interpreters, {r['runs']} runs (milliseconds)",
            f"  {'':<52}{'median':>9}{'max':>9}",
        )
        labels = {
            "ours": "lmstudio: import lmstudio",
            "ours_client": "lmstudio:   + lmstudio.Client",
            "ours_protocol": "lmstudio:   + the protocol layer (models, endpoints)",
            "ours_io": "lmstudio:   + the I/O stack (asyncio, websockets)",
            "official": "official: import lmstudio (loads everything)",
        }
        for label, s in r["ms"].items():
            print(f"  {labels.get(label, label):<52}{s['median']:>7.1f}ms{s['max']:>7.1f}ms")
        top = ", ".join(f"{name} {ms:.1f}" for name, ms in r["ours_top_modules"][:5])
        print(f"  costliest modules up to the protocol layer (self ms): {top}")

    if "oneshot" in results:
        r = results["oneshot"]
        _section(
            f"one-shot script: start, import, connect, one respond(), exit ({r['runs']} runs)",
            f"  {'':<52}{'wall':>9}{'cpu':>9}{'÷ official':>12}",
        )
        labels = {
            "floor": "floor: python + asyncio + websockets + msgspec",
            "ours": "lmstudio",
            "official": "official",
        }
        official = r["wall_ms"].get("official")
        for label, s in r["wall_ms"].items():
            ratio = "" if official is None else f"{s['median'] / official['median']:>10.2f}x"
            cpu = r["cpu_ms"][label]["median"]
            print(f"  {labels.get(label, label):<52}{s['median']:>7.0f}ms{cpu:>7.0f}ms{ratio}")

    if "resources" in results:
        r = results["resources"]
        _section(
            f"threads and memory (fresh processes; idle: {r['idle_clients']} more connected "
            f"clients; open: {r['open_streams']} streams that got their first fragment)",
            f"  {'':<18}{'threads, 1 client':>18}{'4 clients':>11}{'first client':>15}"
            f"{'per idle client':>17}{'per open stream':>17}",
        )
        for side, threads in r["threads"].items():
            idle, stream = r["idle"][side], r["stream"][side]
            one, four = threads.get("1", threads.get(1)), threads.get("4", threads.get(4))
            print(
                f"  {_name(side):<18}{one['os_threads']:>18}{four['os_threads']:>11}"
                f"{_mb(idle['first_client_rss']):>15}{_mb(idle['per_client_rss']):>17}"
                f"{_mb(stream['per_stream_rss']):>17}   RSS"
            )
            print(
                f"  {'':<18}{'':>18}{'':>11}{_mb(idle['first_client_traced']):>15}"
                f"{_mb(idle['per_client_traced']):>17}{_mb(stream['per_stream_traced']):>17}"
                "   Python heap (tracemalloc)"
            )

    if "scaling" in results:
        _scaling(results["scaling"])

    if "real" in results:
        from benchmarks.real import print_real

        print_real(results["real"])

    found = targets(results)
    if found:
        print()
        print("targets (issue 6)")
        for ok, text, value in found:
            print(f"  [{'met' if ok else 'MISSED'}] {text:<58}{value}")


def _scaling(r: dict[str, Any]) -> None:
    def table(
        title: str,
        data: dict[Any, dict[str, Any]],
        fmt: Callable[[Any], str],
        key: Callable[[Any], str] = lambda k: f"{int(k):,}",
    ) -> None:
        keys = list(data)
        labels: list[str] = []
        for row in data.values():
            labels += [label for label in row if label not in labels]
        print()
        print(title)
        print(f"  {'':<18}" + "".join(f"{key(k):>16}" for k in keys))
        for label in labels:
            cells = [data[k].get(label) for k in keys]
            print(
                f"  {_name(label):<18}"
                + "".join(f"{fmt(c) if c is not None else '-':>16}" for c in cells)
            )

    table(
        "scaling: fragments per stream (fragments per second)",
        r["fragments_per_s"],
        lambda v: f"{v:,.0f}",
    )
    table(
        f"scaling: concurrent respond() on one client, {r['concurrent_fragments']} fragments "
        "each (seconds)",
        r["concurrent_seconds"],
        lambda v: f"{v:.3f}",
    )
    for key, title in (
        ("history_seconds", "respond() to a chat history of N bytes, 3 fragments"),
        ("upload_seconds", "image upload of N bytes (files/uploadFileBase64)"),
    ):
        data = r[key]
        table(
            f"scaling: {title} (milliseconds: wall / client process CPU)",
            {k: {label: v for label, v in row.items()} for k, row in data.items()},
            lambda v: f"{v['seconds'] * 1e3:.1f} / {v['client_cpu'] * 1e3:.1f}",
            _size,
        )


def _size(key: Any) -> str:
    n = int(key)
    for unit, size in (("MB", 1_000_000), ("kB", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,}"


def targets(results: dict[str, Any]) -> list[tuple[bool, str, str]]:
    """(met, target, measured) for every target the results can judge."""
    found: list[tuple[bool, str, str]] = []
    if "rpc" in results:
        us = results["rpc"]["us"]
        raw = us["raw"]["median"]
        worst = max(us["ours_block"]["median"], us["ours_await"]["median"]) / raw
        found.append(
            (
                worst <= TARGETS["rpc"],
                f"rpc round trip <= {TARGETS['rpc']}x raw websockets",
                f"{us['ours_block']['median'] / raw:.2f}x (.result()), "
                f"{us['ours_await']['median'] / raw:.2f}x (await)",
            )
        )
    if "stream" in results:
        rates = results["stream"]["fragments_per_s"]
        ours = min(rates["ours_for"]["median"], rates["ours_async"]["median"])
        raw = rates["raw"]["median"]
        found.append(
            (
                ours >= raw * TARGETS["stream_raw"],
                "streaming >= raw websockets fragments/s",
                f"{rates['ours_for']['median'] / raw:.2f}x (for), "
                f"{rates['ours_async']['median'] / raw:.2f}x (async for)",
            )
        )
        if "official_for" in rates:
            ratio = ours / rates["official_for"]["median"]
            found.append(
                (
                    ratio >= TARGETS["stream_official"],
                    f"streaming >= {TARGETS['stream_official']:.0f}x the official SDK",
                    f"{ratio:.1f}x",
                )
            )
    if "concurrent" in results and "official_gather" in results["concurrent"]["seconds"]:
        seconds = results["concurrent"]["seconds"]
        ratio = seconds["official_gather"]["median"] / seconds["ours_gather"]["median"]
        found.append(
            (
                ratio >= TARGETS["concurrent"],
                f"{results['concurrent']['streams']} concurrent predictions >= "
                f"{TARGETS['concurrent']:.0f}x faster than official",
                f"{ratio:.1f}x faster",
            )
        )
    if "many" in results:
        r = results["many"]
        found.append(
            (
                True,
                f"{r['streams']:,} concurrent streams on one client complete",
                f"{r['seconds']['ours']:.2f} s, peak RSS +{r['rss_growth']['ours'] / 1e6:.1f} MB",
            )
        )
    if "imports" in results:
        ms = results["imports"]["ms"]
        found.append(
            (
                ms["ours"]["median"] <= TARGETS["import_ms"],
                f"import lmstudio <= {TARGETS['import_ms']:.0f} ms",
                f"{ms['ours']['median']:.1f} ms ({ms['ours_protocol']['median']:.1f} ms with "
                "Client and the whole protocol layer)",
            )
        )
    if "oneshot" in results and "official" in results["oneshot"]["wall_ms"]:
        wall = results["oneshot"]["wall_ms"]
        ratio = wall["ours"]["median"] / wall["official"]["median"]
        found.append(
            (
                ratio <= TARGETS["oneshot_ratio"],
                f"one-shot script <= {TARGETS['oneshot_ratio']:.1f}x the official SDK's wall time",
                f"{ratio:.2f}x ({wall['ours']['median']:.0f} ms against "
                f"{wall['official']['median']:.0f} ms; floor {wall['floor']['median']:.0f} ms)",
            )
        )
    if "resources" in results:
        threads = results["resources"]["threads"]["ours"]
        counts = sorted(t["os_threads"] for t in threads.values())
        found.append(
            (
                counts[-1] <= TARGETS["threads"],
                "one background thread per process whatever the clients",
                " / ".join(f"{t['os_threads']} with {t['clients']}" for t in threads.values()),
            )
        )
    return found
