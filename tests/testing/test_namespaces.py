"""``embedding``, ``files``, ``repository`` and ``diagnostics`` endpoints."""

from __future__ import annotations

import base64
import math
from typing import Any

from lmstudio.testing import FakeLMStudio, embed_text

from .wire import TIMEOUT, predict_params, query


def _embed(client: Any, text: str, model: str = "fake/embed") -> list[float]:
    return client.result("embedString", {"modelSpecifier": query(model), "inputString": text})[
        "embedding"
    ]


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_are_deterministic_normalised_and_similar_for_similar_texts(
    server: FakeLMStudio, connect_to: Any
) -> None:
    embedding = connect_to(server, "embedding")
    hello = _embed(embedding, "hello world")
    assert len(hello) == 384
    assert math.isclose(sum(x * x for x in hello), 1.0, rel_tol=1e-9)
    assert hello == _embed(embedding, "hello world") == embed_text("hello world", 384)
    close = _embed(embedding, "Hello, wonderful world!")
    far = _embed(embedding, "quantum chromodynamics lecture")
    assert _cosine(hello, close) > _cosine(hello, far)
    assert _embed(embedding, "") == [1.0] + [0.0] * 383


def test_embedding_errors(server: FakeLMStudio, connect_to: Any) -> None:
    embedding = connect_to(server, "embedding")
    error = embedding.error(
        "embedString", {"modelSpecifier": query("fake/chat"), "inputString": "x"}
    )
    assert error["displayData"]["code"] == "generic.noModelMatchingQuery"


def _upload(files: Any, name: str, data: bytes) -> dict[str, Any]:
    return files.result(
        "uploadFileBase64", {"name": name, "contentBase64": base64.b64encode(data).decode()}
    )


def test_uploads_get_fresh_identifiers_and_detected_types(
    server: FakeLMStudio, connect_to: Any
) -> None:
    files = connect_to(server, "files")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    first, second = _upload(files, "red.png", png), _upload(files, "red.png", png)
    assert first["identifier"] != second["identifier"]
    assert first == {"identifier": first["identifier"], "fileType": "image", "sizeBytes": 16}
    assert "/" not in first["identifier"]
    cases = {
        ("photo.bin", b"\xff\xd8\xff\xe0rest"): "image",
        ("noext", b"GIF89a...."): "image",
        ("pic.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "): "image",
        ("doc.pdf", b"%PDF-1.7"): "application/pdf",
        ("notes.txt", b"plain words"): "text/plain",
        ("data.json", b'{"a": 1}'): "text/other",
        ("report.docx", b"PK\x03\x04"): "application/word",
        ("blob.bin", b"\xff\xfe\x00\x81"): "unknown",
    }
    for (name, data), kind in cases.items():
        assert _upload(files, name, data)["fileType"] == kind, name


def test_bad_base64_is_an_error(server: FakeLMStudio, connect_to: Any) -> None:
    files = connect_to(server, "files")
    error = files.error("uploadFileBase64", {"name": "x.png", "contentBase64": "not base64!"})
    assert error["title"] == "Invalid base64 content"


def test_local_file_absolute_path(server: FakeLMStudio, connect_to: Any) -> None:
    files = connect_to(server, "files")
    path = files.result("getLocalFileAbsolutePath", {"fileName": "1-red.png"})["path"]
    assert path.endswith("1-red.png") and ("/" in path or "\\" in path)
    assert files.error("getLocalFileAbsolutePath", {"fileName": "../etc"})


def test_uploads_are_shared_by_every_connection_and_reset_by_restart(
    server: FakeLMStudio, connect_to: Any
) -> None:
    server.load_model("fake/vision")
    handle = _upload(connect_to(server, "files"), "red.png", b"\x89PNG\r\n\x1a\n")
    image = {"type": "file", "name": "red.png", **handle}
    message = {"role": "user", "content": [{"type": "text", "text": "see"}, image]}
    other = connect_to(server, "llm", identifier="guest:other", passkey="other")
    assert (
        other.stream("predict", predict_params([message], model="fake/vision"))[1]["type"]
        == "channelClose"
    )
    server.restart()
    llm = connect_to(server, "llm")
    server.load_model("fake/vision")
    assert (
        llm.stream("predict", predict_params([message], model="fake/vision"))[1]["type"]
        == "channelError"
    )


