"""KV config stacks: collapse the client's layers, read the keys the fake honours.

A stack's layers are collapsed in order (the last layer that sets a key wins). The
values of the keys the fake uses are checked as LM Studio's config schema would; a bad
value fails the call with an error, as it does in LM Studio. Results (``getLoadConfig``,
a prediction's ``loadModelConfig`` / ``predictionConfig``) are the effective values of
known keys: LM Studio's defaults overlaid with what the client set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._replies import StructuredRequest

__all__ = [
    "PredictionSettings",
    "collapse",
    "effective_prediction_config",
    "load_config",
    "prediction_settings",
    "to_kv_config",
]

PREDICTION_DEFAULTS: dict[str, Any] = {
    "llm.prediction.temperature": 0.8,
    "llm.prediction.maxPredictedTokens": {"checked": False, "value": 1000},
    "llm.prediction.topKSampling": 40,
    "llm.prediction.repeatPenalty": {"checked": True, "value": 1.1},
    "llm.prediction.minPSampling": {"checked": True, "value": 0.05},
    "llm.prediction.topPSampling": {"checked": True, "value": 0.95},
    "llm.prediction.stopStrings": [],
    "llm.prediction.toolCallStopStrings": [],
    "llm.prediction.contextOverflowPolicy": "truncateMiddle",
    "llm.prediction.structured": {"type": "none"},
    "llm.prediction.tools": {"type": "none"},
}

# Keys echoed back in a prediction's effective config when the client sets them (the
# keys both protocol generations' clients know).
_ECHOED_PREDICTION_KEYS = frozenset(
    {
        *PREDICTION_DEFAULTS,
        "llm.prediction.llama.cpuThreads",
        "llm.prediction.speculativeDecoding.draftModel",
        "llm.prediction.speculativeDecoding.numDraftTokensExact",
        "llm.prediction.speculativeDecoding.minDraftLengthToConsider",
        "llm.prediction.speculativeDecoding.minContinueDraftingProbability",
        "llm.prediction.reasoning.parsing",
    }
)

_LOAD_DEFAULTS: dict[str, dict[str, Any]] = {
    "llm": {
        "llm.load.llama.acceleration.offloadRatio": "max",
        "llm.load.offloadKVCacheToGpu": True,
        "llm.load.llama.evalBatchSize": 512,
        "llm.load.llama.flashAttention": False,
        "llm.load.llama.keepModelInMemory": True,
        "llm.load.llama.tryMmap": True,
        "llm.load.llama.useFp16ForKVCache": True,
    },
    "embedding": {
        "embedding.load.llama.acceleration.offloadRatio": "max",
        "embedding.load.llama.evalBatchSize": 512,
        "embedding.load.llama.keepModelInMemory": True,
        "embedding.load.llama.tryMmap": True,
    },
}

_OVERFLOW_POLICIES = ("stopAtLimit", "truncateMiddle", "rollingWindow")


def collapse(layers: Iterable[Any]) -> dict[str, Any]:
    """Key -> value of a stack's layers (strict ``KvConfigStackLayer`` structs)."""
    fields: dict[str, Any] = {}
    for layer in layers:
        for kv in layer.config.fields:
            if kv.value is not msgspec.UNSET:
                fields[kv.key] = kv.value
    return fields


def to_kv_config(fields: Mapping[str, Any]) -> Any:
    """A ``KvConfig`` (generated model) holding ``fields``."""
    from lmstudio._protocol import models

    return models.KvConfig(fields=[models.KvConfigField(key=k, value=v) for k, v in fields.items()])


def _invalid(key: str, problem: str) -> FakeServerError:
    return FakeServerError(
        f"Invalid value for config key {key}",
        cause=problem,
        suggestion="Check the value against LM Studio's config schema.",
    )


