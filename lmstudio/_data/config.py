"""Prediction and load configs, to and from LM Studio's KV config stacks.

The public config types are the protocol's own (``LlmPredictionConfig``,
``LlmLoadModelConfig``, ``EmbeddingLoadModelConfig``): msgspec Structs with snake_case
attributes, every field optional. Anywhere a config is accepted, a dict also works, with
snake_case or camelCase keys (nested values too, except inside JSON schemas); an unknown
key raises ``LMStudioValueError`` naming it, and values are checked against the protocol's
strict types before anything is sent.

On the wire a config is a ``kvConfig``: a flat list of ``{key, value}`` fields with dotted
keys (``llm.prediction.temperature``). The mapping below follows LM Studio's
``lms-kv-config`` (2026): "checkbox" settings travel as ``{"checked": bool, "value": x}``,
where a client value of ``False`` means "off" (``checked: false`` with a placeholder
value); a GPU setting becomes ``load.gpuSplitConfig`` plus the offload ratio keys. A
request carries its config as a ``kvConfigStack`` with one ``apiOverride`` layer.

Configs the server reports (``getLoadConfig``, a prediction's ``success``) are decoded
back leniently: unknown keys and values of an unexpected shape are skipped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeAlias, TypeVar

import msgspec
import msgspec.inspect as mi
from msgspec import UNSET

from .._exports import publish
from .._protocol.models import (
    EmbeddingLoadModelConfig,
    GpuSetting,
    KvConfig,
    KvConfigField,
    KvConfigStack,
    KvConfigStackLayer,
    LlmLoadModelConfig,
    LlmPredictionConfig,
)
from .._types import EmbeddingLoadConfigInput, LlmLoadConfigInput, PredictionConfigInput
from ..errors import LMStudioValueError

__all__ = [
    "EmbeddingLoadModelConfig",
    "GpuSetting",
    "LlmLoadModelConfig",
    "LlmPredictionConfig",
    "config_stack",
    "embedding_load_config_from_kv",
    "embedding_load_config_stack",
    "embedding_load_config_to_kv",
    "llm_load_config_from_kv",
    "llm_load_config_stack",
    "llm_load_config_to_kv",
    "prediction_config_from_kv",
    "prediction_config_to_kv",
    "to_embedding_load_config",
    "to_llm_load_config",
    "to_prediction_config",
    "to_struct",
]

_log = logging.getLogger("lmstudio.config")


_ConfigT = TypeVar("_ConfigT", LlmPredictionConfig, LlmLoadModelConfig, EmbeddingLoadModelConfig)
_StructT = TypeVar("_StructT", bound=msgspec.Struct)


# --- The key map ---------------------------------------------------------------------


class _Plain:
    """Marks a field sent as its value, unchanged."""


PLAIN: Final = _Plain()


class _Checkbox(msgspec.Struct, frozen=True):
    """A ``{"checked", "value"}`` field; ``off`` is the placeholder sent with ``checked: false``."""

    off: Any


class _FalseMeans(msgspec.Struct, frozen=True):
    """A plain field where the client's ``False`` is sent as ``off`` (MLX KV quantization)."""

    off: Any


_Encoding: TypeAlias = _Plain | _Checkbox | _FalseMeans


class _Key(msgspec.Struct, frozen=True):
    attr: str  # attribute of the config struct
    key: str  # KV key on the wire
    encoding: _Encoding = PLAIN