def test_search_download_options_and_download(server: FakeLMStudio, connect_to: Any) -> None:
    repository = connect_to(server, "repository")
    results = repository.result("searchModels", {"opts": {"searchTerm": "fake", "limit": 5}})[
        "results"
    ]
    assert [r["name"] for r in results] == [
        "fake/hub-chat-3b",
        "fake/hub-embed-small",
        "fake/chat",
        "fake/reasoning",
        "fake/tools",
    ]
    assert results[0]["identifier"] == {"type": "catalog", "identifier": "fake/hub-chat-3b"}
    options = repository.result(
        "getModelDownloadOptions", {"modelSearchResultIdentifier": results[0]["identifier"]}
    )["results"]
    assert [o["quantization"] for o in options] == ["Q4_K_M", "Q8_0"]
    assert options[0]["recommended"] is True
    packets, end = repository.stream(
        "downloadModel", {"downloadIdentifier": options[0]["downloadIdentifier"]}
    )
    assert end["type"] == "channelClose"
    assert [p["type"] for p in packets] == ["downloadProgress"] * 4 + ["startFinalizing", "success"]
    assert (
        packets[3]["update"]["downloadedBytes"]
        == packets[3]["update"]["totalBytes"]
        == options[0]["sizeBytes"]
    )
    assert packets[-1] == {"type": "success", "defaultIdentifier": "fake/hub-chat-3b"}
    system = connect_to(server, "system")
    keys = [m["modelKey"] for m in system.result("listDownloadedModels")]
    assert "fake/hub-chat-3b" in keys
    again = repository.result("searchModels", {"opts": {"searchTerm": "hub"}})["results"]
    assert [r["name"] for r in again] == ["fake/hub-embed-small", "fake/hub-chat-3b"]
    server.restart()
    system = connect_to(server, "system")
    assert "fake/hub-chat-3b" in [m["modelKey"] for m in system.result("listDownloadedModels")]
    llm = connect_to(server, "llm")
    loaded = llm.stream(
        "loadModel", {"modelKey": "fake/hub-chat-3b", "loadConfigStack": {"layers": []}}
    )[0]
    assert loaded[-1]["info"]["identifier"] == "fake/hub-chat-3b"


def test_search_filters(server: FakeLMStudio, connect_to: Any) -> None:
    repository = connect_to(server, "repository")
    found = repository.result("searchModels", {"opts": {"searchTerm": "vision"}})["results"]
    assert [r["name"] for r in found] == ["fake/vision"]
    assert found[0]["exact"] is False
    assert (
        repository.result("searchModels", {"opts": {"searchTerm": "fake/vision"}})["results"][0][
            "exact"
        ]
        is True
    )
    safetensors = repository.result(
        "searchModels", {"opts": {"compatibilityTypes": ["safetensors"]}}
    )["results"]
    assert [r["name"] for r in safetensors] == ["fake/vision"]


def test_download_errors_and_cancel(connect_to: Any) -> None:
    with FakeLMStudio(load_time=2.0) as server:
        repository = connect_to(server, "repository")
        _, end = repository.stream("downloadModel", {"downloadIdentifier": "fake/hub-chat-3b@Q2"})
        assert end["error"]["title"] == 'Unknown download identifier "fake/hub-chat-3b@Q2"'
        channel = repository.open("downloadModel", {"downloadIdentifier": "fake/hub-chat-3b@Q8_0"})
        repository.channel_send(channel, {"type": "cancel"})
        assert repository.until_end(channel)[-1]["error"]["title"] == "Download cancelled"


