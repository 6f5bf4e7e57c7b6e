"""Model queries resolved as LM Studio resolves them, step by step, in every endpoint that
takes a query or a model key (README: *Model queries*)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lmstudio.testing import FakeLMStudio, count_tokens, expected_reply, tokenize

from .wire import query, stack

LLAMA = {
    "type": "llm",
    "modelKey": "llama-3.2-1b-instruct",
    "path": "hugging-quants/Llama-3.2-1B-Instruct-Q8_0-GGUF/llama-3.2-1b-instruct-q8_0.gguf",
    "publisher": "hugging-quants",
}
LLAMA_3B = {
    "type": "llm",
    "modelKey": "llama-3.2-3b-instruct",
    "path": "hugging-quants/Llama-3.2-3B-Instruct-Q8_0-GGUF/llama-3.2-3b-instruct-q8_0.gguf",
}
NOMIC = {
    "type": "embedding",
    "modelKey": "text-embedding-nomic-embed-text-v1.5",
    "path": "nomic-ai/nomic-embed-text-v1.5-GGUF/nomic-embed-text-v1.5.Q8_0.gguf",
}
LLAMA_QUERY = "hugging-quants/llama-3.2-1b-instruct"
NOMIC_QUERY = "nomic-ai/nomic-embed-text-v1.5"


@pytest.fixture
def real_names() -> Iterator[FakeLMStudio]:
    """A catalog named like a real installation: keys without publisher, long paths."""
    with FakeLMStudio(catalog=[LLAMA, LLAMA_3B, NOMIC]) as fake:
        yield fake
        assert not fake.warnings, fake.warnings


def _ids(client: Any) -> list[str]:
    return [m["identifier"] for m in client.result("listLoaded")]


def test_get_or_load_by_publisher_and_name_loads_with_the_model_key(
    real_names: FakeLMStudio, connect_to: Callable[..., Any]
) -> None:
    llm = connect_to(real_names, "llm")
    packets, end = llm.stream("getOrLoad", {"identifier": LLAMA_QUERY, "loadConfigStack": stack()})
    assert end["type"] == "channelClose", end
    assert packets[0]["type"] == "startLoading"
    assert packets[0]["identifier"] == "llama-3.2-1b-instruct"
    assert packets[-1]["info"]["modelKey"] == "llama-3.2-1b-instruct"
    # Loaded now: the same query (any case) finds the instance.
    packets, _ = llm.stream(
        "getOrLoad", {"identifier": LLAMA_QUERY.upper(), "loadConfigStack": stack()}
    )
    assert [p["type"] for p in packets] == ["alreadyLoaded"]
    assert packets[0]["info"]["identifier"] == "llama-3.2-1b-instruct"


def test_load_model_by_query_names_instances_key_then_key_2(
    real_names: FakeLMStudio, connect_to: Callable[..., Any]
) -> None:
    llm = connect_to(real_names, "llm")
    for expected in ("llama-3.2-1b-instruct", "llama-3.2-1b-instruct:2"):
        packets, end = llm.stream(
            "loadModel", {"modelKey": LLAMA_QUERY, "loadConfigStack": stack()}
        )
        assert end["type"] == "channelClose", end
        assert packets[0]["type"] == "resolved"
        assert packets[-1]["info"]["identifier"] == expected
    assert _ids(llm) == ["llama-3.2-1b-instruct", "llama-3.2-1b-instruct:2"]


def test_every_model_endpoint_takes_the_query(
    real_names: FakeLMStudio, connect_to: Callable[..., Any]
) -> None:
    real_names.load_model("llama-3.2-1b-instruct")
    real_names.load_model("text-embedding-nomic-embed-text-v1.5")
    llm, embedding = connect_to(real_names, "llm"), connect_to(real_names, "embedding")
    spec = query(LLAMA_QUERY)
    info = llm.result("getModelInfo", {"specifier": spec, "throwIfNotFound": True})
    assert info["identifier"] == "llama-3.2-1b-instruct"
    assert llm.result("getLoadConfig", {"specifier": spec})["fields"]
    assert llm.result("tokenize", {"specifier": spec, "inputString": "a b"})["tokens"] == (
        tokenize("a b")
    )
    count = llm.result("countTokens", {"specifier": spec, "inputString": "a b"})
    assert count["tokenCount"] == count_tokens("a b")
    history = {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    template = llm.result(
        "applyPromptTemplate",
        {"specifier": spec, "history": history, "predictionConfigStack": stack(), "opts": {}},
    )
    assert "hi" in template["formatted"]
    packets, end = llm.stream(
        "predict",
        {"modelSpecifier": spec, "history": history, "predictionConfigStack": stack()},
    )
    assert end["type"] == "channelClose", end
    content = "".join(p["fragment"]["content"] for p in packets if p["type"] == "fragment")
    assert content == expected_reply("hi")
    assert packets[-1]["modelInfo"]["identifier"] == "llama-3.2-1b-instruct"
    vector = embedding.result(
        "embedString", {"modelSpecifier": query(NOMIC_QUERY), "inputString": "x"}
    )
    assert len(vector["embedding"]) == 384
    usage = llm.result("estimateModelUsage", {"modelKey": LLAMA_QUERY, "loadConfigStack": stack()})
    assert usage["passesGuardrails"] is True


def test_resolution_order_for_loaded_instances(
    real_names: FakeLMStudio, connect_to: Callable[..., Any]
) -> None:
    """(1) identifier, (2) model key, (3) path, (4) path prefix; the first step wins."""
    llm = connect_to(real_names, "llm")
    # An instance whose identifier is another model's key: step 1 beats step 2.
    real_names.load_model("llama-3.2-3b-instruct", "llama-3.2-1b-instruct")
    real_names.load_model("llama-3.2-1b-instruct", "small")

    def resolved(name: str) -> str:
        info = llm.result("getModelInfo", {"specifier": query(name), "throwIfNotFound": True})
        return str(info["identifier"])

    assert resolved("LLAMA-3.2-1B-instruct") == "llama-3.2-1b-instruct"  # (1) identifier
    assert resolved("llama-3.2-3b-instruct") == "llama-3.2-1b-instruct"  # (2) key of the 3B
    assert resolved(str(LLAMA["path"]).upper()) == "small"  # (3) exact path
    assert resolved("hugging-quants/llama-3.2-1b") == "small"  # (4) path prefix
    # Prefixes shared by both: the earliest loaded instance.
    assert resolved("hugging-quants/") == "llama-3.2-1b-instruct"
    by_path = {"specifier": query(path="hugging-quants/Llama-3.2-1B-Instruct-Q8_0-GGUF")}
    info = llm.result("getModelInfo", {**by_path, "throwIfNotFound": True})
    assert info["identifier"] == "small"  # a path query: exact path, else a path prefix
    error = llm.error("getModelInfo", {"specifier": query("llama-3.2"), "throwIfNotFound": True})
    assert error["displayData"]["code"] == "generic.noModelMatchingQuery"  # not a key prefix


def test_resolution_order_for_downloaded_models(
    real_names: FakeLMStudio, connect_to: Callable[..., Any]
) -> None:
    """(1) model key, (2) path, (3) path prefix, in catalog order."""
    llm = connect_to(real_names, "llm")

    def loads(name: str) -> str:
        packets, end = llm.stream("loadModel", {"modelKey": name, "loadConfigStack": stack()})
        assert end["type"] == "channelClose", (name, end)
        identifier = str(packets[-1]["info"]["identifier"])
        llm.rpc("unloadModel", {"identifier": identifier})
        return str(packets[-1]["info"]["modelKey"])

    assert loads("LLAMA-3.2-3B-Instruct") == "llama-3.2-3b-instruct"  # (1)
    assert loads(str(LLAMA_3B["path"])) == "llama-3.2-3b-instruct"  # (2)
    assert loads("Hugging-Quants/Llama-3.2-3B") == "llama-3.2-3b-instruct"  # (3)
    assert loads("hugging-quants/") == "llama-3.2-1b-instruct"  # (3) first in the catalog
    _, end = llm.stream("loadModel", {"modelKey": NOMIC_QUERY, "loadConfigStack": stack()})
    assert end["error"]["displayData"]["code"] == "generic.pathNotFound"  # another domain
    _, end = llm.stream("getOrLoad", {"identifier": "instruct", "loadConfigStack": stack()})
    assert end["error"]["displayData"]["code"] == "generic.noModelMatchingQuery"