_P = "llm.prediction."
_PREDICTION_KEYS: Final = (
    _Key("max_tokens", _P + "maxPredictedTokens", _Checkbox(1)),
    _Key("reasoning_budget", _P + "reasoning.budgetTokens", _Checkbox(1024)),
    _Key("temperature", _P + "temperature"),
    _Key("stop_strings", _P + "stopStrings"),
    _Key("tool_call_stop_strings", _P + "toolCallStopStrings"),
    _Key("context_overflow_policy", _P + "contextOverflowPolicy"),
    _Key("structured", _P + "structured"),
    _Key("raw_tools", _P + "tools"),
    _Key("tool_choice", _P + "toolChoice"),
    _Key("tool_naming", _P + "toolNaming"),
    _Key("top_k_sampling", _P + "topKSampling"),
    _Key("repeat_penalty", _P + "repeatPenalty", _Checkbox(1.1)),
    _Key("presence_penalty", _P + "llama.presencePenalty", _Checkbox(0)),
    _Key("min_p_sampling", _P + "minPSampling", _Checkbox(0.05)),
    _Key("top_p_sampling", _P + "topPSampling", _Checkbox(0.95)),
    _Key("xtc_probability", _P + "llama.xtcProbability", _Checkbox(0)),
    _Key("xtc_threshold", _P + "llama.xtcThreshold", _Checkbox(0)),
    _Key("log_probs", _P + "logProbs", _Checkbox(0)),
    _Key("cpu_threads", _P + "llama.cpuThreads"),
    _Key("enable_thinking", _P + "reasoning.enableThinking"),
    _Key("prompt_template", _P + "promptTemplate"),
    _Key("draft_model", _P + "speculativeDecoding.draftModel"),
    _Key(
        "speculative_decoding_num_draft_tokens_exact",
        _P + "speculativeDecoding.numDraftTokensExact",
    ),
    _Key(
        "speculative_decoding_min_draft_length_to_consider",
        _P + "speculativeDecoding.minDraftLengthToConsider",
    ),
    _Key(
        "speculative_decoding_min_continue_drafting_probability",
        _P + "speculativeDecoding.minContinueDraftingProbability",
    ),
    _Key("reasoning_parsing", _P + "reasoning.parsing"),
    _Key(
        "user_max_image_dimension_pixels",
        _P + "vision.userMaxImageDimensionPixels",
        _Checkbox(1024),
    ),
    _Key(
        "ignore_model_preferred_max_image_dimension",
        _P + "vision.ignoreModelPreferredMaxImageDimension",
    ),
)

_L = "llm.load."
_LLAMA = "llm.load.llama."
_SPEC = "llm.load.llama.speculativeDecoding."
_LLM_LOAD_KEYS: Final = (
    _Key("auto_fit", _LLAMA + "autoFit"),
    _Key("gpu_strict_vram_cap", "load.gpuStrictVramCap"),
    _Key("max_parallel_predictions", _L + "numParallelSessions"),
    _Key("use_unified_kv_cache", _L + "useUnifiedKvCache"),
    _Key("offload_kv_cache_to_gpu", _L + "offloadKVCacheToGpu"),
    _Key("context_length", _L + "contextLength"),
    _Key("prompt_template", _L + "promptTemplate"),
    _Key("rope_frequency_base", _LLAMA + "ropeFrequencyBase", _Checkbox(0)),
    _Key("rope_frequency_scale", _LLAMA + "ropeFrequencyScale", _Checkbox(0)),
    _Key("eval_batch_size", _LLAMA + "evalBatchSize"),
    _Key("physical_batch_size", _LLAMA + "physicalBatchSize"),
    _Key("flash_attention", _LLAMA + "flashAttention"),
    _Key("context_checkpoints", _LLAMA + "contextCheckpoints"),
    _Key("reasoning_budget_message", _LLAMA + "reasoningBudgetMessage"),
    _Key("speculative_draft_mtp", _SPEC + "draftMtp"),
    _Key("speculative_draft_simple", _SPEC + "draftSimple"),
    _Key("speculative_draft_model", _SPEC + "draftModel"),
    _Key("speculative_draft_max_tokens", _SPEC + "draftMaxTokens"),
    _Key("speculative_draft_min_tokens", _SPEC + "draftMinTokens"),
    _Key("speculative_draft_min_continue_probability", _SPEC + "draftMinContinueProbability"),
    _Key("keep_model_in_memory", _LLAMA + "keepModelInMemory"),
    _Key("seed", _L + "seed", _Checkbox(0)),
    _Key("use_fp16_for_kv_cache", _LLAMA + "useFp16ForKVCache"),
    _Key("try_mmap", _LLAMA + "tryMmap"),
    _Key("try_direct_io", _LLAMA + "tryDirectIO"),
    _Key("llama_cpp_arguments_override", _LLAMA + "argumentsOverride"),
    _Key("num_experts", _L + "numExperts"),
    _Key("llama_k_cache_quantization_type", _LLAMA + "kCacheQuantizationType", _Checkbox("f16")),
    _Key("llama_v_cache_quantization_type", _LLAMA + "vCacheQuantizationType", _Checkbox("f16")),
    _Key("mlx_disk_cache", _L + "mlx.diskCache"),
    _Key(
        "mlx_kv_cache_quantization",
        _L + "mlx.kvCacheQuantization",
        _FalseMeans({"enabled": False, "bits": 8, "groupSize": 64, "quantizedStart": 5000}),
    ),
)
# Setting any public speculative-decoding selector also switches off the drafter modes
# the public config cannot express, in the same layer (as lms-kv-config does), so they
# cannot leak in from a lower layer.
_SPECULATIVE_SELECTORS: Final = (
    "speculative_draft_mtp",
    "speculative_draft_simple",
    "speculative_draft_model",
)
# ``auto_fit`` (LM Studio picks the context length and placement itself) is one setting
# per engine: llama.cpp's key above, and these, written alike (as the TypeScript SDK
# 2.0.0 does). It excludes the manual settings below: a config with one of them and no
# ``auto_fit`` says ``auto_fit: False``, so LM Studio does not overrule it.
_AUTO_FIT_ALSO: Final = (_L + "mlx.autoFit", _L + "yuzu.autoFit")
_MANUAL_LOAD_SETTINGS: Final = ("context_length", "gpu_strict_vram_cap")
_MANUAL_GPU_SETTINGS: Final = ("ratio", "num_cpu_expert_layers_ratio", "main_gpu", "split_strategy")
_SIDECAR_KEYS: Final = tuple(
    _SPEC + k for k in ("draftDflashSidecar", "draftDsparkSidecar", "draftMtpSidecar")
)

