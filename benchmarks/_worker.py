"""The worker side of the harness: read JSON commands on stdin, answer JSON lines on stdout.

Each client under test runs in its own worker process (this SDK, the raw ``websockets``
client, the official SDK), so their figures never share an interpreter, a GIL or a heap
with each other, with the harness, or with the server. A command is one JSON object per
line, ``{"op": NAME, ...arguments}``; the answer is ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": TRACEBACK}``. While a worker runs, ``print`` goes to stderr so that
stdout carries answers only.

The official SDK's worker (``official_worker.py``) cannot import this module (it runs
isolated, outside this repository) and repeats these few lines.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["os_threads", "peak_rss", "rss", "serve"]


def serve(ops: dict[str, Callable[..., Any]]) -> None:
    """Answer commands until stdin closes."""
    out = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        op = command.pop("op")
        try:
            reply: dict[str, Any] = {"ok": True, "result": ops[op](**command)}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def rss() -> int:
    """Resident set size of this process, in bytes (0 where unknown)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_rss() -> int:
    """The highest resident set size this process reached, in bytes."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def os_threads() -> int:
    """Threads of this process as the OS counts them (Python's count where unknown)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return threading.active_count()
