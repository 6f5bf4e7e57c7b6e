"""``files`` documents of the fake, judged by the strict schema (``wire.py``)."""

from __future__ import annotations

import base64
from typing import Any

from lmstudio.testing import FakeLMStudio
from lmstudio.testing._endpoints.documents import FAKE_PARSER


def _upload(files: Any, name: str, data: bytes) -> str:
    content = base64.b64encode(data).decode()
    identifier: str = files.result("uploadFileBase64", {"name": name, "contentBase64": content})[
        "identifier"
    ]
    return identifier


def test_parsing(server: FakeLMStudio, connect_to: Any) -> None:
    files = connect_to(server, "files")
    doc = _upload(files, "a.txt", b"hello world")
    assert files.result("getDocumentParsingLibrary", {"fileIdentifier": doc}) == FAKE_PARSER
    packets, end = files.stream("parseDocument", {"fileIdentifier": doc, "parseOpts": {}})
    assert end["type"] == "channelClose"
    assert [p["type"] for p in packets] == [
        "parserLoaded",
        "progress",
        "progress",
        "progress",
        "result",
    ]
    assert packets[-1] == {"type": "result", "content": "hello world", "parser": FAKE_PARSER}
    _, end = files.stream("parseDocument", {"fileIdentifier": "missing", "parseOpts": {}})
    assert end["type"] == "channelError" and "not found" in end["error"]["title"]


def test_retrieval(server: FakeLMStudio, connect_to: Any) -> None:
    llm = connect_to(server, "embedding")
    llm.stream("getOrLoad", {"identifier": "fake/embed", "loadConfigStack": {"layers": []}})
    files = connect_to(server, "files")
    doc = _upload(files, "a.txt", b"alpha beta gamma delta")
    config = {"fields": [{"key": "retrieval.embeddingModel", "value": "fake/embed"}]}
    packets, end = files.stream(
        "retrieve", {"query": "gamma", "fileIdentifiers": [doc], "config": config}
    )
    assert end["type"] == "channelClose"
    assert packets[0] == {"type": "onFileProcessList", "indices": [0]}
    assert packets[-1] == {
        "type": "result",
        "result": {
            "entries": [{"content": "alpha beta gamma delta", "score": 1.0, "sourceIndex": 0}]
        },
    }