def _number(fields: Mapping[str, Any], key: str, *, minimum: float | None = None) -> float | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(key, f"expected a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise _invalid(key, f"expected a number >= {minimum}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PredictionSettings:
    """The prediction keys the fake honours, from the client's collapsed layers."""

    temperature: float | None = None
    max_tokens: int | None = None
    stop_strings: tuple[str, ...] = ()
    overflow_policy: str = "truncateMiddle"
    structured: StructuredRequest | None = None
    tools: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    draft_model: str | None = None


def prediction_settings(fields: Mapping[str, Any]) -> PredictionSettings:
    """Read and check the honoured prediction keys; raise ``FakeServerError`` if invalid."""
    from lmstudio._protocol import strict

    temperature = _number(fields, "llm.prediction.temperature", minimum=0)
    max_tokens: int | None = None
    key = "llm.prediction.maxPredictedTokens"
    if key in fields:
        box = fields[key]
        if not isinstance(box, Mapping) or not isinstance(box.get("checked"), bool):
            raise _invalid(key, f'expected {{"checked": boolean, "value": integer}}, got {box!r}')
        value = box.get("value")
        # The official Python SDK sends {"checked": true, "value": false} for "no limit".
        if box["checked"] and value is not False and value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _invalid(key, f"expected a positive integer, got {value!r}")
            max_tokens = value
    stops: tuple[str, ...] = ()
    key = "llm.prediction.stopStrings"
    if key in fields:
        value = fields[key]
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise _invalid(key, f"expected a list of strings, got {value!r}")
        stops = tuple(s for s in value if s)
    policy = fields.get("llm.prediction.contextOverflowPolicy", "truncateMiddle")
    if policy not in _OVERFLOW_POLICIES:
        raise _invalid("llm.prediction.contextOverflowPolicy", f"unknown policy {policy!r}")
    structured: StructuredRequest | None = None
    key = "llm.prediction.structured"
    if key in fields:
        try:
            setting = msgspec.convert(fields[key], strict.LlmStructuredPredictionSetting)
        except msgspec.ValidationError as exc:
            raise _invalid(key, str(exc)) from None
        if setting.type_ == "json":
            schema = setting.json_schema if setting.json_schema is not msgspec.UNSET else None
            structured = StructuredRequest("json", json_schema=schema)
        elif setting.type_ == "gbnf":
            if not isinstance(setting.gbnf_grammar, str):
                raise _invalid(key, "a gbnf setting needs 'gbnfGrammar'")
            structured = StructuredRequest("gbnf", grammar=setting.gbnf_grammar)
    tools: tuple[Mapping[str, Any], ...] = ()
    key = "llm.prediction.tools"
    if key in fields:
        tools = _tools(key, fields[key])
    draft = fields.get("llm.prediction.speculativeDecoding.draftModel")
    if draft is not None and not isinstance(draft, str):
        raise _invalid(
            "llm.prediction.speculativeDecoding.draftModel", f"expected a string, got {draft!r}"
        )
    return PredictionSettings(
        temperature=temperature,
        max_tokens=max_tokens,
        stop_strings=stops,
        overflow_policy=str(policy),
        structured=structured,
        tools=tools,
        draft_model=draft or None,
    )


def _tools(key: str, value: Any) -> tuple[Mapping[str, Any], ...]:
    from lmstudio._protocol import strict

    try:
        msgspec.convert(value, strict.LlmToolUseSetting)
    except msgspec.ValidationError as exc:
        raise _invalid(key, str(exc)) from None
    if value.get("type") != "toolArray":
        return ()
    tools = value.get("tools") or []
    # A lone tagged struct accepts a missing tag in msgspec; zod requires it.
    for position, tool in enumerate(tools):
        if tool.get("type") != "function":
            raise _invalid(key, f"tool {position}: 'type' must be 'function'")
        parameters = tool["function"].get("parameters")
        if parameters is not None and parameters.get("type") != "object":
            raise _invalid(key, f"tool {position}: parameters must have 'type': 'object'")
    return tuple(tools)


def effective_prediction_config(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The effective prediction config a ``success`` packet reports."""
    effective = dict(PREDICTION_DEFAULTS)
    effective.update({k: v for k, v in fields.items() if k in _ECHOED_PREDICTION_KEYS})
    return effective


def load_config(
    domain: str, fields: Mapping[str, Any], max_context_length: int
) -> tuple[dict[str, Any], int]:
    """The effective load config of a new instance, and its context length."""
    key = f"{domain}.load.contextLength"
    requested = fields.get(key)
    if requested is None:
        context_length = min(4096, max_context_length)
    elif isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise _invalid(key, f"expected a positive integer, got {requested!r}")
    else:
        context_length = requested
    effective = {key: context_length, **_LOAD_DEFAULTS[domain]}
    prefix = f"{domain}.load."
    effective.update({k: v for k, v in fields.items() if k.startswith((prefix, "load."))})
    effective[key] = context_length
    return effective, context_length