_E = "embedding.load."
_EMBEDDING_LOAD_KEYS: Final = (
    _Key("context_length", _E + "contextLength"),
    _Key("rope_frequency_base", _E + "llama.ropeFrequencyBase", _Checkbox(0)),
    _Key("rope_frequency_scale", _E + "llama.ropeFrequencyScale", _Checkbox(0)),
    _Key("keep_model_in_memory", _E + "llama.keepModelInMemory"),
    _Key("try_mmap", _E + "llama.tryMmap"),
)

_GPU_SPLIT_KEY: Final = "load.gpuSplitConfig"


class _GpuKeys(msgspec.Struct, frozen=True):
    ratio: str
    cpu_expert_layers_ratio: str | None


_LLM_GPU: Final = _GpuKeys(_LLAMA + "acceleration.offloadRatio", _L + "numCpuExpertLayersRatio")
_EMBEDDING_GPU: Final = _GpuKeys(_E + "llama.acceleration.offloadRatio", None)


# --- Accepting configs from callers --------------------------------------------------


def to_prediction_config(config: PredictionConfigInput | None) -> LlmPredictionConfig:
    """A validated ``LlmPredictionConfig`` from a struct, a dict (snake or camel) or ``None``."""
    return _to_config(config, LlmPredictionConfig, "prediction config")


def to_llm_load_config(config: LlmLoadConfigInput | None) -> LlmLoadModelConfig:
    """A validated ``LlmLoadModelConfig`` from a struct, a dict (snake or camel) or ``None``."""
    return _to_config(config, LlmLoadModelConfig, "LLM load config")


def to_embedding_load_config(
    config: EmbeddingLoadConfigInput | None,
) -> EmbeddingLoadModelConfig:
    """A validated ``EmbeddingLoadModelConfig`` from a struct, a dict or ``None``."""
    return _to_config(config, EmbeddingLoadModelConfig, "embedding load config")


def _to_config(config: object, cls: type[_ConfigT], what: str) -> _ConfigT:
    result = to_struct(config, cls, what)
    _check_checkboxes(result, what)
    return result


def to_struct(value: object, cls: type[_StructT], what: str) -> _StructT:
    """A validated protocol struct ``cls`` from itself, a dict (snake or camel keys) or ``None``.

    Unknown keys and values the protocol refuses raise :class:`LMStudioValueError`
    naming ``what``.
    """
    if value is None:
        return cls()
    if isinstance(value, cls):
        data: Any = msgspec.to_builtins(value)
    elif isinstance(value, Mapping):
        unknown: list[str] = []
        data = _normalise_keys(value, _type_info(cls), "", unknown)
        if unknown:
            raise LMStudioValueError(f"Unknown {what} settings: {', '.join(unknown)}")
    else:
        raise LMStudioValueError(
            f"Expected a {cls.__name__} or a dict for the {what}, got {type(value).__name__}"
        )
    _validate(data, cls, what)
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError as exc:
        raise LMStudioValueError(f"Invalid {what}: {exc}") from None


