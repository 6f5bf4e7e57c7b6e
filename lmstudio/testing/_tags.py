"""Union tags that zod requires where msgspec does not check them (the fake's judgement)."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["tag_problem"]

_fields_cache: dict[type[Any], tuple[tuple[str, str], ...]] = {}


def tag_problem(value: Any, raw: Any, path: str) -> str | None:
    """A tag the JSON lacks where zod requires it.

    msgspec checks tags only inside unions; a tagged struct decoded on its own (a lone
    ``toolCallRequest``, an ``llmTool``...) accepts a missing tag, which LM Studio rejects.
    """
    if isinstance(value, msgspec.Struct):
        config = value.__struct_config__
        if (
            config.tag is not None
            and config.tag_field is not None
            and (not isinstance(raw, dict) or raw.get(config.tag_field) != config.tag)
        ):
            return (
                f"Object missing required field `{config.tag_field}` ({config.tag!r}) - at `{path}`"
            )
        if isinstance(raw, dict):
            names = _fields_cache.get(type(value))
            if names is None:
                names = tuple((f.name, f.encode_name) for f in msgspec.structs.fields(value))
                _fields_cache[type(value)] = names
            for name, wire_name in names:
                if wire_name in raw:
                    found = tag_problem(getattr(value, name), raw[wire_name], f"{path}.{wire_name}")
                    if found is not None:
                        return found
    elif isinstance(value, (list, tuple)) and isinstance(raw, list):
        for index, (item, raw_item) in enumerate(zip(value, raw, strict=False)):
            found = tag_problem(item, raw_item, f"{path}[{index}]")
            if found is not None:
                return found
    elif isinstance(value, dict) and isinstance(raw, dict):
        for key, item in value.items():
            if isinstance(key, str) and key in raw:
                found = tag_problem(item, raw[key], f"{path}.{key}")
                if found is not None:
                    return found
    return None
