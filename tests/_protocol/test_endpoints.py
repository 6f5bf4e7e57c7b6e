"""The endpoint registry agrees with the schema it was generated from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lmstudio._protocol import endpoints

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "protocol"


def load(name: str) -> dict[str, Any]:
    path = SHARED / name
    if not path.exists():
        pytest.fail(f"the protocol schema is expected at {path} (shared/ beside the repo)")
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def schema_endpoints(schema: dict[str, Any]) -> dict[tuple[str, str], tuple[str, set[str]]]:
    """(namespace, name) -> (kind, parts present) straight from ``pseudo/<ns>``."""
    definitions = schema["definitions"]
    found = {}
    for namespace in schema["properties"]:
        for prop, ref in definitions[f"pseudo/{namespace}"]["properties"].items():
            kind = "channel" if prop.startswith("channel") else "rpc"
            assert prop.startswith(kind)
            name = prop[len(kind)].lower() + prop[len(kind) + 1 :]
            target = ref["$ref"].removeprefix("#/definitions/")
            parts = set(definitions[target].get("properties", {}))
            found[(namespace, name)] = (kind, parts)
    return found


def test_registry_has_every_endpoint_of_the_schema() -> None:
    expected = schema_endpoints(load("lms.json"))
    registry = endpoints.endpoints()
    actual = {(ns, name) for ns, eps in registry.items() for name in eps}
    assert actual == set(expected)
    assert len(actual) == endpoints.ENDPOINT_COUNT == 93
    assert tuple(registry) == endpoints.NAMESPACES
    assert len(endpoints.NAMESPACES) == 8
    for (ns, name), (kind, _) in expected.items():
        assert registry[ns][name].kind == kind


def test_registry_types_match_the_schema_parts() -> None:
    definitions = load("lms.json")["definitions"]
    for (ns, name), (kind, parts) in schema_endpoints(load("lms.json")).items():
        entry = endpoints.endpoint(ns, name)
        if kind == "rpc":
            void_param = "parameter" not in parts or definitions[f"{ns}/rpc/{name}/parameter"] == {
                "not": {}
            }
            assert (entry.parameter is None) == void_param, (ns, name)
            assert (entry.returns is None) == ("returns" not in parts), (ns, name)
        else:
            for part, attr in [
                ("creationParameter", "creation_parameter"),
                ("toServerPacket", "to_server_packet"),
                ("toClientPacket", "to_client_packet"),
            ]:
                assert (getattr(entry, attr) is None) == (part not in parts), (ns, name, part)


def test_registry_marks_what_the_2025_protocol_has() -> None:
    old = schema_endpoints(load("lms-2025-08.json"))
    registry = endpoints.endpoints()
    for ns, eps in registry.items():
        for name, entry in eps.items():
            assert entry.in_2025 == ((ns, name) in old), (ns, name)
    assert not endpoints.endpoint("llm", "completeRawText").in_2025
    assert endpoints.endpoint("llm", "predict").in_2025


def test_strict_registry_uses_strict_types() -> None:
    lenient = endpoints.endpoint("system", "version")
    strict = endpoints.endpoint("system", "version", strict=True)
    assert lenient.returns.__module__ == "lmstudio._protocol.models"
    assert strict.returns.__module__ == "lmstudio._protocol.strict"


def test_unknown_endpoint_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="no endpoint llm/teleport"):
        endpoints.endpoint("llm", "teleport")