def _validate(data: Any, cls: type[Any], what: str) -> None:
    # The strict protocol types carry the schema's ranges and enums: check them here so a
    # bad value is a clear client-side error rather than a request the server ignores.
    from .._protocol import strict

    try:
        msgspec.convert(data, getattr(strict, cls.__name__))
    except msgspec.ValidationError as exc:
        raise LMStudioValueError(f"Invalid {what}: {exc}") from None


def _check_checkboxes(config: msgspec.Struct, what: str) -> None:
    for table in (_PREDICTION_KEYS, _LLM_LOAD_KEYS):
        for entry in table:
            if not isinstance(entry.encoding, _Checkbox | _FalseMeans):
                continue
            if getattr(config, entry.attr, None) is True:
                raise LMStudioValueError(
                    f"Invalid {what}: {entry.attr} takes a value, or False to switch it off (got True)"
                )


@functools.cache
def _type_info(cls: type[Any]) -> mi.Type:
    return mi.type_info(cls)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _normalise_keys(value: Any, info: mi.Type, path: str, unknown: list[str]) -> Any:
    """Rename snake_case / camelCase keys to the wire names, following the struct types.

    Values typed as any JSON (schemas, tool parameters) are left as they are; Structs
    found inside a dict are turned into their wire form first.
    """
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    if isinstance(info, mi.Metadata):
        return _normalise_keys(value, info.type, path, unknown)
    if isinstance(info, mi.UnionType):
        branch = _union_branch(value, info)
        return value if branch is None else _normalise_keys(value, branch, path, unknown)
    if isinstance(info, mi.ListType) and isinstance(value, list | tuple):
        return [
            _normalise_keys(item, info.item_type, f"{path}[{i}].", unknown)
            for i, item in enumerate(value)
        ]
    if not (isinstance(info, mi.StructType) and isinstance(value, Mapping)):
        return value
    names: dict[str, mi.Field] = {}
    for struct_field in info.fields:
        name = struct_field.name
        for alias in (name, struct_field.encode_name, _camel(name), name.rstrip("_")):
            names.setdefault(alias, struct_field)
    out: dict[str, Any] = {}
    for key, item in value.items():
        if info.tag_field is not None and key == info.tag_field:
            out[key] = item
            continue
        f = names.get(key) if isinstance(key, str) else None
        if f is None:
            unknown.append(repr(f"{path}{key}") + _did_you_mean(key, info.fields))
            continue
        if f.encode_name in out:
            raise LMStudioValueError(f"Config setting {path}{f.name!r} given twice")
        out[f.encode_name] = _normalise_keys(item, f.type, f"{path}{f.name}.", unknown)
    return out


def _did_you_mean(key: object, fields: Iterable[mi.Field]) -> str:
    """`` (did you mean 'temperature'?)`` for a key close to one of ``fields``, else ``""``."""
    if not isinstance(key, str):
        return ""
    import difflib

    names = [f.name for f in fields]
    wanted = key if "_" in key or key.islower() else _snake(key)
    close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _union_branch(value: Any, info: mi.UnionType) -> mi.Type | None:
    if not isinstance(value, Mapping):
        list_types = [t for t in info.types if isinstance(t, mi.ListType)]
        return list_types[0] if len(list_types) == 1 else None
    structs = [t for t in info.types if isinstance(t, mi.StructType)]
    tagged = [t for t in structs if t.tag_field is not None]
    if tagged:
        tag_field = tagged[0].tag_field
        for t in tagged:
            if t.tag == value.get(tag_field):
                return t
        return None
    return structs[0] if len(structs) == 1 else None


# --- Typed config -> KV config -------------------------------------------------------


def prediction_config_to_kv(config: LlmPredictionConfig) -> KvConfig:
    """The ``kvConfig`` for a prediction config (``raw`` fields first, typed ones win)."""
    fields = _encode(config, _PREDICTION_KEYS)
    if config.raw is not UNSET:
        typed = {f.key for f in fields}
        fields = [f for f in config.raw.fields if f.key not in typed] + fields
    return KvConfig(fields=fields)


