"""The convenience API (``lms.llm()``...) on the default client, blocking and awaiting."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import lmstudio as lms
from lmstudio import _api as client_module
from lmstudio.testing import FakeLMStudio, embed_text, expected_reply

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


@pytest.fixture
def default_client(server: FakeLMStudio) -> Iterator[lms.Client]:
    """The default client, configured for the fake server, reset after the test."""
    client_module._reset_default_client()
    lms.configure_default_client(server.api_host)
    yield lms.get_default_client()
    client_module._reset_default_client()


def test_models(style: Style, default_client: lms.Client) -> None:
    async def body() -> None:
        model = await style.get(lms.llm())
        assert isinstance(model, lms.LLM)
        assert model == await style.get(lms.llm("fake/chat"))
        assert (await style.get(model.respond("Hi"))).content == expected_reply("Hi")
        embedder = await style.get(lms.embedding_model())
        assert isinstance(embedder, lms.EmbeddingModel)
        vector = await style.get(embedder.embed("Hi"))
        assert vector == pytest.approx(embed_text("Hi", 384))
        assert await style.get(lms.embedding_model("fake/embed")) == embedder

    style.run(body)


def test_listings(style: Style, default_client: lms.Client) -> None:
    async def body() -> None:
        loaded = await style.get(lms.list_loaded_models())
        assert [(type(m), m.identifier) for m in loaded] == [
            (lms.LLM, "fake/chat"),
            (lms.EmbeddingModel, "fake/embed"),
        ]
        assert await style.get(lms.list_loaded_models("llm")) == loaded[:1]
        assert await style.get(lms.list_loaded_models("embedding")) == loaded[1:]
        downloaded = await style.get(lms.list_downloaded_models())
        assert [m.model_key for m in downloaded] == [
            "fake/chat",
            "fake/reasoning",
            "fake/tools",
            "fake/vision",
            "fake/embed",
        ]
        assert isinstance(downloaded[0], lms.DownloadedLlm)
        assert isinstance(downloaded[-1], lms.DownloadedEmbeddingModel)
        assert await style.get(lms.list_downloaded_models("embedding")) == downloaded[-1:]
        assert len(await style.get(lms.list_downloaded_models("llm"))) == 4

    style.run(body)
    with pytest.raises(lms.LMStudioValueError, match="namespace"):
        lms.list_loaded_models("plugins")  # type: ignore[arg-type]


def test_uploads(style: Style, default_client: lms.Client) -> None:
    async def body() -> None:
        image = await style.get(lms.prepare_image(PNG, "dot.png"))
        assert (image.name, image.file_type) == ("dot.png", "image")
        text = await style.get(lms.prepare_file(b"plain words", "words.txt"))
        assert text.file_type == "text/plain"

    style.run(body)


def test_one_default_client(server: FakeLMStudio, default_client: lms.Client, ms: float) -> None:
    assert lms.get_default_client() is default_client
    assert default_client.api_host == server.api_host
    lms.configure_default_client(server.api_host)  # the same settings: fine
    with pytest.raises(lms.LMStudioRuntimeError, match="already in use"):
        lms.configure_default_client("localhost:1")
    with pytest.raises(lms.LMStudioRuntimeError):
        lms.get_default_client("localhost:1")
    model = lms.llm().result(20_000 * ms)
    default_client.close()
    # A closed default client is replaced (handles of the old one stay closed).
    replacement = lms.get_default_client()
    assert replacement is not default_client
    assert replacement.state is lms.ClientState.UNOPENED
    assert lms.llm().result(20_000 * ms) != model
    with pytest.raises(lms.LMStudioRuntimeError, match="closed"):
        model.respond("Hi")


def test_default_client_closes_at_exit(server: FakeLMStudio, ms: float) -> None:
    script = textwrap.dedent(
        f"""
        import lmstudio as lms

        lms.configure_default_client({server.api_host!r})
        model = lms.llm().result(20)
        stream = model.respond_stream("count to 100000")
        print(next(iter(stream)).content, flush=True)
        # exits with the prediction still running: the exit hook closes everything
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60_000 * ms,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1\n"
    assert done.stderr == ""


def test_sync_api_timeout_is_the_default_client_s_timeout(server: FakeLMStudio, ms: float) -> None:
    client_module._reset_default_client()
    try:
        assert lms.get_sync_api_timeout() == 60.0
        lms.set_sync_api_timeout(0.3)
        lms.configure_default_client(server.api_host)
        client = lms.get_default_client()
        assert client.timeout == 0.3 == lms.get_sync_api_timeout()
        # the default timeout applies: a server that never answers fails the call in time
        with server.faults.silence("listLoaded"), pytest.raises(lms.LMStudioTimeoutError):
            lms.list_loaded_models("llm").result(5000 * ms)
        lms.set_sync_api_timeout(None)  # the client in use follows
        assert client.timeout is None
        with pytest.raises(lms.LMStudioValueError, match="positive number"):
            lms.set_sync_api_timeout(-1)
        assert lms.get_sync_api_timeout() is None
    finally:
        client_module._reset_default_client()
    assert lms.get_sync_api_timeout() == 60.0


def test_a_client_s_timeout_can_be_changed(server: FakeLMStudio, ms: float) -> None:
    with lms.Client(server.api_host) as client:
        client.timeout = 0.3
        with server.faults.silence("version"), pytest.raises(lms.LMStudioTimeoutError):
            client.system.version().result(5000 * ms)
        with pytest.raises(lms.LMStudioValueError):
            client.timeout = 0  # type: ignore[assignment]
        assert client.timeout == 0.3


def test_errors_through_lms_functions_suggest_lms_fixes(ms: float) -> None:
    client_module._reset_default_client()
    try:
        with FakeLMStudio(catalog=[]) as empty:  # nothing loaded, nothing to load
            lms.configure_default_client(empty.api_host)
            with pytest.raises(lms.LMStudioModelNotFoundError) as info:
                lms.llm().result(5000 * ms)
            assert "lms.llm('key')" in str(info.value)
        with FakeLMStudio(catalog=[]) as other, lms.Client(other.api_host) as client:
            with pytest.raises(lms.LMStudioModelNotFoundError) as info:
                client.llm.model().result(5000 * ms)
            assert "client.llm.model('key')" in str(info.value)
    finally:
        client_module._reset_default_client()


def test_an_unreachable_default_client_suggests_configure_default_client(ms: float) -> None:
    client_module._reset_default_client()
    try:
        client = lms.get_default_client()
        client._session._options["ports"] = (1,)  # nothing listens there
        with pytest.raises(lms.LMStudioClientError) as info:
            lms.list_loaded_models().result(10_000 * ms)
        assert "lms.configure_default_client('localhost:1234')" in str(info.value)
    finally:
        client_module._reset_default_client()
