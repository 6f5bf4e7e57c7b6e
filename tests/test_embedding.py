"""``client.embedding`` and ``EmbeddingModel`` handles end to end, blocking and awaiting."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from lmstudio import (
    Client,
    DownloadedEmbeddingModel,
    EmbeddingLoadModelConfig,
    EmbeddingModel,
    LMStudioModelNotFoundError,
    LMStudioValueError,
)
from lmstudio.testing import FakeLMStudio, count_tokens, embed_text, tokenize

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


def test_embed(style: Style, client: Client) -> None:
    async def body() -> None:
        model = await style.get(client.embedding.model())
        assert isinstance(model, EmbeddingModel)
        assert model.identifier == "fake/embed"
        vector = await style.get(model.embed("Hello, world!"))
        assert vector == pytest.approx(embed_text("Hello, world!", 384))
        assert math.isclose(sum(x * x for x in vector), 1.0)
        texts = ["first text", "second text", "first text"]
        vectors = await style.get(model.embed(texts))
        assert len(vectors) == 3
        assert vectors[0] == vectors[2] != vectors[1]
        assert vectors[1] == pytest.approx(embed_text("second text", 384))
        assert await style.get(model.embed(iter(()))) == []

    style.run(body)


def test_tokens(style: Style, client: Client) -> None:
    async def body() -> None:
        model = await style.get(client.embedding.model("fake/embed"))
        # The fake's embedding models add start and end markers (lmstudio/testing/README.md).
        assert await style.get(model.tokenize("an embedding")) == tokenize(
            "an embedding", embedding=True
        )
        assert await style.get(model.tokenize(["a", "b c"])) == [
            tokenize("a", embedding=True),
            tokenize("b c", embedding=True),
        ]
        assert await style.get(model.count_tokens("an embedding")) == count_tokens("an embedding")
        assert await style.get(model.get_context_length()) == model.model_info.context_length

    style.run(body)


def test_load_unload(style: Style, client: Client, server: FakeLMStudio) -> None:
    progress: list[float] = []

    async def body() -> None:
        model = await style.get(
            client.embedding.load_new_instance(
                "fake/embed",
                "vectors",
                config=EmbeddingLoadModelConfig(context_length=512),
                on_load_progress=progress.append,
            )
        )
        assert model.identifier == "vectors"
        config = await style.get(model.get_load_config())
        assert isinstance(config, EmbeddingLoadModelConfig)
        assert config.context_length == 512
        loaded = await style.get(client.embedding.list_loaded())
        assert [m.identifier for m in loaded] == ["fake/embed", "vectors"]
        await style.get(model.unload())
        await style.get(client.embedding.unload("fake/embed"))
        assert await style.get(client.embedding.list_loaded()) == []
        with pytest.raises(LMStudioModelNotFoundError, match="No embedding model is loaded"):
            await style.get(client.embedding.model())
        # Just in time again, with the default TTL.
        again = await style.get(client.embedding.model("fake/embed"))
        assert again.identifier == "fake/embed"

    style.run(body)
    assert progress == [0.25, 0.5, 0.75, 1.0]
    stack = server.calls("loadModel")[-1]["creationParameter"]["loadConfigStack"]
    assert stack["layers"][0]["config"]["fields"] == [
        {"key": "embedding.load.contextLength", "value": 512}
    ]
    assert server.calls("getOrLoad")[-1]["creationParameter"]["loadTtlMs"] == 3_600_000


def test_list_downloaded(style: Style, client: Client) -> None:
    async def body() -> None:
        downloaded = await style.get(client.embedding.list_downloaded())
        assert [m.model_key for m in downloaded] == ["fake/embed"]
        (embed,) = downloaded
        assert isinstance(embed, DownloadedEmbeddingModel)
        assert embed.type == "embedding"
        model = await style.get(embed.model())
        assert model == await style.get(client.embedding.model())

    style.run(body)


def test_namespaces_keep_to_their_kind(style: Style, client: Client) -> None:
    async def body() -> None:
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(client.embedding.model("fake/chat"))
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(client.llm.get_model_info("fake/embed"))

    style.run(body)


def test_invalid_arguments(client: Client, ms: float) -> None:
    model = client.embedding.model().result(20_000 * ms)
    with pytest.raises(LMStudioValueError):
        model.embed(["text", None])  # type: ignore[list-item]
    with pytest.raises(LMStudioValueError, match="Unknown embedding load config"):
        client.embedding.load_new_instance("fake/embed", config={"flash_attention": True})
