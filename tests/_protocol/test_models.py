"""The generated models decode and re-encode real-shaped messages without loss."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from lmstudio._protocol import endpoints, models, strict

PREDICT = endpoints.endpoint("llm", "predict")

MODEL_INFO: dict[str, Any] = {
    "type": "llm",
    "modelKey": "qwen2.5-7b-instruct",
    "format": "gguf",
    "displayName": "Qwen2.5 7B Instruct",
    "path": "lmstudio-community/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf",
    "sizeBytes": 4683073184,
    "paramsString": "7B",
    "architecture": "qwen2",
    "quantization": {"name": "Q4_K_M", "bits": 4},
    "publisher": "lmstudio-community",
    "indexedModelIdentifier": "lmstudio-community/Qwen2.5-7B-Instruct-GGUF",
    "deviceIdentifier": None,
    "vision": False,
    "trainedForToolUse": True,
    "maxContextLength": 32768,
}
INSTANCE_INFO: dict[str, Any] = {
    **MODEL_INFO,
    "identifier": "qwen2.5-7b-instruct",
    "instanceReference": "Tq4K+2CYkcp9nGHaFqpSW0hX",
    "ttlMs": None,
    "lastUsedTime": 1764000000000,
    "contextLength": 4096,
}
KV_CONFIG = {
    "fields": [
        {"key": "llm.prediction.temperature", "value": 0.7},
        {"key": "llm.prediction.maxPredictedTokens", "value": {"checked": True, "value": 256}},
        {"key": "llm.prediction.stopStrings", "value": ["\n\n"]},
    ]
}
PREDICT_CREATION: dict[str, Any] = {
    "modelSpecifier": {"type": "query", "query": {"identifier": "qwen2.5-7b-instruct"}},
    "history": {
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "You are terse."}]},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {
                        "type": "file",
                        "name": "cat.png",
                        "identifier": "file-1",
                        "sizeBytes": 1234,
                        "fileType": "image",
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "toolCallRequest",
                        "toolCallRequest": {
                            "type": "function",
                            "id": "call-1",
                            "name": "lookup",
                            "arguments": {"q": "cat"},
                        },
                    }
                ],
            },
            {
                "role": "tool",
                "content": [{"type": "toolCallResult", "content": "a cat", "toolCallId": "call-1"}],
            },
        ]
    },
    "predictionConfigStack": {
        "layers": [
            {"layerName": "apiOverride", "config": KV_CONFIG},
            {"layerName": "conversationSpecific", "config": {"fields": []}},
        ]
    },
    "fuzzyPresetIdentifier": "my-preset",
}
STATS = {
    "stopReason": "eosFound",
    "tokensPerSecond": 51.2,
    "numGpuLayers": -1,
    "timeToFirstTokenSec": 0.12,
    "promptTokensCount": 30,
    "predictedTokensCount": 12,
    "totalTokensCount": 42,
}
PREDICT_PACKETS: list[dict[str, Any]] = [
    {
        "type": "fragment",
        "fragment": {
            "content": "Hel",
            "tokensCount": 1,
            "containsDrafted": False,
            "reasoningType": "none",
            "isStructural": False,
        },
    },
    {
        "type": "promptProcessingProgress",
        "progress": 0.5,
        "details": {
            "cachedTokenCount": 0,
            "totalPromptTokenCount": 30,
            "processedPromptTokenCount": 15,
            "unprocessedPromptTokenCount": 15,
        },
    },
    {"type": "toolCallGenerationStart", "toolCallId": "call-1"},
    {"type": "toolCallGenerationNameReceived", "name": "lookup"},
    {"type": "toolCallGenerationArgumentFragmentGenerated", "content": '{"q": '},
    {
        "type": "toolCallGenerationEnd",
        "toolCallRequest": {"type": "function", "name": "lookup", "arguments": {"q": "cat"}},
        "rawContent": '{"name": "lookup", "arguments": {"q": "cat"}}',
    },
    {
        "type": "toolCallGenerationFailed",
        "error": {"title": "Failed to parse tool call", "rootTitle": "Failed to parse tool call"},
    },
    {
        "type": "success",
        "stats": STATS,
        "modelInfo": INSTANCE_INFO,
        "loadModelConfig": {"fields": [{"key": "llm.load.contextLength", "value": 4096}]},
        "predictionConfig": KV_CONFIG,
    },
]
SERIALIZED_ERROR = {
    "title": "No model found that fits the query",
    "rootTitle": "No model found that fits the query",
    "cause": "nothing is loaded",
    "suggestion": "load a model first",
    "displayData": {
        "code": "generic.noModelMatchingQuery",
        "query": {"identifier": "nope"},
        "loadedModelsSample": ["m1"],
        "totalLoadedModels": 1,
    },
    "stack": "Error: No model found\n    at x",
}
DOWNLOAD_PROGRESS = {"downloadedBytes": 1024, "totalBytes": 4096, "speedBytesPerSecond": 512.5}


def round_trip(payload: Any, type_: Any) -> Any:
    """Decode ``payload`` as ``type_`` and encode it again, as parsed JSON."""
    decoded = msgspec.json.decode(json.dumps(payload).encode(), type=type_)
    return decoded, json.loads(msgspec.json.encode(decoded))


@pytest.mark.parametrize(
    ("payload", "type_"),
    [
        pytest.param(PREDICT_CREATION, PREDICT.creation_parameter, id="predict-creation"),
        *(
            pytest.param(packet, PREDICT.to_client_packet, id=f"predict-{packet['type']}")
            for packet in PREDICT_PACKETS
        ),
        pytest.param({"type": "cancel"}, PREDICT.to_server_packet, id="predict-cancel"),
        pytest.param(SERIALIZED_ERROR, models.SerializedLMSExtendedError, id="rpc-error"),
        pytest.param(INSTANCE_INFO, models.LlmInstanceInfo, id="llm-instance-info"),
        pytest.param([INSTANCE_INFO], endpoints.endpoint("llm", "listLoaded").returns, id="list"),
        pytest.param(DOWNLOAD_PROGRESS, models.DownloadProgressUpdate, id="download-progress"),
    ],
)
@pytest.mark.parametrize("module", [models, strict], ids=["lenient", "strict"])
def test_round_trip_is_lossless(payload: Any, type_: Any, module: Any) -> None:
    if module is strict:
        type_ = _strict_twin(type_)
    _, encoded = round_trip(payload, type_)
    assert encoded == payload


def _strict_twin(type_: Any) -> Any:
    """The same-named type in the strict module."""
    name = getattr(type_, "__name__", None)
    if name is not None and hasattr(strict, name):
        return getattr(strict, name)
    for ns in endpoints.endpoints().values():
        for ep in ns.values():
            for attr in ("parameter", "returns", "creation_parameter", "to_client_packet"):
                if getattr(ep, attr) is type_:
                    return getattr(endpoints.endpoint(ep.namespace, ep.name, strict=True), attr)
    raise LookupError(type_)


def test_packets_decode_into_their_tagged_classes() -> None:
    decoder = msgspec.json.Decoder(PREDICT.to_client_packet)
    kinds = [type(decoder.decode(json.dumps(p).encode())).__name__ for p in PREDICT_PACKETS]
    assert kinds == [
        "LlmChannelPredictToClientPacketFragment",
        "LlmChannelPredictToClientPacketPromptProcessingProgress",
        "LlmChannelPredictToClientPacketToolCallGenerationStart",
        "LlmChannelPredictToClientPacketToolCallGenerationNameReceived",
        "LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated",
        "LlmChannelPredictToClientPacketToolCallGenerationEnd",
        "LlmChannelPredictToClientPacketToolCallGenerationFailed",
        "LlmChannelPredictToClientPacketSuccess",
    ]
    success = decoder.decode(json.dumps(PREDICT_PACKETS[-1]).encode())
    assert isinstance(success, models.LlmChannelPredictToClientPacketSuccess)
    assert success.stats.tokens_per_second == 51.2
    assert success.model_info.max_context_length == 32768
    assert success.model_info.device_identifier is None


def test_snake_case_attributes_camel_case_wire() -> None:
    fragment = models.LlmPredictionFragment(
        content="x", tokens_count=1, contains_drafted=False, reasoning_type="none"
    )
    assert json.loads(msgspec.json.encode(fragment)) == {
        "content": "x",
        "tokensCount": 1,
        "containsDrafted": False,
        "reasoningType": "none",
    }


def test_absent_and_null_are_different() -> None:
    info, encoded = round_trip(INSTANCE_INFO, models.LlmInstanceInfo)
    assert info.device_identifier is None
    assert encoded["deviceIdentifier"] is None
    assert info.params_string == "7B"
    without = {k: v for k, v in INSTANCE_INFO.items() if k != "paramsString"}
    info, encoded = round_trip(without, models.LlmInstanceInfo)
    assert info.params_string is msgspec.UNSET
    assert "paramsString" not in encoded


def test_unknown_fields_from_a_newer_server_are_ignored() -> None:
    newer = {**INSTANCE_INFO, "someFutureField": {"nested": [1, 2]}}
    info, encoded = round_trip(newer, models.LlmInstanceInfo)
    assert info.identifier == "qwen2.5-7b-instruct"
    assert "someFutureField" not in encoded


def test_unknown_enum_values_are_kept_by_the_lenient_models() -> None:
    newer = {**INSTANCE_INFO, "format": "yuzu"}
    info, _ = round_trip(newer, models.LlmInstanceInfo)
    assert info.format == "yuzu"
    with pytest.raises(msgspec.ValidationError, match=r"\$\.format"):
        round_trip(newer, strict.LlmInstanceInfo)


def test_a_wrong_type_is_a_clear_decode_error() -> None:
    wrong = {**INSTANCE_INFO, "contextLength": "big"}
    with pytest.raises(msgspec.ValidationError) as caught:
        round_trip(wrong, models.LlmInstanceInfo)
    assert str(caught.value) == "Expected `int`, got `str` - at `$.contextLength`"


def test_a_2025_fragment_without_is_structural_still_decodes() -> None:
    old_packet = {
        "type": "fragment",
        "fragment": {
            "content": "Hi",
            "tokensCount": 1,
            "containsDrafted": False,
            "reasoningType": "none",
        },
        "logprobs": [[{"text": "Hi", "logprob": -0.1}]],
    }
    packet, _ = round_trip(old_packet, PREDICT.to_client_packet)
    assert packet.fragment.content == "Hi"
    assert packet.fragment.is_structural is msgspec.UNSET
    # the current protocol requires it from a current server: the strict model says so
    with pytest.raises(msgspec.ValidationError, match="isStructural"):
        round_trip(old_packet, endpoints.endpoint("llm", "predict", strict=True).to_client_packet)


def test_a_2025_instance_info_decodes() -> None:
    old = {
        k: v
        for k, v in INSTANCE_INFO.items()
        if k
        not in {"publisher", "indexedModelIdentifier", "deviceIdentifier", "ttlMs", "lastUsedTime"}
    }
    info, encoded = round_trip(old, models.LlmInstanceInfo)
    assert info.publisher is msgspec.UNSET
    assert encoded == old


def test_strict_models_check_constraints() -> None:
    bad_ttl = {
        "modelKey": "m",
        "ttlMs": 0,
        "loadConfigStack": {"layers": []},
    }
    load = endpoints.endpoint("llm", "loadModel", strict=True).creation_parameter
    with pytest.raises(msgspec.ValidationError, match="ttlMs"):
        msgspec.convert(bad_ttl, load)
    assert msgspec.convert({**bad_ttl, "ttlMs": 1}, load).ttl_ms == 1


def test_error_display_data_is_tagged_by_code() -> None:
    # the schema types every error field as any JSON; display data decodes on its own
    error = msgspec.convert(SERIALIZED_ERROR, models.SerializedLMSExtendedError)
    assert error.title == "No model found that fits the query"
    display = msgspec.convert(error.display_data, models.ErrorDisplayData)
    assert isinstance(display, models.ErrorDisplayDataGenericNoModelMatchingQuery)
    assert display.total_loaded_models == 1


def test_chat_messages_are_tagged_by_role() -> None:
    creation = msgspec.convert(PREDICT_CREATION, PREDICT.creation_parameter)
    # decoded under the official SDK's public names (codegen/names.py)
    roles = [type(m).__name__ for m in creation.history.messages]
    assert roles == ["SystemPrompt", "UserMessage", "AssistantResponse", "ToolResultMessage"]
