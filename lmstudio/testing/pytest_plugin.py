"""Opt-in pytest plugin providing the ``fake_lmstudio`` fixture.

Enable it in a ``conftest.py`` with ``pytest_plugins = ["lmstudio.testing.pytest_plugin"]``.
Each test gets a fresh server (function scope). Constructor arguments come from the
``fake_lmstudio`` marker::

    @pytest.mark.fake_lmstudio(catalog="tests/models.json", fragment_delay=0.01)
    def test_streaming(fake_lmstudio):
        client = lms.Client(fake_lmstudio.api_host)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lmstudio.testing._server import FakeLMStudio

__all__ = ["fake_lmstudio"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_lmstudio(**kwargs): keyword arguments for the fake_lmstudio fixture's FakeLMStudio",
    )


@pytest.fixture
def fake_lmstudio(request: pytest.FixtureRequest) -> Iterator[FakeLMStudio]:
    """A running :class:`FakeLMStudio` (``.api_host`` is its address), stopped after the test."""
    marker = request.node.get_closest_marker("fake_lmstudio")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    with FakeLMStudio(**kwargs) as server:
        yield server
