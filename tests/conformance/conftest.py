"""Fixtures of the conformance suites (the machinery is in ``harness.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .harness import InstallError, ensure_node_sdks, ensure_python_sdk


def _install_or_fail(install: Callable[[], Path]) -> Path:
    try:
        return install()
    except InstallError as exc:
        reason = str(exc)
    # Outside the except block, so the report shows the reason and not a chained traceback.
    pytest.fail(f"conformance suite cannot run: {reason}", pytrace=False)


@pytest.fixture(scope="session")
def official_python_sdks() -> Callable[[str], Path]:
    """Installs (once) and returns the interpreter of the official Python SDK of a version."""
    return lambda version: _install_or_fail(lambda: ensure_python_sdk(version))


@pytest.fixture(scope="session")
def official_node_modules() -> Path:
    """Installs (once) and returns the node_modules folder with the official TypeScript SDKs."""
    return _install_or_fail(ensure_node_sdks)
