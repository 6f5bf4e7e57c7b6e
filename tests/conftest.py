"""Shared test configuration.

Timeouts in tests are multiples of ``MS`` (the ``ms`` fixture): one millisecond, scaled
by the ``LMSTUDIO_TESTS_TIMEOUT_FACTOR`` environment variable on slow machines, as in
websockets' test suite. Use generous multiples for "must happen" and short ones only
for "must not happen".
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["lmstudio.testing.pytest_plugin"]

MS = 0.001 * float(os.environ.get("LMSTUDIO_TESTS_TIMEOUT_FACTOR", "1"))
"""One millisecond, scaled by ``LMSTUDIO_TESTS_TIMEOUT_FACTOR``."""


@pytest.fixture
def ms() -> float:
    """``MS``: the scalable unit of test timeouts, in seconds."""
    return MS