def llm_load_config_to_kv(config: LlmLoadModelConfig) -> KvConfig:
    """The ``kvConfig`` for an LLM load config.

    Raises:
        LMStudioValueError: ``auto_fit=True`` with a manual context length, GPU placement
            or VRAM cap.
    """
    manual = _manual_load_settings(config)
    if config.auto_fit is True and manual:
        raise LMStudioValueError(
            "auto_fit=True lets LM Studio choose the context length and placement: "
            f"leave out {', '.join(manual)} (or set auto_fit=False)"
        )
    if config.auto_fit is UNSET and manual:
        config = msgspec.structs.replace(config, auto_fit=False)
    fields = _encode_gpu(config.gpu, _LLM_GPU)
    fields += _encode(config, _LLM_LOAD_KEYS)
    if config.auto_fit is not UNSET:
        fields += [KvConfigField(key=key, value=config.auto_fit) for key in _AUTO_FIT_ALSO]
    if any(getattr(config, attr) is not UNSET for attr in _SPECULATIVE_SELECTORS):
        fields += [KvConfigField(key=key, value=False) for key in _SIDECAR_KEYS]
    return KvConfig(fields=fields)


def _manual_load_settings(config: LlmLoadModelConfig) -> list[str]:
    found = [attr for attr in _MANUAL_LOAD_SETTINGS if getattr(config, attr) is not UNSET]
    if isinstance(config.gpu, GpuSetting):
        found += [f"gpu.{a}" for a in _MANUAL_GPU_SETTINGS if getattr(config.gpu, a) is not UNSET]
    return found


def embedding_load_config_to_kv(config: EmbeddingLoadModelConfig) -> KvConfig:
    """The ``kvConfig`` for an embedding model load config."""
    return KvConfig(
        fields=_encode_gpu(config.gpu, _EMBEDDING_GPU) + _encode(config, _EMBEDDING_LOAD_KEYS)
    )


def _encode(config: msgspec.Struct, table: Iterable[_Key]) -> list[KvConfigField]:
    fields: list[KvConfigField] = []
    for entry in table:
        value = getattr(config, entry.attr)
        if value is UNSET or value is None:
            continue
        value = msgspec.to_builtins(value)
        match entry.encoding:
            case _Checkbox(off=off):
                wire: Any = (
                    {"checked": False, "value": off}
                    if value is False
                    else {"checked": True, "value": value}
                )
            case _FalseMeans(off=off):
                wire = off if value is False else value
            case _:
                wire = value
        fields.append(KvConfigField(key=entry.key, value=wire))
    return fields


def _encode_gpu(gpu: GpuSetting | Any, keys: _GpuKeys) -> list[KvConfigField]:
    if not isinstance(gpu, GpuSetting):
        return []
    # Like both official SDKs, any GPU setting also pins the split config.
    strategy = gpu.split_strategy
    split = {
        "strategy": "priorityOrder"
        if strategy == "favorMainGpu"
        else ("evenly" if strategy is UNSET else strategy),
        "disabledGpus": list(gpu.disabled_gpus) if gpu.disabled_gpus is not UNSET else [],
        "priority": [gpu.main_gpu] if gpu.main_gpu is not UNSET else [],
        "customRatio": [],
    }
    fields = [KvConfigField(key=_GPU_SPLIT_KEY, value=split)]
    if gpu.ratio is not UNSET:
        fields.append(KvConfigField(key=keys.ratio, value=gpu.ratio))
    if gpu.num_cpu_expert_layers_ratio is not UNSET:
        if keys.cpu_expert_layers_ratio is None:
            raise LMStudioValueError("gpu.num_cpu_expert_layers_ratio only applies to LLMs")
        fields.append(
            KvConfigField(key=keys.cpu_expert_layers_ratio, value=gpu.num_cpu_expert_layers_ratio)
        )
    return fields


# --- KV config -> typed config -------------------------------------------------------


def prediction_config_from_kv(config: KvConfig) -> LlmPredictionConfig:
    """Decode a server-reported prediction ``kvConfig``; unknown keys are skipped."""
    return _decode(config, LlmPredictionConfig, _PREDICTION_KEYS, None)


