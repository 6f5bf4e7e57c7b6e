"""Void, optional and superjson endpoint parts, judged as LM Studio's zod schemas judge them.

The rule (README: *Strictness*): a void part (``z.void()`` / ``z.undefined()``) must be
absent, an optional part (``.optional()``) may be absent but not ``null``, every other part
is required; ``runtime/getEngineSelections`` wraps its values in superjson envelopes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lmstudio._protocol.endpoints import endpoints
from lmstudio.testing import FakeLMStudio

from .wire import SHARED


@pytest.fixture
def runtime(server: FakeLMStudio, connect_to: Any) -> Any:
    return connect_to(server, "runtime")


def _answered(message: dict[str, Any]) -> None:
    assert message["type"] == "rpcResult", message


def test_an_optional_parameter_may_be_absent_but_not_null(
    server: FakeLMStudio, runtime: Any
) -> None:
    _answered(runtime.rpc("surveyHardware"))  # what TypeScript 2.0.0 sends
    _answered(runtime.rpc("surveyHardware", {"type": "all"}))
    runtime.call("surveyHardware", None)
    assert "got null" in runtime.warning()["warning"]
    runtime.call("surveyHardware", {"type": "every"})
    assert runtime.warning()["kind"] == "rpcParameterTypeError"
    assert len(server.warnings) == 2
    server.warnings.clear()


def test_a_superjson_parameter_is_unwrapped(server: FakeLMStudio, runtime: Any) -> None:
    undefined = {"json": None, "meta": {"values": ["undefined"]}}  # TypeScript 2.0.0
    _answered(runtime.rpc("getEngineSelections", undefined))
    _answered(runtime.rpc("getEngineSelections"))  # a client that does not wrap
    runtime.call("getEngineSelections", {"json": {"x": 1}})  # a value: the endpoint is void
    assert "must be absent" in runtime.warning()["warning"]
    runtime.call("getEngineSelections", [1])
    assert "superjson envelope" in runtime.warning()["warning"]
    assert len(server.warnings) == 2
    server.warnings.clear()


def test_a_superjson_result_is_wrapped(server: FakeLMStudio, runtime: Any) -> None:
    pairs = [["GGUF", {"name": "llama.cpp-linux-x86_64", "version": "1.50.2"}]]
    with server.handle_rpc("runtime/getEngineSelections", lambda _: pairs):
        result = runtime.result("getEngineSelections", {"meta": {"values": ["undefined"]}})
    # A Map for the TypeScript client's deserializer (its schema exports it as pairs).
    assert result == {"json": pairs, "meta": {"values": ["map"]}}
    with server.handle_rpc("runtime/listEngines", lambda _: []):
        assert runtime.result("listEngines") == []  # raw endpoints are sent as they are


def test_a_void_parameter_must_be_absent(server: FakeLMStudio, connect_to: Any) -> None:
    system = connect_to(server, "system")
    system.call("version", {})
    assert "must be absent" in system.warning()["warning"]
    system.call("version", None)
    assert "must be absent" in system.warning()["warning"]
    assert system.result("version")["version"]
    server.warnings.clear()


def _pseudo_parts(path: str) -> dict[str, tuple[str, bool, bool]]:
    """endpoint -> (part a client sends, may it be absent, may it be null)."""
    root = json.loads((SHARED / path).read_text(encoding="utf-8"))
    definitions = root["definitions"]
    found: dict[str, tuple[str, bool, bool]] = {}
    for name, pseudo in definitions.items():
        if not name.startswith("pseudo/") or name.count("/") != 3:
            continue
        _, namespace, _, endpoint = name.split("/")
        part = "parameter" if "/rpc/" in name else "creationParameter"
        if part not in pseudo.get("properties", {}):
            found[f"{namespace}/{endpoint}"] = (part, True, False)  # z.void(): left out
            continue
        node = definitions[pseudo["properties"][part]["$ref"].removeprefix("#/definitions/")]
        branches = node.get("anyOf", [])
        absent = (
            part not in pseudo.get("required", []) or node == {"not": {}} or {"not": {}} in branches
        )
        null = node.get("type") == "null" or any(b.get("type") == "null" for b in branches)
        found[f"{namespace}/{endpoint}"] = (part, absent, null)
    return found


@pytest.mark.parametrize("schema", ["lms.json", "lms-2025-08.json"])
def test_the_registry_follows_both_schema_generations(schema: str) -> None:
    table = endpoints(strict=True)
    for name, (part, absent, null) in _pseudo_parts(schema).items():
        namespace, endpoint = name.split("/")
        entry = table[namespace].get(endpoint)
        if entry is None:  # a 2025 endpoint that 2026 dropped: unknown to the fake, as to LM Studio
            assert schema == "lms-2025-08.json", name
            continue
        target = entry.parameter if part == "parameter" else entry.creation_parameter
        assert not null, f"{name}: a nullable {part} would need its own rule"
        if target is None:
            assert absent, f"{name}: a required {part} has no type"  # void: must be absent
        else:
            assert (part in entry.optional) == absent, f"{name}: {part} optional={absent}"
    assert [f"{ns}/{n}" for ns, eps in table.items() for n, e in eps.items() if e.optional] == [
        "runtime/surveyHardware"
    ]
