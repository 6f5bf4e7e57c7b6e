"""``client.files``' documents end to end: file paths, parsing and (deprecated) retrieval."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from lmstudio import (
    Client,
    DocumentParsingLibraryIdentifier,
    FileHandle,
    ParseDocumentResult,
    RetrievalEvent,
    RetrievalResult,
)
from lmstudio.errors import LMStudioCancelledError, LMStudioServerError, LMStudioValueError
from lmstudio.testing import FakeLMStudio
from lmstudio.testing._endpoints.documents import FAKE_PARSER
from lmstudio.testing._endpoints.files import FILES_DIRECTORY

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

NOTES = b"The refund policy: refunds within 30 days.\nShipping takes a week."
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def test_file_path(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        doc = await style.get(client.files.prepare_file(NOTES, "notes.txt"))
        path = await style.get(client.files.get_file_path(doc))
        assert path == os.path.join(FILES_DIRECTORY, doc.identifier)
        local = FileHandle(
            name="a.txt", identifier="local:a.txt", size_bytes=1, file_type="text/plain"
        )
        assert await style.get(client.files.get_file_path(local)) == os.path.join(
            FILES_DIRECTORY, "a.txt"
        )

    style.run(body)
    assert [c["parameter"] for c in server.calls() if c["endpoint"] == "getLocalFileAbsolutePath"][
        1
    ] == {"fileName": "a.txt"}


def test_file_path_refuses_inline_files_and_other_values(client: Client) -> None:
    inline = FileHandle(name="x", identifier="base64:AAAA", size_bytes=3, file_type="unknown")
    with pytest.raises(LMStudioValueError, match="no file path"):
        client.files.get_file_path(inline)
    with pytest.raises(LMStudioValueError, match="Expected a FileHandle"):
        client.files.get_file_path("notes.txt")  # type: ignore[arg-type]


def test_parse_document(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        doc = await style.get(client.files.prepare_file(NOTES, "notes.txt"))
        library = await style.get(client.files.get_document_parsing_library(doc))
        assert isinstance(library, DocumentParsingLibraryIdentifier)
        assert (library.library, library.version) == (
            FAKE_PARSER["library"],
            FAKE_PARSER["version"],
        )
        stream = client.files.parse_document(doc)
        assert await style.items(stream) == [0.0, 0.5, 1.0]
        result = await style.get(stream)
        assert isinstance(result, ParseDocumentResult)
        assert result.content == NOTES.decode()
        assert result.parser == library
        pinned = await style.get(client.files.parse_document(doc, parser=library))
        assert pinned.content == NOTES.decode()
        other = DocumentParsingLibraryIdentifier(library="docling", version="2.0.0")
        with pytest.raises(LMStudioServerError, match="not found"):
            await style.get(client.files.parse_document(doc, parser=other))
        image = await style.get(client.files.prepare_image(PNG, "red.png"))
        with pytest.raises(LMStudioServerError, match="Cannot parse"):
            await style.get(client.files.get_document_parsing_library(image))
        with pytest.raises(LMStudioServerError, match="Cannot parse"):
            await style.get(client.files.parse_document(image))

    style.run(body)
    opts = [
        c["creationParameter"]["parseOpts"]
        for c in server.calls()
        if c["endpoint"] == "parseDocument"
    ]
    assert opts[:2] == [{}, {"parserId": FAKE_PARSER}]


def test_parse_document_cancelled(client: Client) -> None:
    doc = client.files.prepare_file(NOTES, "notes.txt").result(timeout=20)
    stream = client.files.parse_document(doc)
    for progress in stream:
        assert progress == 0.0
        stream.cancel()
    with pytest.raises(LMStudioCancelledError):
        stream.result(timeout=20)


def test_retrieve(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        embed = await style.get(client.embedding.model("fake/embed"))
        notes = await style.get(client.files.prepare_file(NOTES, "notes.txt"))
        other = await style.get(client.files.prepare_file(b"Nothing relevant here.", "b.txt"))
        with pytest.deprecated_call():
            stream = client.files.retrieve(
                "refund policy",
                [other, notes],
                embedding_model=embed,
                limit=2,
                chunk_size=8,
                chunk_overlap=2,
            )
        events = await style.items(stream)
        assert all(isinstance(event, RetrievalEvent) for event in events)
        assert events[0] == RetrievalEvent("onFileProcessList", files=(other, notes))
        assert (
            RetrievalEvent(
                "onFileProcessingStepProgress", file=notes, step="embedding", progress=1.0
            )
            in events
        )
        assert [e.type for e in events[-2:]] == ["onSearchingStart", "onSearchingEnd"]
        result = await style.get(stream)
        assert isinstance(result, RetrievalResult)
        assert len(result.entries) == 2
        best = result.entries[0]
        assert (best.source, best.score) == (notes, 1.0)
        assert best.content.startswith("The refund policy")
        assert "notes.txt" in repr(result)
        with pytest.deprecated_call():
            unknown = client.files.retrieve("x", [notes], embedding_model="nobody")
        with pytest.raises(LMStudioServerError):
            await style.get(unknown)

    style.run(body)
    config = next(c for c in server.calls() if c["endpoint"] == "retrieve")["creationParameter"][
        "config"
    ]
    assert config == {
        "fields": [
            {"key": "retrieval.embeddingModel", "value": "fake/embed"},
            {"key": "retrieval.limit", "value": 2},
            {
                "key": "retrieval.chunkingMethod",
                "value": {"type": "recursive-v1", "chunkSize": 8, "chunkOverlap": 2},
            },
        ]
    }


def test_retrieve_checks_its_options(client: Client) -> None:
    with pytest.deprecated_call(), pytest.raises(LMStudioValueError, match="limit"):
        client.files.retrieve("q", [], embedding_model="e", limit=0)
    with pytest.deprecated_call(), pytest.raises(LMStudioValueError, match="together"):
        client.files.retrieve("q", [], embedding_model="e", chunk_size=10)
    with pytest.deprecated_call(), pytest.raises(LMStudioValueError, match="FileHandle"):
        client.files.retrieve("q", ["a.txt"], embedding_model="e")  # type: ignore[list-item]