def llm_load_config_from_kv(config: KvConfig) -> LlmLoadModelConfig:
    """Decode a server-reported LLM load ``kvConfig``; unknown keys are skipped.

    With ``auto_fit`` on, the manual settings LM Studio chose itself are left out (as the
    TypeScript SDK does), so the result can be sent back as a load config.
    """
    decoded = _decode(config, LlmLoadModelConfig, _LLM_LOAD_KEYS, _LLM_GPU)
    if decoded.auto_fit is not True:
        return decoded
    cleared: dict[str, Any] = dict.fromkeys(_MANUAL_LOAD_SETTINGS, UNSET)
    if isinstance(decoded.gpu, GpuSetting):
        gpu = msgspec.structs.replace(decoded.gpu, **dict.fromkeys(_MANUAL_GPU_SETTINGS, UNSET))
        cleared["gpu"] = gpu if msgspec.to_builtins(gpu) else UNSET
    return msgspec.structs.replace(decoded, **cleared)


def embedding_load_config_from_kv(config: KvConfig) -> EmbeddingLoadModelConfig:
    """Decode a server-reported embedding load ``kvConfig``; unknown keys are skipped."""
    return _decode(config, EmbeddingLoadModelConfig, _EMBEDDING_LOAD_KEYS, _EMBEDDING_GPU)


def _decode(
    config: KvConfig, cls: type[_ConfigT], table: Sequence[_Key], gpu_keys: _GpuKeys | None
) -> _ConfigT:
    by_key = {entry.key: entry for entry in table}
    attrs: dict[str, Any] = {}
    gpu: dict[str, Any] = {}
    for field in config.fields:
        value = None if field.value is UNSET else field.value
        entry = by_key.get(field.key)
        if entry is not None:
            match entry.encoding:
                case _Checkbox():
                    if not isinstance(value, Mapping):
                        continue
                    attrs[entry.attr] = value.get("value") if value.get("checked") else False
                case _FalseMeans():
                    if not isinstance(value, Mapping):
                        continue
                    attrs[entry.attr] = value if value.get("enabled", True) else False
                case _:
                    attrs[entry.attr] = value
        elif gpu_keys is not None:
            if field.key == _GPU_SPLIT_KEY and isinstance(value, Mapping):
                gpu.update(_gpu_from_split(value))
            elif field.key == gpu_keys.ratio:
                gpu["ratio"] = value
            elif field.key == gpu_keys.cpu_expert_layers_ratio:
                gpu["numCpuExpertLayersRatio"] = value
    info = _type_info(cls)
    assert isinstance(info, mi.StructType)
    encode_names = {f.name: f.encode_name for f in info.fields}
    data = {encode_names[attr]: value for attr, value in attrs.items()}
    if gpu:
        data["gpu"] = gpu
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError:
        pass
    # Keep what decodes; a value of an unexpected shape (a newer server?) is dropped.
    kept: dict[str, Any] = {}
    for key, value in data.items():
        try:
            msgspec.convert({key: value}, cls)
        except msgspec.ValidationError as exc:
            _log.debug("Skipping config value %s from the server: %s", key, exc)
        else:
            kept[key] = value
    return msgspec.convert(kept, cls)


def _gpu_from_split(split: Mapping[str, Any]) -> dict[str, Any]:
    gpu: dict[str, Any] = {}
    strategy = split.get("strategy")
    if strategy == "priorityOrder":
        gpu["splitStrategy"] = "favorMainGpu"
    elif strategy == "evenly":
        gpu["splitStrategy"] = "evenly"
    priority = split.get("priority")
    if isinstance(priority, list) and priority:
        gpu["mainGpu"] = priority[0]
    disabled = split.get("disabledGpus")
    if isinstance(disabled, list):
        gpu["disabledGpus"] = disabled
    return gpu


# --- Stacks --------------------------------------------------------------------------


def config_stack(*layers: tuple[str, KvConfig]) -> KvConfigStack:
    """A ``kvConfigStack`` from ``(layer name, kvConfig)`` pairs, lowest priority first."""
    return KvConfigStack(
        layers=[KvConfigStackLayer(layer_name=name, config=kv) for name, kv in layers]
    )


def llm_load_config_stack(config: LlmLoadConfigInput | None) -> KvConfigStack:
    """The ``loadConfigStack`` for ``loadModel`` / ``getOrLoad`` of an LLM."""
    return config_stack(("apiOverride", llm_load_config_to_kv(to_llm_load_config(config))))


def embedding_load_config_stack(config: EmbeddingLoadConfigInput | None) -> KvConfigStack:
    """The ``loadConfigStack`` for ``loadModel`` / ``getOrLoad`` of an embedding model."""
    kv = embedding_load_config_to_kv(to_embedding_load_config(config))
    return config_stack(("apiOverride", kv))


publish(__name__, globals())
