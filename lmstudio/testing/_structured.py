"""Values that conform to a JSON schema, for structured output and tool call arguments.

Public, stable rule (tests may depend on it): the value is built from the schema alone,
walking it in declaration order.

- ``$ref`` (any JSON pointer into the root schema) is followed; ``allOf`` branches are
  merged; ``anyOf`` / ``oneOf`` take the first branch that is not ``{"type": "null"}``;
  a list of types takes the first that is not ``"null"``.
- ``const`` gives its value; ``enum`` its first value.
- object: every property, in order (beyond nesting depth 8 only the required ones).
- array: ``prefixItems`` (or a list ``items``) one value each; otherwise ``minItems``
  items, or one item when there is no ``minItems``, capped by ``maxItems``.
- string: a ``format`` gives a fixed sample (``date-time`` ``2024-01-01T00:00:00Z``,
  ``date`` ``2024-01-01``, ``time`` ``00:00:00``, ``email`` ``user@example.com``,
  ``uri``/``url`` ``https://example.com``, ``uuid``
  ``00000000-0000-4000-8000-000000000000``, ``hostname`` ``example.com``, ``ipv4``
  ``127.0.0.1``); otherwise the property name (``"text"`` at the top level), with
  `` N`` appended for the N-th item (N >= 2) of an array; padded with ``x`` to
  ``minLength``, cut to ``maxLength``. ``pattern`` is not honoured.
- integer and number: ``1`` plus the array index, moved into
  ``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum`` and up to a
  ``multipleOf``. boolean: ``true``; null: ``null``; no type: as a string.

For tool call arguments the numbers and quoted strings of the user's message are used
first, in order, for number and string values (see ``_replies``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["SchemaError", "value_for_schema"]

_MAX_DEPTH = 8
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
}


class SchemaError(ValueError):
    """The schema cannot be followed (a dangling ``$ref``, a reference loop...)."""


def value_for_schema(
    schema: Any,
    *,
    numbers: Sequence[float] = (),
    strings: Sequence[str] = (),
) -> Any:
    """A JSON value conforming to ``schema`` (see the module rule)."""
    return _Generator(schema, iter(numbers), iter(strings)).value(schema, "text", 0, 0)


class _Generator:
    def __init__(self, root: Any, numbers: Iterator[float], strings: Iterator[str]) -> None:
        self.root = root
        self.numbers = numbers
        self.strings = strings

    def resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            seen += 1
            if seen > 64:
                raise SchemaError("reference loop in the JSON schema")
            schema = self.pointer(schema["$ref"])
        return schema

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"only local references are supported, not {ref!r}")
        node = self.root
        for raw in ref[1:].split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaError(f"dangling reference {ref!r} in the JSON schema")
        return node

    def merge_all_of(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for branch in schema.get("allOf", []):
            branch = self.resolve(branch)
            if not isinstance(branch, Mapping):
                continue
            if "allOf" in branch:
                branch = self.merge_all_of(branch)
            for key, value in branch.items():
                if key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required":
                    merged["required"] = [*merged.get("required", []), *value]
                else:
                    merged.setdefault(key, value)
        return merged

    def value(self, schema: Any, name: str, index: int, depth: int) -> Any:
        schema = self.resolve(schema)
        if schema is True or schema is None:
            schema = {}
        if not isinstance(schema, Mapping):
            raise SchemaError("a JSON schema must be an object")
        if "allOf" in schema:
            schema = self.merge_all_of(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                chosen = next((b for b in branches if not _is_null(self.resolve(b))), branches[0])
                rest = {k: v for k, v in schema.items() if k != key}
                return self.value({**rest, **self.resolve(chosen)}, name, index, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            if "properties" in schema:
                kind = "object"
            elif "items" in schema or "prefixItems" in schema:
                kind = "array"
            else:
                kind = "string"
        match kind:
            case "object":
                return self.object_value(schema, depth)
            case "array":
                return self.array_value(schema, name, depth)
            case "integer":
                return int(self.number_value(schema, index, integer=True))
            case "number":
                return self.number_value(schema, index, integer=False)
            case "boolean":
                return True
            case "null":
                return None
            case _:
                return self.string_value(schema, name, index)

    def object_value(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        result: dict[str, Any] = {}
        for prop, sub in properties.items():
            if depth >= _MAX_DEPTH and prop not in required:
                continue
            result[prop] = self.value(sub, prop, 0, depth + 1)
        return result

    def array_value(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if prefix is None and isinstance(items, list):
            prefix, items = items, None
        if isinstance(prefix, list):
            return [self.value(sub, name, i, depth + 1) for i, sub in enumerate(prefix)]
        minimum = int(schema.get("minItems", 0) or 0)
        count = minimum if minimum > 0 or depth >= _MAX_DEPTH else 1
        if isinstance(schema.get("maxItems"), int):
            count = min(count, schema["maxItems"])
        return [
            self.value(items if items is not None else {}, name, i, depth + 1) for i in range(count)
        ]

    def number_value(self, schema: Mapping[str, Any], index: int, *, integer: bool) -> float:
        hint = next(self.numbers, None)
        value: float = float(hint) if hint is not None else float(1 + index)
        if integer:
            value = float(round(value))
        step = 1.0 if integer else 0.5
        low = schema.get("minimum")
        if isinstance(low, (int, float)) and value < low:
            value = math.ceil(low) if integer else float(low)
        xlow = schema.get("exclusiveMinimum")
        if isinstance(xlow, (int, float)) and not isinstance(xlow, bool) and value <= xlow:
            value = math.floor(xlow) + 1 if integer else float(xlow) + step
        high = schema.get("maximum")
        if isinstance(high, (int, float)) and value > high:
            value = math.floor(high) if integer else float(high)
        xhigh = schema.get("exclusiveMaximum")
        if isinstance(xhigh, (int, float)) and not isinstance(xhigh, bool) and value >= xhigh:
            value = math.ceil(xhigh) - 1 if integer else float(xhigh) - step
        multiple = schema.get("multipleOf")
        if isinstance(multiple, (int, float)) and multiple > 0:
            value = math.ceil(value / multiple) * multiple
        if value == int(value) and abs(value) < 2**53:
            return int(value)
        return value

    def string_value(self, schema: Mapping[str, Any], name: str, index: int) -> str:
        fmt = schema.get("format")
        hint = next(self.strings, None) if fmt not in _FORMATS else None
        if isinstance(fmt, str) and fmt in _FORMATS:
            text = _FORMATS[fmt]
        elif hint is not None:
            text = hint
        else:
            text = name if index == 0 else f"{name} {index + 1}"
        low = schema.get("minLength")
        if isinstance(low, int) and len(text) < low:
            text = text + "x" * (low - len(text))
        high = schema.get("maxLength")
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "null"
