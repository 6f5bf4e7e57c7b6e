"""Dynamic handles end to end: ``client.llm.handle(...)`` / ``client.embedding.handle(...)``
address the model by query on every request and load nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lmstudio import (
    Client,
    EmbeddingDynamicHandle,
    EmbeddingLoadModelConfig,
    LLMDynamicHandle,
    LlmInstanceInfo,
    LlmLoadModelConfig,
    LlmPredictionConfig,
    ModelProcessingState,
)
from lmstudio.errors import LMStudioModelNotFoundError, LMStudioValueError
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

QUERY = {"type": "query", "query": {"identifier": "fake/chat"}}


def test_getting_a_handle_sends_nothing(client: Client, server: FakeLMStudio) -> None:
    handle = client.llm.handle("fake/tools")  # not loaded: nothing is loaded for it
    assert isinstance(handle, LLMDynamicHandle)
    assert repr(handle) == "LLMDynamicHandle(identifier='fake/tools')"
    assert repr(client.embedding.handle()) == "EmbeddingDynamicHandle(any)"
    assert handle.get_info().result(10) is None
    assert [m.model_info.model_key for m in client.llm.list_loaded().result(10)] == ["fake/chat"]
    assert server.calls("llm/getModelInfo")[0]["parameter"] == {
        "specifier": {"type": "query", "query": {"identifier": "fake/tools"}},
        "throwIfNotFound": False,
    }


def test_llm_handle_methods(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        handle = client.llm.handle("fake/chat")
        info = await style.get(handle.get_info())
        assert isinstance(info, LlmInstanceInfo) and info.model_key == "fake/chat"
        assert (await style.get(handle.respond("Hello!"))).content
        assert (await style.get(handle.complete("Once upon"))).content
        fragments = [f.content async for f in style.iterate(handle.respond_stream("count to 3"))]
        assert fragments
        assert (await style.get(handle.complete_raw("raw text"))).content
        model = await style.get(client.llm.model("fake/chat"))
        ids = await style.get(handle.tokenize("Hello, world!"))
        assert ids == await style.get(model.tokenize("Hello, world!"))
        assert await style.get(handle.count_tokens("Hello")) > 0
        assert isinstance(await style.get(handle.get_load_config()), LlmLoadModelConfig)
        assert await style.get(handle.get_context_length()) > 0
        assert isinstance(await style.get(handle.get_base_prediction_config()), LlmPredictionConfig)
        assert isinstance(await style.get(handle.get_processing_state()), ModelProcessingState)
        assert await style.get(handle.apply_prompt_template("Hi"))
        acted = await style.get(handle.act("What is 2 + 2?", [_add]))
        assert acted.rounds >= 1

    style.run(body)
    for endpoint in ("llm/tokenize", "llm/countTokens", "llm/getLoadConfig"):
        assert server.calls(endpoint)[0]["parameter"]["specifier"] == QUERY
    assert all(
        c["creationParameter"]["modelSpecifier"] == QUERY for c in server.calls("llm/predict")
    )


def _add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_handle_follows_whichever_model_matches(style: Style, client: Client) -> None:
    async def body() -> None:
        handle = client.llm.handle("second")
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(handle.respond("Hi"))
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(handle.get_context_length())
        loaded = await style.get(client.llm.load_new_instance("fake/tools", "second"))
        assert (await style.get(handle.get_info())).model_key == "fake/tools"
        assert (await style.get(handle.respond("Hi"))).content
        await style.get(loaded.unload())
        assert await style.get(handle.get_info()) is None
        await style.get(client.llm.load_new_instance("fake/reasoning", "second"))
        assert (await style.get(handle.get_info())).model_key == "fake/reasoning"

    style.run(body)


def test_query_fields(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        await style.get(client.llm.load_new_instance("fake/vision"))
        by_vision = client.llm.handle(vision=True)
        assert (await style.get(by_vision.get_info())).model_key == "fake/vision"
        by_path = client.llm.handle(path="fake/chat-7b-GGUF/chat-7b-Q4_K_M.gguf")
        assert (await style.get(by_path.get_info())).model_key == "fake/chat"
        assert await style.get(client.llm.handle().get_info()) is not None

    style.run(body)
    sent = [c["parameter"]["specifier"]["query"] for c in server.calls("llm/getModelInfo")]
    assert {"vision": True} in sent
    assert {"path": "fake/chat-7b-GGUF/chat-7b-Q4_K_M.gguf"} in sent
    assert {} in sent
    handle = client.llm.handle("fake/chat", path="p", vision=False, device="other")
    assert handle.query.device_identifier == "other"
    assert repr(handle) == (
        "LLMDynamicHandle(identifier='fake/chat', path='p', vision=False, device='other')"
    )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("",), {}),
        ((3,), {}),
        ((), {"path": "a\\b"}),
        ((), {"path": ""}),
        ((), {"vision": "yes"}),
        ((), {"device": ""}),
    ],
)
def test_bad_queries_raise_at_once(client: Client, args: tuple, kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(LMStudioValueError):
        client.llm.handle(*args, **kwargs)


def test_embedding_handle(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        handle = client.embedding.handle("fake/embed")
        assert isinstance(handle, EmbeddingDynamicHandle)
        model = await style.get(client.embedding.model("fake/embed"))
        assert await style.get(handle.embed("Hello")) == await style.get(model.embed("Hello"))
        assert len(await style.get(handle.embed(["a", "b"]))) == 2
        assert await style.get(handle.tokenize("Hello")) == await style.get(model.tokenize("Hello"))
        assert isinstance(await style.get(handle.get_load_config()), EmbeddingLoadModelConfig)
        assert await style.get(handle.get_eval_batch_size()) == 512
        assert await style.get(handle.get_base_prediction_config()) == {}
        assert (await style.get(handle.get_info())).model_key == "fake/embed"
        assert not hasattr(handle, "unload")

    style.run(body)
    assert server.calls("embedding/embedString")[0]["parameter"]["modelSpecifier"] == {
        "type": "query",
        "query": {"identifier": "fake/embed"},
    }