def test_stream_logs_reports_prediction_inputs(server: FakeLMStudio, connect_to: Any) -> None:
    diagnostics = connect_to(server, "diagnostics")
    channel = diagnostics.open("streamLogs")
    diagnostics.expect_silence()
    llm = connect_to(server, "llm")
    llm.stream("predict", predict_params("logged"))
    log = diagnostics.next_on(channel, TIMEOUT)["message"]
    assert log["type"] == "log"
    assert log["log"]["data"]["type"] == "llm.prediction.input"
    assert log["log"]["data"]["modelIdentifier"] == "fake/chat"
    assert "logged" in log["log"]["data"]["input"]
    diagnostics.channel_send(channel, {"type": "stop"})
    assert diagnostics.next_on(channel)["type"] == "channelClose"


def test_load_time_spreads_progress(connect_to: Any) -> None:
    with FakeLMStudio(load_time=0.8) as server:
        llm = connect_to(server, "llm")
        channel = llm.open(
            "loadModel", {"modelKey": "fake/tools", "loadConfigStack": {"layers": []}}
        )
        assert llm.next_on(channel)["message"]["type"] == "resolved"
        llm.expect_silence(0.1)
        llm.channel_send(channel, {"type": "cancel"})
        assert llm.until_end(channel)[-1]["error"]["title"] == "Model loading was cancelled"
        assert [m["identifier"] for m in llm.result("listLoaded")] == ["fake/chat"]


def _search(repository: Any, term: str) -> list[str]:
    found = repository.result("searchModels", {"opts": {"searchTerm": term}})["results"]
    return [r["name"] for r in found]


def test_search_matches_names_display_names_publisher_and_architecture(
    server: FakeLMStudio, connect_to: Any
) -> None:
    server.add_model({"type": "llm", "modelKey": "acme/x-pro", "publisher": "hugging-quants"})
    server.add_model({"type": "llm", "modelKey": "acme/x"})
    repository = connect_to(server, "repository")
    assert _search(repository, "llama") == ["fake/hub-chat-3b", "fake/chat"]  # architecture
    assert _search(repository, "LLAMA 3b") == ["fake/hub-chat-3b"]  # every word matches
    assert _search(repository, "Qwen") == ["fake/reasoning", "fake/tools"]
    assert _search(repository, "fake hub") == ["fake/hub-chat-3b", "fake/hub-embed-small"]
    assert _search(repository, "Reasoning 8B") == ["fake/reasoning"]  # display name
    assert _search(repository, "hugging-quants") == ["acme/x-pro"]  # publisher
    assert _search(repository, "acme/x") == ["acme/x", "acme/x-pro"]  # exact match first
    assert _search(repository, "nothing like it") == []


def test_download_options_carry_every_field_by_format(
    server: FakeLMStudio, connect_to: Any
) -> None:
    repository = connect_to(server, "repository")

    def options(key: str) -> list[dict[str, Any]]:
        identifier = {"type": "catalog", "identifier": key}
        return repository.result(
            "getModelDownloadOptions", {"modelSearchResultIdentifier": identifier}
        )["results"]

    gguf = options("fake/hub-chat-3b")
    fields = {
        "quantization",
        "name",
        "sizeBytes",
        "fitEstimation",
        "recommended",
        "downloadIdentifier",
        "indexedModelIdentifier",
        "compatibilityType",
    }
    assert all(set(option) == fields for option in gguf)
    assert [(o["quantization"], o["compatibilityType"]) for o in gguf] == [
        ("Q4_K_M", "gguf"),
        ("Q8_0", "gguf"),
    ]
    assert gguf[0]["indexedModelIdentifier"] == "fake/hub-chat-3b-GGUF/hub-chat-3b-Q4_K_M.gguf"
    assert [o["recommended"] for o in gguf] == [True, False]
    mlx = options("fake/vision")
    assert [(o["quantization"], o["compatibilityType"]) for o in mlx] == [
        ("4bit", "safetensors"),
        ("8bit", "safetensors"),
    ]
