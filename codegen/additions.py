"""Config fields that LM Studio's official clients have and the schema export lacks.

The schema export (``../shared/protocol/lms.json``) is made from LM Studio's zod schemas;
the TypeScript SDK 2.0.0 has a few public config fields its export leaves out. They are
added here, as JSON Schema, to the current schema before generating, so the typed configs
(``LlmLoadModelConfig``, ``LlmPredictionConfig``) and their TypedDicts carry them; the
KV config codec (``lmstudio/_data/config.py``) maps them to LM Studio's keys. None of
these structs is sent as such (configs travel as KV config stacks), so adding a field
never changes what the fake server accepts on the wire.
"""

from __future__ import annotations

from typing import Any

from .schema import Schema

Node = dict[str, Any]

_FALSE: Node = {"type": "boolean", "const": False}


def _unit_or_false() -> Node:
    return {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, dict(_FALSE)]}


ADDITIONS: dict[str, dict[str, Node]] = {
    # TypeScript SDK 2.0.0 LLMPredictionConfig: XTC sampling (llama.cpp), a checkbox each
    "llmPredictionConfig": {
        "xtcProbability": _unit_or_false(),
        "xtcThreshold": _unit_or_false(),
    },
    # TypeScript SDK 2.0.0 LLMLoadModelConfig
    "llmLoadModelConfig": {
        "autoFit": {"type": "boolean"},
        "llamaCppArgumentsOverride": {"$ref": "#/definitions/llmLlamaCppArgumentsOverride"},
    },
}

DEFINITIONS: dict[str, Node] = {
    "llmLlamaCppArgumentsOverride": {
        "type": "object",
        "properties": {
            "enabled": {"type": "boolean"},
            "disabledParameters": {"type": "array", "items": {"type": "string"}},
            "overrideParameters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                    "required": ["key", "value"],
                    "additionalProperties": False,
                },
            },
            "excludeAllConfig": {"type": "boolean"},
        },
        "required": ["enabled", "disabledParameters", "overrideParameters", "excludeAllConfig"],
        "additionalProperties": False,
    },
}


def add_missing_fields(schema: Schema) -> None:
    """Add :data:`ADDITIONS` and :data:`DEFINITIONS` to ``schema`` (a field or definition
    the schema already has is left as it is, so a newer export wins)."""
    for name, node in DEFINITIONS.items():
        schema.definitions.setdefault(name, node)
    for name, fields in ADDITIONS.items():
        properties = schema.definitions[name].setdefault("properties", {})
        for field, node in fields.items():
            properties.setdefault(field, node)
