"""Model extras end to end: processing state, base prediction config, draft preloading,
memory estimates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pytest

from lmstudio import (
    Client,
    EstimatedResourcesUsage,
    LlmPredictionConfig,
    ModelProcessingState,
)
from lmstudio.errors import LMStudioModelNotFoundError, LMStudioServerError, LMStudioValueError
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


def test_processing_state(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model("fake/chat"))
        state = await style.get(model.get_processing_state())
        assert isinstance(state, ModelProcessingState)
        assert (state.status, state.queued) == ("idle", 0)
        embedder = await style.get(client.embedding.model("fake/embed"))
        assert (await style.get(embedder.get_processing_state())).status == "idle"
        await style.get(model.unload())
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(model.get_processing_state())

    style.run(body)
    assert server.calls("llm/getInstanceProcessingState")[0]["parameter"] == {
        "specifier": {"type": "query", "query": {"identifier": "fake/chat"}},
        "throwIfNotFound": True,
    }


def test_processing_state_while_generating(client: Client) -> None:
    with FakeLMStudio(tokens_per_second=20) as slow, Client(slow.api_host, timeout=20) as c:
        model = c.llm.model("fake/chat").result(20)
        with model.respond_stream("count to twenty please") as stream:
            next(iter(stream))  # generating now
            assert model.get_processing_state().result(20).status == "generating"


def test_base_prediction_config(style: Style, client: Client) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model("fake/chat"))
        config = await style.get(model.get_base_prediction_config())
        assert isinstance(config, LlmPredictionConfig)
        assert config.temperature == 0.8
        assert config.top_k_sampling == 40

    style.run(body)


def test_preload_draft_model(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model("fake/chat"))
        assert await style.get(model.preload_draft_model("fake/tools")) is None
        with pytest.raises(LMStudioServerError):
            await style.get(model.preload_draft_model("no/such-model"))

    style.run(body)
    assert server.calls("llm/preloadDraftModel")[0]["parameter"] == {
        "specifier": {"type": "query", "query": {"identifier": "fake/chat"}},
        "draftModelKey": "fake/tools",
    }
    with pytest.raises(LMStudioValueError):
        client.llm.model("fake/chat").result(20).preload_draft_model("")


def test_estimate_usage(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        small = await style.get(
            client.llm.estimate_usage("fake/chat", config={"context_length": 1024})
        )
        assert isinstance(small, EstimatedResourcesUsage)
        big = await style.get(
            client.llm.estimate_usage("fake/chat", config={"contextLength": 8192})
        )
        assert big.memory.context_bytes == 8 * small.memory.context_bytes
        assert big.memory.model_bytes == small.memory.model_bytes
        assert big.memory.total_bytes == big.memory.model_bytes + big.memory.context_bytes
        assert isinstance(big.passes_guardrails, bool)
        embedding = await style.get(client.embedding.estimate_usage("fake/embed"))
        assert embedding.memory.total_bytes > 0
        with pytest.raises(LMStudioServerError):
            await style.get(client.llm.estimate_usage("fake/embed"))  # not an LLM

    style.run(body)
    assert server.loaded_models() == ["fake/chat", "fake/embed"]  # nothing loaded meanwhile
    first = server.calls("llm/estimateModelUsage")[0]["parameter"]
    assert first["modelKey"] == "fake/chat" and "deviceIdentifier" not in first
    fields = first["loadConfigStack"]["layers"][0]["config"]["fields"]
    assert {"key": "llm.load.contextLength", "value": 1024} in fields


def test_complete_raw(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model("fake/chat"))
        progress: list[float] = []
        result = await style.get(
            model.complete_raw("Hello raw", on_prompt_processing_progress=progress.append)
        )
        assert result.content == "You said: Hello raw"
        assert progress == [0.0, 0.5, 1.0]  # completeRawText's own progress packets
        stream = model.complete_raw_stream("count", config={"max_tokens": 2})
        fragments = [f.content async for f in style.iterate(stream)]
        final = await style.get(stream)
        assert "".join(fragments) == final.content
        assert final.stats.stop_reason == "maxPredictedTokensReached"

    style.run(body)
    creations = [call["creationParameter"] for call in server.calls("llm/completeRawText")]
    assert creations[0]["rawPrompt"] == "Hello raw"
    assert "history" not in creations[0]  # no chat, no template
    assert {"key": "llm.prediction.maxPredictedTokens", "value": {"checked": True, "value": 2}} in (
        creations[1]["predictionConfigStack"]["layers"][0]["config"]["fields"]
    )


def test_complete_raw_cancel_and_bad_prompt(client: Client) -> None:
    with FakeLMStudio(tokens_per_second=20) as slow, Client(slow.api_host, timeout=20) as c:
        model = c.llm.model("fake/chat").result(20)
        stream = model.complete_raw_stream("a long story about many things")
        next(iter(stream))
        stream.cancel()
        assert stream.result(20).stats.stop_reason == "userStopped"
        assert slow.warnings == []
    with pytest.raises(LMStudioValueError):
        client.llm.model("fake/chat").result(20).complete_raw(["not", "text"])  # type: ignore[arg-type]


def test_embedding_eval_batch_size_and_base_prediction_config(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> None:
        model = await style.get(client.embedding.model("fake/embed"))
        assert await style.get(model.get_eval_batch_size()) == 512
        assert await style.get(model.get_base_prediction_config()) == {}
        await style.get(model.unload())
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(model.get_eval_batch_size())
        with pytest.raises(LMStudioModelNotFoundError):
            await style.get(model.get_base_prediction_config())

    style.run(body)
    assert server.calls("embedding/getBasePredictionConfig")[0]["parameter"] == {
        "specifier": {"type": "query", "query": {"identifier": "fake/embed"}},
    }
    assert server.calls("embedding/getLoadConfig")


def test_auto_fit_arguments_override_and_xtc_over_the_wire(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    override = {
        "enabled": True,
        "disabled_parameters": ["--mlock"],
        "override_parameters": [{"key": "--threads", "value": "8"}],
        "exclude_all_config": False,
    }

    async def body() -> None:
        model = await style.get(
            client.llm.load_new_instance(
                "fake/tools", config={"auto_fit": True, "llama_cpp_arguments_override": override}
            )
        )
        config = await style.get(model.get_load_config())
        assert config.auto_fit is True
        assert config.llama_cpp_arguments_override is not None
        assert config.llama_cpp_arguments_override.disabled_parameters == ["--mlock"]
        assert config.context_length is msgspec.UNSET  # LM Studio chose it
        result = await style.get(
            model.respond("Hi", config={"xtc_probability": 0.5, "xtc_threshold": 0.1})
        )
        assert result.content
        with pytest.raises(LMStudioValueError, match="auto_fit=True"):
            client.llm.load_new_instance(
                "fake/tools", config={"auto_fit": True, "context_length": 8}
            )

    style.run(body)
    layers = server.calls("llm/loadModel")[0]["creationParameter"]["loadConfigStack"]["layers"]
    sent = {f["key"]: f["value"] for f in layers[0]["config"]["fields"]}
    assert sent["llm.load.llama.autoFit"] is True
    assert sent["llm.load.llama.argumentsOverride"]["overrideParameters"] == [
        {"key": "--threads", "value": "8"}
    ]
    predict = server.calls("llm/predict")[0]["creationParameter"]["predictionConfigStack"]
    fields = {
        f["key"]: f["value"] for layer in predict["layers"] for f in layer["config"]["fields"]
    }
    assert fields["llm.prediction.llama.xtcProbability"] == {"checked": True, "value": 0.5}
    assert fields["llm.prediction.llama.xtcThreshold"] == {"checked": True, "value": 0.1}
