"""LM Studio's official Python SDK for the benchmarks, installed on demand.

The official SDK (PyPI ``lmstudio``) shares this project's import name, so it lives in
its own virtual environment under ``.cache/bench/`` (git-ignored). The installer and the
pinned requirements are the conformance suite's (``tests/conformance/harness.py``,
``tests/conformance/python/requirements-<version>.txt``): one way to install it, one set
of pins. :class:`InstallError` says so when the package registry cannot be reached.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conformance.harness import InstallError, ensure_python_sdk

__all__ = ["CACHE", "VERSION", "InstallError", "ensure_official"]

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LMSTUDIO_BENCH_CACHE", ROOT / ".cache" / "bench"))
VERSION = "1.5.0"


def ensure_official() -> Path:
    """The interpreter of a virtual environment holding the official SDK (installed if needed)."""
    return ensure_python_sdk(VERSION, CACHE)
