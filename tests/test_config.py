"""Configs: accepted shapes, validation, and the exact KV config LM Studio expects."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from lmstudio._data import config as cfg
from lmstudio._data.config import EmbeddingLoadModelConfig, LlmLoadModelConfig, LlmPredictionConfig
from lmstudio._protocol import models, strict
from lmstudio.errors import LMStudioValueError


def wire(value: msgspec.Struct) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


def kv(fields: dict[str, Any]) -> models.KvConfig:
    return models.KvConfig(fields=[models.KvConfigField(key=k, value=v) for k, v in fields.items()])


def fields_of(config: models.KvConfig) -> dict[str, Any]:
    keys = [f.key for f in config.fields]
    assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
    return {f.key: wire(f)["value"] for f in config.fields}


SCHEMA = {
    "type": "object",
    "properties": {"snake_case_name": {"type": "string"}, "max_tokens": {"type": "integer"}},
    "required": ["snake_case_name"],
}

# Every prediction setting, with the fields lms-kv-config (2026) makes of it.
FULL_PREDICTION: dict[str, Any] = {
    "max_tokens": 100,
    "reasoning_budget": False,
    "temperature": 0.25,
    "stop_strings": ["\n\n"],
    "tool_call_stop_strings": ["</tool>"],
    "context_overflow_policy": "rollingWindow",
    "structured": {"type": "json", "json_schema": SCHEMA},
    "raw_tools": {"type": "none"},
    "tool_choice": {"type": "generic", "mode": "required"},
    "tool_naming": "passThrough",
    "top_k_sampling": 20,
    "repeat_penalty": 1.2,
    "presence_penalty": False,
    "min_p_sampling": 0.1,
    "top_p_sampling": False,
    "xtc_probability": 0.3,
    "xtc_threshold": False,
    "log_probs": 3,
    "cpu_threads": 8,
    "enable_thinking": False,
    "prompt_template": {
        "type": "jinja",
        "jinja_prompt_template": {"template": "{{ x }}"},
        "stop_strings": [],
    },
    "draft_model": "qwen-0.5b",
    "speculative_decoding_num_draft_tokens_exact": 3,
    "speculative_decoding_min_draft_length_to_consider": 2,
    "speculative_decoding_min_continue_drafting_probability": 0.6,
    "reasoning_parsing": {"enabled": True, "start_string": "<t>", "end_string": "</t>"},
    "user_max_image_dimension_pixels": 768,
    "ignore_model_preferred_max_image_dimension": True,
}
FULL_PREDICTION_KV: dict[str, Any] = {
    "llm.prediction.maxPredictedTokens": {"checked": True, "value": 100},
    "llm.prediction.reasoning.budgetTokens": {"checked": False, "value": 1024},
    "llm.prediction.temperature": 0.25,
    "llm.prediction.stopStrings": ["\n\n"],
    "llm.prediction.toolCallStopStrings": ["</tool>"],
    "llm.prediction.contextOverflowPolicy": "rollingWindow",
    "llm.prediction.structured": {"type": "json", "jsonSchema": SCHEMA},
    "llm.prediction.tools": {"type": "none"},
    "llm.prediction.toolChoice": {"type": "generic", "mode": "required"},
    "llm.prediction.toolNaming": "passThrough",
    "llm.prediction.topKSampling": 20,
    "llm.prediction.repeatPenalty": {"checked": True, "value": 1.2},
    "llm.prediction.llama.presencePenalty": {"checked": False, "value": 0},
    "llm.prediction.minPSampling": {"checked": True, "value": 0.1},
    "llm.prediction.topPSampling": {"checked": False, "value": 0.95},
    "llm.prediction.llama.xtcProbability": {"checked": True, "value": 0.3},
    "llm.prediction.llama.xtcThreshold": {"checked": False, "value": 0},
    "llm.prediction.logProbs": {"checked": True, "value": 3},
    "llm.prediction.llama.cpuThreads": 8,
    "llm.prediction.reasoning.enableThinking": False,
    "llm.prediction.promptTemplate": {
        "type": "jinja",
        "jinjaPromptTemplate": {"template": "{{ x }}"},
        "stopStrings": [],
    },
    "llm.prediction.speculativeDecoding.draftModel": "qwen-0.5b",
    "llm.prediction.speculativeDecoding.numDraftTokensExact": 3,
    "llm.prediction.speculativeDecoding.minDraftLengthToConsider": 2,
    "llm.prediction.speculativeDecoding.minContinueDraftingProbability": 0.6,
    "llm.prediction.reasoning.parsing": {
        "enabled": True,
        "startString": "<t>",
        "endString": "</t>",
    },
    "llm.prediction.vision.userMaxImageDimensionPixels": {"checked": True, "value": 768},
    "llm.prediction.vision.ignoreModelPreferredMaxImageDimension": True,
}

FULL_LLM_LOAD: dict[str, Any] = {
    "auto_fit": False,
    "gpu": {
        "ratio": 0.5,
        "num_cpu_expert_layers_ratio": "off",
        "main_gpu": 1,
        "split_strategy": "favorMainGpu",
        "disabled_gpus": [2],
    },
    "max_parallel_predictions": 2,
    "use_unified_kv_cache": False,
    "gpu_strict_vram_cap": True,
    "offload_kv_cache_to_gpu": False,
    "context_length": 8192,
    "prompt_template": {"type": "jinja", "jinja_prompt_template": {"template": "t"}},
    "rope_frequency_base": 10000.0,
    "rope_frequency_scale": False,
    "eval_batch_size": 512,
    "physical_batch_size": 256,
    "flash_attention": True,
    "context_checkpoints": 4,
    "reasoning_budget_message": "stop thinking",
    "speculative_draft_mtp": False,
    "speculative_draft_simple": True,
    "speculative_draft_model": "small",
    "speculative_draft_max_tokens": 8,
    "speculative_draft_min_tokens": 1,
    "speculative_draft_min_continue_probability": 0.5,
    "keep_model_in_memory": False,
    "seed": 42,
    "use_fp16_for_kv_cache": False,
    "try_mmap": False,
    "try_direct_io": True,
    "llama_cpp_arguments_override": {
        "enabled": True,
        "disabled_parameters": ["--mlock"],
        "override_parameters": [{"key": "--threads", "value": "8"}],
        "exclude_all_config": False,
    },
    "num_experts": 4,
    "llama_k_cache_quantization_type": "q8_0",
    "llama_v_cache_quantization_type": False,
    "mlx_disk_cache": False,
    "mlx_kv_cache_quantization": {
        "enabled": True,
        "bits": 4,
        "group_size": 32,
        "quantized_start": 100,
    },
}
# A manual context length, placement or VRAM cap turns auto-fit off (as the TypeScript SDK
# 2.0.0 does), for each engine.
NOT_AUTO_FIT: dict[str, Any] = {
    "llm.load.llama.autoFit": False,
    "llm.load.mlx.autoFit": False,
    "llm.load.yuzu.autoFit": False,
}
FULL_LLM_LOAD_KV: dict[str, Any] = {
    "load.gpuSplitConfig": {
        "strategy": "priorityOrder",
        "disabledGpus": [2],
        "priority": [1],
        "customRatio": [],
    },
    "llm.load.llama.acceleration.offloadRatio": 0.5,
    "llm.load.numCpuExpertLayersRatio": "off",
    "llm.load.llama.autoFit": False,
    "llm.load.mlx.autoFit": False,
    "llm.load.yuzu.autoFit": False,
    "load.gpuStrictVramCap": True,
    "llm.load.numParallelSessions": 2,
    "llm.load.useUnifiedKvCache": False,
    "llm.load.offloadKVCacheToGpu": False,
    "llm.load.contextLength": 8192,
    "llm.load.promptTemplate": {"type": "jinja", "jinjaPromptTemplate": {"template": "t"}},
    "llm.load.llama.ropeFrequencyBase": {"checked": True, "value": 10000.0},
    "llm.load.llama.ropeFrequencyScale": {"checked": False, "value": 0},
    "llm.load.llama.evalBatchSize": 512,
    "llm.load.llama.physicalBatchSize": 256,
    "llm.load.llama.flashAttention": True,
    "llm.load.llama.contextCheckpoints": 4,
    "llm.load.llama.reasoningBudgetMessage": "stop thinking",
    "llm.load.llama.speculativeDecoding.draftMtp": False,
    "llm.load.llama.speculativeDecoding.draftSimple": True,
    "llm.load.llama.speculativeDecoding.draftModel": "small",
    "llm.load.llama.speculativeDecoding.draftMaxTokens": 8,
    "llm.load.llama.speculativeDecoding.draftMinTokens": 1,
    "llm.load.llama.speculativeDecoding.draftMinContinueProbability": 0.5,
    "llm.load.llama.speculativeDecoding.draftDflashSidecar": False,
    "llm.load.llama.speculativeDecoding.draftDsparkSidecar": False,
    "llm.load.llama.speculativeDecoding.draftMtpSidecar": False,
    "llm.load.llama.keepModelInMemory": False,
    "llm.load.seed": {"checked": True, "value": 42},
    "llm.load.llama.useFp16ForKVCache": False,
    "llm.load.llama.tryMmap": False,
    "llm.load.llama.tryDirectIO": True,
    "llm.load.llama.argumentsOverride": {
        "enabled": True,
        "disabledParameters": ["--mlock"],
        "overrideParameters": [{"key": "--threads", "value": "8"}],
        "excludeAllConfig": False,
    },
    "llm.load.numExperts": 4,
    "llm.load.llama.kCacheQuantizationType": {"checked": True, "value": "q8_0"},
    "llm.load.llama.vCacheQuantizationType": {"checked": False, "value": "f16"},
    "llm.load.mlx.diskCache": False,
    "llm.load.mlx.kvCacheQuantization": {
        "enabled": True,
        "bits": 4,
        "groupSize": 32,
        "quantizedStart": 100,
    },
}


# --- accepting configs -----------------------------------------------------------------


def test_dict_keys_in_snake_or_camel_case_give_the_same_config() -> None:
    snake = cfg.to_prediction_config(
        {
            "max_tokens": 10,
            "top_k_sampling": 5,
            "reasoning_parsing": {"enabled": True, "start_string": "a", "end_string": "b"},
        }
    )
    camel = cfg.to_prediction_config(
        {
            "maxTokens": 10,
            "topKSampling": 5,
            "reasoningParsing": {"enabled": True, "startString": "a", "endString": "b"},
        }
    )
    typed = LlmPredictionConfig(
        max_tokens=10,
        top_k_sampling=5,
        reasoning_parsing=models.LlmReasoningParsing(
            enabled=True, start_string="a", end_string="b"
        ),
    )
    assert snake == camel == typed


def test_load_config_accepts_the_wire_spellings_and_camel_case_of_snake_names() -> None:
    # offloadKVCacheToGpu is the wire spelling; offloadKvCacheToGpu the naive camelCase
    for key in ("offload_kv_cache_to_gpu", "offloadKVCacheToGpu", "offloadKvCacheToGpu"):
        assert cfg.to_llm_load_config({key: False}).offload_kv_cache_to_gpu is False
    for key in ("use_fp16_for_kv_cache", "useFp16ForKVCache", "useFp16ForKvCache"):
        assert cfg.to_llm_load_config({key: True}).use_fp16_for_kv_cache is True


def test_typed_config_and_none_are_accepted() -> None:
    typed = LlmPredictionConfig(temperature=0.1)
    assert cfg.to_prediction_config(typed) == typed
    assert cfg.to_prediction_config(None) == LlmPredictionConfig()
    assert cfg.to_llm_load_config(None) == LlmLoadModelConfig()
    assert cfg.to_embedding_load_config(None) == EmbeddingLoadModelConfig()


def test_a_struct_inside_a_dict_is_accepted() -> None:
    setting = models.LlmStructuredPredictionSetting(type_="json", json_schema=SCHEMA)
    config = cfg.to_prediction_config({"structured": setting})
    assert config.structured == setting


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"temprature": 0.5}, "'temprature'"),
        (
            {
                "reasoning_parsing": {
                    "enabled": True,
                    "startString": "a",
                    "endString": "b",
                    "extra": 1,
                }
            },
            "'reasoning_parsing.extra'",
        ),
        ({"structured": {"type": "json", "jsonSchema": {}, "schema": {}}}, "'structured.schema'"),
    ],
)
def test_unknown_prediction_settings_are_named(value: dict[str, Any], named: str) -> None:
    with pytest.raises(LMStudioValueError, match="Unknown prediction config settings") as info:
        cfg.to_prediction_config(value)
    assert named in str(info.value)


def test_unknown_nested_load_setting_is_named() -> None:
    with pytest.raises(LMStudioValueError, match=r"'gpu\.main_gpus'"):
        cfg.to_llm_load_config({"gpu": {"main_gpus": 1}})
    with pytest.raises(LMStudioValueError, match="'flash_attention'"):
        cfg.to_embedding_load_config({"flash_attention": True})


def test_json_schema_contents_are_left_alone() -> None:
    config = cfg.to_prediction_config({"structured": {"type": "json", "jsonSchema": SCHEMA}})
    assert config.structured is not msgspec.UNSET
    assert config.structured.json_schema == SCHEMA  # snake_case keys inside kept as they are


def test_a_setting_given_twice_is_an_error() -> None:
    with pytest.raises(LMStudioValueError, match="given twice"):
        cfg.to_prediction_config({"max_tokens": 1, "maxTokens": 2})


@pytest.mark.parametrize(
    "value",
    [
        {"temperature": -1},
        {"context_overflow_policy": "dropEverything"},
        {"max_tokens": "many"},
        {"tool_choice": {"type": "generic", "mode": "sometimes"}},
        {"structured": {"type": "xml"}},
    ],
)
def test_invalid_prediction_values_are_rejected(value: dict[str, Any]) -> None:
    with pytest.raises(LMStudioValueError, match="Invalid prediction config"):
        cfg.to_prediction_config(value)


def test_invalid_values_in_a_typed_config_are_rejected_too() -> None:
    with pytest.raises(LMStudioValueError, match="Invalid LLM load config"):
        cfg.to_llm_load_config(LlmLoadModelConfig(context_length=0))
    with pytest.raises(LMStudioValueError, match="Invalid LLM load config"):
        cfg.to_llm_load_config({"gpu": {"split_strategy": "randomly"}})


@pytest.mark.parametrize("key", ["max_tokens", "repeat_penalty", "top_p_sampling"])
def test_true_is_not_a_value_for_an_on_off_setting(key: str) -> None:
    with pytest.raises(LMStudioValueError, match=key):
        cfg.to_prediction_config({key: True})


def test_seed_true_is_rejected_for_load_configs() -> None:
    with pytest.raises(LMStudioValueError, match="seed"):
        cfg.to_llm_load_config({"seed": True})


def test_a_config_of_the_wrong_type_is_rejected() -> None:
    with pytest.raises(LMStudioValueError, match="LlmPredictionConfig or a dict"):
        cfg.to_prediction_config([("temperature", 1)])  # type: ignore[arg-type]
    with pytest.raises(LMStudioValueError):
        cfg.to_prediction_config(LlmLoadModelConfig())  # type: ignore[arg-type]


# --- typed config -> KV ----------------------------------------------------------------


def test_every_prediction_setting_maps_to_its_kv_key() -> None:
    config = cfg.to_prediction_config(FULL_PREDICTION)
    assert set(FULL_PREDICTION) == {
        f.name for f in msgspec.structs.fields(LlmPredictionConfig) if f.name != "raw"
    }, "the test covers every field"
    assert fields_of(cfg.prediction_config_to_kv(config)) == FULL_PREDICTION_KV


def test_every_llm_load_setting_maps_to_its_kv_key() -> None:
    config = cfg.to_llm_load_config(FULL_LLM_LOAD)
    assert set(FULL_LLM_LOAD) == {f.name for f in msgspec.structs.fields(LlmLoadModelConfig)}
    assert fields_of(cfg.llm_load_config_to_kv(config)) == FULL_LLM_LOAD_KV


def test_every_embedding_load_setting_maps_to_its_kv_key() -> None:
    config = cfg.to_embedding_load_config(
        {
            "gpu": {"ratio": "max", "disabled_gpus": [0]},
            "context_length": 512,
            "rope_frequency_base": False,
            "rope_frequency_scale": 2.0,
            "keep_model_in_memory": True,
            "try_mmap": False,
        }
    )
    assert fields_of(cfg.embedding_load_config_to_kv(config)) == {
        "load.gpuSplitConfig": {
            "strategy": "evenly",
            "disabledGpus": [0],
            "priority": [],
            "customRatio": [],
        },
        "embedding.load.llama.acceleration.offloadRatio": "max",
        "embedding.load.contextLength": 512,
        "embedding.load.llama.ropeFrequencyBase": {"checked": False, "value": 0},
        "embedding.load.llama.ropeFrequencyScale": {"checked": True, "value": 2.0},
        "embedding.load.llama.keepModelInMemory": True,
        "embedding.load.llama.tryMmap": False,
    }


def test_cpu_expert_layers_ratio_is_llm_only() -> None:
    config = cfg.to_embedding_load_config({"gpu": {"num_cpu_expert_layers_ratio": 0.5}})
    with pytest.raises(LMStudioValueError, match="only applies to LLMs"):
        cfg.embedding_load_config_to_kv(config)


def test_the_reference_load_example() -> None:
    # reference.md 6.8, verified against the official Python SDK (seed aside: the official
    # SDK sends checked:true for every checkbox, which we also do for a value)
    config = cfg.to_llm_load_config(
        {
            "contextLength": 8192,
            "gpu": {"ratio": 0.5, "splitStrategy": "favorMainGpu", "mainGpu": 1},
            "seed": 42,
            "flashAttention": True,
        }
    )
    assert fields_of(cfg.llm_load_config_to_kv(config)) == {
        **NOT_AUTO_FIT,
        "llm.load.contextLength": 8192,
        "llm.load.llama.acceleration.offloadRatio": 0.5,
        "load.gpuSplitConfig": {
            "customRatio": [],
            "disabledGpus": [],
            "priority": [1],
            "strategy": "priorityOrder",
        },
        "llm.load.llama.flashAttention": True,
        "llm.load.seed": {"checked": True, "value": 42},
    }


def test_only_the_given_settings_are_sent() -> None:
    config = cfg.to_prediction_config({"temperature": 0.7})
    assert fields_of(cfg.prediction_config_to_kv(config)) == {"llm.prediction.temperature": 0.7}
    assert fields_of(cfg.llm_load_config_to_kv(LlmLoadModelConfig())) == {}


def test_none_means_not_set() -> None:
    config = cfg.to_prediction_config({"max_tokens": None, "temperature": 0.7})
    assert fields_of(cfg.prediction_config_to_kv(config)) == {"llm.prediction.temperature": 0.7}


def test_sidecar_drafters_are_switched_off_only_with_a_speculative_selector() -> None:
    plain = fields_of(cfg.llm_load_config_to_kv(cfg.to_llm_load_config({"context_length": 10})))
    assert not any("Sidecar" in key for key in plain)
    chosen = fields_of(
        cfg.llm_load_config_to_kv(cfg.to_llm_load_config({"speculative_draft_model": "d"}))
    )
    assert chosen == {
        "llm.load.llama.speculativeDecoding.draftModel": "d",
        "llm.load.llama.speculativeDecoding.draftDflashSidecar": False,
        "llm.load.llama.speculativeDecoding.draftDsparkSidecar": False,
        "llm.load.llama.speculativeDecoding.draftMtpSidecar": False,
    }


def test_mlx_kv_cache_quantization_false_sends_the_disabled_setting() -> None:
    config = cfg.to_llm_load_config({"mlx_kv_cache_quantization": False})
    assert fields_of(cfg.llm_load_config_to_kv(config)) == {
        "llm.load.mlx.kvCacheQuantization": {
            "enabled": False,
            "bits": 8,
            "groupSize": 64,
            "quantizedStart": 5000,
        }
    }


def test_raw_fields_are_sent_and_typed_settings_win() -> None:
    config = cfg.to_prediction_config(
        {
            "temperature": 0.3,
            "raw": {
                "fields": [
                    {"key": "llm.prediction.temperature", "value": 0.9},
                    {"key": "llm.prediction.llama.mirostatSampling", "value": {"version": 2}},
                ]
            },
        }
    )
    assert fields_of(cfg.prediction_config_to_kv(config)) == {
        "llm.prediction.llama.mirostatSampling": {"version": 2},
        "llm.prediction.temperature": 0.3,
    }


# --- stacks ------------------------------------------------------------------------------


def test_an_empty_load_config_is_one_empty_api_override_layer() -> None:
    expected = {"layers": [{"layerName": "apiOverride", "config": {"fields": []}}]}
    assert wire(cfg.llm_load_config_stack(None)) == expected
    assert wire(cfg.embedding_load_config_stack({})) == expected


def test_load_stacks_carry_the_config_and_satisfy_the_strict_schema() -> None:
    stack = cfg.llm_load_config_stack(FULL_LLM_LOAD)
    data = wire(stack)
    assert [layer["layerName"] for layer in data["layers"]] == ["apiOverride"]
    assert {f["key"]: f["value"] for f in data["layers"][0]["config"]["fields"]} == FULL_LLM_LOAD_KV
    msgspec.convert(data, strict.KvConfigStack)
    embedding = wire(cfg.embedding_load_config_stack({"context_length": 64}))
    assert embedding["layers"][0]["config"]["fields"] == [
        {"key": "embedding.load.contextLength", "value": 64}
    ]


def test_config_stack_keeps_the_layer_order() -> None:
    stack = cfg.config_stack(
        ("apiOverride", kv({"a": 1})), ("completeModeFormatting", kv({"b": 2}))
    )
    assert [layer.layer_name for layer in stack.layers] == ["apiOverride", "completeModeFormatting"]


# --- KV -> typed config ------------------------------------------------------------------


def test_prediction_config_round_trips_through_kv() -> None:
    config = cfg.to_prediction_config(FULL_PREDICTION)
    assert cfg.prediction_config_from_kv(cfg.prediction_config_to_kv(config)) == config


def test_llm_load_config_round_trips_through_kv() -> None:
    config = cfg.to_llm_load_config(FULL_LLM_LOAD)
    assert cfg.llm_load_config_from_kv(cfg.llm_load_config_to_kv(config)) == config


def test_embedding_load_config_round_trips_through_kv() -> None:
    config = cfg.to_embedding_load_config(
        {
            "gpu": {"ratio": 0.25, "split_strategy": "evenly", "disabled_gpus": []},
            "context_length": 99,
        }
    )
    assert cfg.embedding_load_config_from_kv(cfg.embedding_load_config_to_kv(config)) == config


def test_server_configs_decode_with_unknown_keys_skipped() -> None:
    server = kv(
        {
            "llm.prediction.temperature": 0.8,
            "llm.prediction.maxPredictedTokens": {"checked": False, "value": 1000},
            "llm.prediction.repeatPenalty": {"checked": True, "value": 1.1},
            "llm.prediction.llama.mirostatSampling": {"version": 0},
            "llm.prediction.systemPrompt": "",
            "some.future.key": [1, 2, 3],
            "llm.prediction.structured": {"type": "none"},
        }
    )
    assert cfg.prediction_config_from_kv(server) == LlmPredictionConfig(
        temperature=0.8,
        max_tokens=False,
        repeat_penalty=1.1,
        structured=models.LlmStructuredPredictionSetting(type_="none"),
    )


def test_server_load_config_decodes_gpu_settings() -> None:
    reported = {
        "llm.load.contextLength": 4096,
        "load.gpuSplitConfig": {
            "strategy": "priorityOrder",
            "disabledGpus": [3],
            "priority": [2, 0],
            "customRatio": [],
        },
        "llm.load.llama.acceleration.offloadRatio": "max",
        "llm.load.seed": {"checked": False, "value": -1},
        "llm.load.llama.autoFit": False,
    }
    assert cfg.llm_load_config_from_kv(kv(reported)) == LlmLoadModelConfig(
        auto_fit=False,
        context_length=4096,
        seed=False,
        gpu=models.GpuSetting(
            ratio="max", split_strategy="favorMainGpu", main_gpu=2, disabled_gpus=[3]
        ),
    )
    # With auto-fit on, what LM Studio chose itself is left out (as the TypeScript SDK
    # does), so the config can be sent back as it is.
    auto = cfg.llm_load_config_from_kv(kv({**reported, "llm.load.llama.autoFit": True}))
    assert auto == LlmLoadModelConfig(
        auto_fit=True, seed=False, gpu=models.GpuSetting(disabled_gpus=[3])
    )
    assert fields_of(cfg.llm_load_config_to_kv(auto))["llm.load.llama.autoFit"] is True


def test_auto_fit_excludes_manual_settings() -> None:
    for manual in (
        {"context_length": 4096},
        {"gpu": {"ratio": 0.5}},
        {"gpu_strict_vram_cap": True},
    ):
        config = cfg.to_llm_load_config({"auto_fit": True, **manual})
        with pytest.raises(LMStudioValueError, match="auto_fit=True"):
            cfg.llm_load_config_to_kv(config)
        assert fields_of(cfg.llm_load_config_to_kv(cfg.to_llm_load_config(manual))).items() >= (
            NOT_AUTO_FIT.items()
        )
    alone = fields_of(cfg.llm_load_config_to_kv(cfg.to_llm_load_config({"autoFit": True})))
    assert alone == {key: True for key in NOT_AUTO_FIT}
    # disabling GPUs is not a manual placement: auto-fit stays LM Studio's choice
    disabled = cfg.to_llm_load_config({"gpu": {"disabled_gpus": [1]}})
    assert "llm.load.llama.autoFit" not in fields_of(cfg.llm_load_config_to_kv(disabled))


def test_a_newer_split_strategy_is_not_reported_as_a_known_one() -> None:
    server = kv(
        {
            "load.gpuSplitConfig": {
                "strategy": "tensor",
                "disabledGpus": [],
                "priority": [],
                "customRatio": [],
            }
        }
    )
    config = cfg.llm_load_config_from_kv(server)
    assert config.gpu == models.GpuSetting(disabled_gpus=[])


def test_values_of_an_unexpected_shape_are_skipped_not_fatal() -> None:
    server = kv(
        {
            "llm.load.contextLength": "a lot",
            "llm.load.llama.flashAttention": True,
            "llm.load.seed": 7,  # not a checkbox
            "llm.load.mlx.kvCacheQuantization": {
                "enabled": False,
                "bits": 8,
                "groupSize": 64,
                "quantizedStart": 1,
            },
        }
    )
    assert cfg.llm_load_config_from_kv(server) == LlmLoadModelConfig(
        flash_attention=True, mlx_kv_cache_quantization=False
    )


def test_a_field_without_value_is_tolerated() -> None:
    server = models.KvConfig(
        fields=[
            models.KvConfigField(key="embedding.load.contextLength"),
            models.KvConfigField(key="embedding.load.llama.tryMmap", value=True),
        ]
    )
    assert cfg.embedding_load_config_from_kv(server) == EmbeddingLoadModelConfig(try_mmap=True)


@pytest.mark.parametrize(
    ("config", "suggestion"),
    [
        ({"temprature": 0.5}, "'temprature' (did you mean 'temperature'?)"),
        ({"maxTokns": 3}, "'maxTokns' (did you mean 'max_tokens'?)"),
        ({"top_k_samplng": 2}, "'top_k_samplng' (did you mean 'top_k_sampling'?)"),
    ],
)
def test_an_unknown_key_names_the_closest_valid_one(
    config: dict[str, Any], suggestion: str
) -> None:
    with pytest.raises(LMStudioValueError) as info:
        cfg.to_prediction_config(config)
    assert suggestion in str(info.value)


def test_a_key_close_to_nothing_gets_no_suggestion() -> None:
    with pytest.raises(LMStudioValueError) as info:
        cfg.to_prediction_config({"zzz": 1})
    assert "did you mean" not in str(info.value)
