"""Model endpoints of ``llm`` / ``embedding`` and the ``system`` namespace: listing,
queries, loading like LM Studio (identifiers, JIT, TTL), tokens, errors in its shape."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lmstudio.testing import (
    EMBEDDING_END_TOKEN,
    EMBEDDING_START_TOKEN,
    FakeLMStudio,
    count_tokens,
    tokenize,
)

from .wire import TIMEOUT, UNSET, query, stack


def _ids(client: Any) -> list[str]:
    return [m["identifier"] for m in client.result("listLoaded")]


def _load(client: Any, creation: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    return client.stream("loadModel", {"loadConfigStack": stack(), **creation})


def _get_or_load(
    client: Any, identifier: str, **more: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    return client.stream(
        "getOrLoad", {"identifier": identifier, "loadConfigStack": stack(), **more}
    )


def test_default_catalog(server: FakeLMStudio, connect_to: Any) -> None:
    system = connect_to(server, "system")
    models = system.result("listDownloadedModels")
    assert [(m["type"], m["modelKey"]) for m in models] == [
        ("llm", "fake/chat"),
        ("llm", "fake/reasoning"),
        ("llm", "fake/tools"),
        ("llm", "fake/vision"),
        ("embedding", "fake/embed"),
    ]
    by_key = {m["modelKey"]: m for m in models}
    assert by_key["fake/tools"]["trainedForToolUse"] is True
    assert by_key["fake/vision"]["vision"] is True
    assert all(m["deviceIdentifier"] is None and m["publisher"] == "fake" for m in models)
    assert _ids(connect_to(server, "llm")) == ["fake/chat"]
    assert _ids(connect_to(server, "embedding")) == ["fake/embed"]


def test_system_version_info_flags_and_notify(server: FakeLMStudio, connect_to: Any) -> None:
    system = connect_to(server, "system")
    version = system.result("version")
    assert [int(p) for p in version["version"].split(".")] and isinstance(version["build"], int)
    assert system.result("info")["isDaemon"] is False
    assert system.rpc("setExperimentFlag", {"code": "x", "value": True}) == {
        "type": "rpcResult",
        "callId": 3,
    }
    assert system.result("getExperimentFlags") == ["x"]
    assert system.result("notify", {"title": "Hi", "description": "there"}) is UNSET
    assert server.notifications == [{"title": "Hi", "description": "there"}]
    variants = system.result("listDownloadedModelVariants", {"modelKey": "fake/chat"})
    assert [v["modelKey"] for v in variants] == ["fake/chat"]


def test_model_info_resolves_identifier_key_and_path_case_insensitively(llm: Any) -> None:
    path = llm.result("listLoaded")[0]["path"]
    for name in ("fake/chat", "FAKE/Chat", path, path.upper()):
        info = llm.result("getModelInfo", {"specifier": query(name), "throwIfNotFound": True})
        assert info["identifier"] == "fake/chat"
    info = llm.result("getModelInfo", {"specifier": query(path=path), "throwIfNotFound": True})
    assert info["modelKey"] == "fake/chat"
    any_model = llm.result("getModelInfo", {"specifier": query(), "throwIfNotFound": True})
    assert any_model["identifier"] == "fake/chat"
    reference = {"type": "instanceReference", "instanceReference": info["instanceReference"]}
    assert (
        llm.result("getModelInfo", {"specifier": reference, "throwIfNotFound": True})["identifier"]
        == "fake/chat"
    )
    assert info["contextLength"] == 4096
    assert info["ttlMs"] is None


def test_model_not_found_in_lm_studios_shape(llm: Any) -> None:
    error = llm.error("getModelInfo", {"specifier": query("nope"), "throwIfNotFound": True})
    assert error["displayData"] == {
        "code": "generic.noModelMatchingQuery",
        "query": {"identifier": "nope"},
        "loadedModelsSample": ["fake/chat"],
        "totalLoadedModels": 1,
    }
    assert llm.rpc("getModelInfo", {"specifier": query("nope"), "throwIfNotFound": False}) == {
        "type": "rpcResult",
        "callId": 2,
    }
    assert llm.error("getModelInfo", {"specifier": query(vision=True), "throwIfNotFound": True})
    gone = {"type": "instanceReference", "instanceReference": "gone"}
    assert llm.error("tokenize", {"specifier": gone, "inputString": "a"})["displayData"] == {
        "code": "generic.specificModelUnloaded"
    }


def test_domains_are_separate(connect_to: Any, server: FakeLMStudio) -> None:
    embedding = connect_to(server, "embedding")
    assert embedding.error(
        "getModelInfo", {"specifier": query("fake/chat"), "throwIfNotFound": True}
    )
    info = embedding.result(
        "getModelInfo", {"specifier": query("fake/embed"), "throwIfNotFound": True}
    )
    assert info["type"] == "embedding"
    assert "vision" not in info


def test_load_model_names_instances_like_lm_studio(llm: Any) -> None:
    packets, end = _load(llm, {"modelKey": "fake/chat"})
    assert end["type"] == "channelClose"
    assert [p["type"] for p in packets] == [
        "resolved",
        "progress",
        "progress",
        "progress",
        "progress",
        "success",
    ]
    assert [p["progress"] for p in packets[1:5]] == [0.25, 0.5, 0.75, 1.0]
    assert packets[0]["info"]["modelKey"] == "fake/chat"
    assert packets[-1]["info"]["identifier"] == "fake/chat:2"
    assert _load(llm, {"modelKey": "FAKE/CHAT"})[0][-1]["info"]["identifier"] == "fake/chat:3"
    named = _load(llm, {"modelKey": "fake/tools", "identifier": "mine", "ttlMs": 60_000})[0][-1][
        "info"
    ]
    assert (named["identifier"], named["ttlMs"]) == ("mine", 60_000)
    assert _ids(llm) == ["fake/chat", "fake/chat:2", "fake/chat:3", "mine"]


def test_duplicate_identifier_is_an_error(llm: Any) -> None:
    packets, end = _load(llm, {"modelKey": "fake/tools", "identifier": "fake/chat"})
    assert packets == []
    assert end["type"] == "channelError"
    assert "already exists" in end["error"]["title"]
    assert "\n" not in end["error"]["title"]


def test_load_errors(llm: Any) -> None:
    _, end = _load(llm, {"modelKey": "fake/nothing"})
    assert end["error"]["displayData"]["code"] == "generic.pathNotFound"
    _, end = _load(llm, {"modelKey": "fake/embed"})  # an embedding model on the llm socket
    assert end["error"]["displayData"]["code"] == "generic.pathNotFound"
    _, end = llm.stream(
        "loadModel",
        {"modelKey": "fake/tools", "loadConfigStack": stack({"llm.load.contextLength": 0})},
    )
    assert end["error"]["title"] == "Invalid value for config key llm.load.contextLength"


def test_load_config_is_honoured_and_reported(llm: Any) -> None:
    creation = {
        "modelKey": "fake/tools",
        "loadConfigStack": stack({"llm.load.contextLength": 8192}),
    }
    info = llm.stream("loadModel", creation)[0][-1]["info"]
    assert info["contextLength"] == 8192
    config = llm.result("getLoadConfig", {"specifier": query(info["identifier"])})
    fields = {f["key"]: f["value"] for f in config["fields"]}
    assert fields["llm.load.contextLength"] == 8192


def test_get_or_load_when_loaded(llm: Any) -> None:
    packets, end = _get_or_load(llm, "fake/chat")
    assert [p["type"] for p in packets] == ["alreadyLoaded"]
    assert packets[0]["info"]["identifier"] == "fake/chat"
    assert end["type"] == "channelClose"


def test_get_or_load_loads_just_in_time_and_evicts_the_other_jit_model(llm: Any) -> None:
    packets, _ = _get_or_load(llm, "fake/tools", loadTtlMs=3_600_000)
    assert [p["type"] for p in packets] == ["startLoading", *["loadProgress"] * 4, "loadSuccess"]
    assert packets[0]["identifier"] == "fake/tools"
    assert packets[-1]["info"]["ttlMs"] == 3_600_000
    packets, _ = _get_or_load(llm, "fake/vision")
    assert [p["type"] for p in packets][:2] == ["startLoading", "unloadingOtherJITModel"]
    assert packets[1]["info"]["identifier"] == "fake/tools"
    assert _ids(llm) == ["fake/chat", "fake/vision"]  # not JIT-loaded: fake/chat stays


def test_a_jit_load_evicts_the_jit_model_of_another_namespace(
    server: FakeLMStudio, connect_to: Any
) -> None:
    llm, embedding = connect_to(server, "llm"), connect_to(server, "embedding")
    server.unload_model("fake/embed")
    packets, _ = _get_or_load(embedding, "fake/embed")
    assert packets[0]["type"] == "startLoading"
    packets, _ = _get_or_load(llm, "fake/tools")
    kinds = [p["type"] for p in packets]
    assert kinds[:2] == ["startLoading", "unloadingOtherJITModel"]
    assert packets[1]["info"]["identifier"] == "fake/embed"
    assert packets[1]["info"]["type"] == "embedding"
    assert _ids(embedding) == []
    error = embedding.error(
        "embedString", {"modelSpecifier": query("fake/embed"), "inputString": "x"}
    )
    assert error["displayData"]["code"] == "generic.noModelMatchingQuery"
    # A JIT LLM in turn gives way to a JIT embedding model.
    packets, _ = _get_or_load(embedding, "fake/embed")
    assert [p["type"] for p in packets][1] == "unloadingOtherJITModel"
    assert packets[1]["info"]["identifier"] == "fake/tools"
    assert _ids(llm) == ["fake/chat"]


def test_jit_eviction_can_be_turned_off(connect_to: Any) -> None:
    with FakeLMStudio(jit_auto_evict=False) as server:
        llm = connect_to(server, "llm")
        _get_or_load(llm, "fake/tools")
        packets, _ = _get_or_load(llm, "fake/vision")
        assert "unloadingOtherJITModel" not in [p["type"] for p in packets]
        assert _ids(llm) == ["fake/chat", "fake/tools", "fake/vision"]


def test_get_or_load_unknown_model(llm: Any) -> None:
    _, end = _get_or_load(llm, "fake/nothing")
    assert end["error"]["displayData"]["code"] == "generic.noModelMatchingQuery"


def test_ttl_unloads_an_idle_model(llm: Any) -> None:
    _get_or_load(llm, "fake/tools", loadTtlMs=100)
    deadline = time.monotonic() + TIMEOUT
    while "fake/tools" in _ids(llm):
        assert time.monotonic() < deadline, "the TTL never unloaded the model"
        time.sleep(0.05)


def test_unload(llm: Any) -> None:
    assert llm.rpc("unloadModel", {"identifier": "FAKE/chat"})["type"] == "rpcResult"
    assert _ids(llm) == []
    error = llm.error("unloadModel", {"identifier": "fake/chat"})
    # The code the official Python SDK maps to LMStudioModelNotFoundError (it does not map
    # generic.identifierNotFound), with the query the TypeScript SDK's message shows.
    assert error["displayData"]["code"] == "generic.noModelMatchingQuery"
    assert error["displayData"]["query"] == {"identifier": "fake/chat"}
    assert error["displayData"]["loadedModelsSample"] == []


def test_tokenize_and_count_tokens_agree_for_an_llm(llm: Any) -> None:
    text = "Hello, world! Tokens: 3 and more..."
    spec = {"specifier": query("fake/chat"), "inputString": text}
    tokens = llm.result("tokenize", spec)["tokens"]
    count = llm.result("countTokens", spec)["tokenCount"]
    assert tokens == tokenize(text)
    assert count == len(tokens) == count_tokens(text) == 12
    assert all(isinstance(t, int) for t in tokens)


def test_an_embedding_model_tokenizes_with_start_and_end_markers(
    server: FakeLMStudio, connect_to: Any
) -> None:
    embedding = connect_to(server, "embedding")
    text = "Hello, world! Tokens: 3 and more..."
    spec = {"specifier": query("fake/embed"), "inputString": text}
    tokens = embedding.result("tokenize", spec)["tokens"]
    count = embedding.result("countTokens", spec)["tokenCount"]
    assert tokens == tokenize(text, embedding=True)
    assert tokens == [EMBEDDING_START_TOKEN, *tokenize(text), EMBEDDING_END_TOKEN]
    assert len(tokens) == count + 2 == count_tokens(text) + 2
    empty = embedding.result("tokenize", {**spec, "inputString": ""})["tokens"]
    assert empty == [EMBEDDING_START_TOKEN, EMBEDDING_END_TOKEN]


def test_instance_use_is_recorded(llm: Any) -> None:
    llm.result("countTokens", {"specifier": query("fake/chat"), "inputString": "x"})
    info = llm.result("getModelInfo", {"specifier": query("fake/chat"), "throwIfNotFound": True})
    assert info["lastUsedTime"] is not None and info["lastUsedTime"] > 1e12


def test_processing_state_base_config_and_usage_estimate(llm: Any) -> None:
    state = llm.result(
        "getInstanceProcessingState", {"specifier": query("fake/chat"), "throwIfNotFound": True}
    )
    assert state == {"status": "idle", "queued": 0}
    base = llm.result("getBasePredictionConfig", {"specifier": query("fake/chat")})
    assert {"key": "llm.prediction.temperature", "value": 0.8} in base["fields"]
    usage = llm.result("estimateModelUsage", {"modelKey": "fake/tools", "loadConfigStack": stack()})
    assert usage["passesGuardrails"] is True


def test_preload_draft_model(llm: Any) -> None:
    assert (
        llm.rpc(
            "preloadDraftModel", {"specifier": query("fake/chat"), "draftModelKey": "fake/tools"}
        )["type"]
        == "rpcResult"
    )
    error = llm.error(
        "preloadDraftModel", {"specifier": query("fake/chat"), "draftModelKey": "nope"}
    )
    assert error["displayData"]["code"] == "generic.pathNotFound"


def test_catalog_file_mirrors_a_real_installation(tmp_path: Any, connect_to: Any) -> None:
    import json

    catalog = [
        {
            "type": "llm",
            "modelKey": "qwen2.5-7b-instruct",
            "path": "lmstudio-community/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf",
            "format": "gguf",
            "displayName": "Qwen2.5 7B Instruct",
            "sizeBytes": 4683073952,
            "vision": False,
            "trainedForToolUse": True,
            "maxContextLength": 32768,
            "loaded": True,
        },
        {
            "type": "embedding",
            "modelKey": "text-embedding-nomic",
            "embeddingDimensions": 8,
            "loaded": True,
        },
    ]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    with FakeLMStudio(catalog=path) as server:
        system = connect_to(server, "system")
        listed = system.result("listDownloadedModels")
        assert [m["modelKey"] for m in listed] == ["qwen2.5-7b-instruct", "text-embedding-nomic"]
        assert "loaded" not in listed[0] and "embeddingDimensions" not in listed[1]
        assert listed[0]["publisher"] == "lmstudio-community"  # filled in: no "/" in the key
        assert _ids(connect_to(server, "llm")) == ["qwen2.5-7b-instruct"]
        embedding = connect_to(server, "embedding")
        vector = embedding.result(
            "embedString", {"modelSpecifier": query("text-embedding-nomic"), "inputString": "x"}
        )
        assert len(vector["embedding"]) == 8


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"type": "llm"}, "'modelKey' must be a non-empty string"),
        ({"type": "llm", "modelKey": "a", "vision": "yes"}, "Expected `bool`"),
        ({"type": "embedding", "modelKey": "a", "embeddingDimensions": 0}, "positive integer"),
        ({"type": "llm", "modelKey": "a", "loaded": 1}, "'loaded'"),
        ({"type": "llm", "modelKey": "a", "format": "zip"}, "format"),
    ],
)
def test_bad_catalog_entries_are_refused(entry: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        FakeLMStudio(catalog=[entry])
    with pytest.raises(ValueError, match="duplicate"):
        FakeLMStudio(catalog=[{"type": "llm", "modelKey": "a"}, {"type": "llm", "modelKey": "A"}])


def test_add_model(server: FakeLMStudio, connect_to: Any) -> None:
    server.add_model({"type": "llm", "modelKey": "extra/model", "loaded": True})
    assert "extra/model" in _ids(connect_to(server, "llm"))
    with pytest.raises(ValueError):
        server.add_model({"type": "llm", "modelKey": "extra/model"})
