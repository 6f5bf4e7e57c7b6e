"""Opt-in pytest plugin providing the ``fake_lmstudio`` and ``real_lmstudio`` fixtures.

Enable it in a ``conftest.py`` with ``pytest_plugins = ["lmstudio.testing.pytest_plugin"]``.
Each test gets a fresh server (function scope). Constructor arguments come from the
``fake_lmstudio`` marker::

    @pytest.mark.fake_lmstudio(catalog="tests/models.json", fragment_delay=0.01)
    def test_streaming(fake_lmstudio):
        client = lms.Client(fake_lmstudio.api_host)

``real_lmstudio`` serves :func:`~lmstudio.testing.real_model_catalog` (a real model run
by llama.cpp); tests marked ``real_model`` (and every test using ``real_lmstudio``) are
skipped, with the reason, where the ``llama`` extra is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lmstudio.testing._real import real_model_catalog, real_model_unavailable
from lmstudio.testing._server import FakeLMStudio

__all__ = ["fake_lmstudio", "real_lmstudio"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fake_lmstudio(**kwargs): keyword arguments for the fake_lmstudio fixture's FakeLMStudio",
    )
    config.addinivalue_line(
        "markers",
        "real_model: needs the real-model backend (the llama extra); skipped without it",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    checked, reason = False, None
    for item in items:
        if "real_model" in item.keywords or "real_lmstudio" in getattr(item, "fixturenames", ()):
            if not checked:
                checked, reason = True, real_model_unavailable()
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"real model unavailable: {reason}"))


@pytest.fixture
def fake_lmstudio(request: pytest.FixtureRequest) -> Iterator[FakeLMStudio]:
    """A running :class:`FakeLMStudio` (``.api_host`` is its address), stopped after the test."""
    marker = request.node.get_closest_marker("fake_lmstudio")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    with FakeLMStudio(**kwargs) as server:
        yield server


@pytest.fixture
def real_lmstudio(request: pytest.FixtureRequest) -> Iterator[FakeLMStudio]:
    """A running :class:`FakeLMStudio` whose loaded models are real
    (:func:`~lmstudio.testing.real_model_catalog`); ``fake_lmstudio`` marker arguments apply."""
    marker = request.node.get_closest_marker("fake_lmstudio")
    kwargs = {"catalog": real_model_catalog(), **(marker.kwargs if marker is not None else {})}
    with FakeLMStudio(**kwargs) as server:
        yield server
