"""Loading the JSON Schema export and resolving its JSON pointers.

Definition names contain ``/`` themselves (``llm/rpc/countTokens/parameter``), so a
``$ref`` such as ``#/definitions/embeddingModelInfo/properties/modelKey`` is resolved
by the longest definition name that prefixes it, then by walking the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Node = dict[str, Any]

REF_PREFIX = "#/definitions/"


class Schema:
    """One schema export (current or 2025-08) with pointer resolution."""

    def __init__(self, document: Node) -> None:
        self.document = document
        self.definitions: dict[str, Node] = document["definitions"]
        self.namespaces: list[str] = list(document["properties"])

    @classmethod
    def load(cls, path: Path) -> Schema:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def split_ref(self, ref: str) -> tuple[str, list[str]]:
        """Split a ``$ref`` into (definition name, remaining pointer segments)."""
        if not ref.startswith(REF_PREFIX):
            raise ValueError(f"unsupported $ref {ref!r}")
        parts = ref[len(REF_PREFIX) :].split("/")
        for cut in range(len(parts), 0, -1):
            name = "/".join(parts[:cut])
            if name in self.definitions:
                return name, parts[cut:]
        raise KeyError(f"$ref {ref!r} matches no definition")

    def resolve(self, ref: str) -> Node:
        name, rest = self.split_ref(ref)
        node: Any = self.definitions[name]
        for segment in rest:
            node = node[int(segment)] if isinstance(node, list) else node[segment]
        if not isinstance(node, dict):
            raise TypeError(f"$ref {ref!r} does not point at a schema")
        return node

    def deref(self, node: Node) -> Node:
        """Follow ``$ref`` chains until a concrete schema node."""
        seen = 0
        while "$ref" in node:
            node = self.resolve(node["$ref"])
            seen += 1
            if seen > 50:
                raise ValueError("$ref cycle")
        return node

    def endpoint_definitions(self) -> list[tuple[str, str, str, Node]]:
        """Every endpoint as (namespace, kind, name, pseudo definition), in schema order."""
        found: list[tuple[str, str, str, Node]] = []
        for namespace in self.namespaces:
            pseudo = self.definitions[f"pseudo/{namespace}"]
            for prop, ref in pseudo.get("properties", {}).items():
                target_name, rest = self.split_ref(ref["$ref"])
                assert not rest, target_name
                _, _, kind, name = target_name.split("/", 3)
                expected = kind + name[0].upper() + name[1:]
                if prop != expected:
                    raise ValueError(f"unexpected endpoint property {prop!r} for {target_name}")
                found.append((namespace, kind, name, self.definitions[target_name]))
        return found
