"""``client.repository``: search, download options and downloads end to end."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from lmstudio import (
    AvailableModel,
    Client,
    DownloadProgressUpdate,
    LMStudioCancelledError,
    LMStudioValueError,
    ModelDownloadOption,
)
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


def test_search_and_options(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        found = await style.get(client.repository.search_models("hub"))
        assert [m.name for m in found] == ["fake/hub-chat-3b", "fake/hub-embed-small"]
        assert all(isinstance(m, AvailableModel) and not m.exact for m in found)
        assert await style.get(client.repository.search_models(limit=1)) == found[:1]
        exact = await style.get(client.repository.search_models("fake/chat"))
        assert exact[0].exact
        options = await style.get(found[0].get_download_options())
        assert [(o.quantization, o.recommended) for o in options] == [
            ("Q4_K_M", True),
            ("Q8_0", False),
        ]
        assert all(isinstance(o, ModelDownloadOption) and o.size_bytes > 0 for o in options)

    style.run(body)
    assert server.calls("searchModels")[0]["parameter"] == {"opts": {"searchTerm": "hub"}}
    with pytest.raises(LMStudioValueError):
        client.repository.search_models(limit=0)


def test_download_then_load(style: Style, client: Client, server: FakeLMStudio) -> None:
    progress: list[DownloadProgressUpdate] = []
    events: list[str] = []
    threads: set[threading.Thread] = set()

    def on_progress(update: DownloadProgressUpdate) -> None:
        threads.add(threading.current_thread())
        progress.append(update)
        events.append("progress")

    async def body() -> None:
        (found,) = await style.get(client.repository.search_models("hub-chat"))
        option = (await style.get(found.get_download_options()))[0]
        stream = option.download(on_progress, lambda: events.append("finalize"))
        items = await style.items(stream)
        assert items == progress
        key = await style.get(stream)
        assert key == "fake/hub-chat-3b"
        downloaded = await style.get(client.llm.list_downloaded())
        assert key in [m.model_key for m in downloaded]
        model = await style.get(client.llm.model(key))
        assert model.identifier == key

    style.run(body)
    assert events == ["progress"] * 4 + ["finalize"]
    assert progress[-1].downloaded_bytes == progress[-1].total_bytes
    assert threads == {threading.current_thread()}


def test_download_result_without_iterating(style: Style, client: Client) -> None:
    async def body() -> str:
        (found,) = await style.get(client.repository.search_models("hub-embed"))
        options = await style.get(found.get_download_options())
        return await style.get(options[1].download())

    assert style.run(body) == "fake/hub-embed-small"


@pytest.mark.fake_lmstudio(load_time=1.0)
def test_cancel_download(client: Client, server: FakeLMStudio, ms: float) -> None:
    (found,) = client.repository.search_models("hub-chat").result(20_000 * ms)
    option = found.get_download_options().result(20_000 * ms)[0]
    stream = option.download()
    assert stream.cancel()
    with pytest.raises(LMStudioCancelledError):
        stream.result(20_000 * ms)
    downloaded = client.llm.list_downloaded().result(20_000 * ms)
    assert "fake/hub-chat-3b" not in [m.model_key for m in downloaded]
