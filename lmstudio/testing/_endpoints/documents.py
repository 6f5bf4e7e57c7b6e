"""``files``: document parsing and retrieval over the fake's uploads.

The fake's one parser (``FAKE_PARSER``) reads text, PDFs and Word documents as UTF-8
(invalid bytes replaced), in steps of ``PARSE_STEP_SECONDS``, and refuses images, as LM Studio refuses to parse them.
Retrieval splits each file into chunks of ``chunkSize`` words (``chunkOverlap`` shared)
and scores a chunk by the share of the query's words it contains: a deterministic stand-
in for embeddings. It needs ``retrieval.embeddingModel`` to name a loaded embedding model.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import msgspec

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._errors import FakeServerError, no_model_matching_query
from lmstudio.testing._session import CallContext, Channel
from lmstudio.testing._state import UploadedFile

FAKE_PARSER = {"library": "fake-document-parser", "version": "1.0.0"}
RETRIEVAL_DEFAULTS = {"limit": 5, "chunkSize": 512, "chunkOverlap": 100}
PARSE_STEP_SECONDS = 0.02  # a parsing step's time: a cancel after the first progress stops it
_WORD = re.compile(r"\w+")


def _uploaded(ctx: CallContext, identifier: str) -> UploadedFile:
    found: UploadedFile | None = ctx.state.files.get(identifier)
    if found is None:
        raise FakeServerError(
            f'File "{identifier}" not found',
            cause="Files are uploaded with files/uploadFileBase64 first.",
        )
    return found


def _parsable(ctx: CallContext, identifier: str) -> UploadedFile:
    uploaded = _uploaded(ctx, identifier)
    if uploaded.file_type == "image":
        raise FakeServerError(
            f'Cannot parse "{uploaded.name}"',
            cause="Images are not documents: no parser reads them.",
        )
    return uploaded


async def _stopped(ch: Channel, seconds: float) -> bool:
    """Wait ``seconds`` (a step of the work) unless the client cancels first."""
    try:
        await asyncio.wait_for(ch.cancelled.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


def _parser() -> models.DocumentParsingLibraryIdentifier:
    return models.DocumentParsingLibraryIdentifier(**FAKE_PARSER)


@rpc("getDocumentParsingLibrary", "files")
async def get_document_parsing_library(ctx: CallContext, param: Any) -> Any:
    _parsable(ctx, param.file_identifier)
    return models.FilesRpcGetDocumentParsingLibraryReturns(**FAKE_PARSER)


@channel("parseDocument", "files")
async def parse_document(ch: Channel, creation: Any) -> None:
    uploaded = _parsable(ch, creation.file_identifier)
    wanted = getattr(creation.parse_opts, "parser_id", msgspec.UNSET)
    if wanted is not msgspec.UNSET and (wanted.library, wanted.version) != (
        FAKE_PARSER["library"],
        FAKE_PARSER["version"],
    ):
        raise FakeServerError(f'Document parser "{wanted.library}@{wanted.version}" not found')
    await ch.send(models.FilesChannelParseDocumentToClientPacketParserLoaded(parser=_parser()))
    for progress in (0.0, 0.5, 1.0):
        await ch.send({"type": "progress", "progress": progress})
        if await _stopped(ch, PARSE_STEP_SECONDS):
            return
    text = uploaded.data.decode("utf-8", errors="replace")
    await ch.send(models.ParseDocumentResult(content=text, parser=_parser()))


def _config(creation: Any) -> dict[str, Any]:
    return {field.key: field.value for field in creation.config.fields}


def _chunks(text: str, size: int, overlap: int) -> list[str]:
    words = text.split()
    step = max(1, size - overlap)
    return [" ".join(words[i : i + size]) for i in range(0, max(1, len(words)), step)] or [""]


@channel("retrieve", "files")
async def retrieve(ch: Channel, creation: Any) -> None:
    config = _config(creation)
    model = config.get("retrieval.embeddingModel") or ""
    if model not in ch.state.identifiers("embedding"):
        raise no_model_matching_query({"identifier": model}, ch.state.identifiers("embedding"))
    limit = int(config.get("retrieval.limit", RETRIEVAL_DEFAULTS["limit"]))
    method = config.get("retrieval.chunkingMethod") or {}
    size = int(method.get("chunkSize", RETRIEVAL_DEFAULTS["chunkSize"]))
    overlap = int(method.get("chunkOverlap", RETRIEVAL_DEFAULTS["chunkOverlap"]))
    files = [_parsable(ch, identifier) for identifier in creation.file_identifiers]
    query = {word.lower() for word in _WORD.findall(creation.query)}
    await ch.send({"type": "onFileProcessList", "indices": list(range(len(files)))})
    found: list[tuple[float, int, str]] = []
    for index, uploaded in enumerate(files):
        await ch.send({"type": "onFileProcessingStart", "index": index})
        for step in ("loading", "chunking", "embedding"):
            if ch.cancelled.is_set():
                return
            await ch.send({"type": "onFileProcessingStepStart", "index": index, "step": step})
            await ch.send(
                {
                    "type": "onFileProcessingStepProgress",
                    "index": index,
                    "step": step,
                    "progress": 1.0,
                }
            )
            await ch.send({"type": "onFileProcessingStepEnd", "index": index, "step": step})
            await asyncio.sleep(0)
        await ch.send({"type": "onFileProcessingEnd", "index": index})
        for chunk in _chunks(uploaded.data.decode("utf-8", errors="replace"), size, overlap):
            words = {word.lower() for word in _WORD.findall(chunk)}
            score = len(query & words) / len(query) if query else 0.0
            found.append((score, index, chunk))
    await ch.send({"type": "onSearchingStart"})
    found.sort(key=lambda item: -item[0])
    entries = [
        {"content": chunk, "score": score, "sourceIndex": index}
        for score, index, chunk in found[:limit]
    ]
    await ch.send({"type": "onSearchingEnd"})
    await ch.send({"type": "result", "result": {"entries": entries}})
