"""``client.files``' documents: an upload's local path, document parsing and retrieval.

:class:`FilesDocuments` is a base of :class:`~.files.FilesNamespace`; it needs only the
namespace's session. Each method takes the :class:`~lmstudio.FileHandle` an upload gave::

    doc = client.files.prepare_file("report.pdf").result()
    print(client.files.parse_document(doc).result().content)

LM Studio's TypeScript SDK marks document parsing and retrieval as still in development
(``retrieve()`` is deprecated there, and here: it warns with :class:`DeprecationWarning`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .._data.history import FileHandle
from .._engine.handler import ChannelHandler
from .._engine.stream import Stream
from .._exports import publish
from .._protocol.endpoints import files as files_api
from .._protocol.models import (
    DocumentParsingLibraryIdentifier,
    DocumentParsingOpts,
    FilesChannelParseDocumentCreationParameter,
    FilesChannelRetrieveCreationParameter,
    FilesRpcGetDocumentParsingLibraryParameter,
    FilesRpcGetDocumentParsingLibraryReturns,
    FilesRpcGetLocalFileAbsolutePathParameter,
    FilesRpcGetLocalFileAbsolutePathReturns,
    InternalRetrievalResultEntry,
    KvConfig,
    KvConfigField,
    ParseDocumentResult,
)
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioChannelClosedError, LMStudioValueError
from .loading import packet_tag

if TYPE_CHECKING:
    from .._engine.call import Call
    from .._engine.session import Session
    from .embedding import EmbeddingModel

__all__ = [
    "DocumentParsingLibraryIdentifier",
    "FilesDocuments",
    "ParseDocumentResult",
    "RetrievalEvent",
    "RetrievalResult",
    "RetrievalResultEntry",
]

logger = logging.getLogger("lmstudio.files")


def _file(file: object) -> FileHandle:
    if not isinstance(file, FileHandle):
        raise LMStudioValueError(
            f"Expected a FileHandle (from client.files.prepare_file()), not {type(file).__name__}"
        )
    return file


class FilesDocuments:
    """The documents half of ``client.files`` (see the module docstring)."""

    _session: Session

    def get_file_path(
        self, file: FileHandle, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[str]:
        """The absolute path of an uploaded file on LM Studio's machine.

        ``print(client.files.get_file_path(doc).result())``

        Args:
            file: the handle an upload gave (``prepare_file()`` / ``prepare_image()``).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[str]``: the path (LM Studio's files directory and the upload's name).

        Raises:
            LMStudioValueError: ``file`` is not a ``FileHandle``, or its content travels
                inline (a ``base64:`` identifier has no file; raised here).
        """
        identifier = _file(file).identifier
        kind, colon, rest = identifier.partition(":")
        if colon and kind == "base64":
            raise LMStudioValueError(f"{file.name!r} is held inline (base64): it has no file path")
        name = rest if colon and kind == "local" else identifier
        return self._session.rpc(
            files_api.GET_LOCAL_FILE_ABSOLUTE_PATH,
            FilesRpcGetLocalFileAbsolutePathParameter(file_name=name),
            transform=_path,
            timeout=timeout,
        )

    def get_document_parsing_library(
        self, file: FileHandle, *, timeout: Timeout = USE_CLIENT_DEFAULT
    ) -> Call[DocumentParsingLibraryIdentifier]:
        """The parser LM Studio would use for a document (``library`` and ``version``).

        ``print(client.files.get_document_parsing_library(doc).result().library)``

        Args:
            file: the handle an upload gave.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[DocumentParsingLibraryIdentifier]``; pass it as ``parse_document(...,
            parser=)`` to pin it.

        Raises:
            LMStudioValueError: ``file`` is not a ``FileHandle`` (raised here).
            LMStudioServerError: (from the call) LM Studio cannot parse that file.
        """
        parameter = FilesRpcGetDocumentParsingLibraryParameter(
            file_identifier=_file(file).identifier
        )
        return self._session.rpc(
            files_api.GET_DOCUMENT_PARSING_LIBRARY, parameter, transform=_library, timeout=timeout
        )

    def parse_document(
        self,
        file: FileHandle,
        *,
        parser: DocumentParsingLibraryIdentifier | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Stream[float, ParseDocumentResult]:
        """Parse a document (PDF, Word, text...) into text, with its progress.

        ``for p in (s := client.files.parse_document(doc)): print(f"{p:.0%}")``, then
        ``s.result().content``

        Args:
            file: the handle an upload gave.
            parser: the parser to use (from :meth:`get_document_parsing_library`;
                ``None``: LM Studio's choice).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Stream[float, ParseDocumentResult]``: progress from 0 to 1 as items; the
            result has ``content`` (the text) and ``parser``. ``.cancel()`` stops the
            parsing (the stream then resolves as cancelled).

        Raises:
            LMStudioValueError: ``file`` is not a ``FileHandle`` (raised here).
            LMStudioServerError: (from the stream) LM Studio cannot parse that file.
        """
        creation = FilesChannelParseDocumentCreationParameter(
            file_identifier=_file(file).identifier,
            parse_opts=DocumentParsingOpts()
            if parser is None
            else DocumentParsingOpts(parser_id=parser),
        )
        return self._session.channel(
            files_api.PARSE_DOCUMENT, creation, handler=_ParseHandler(), timeout=timeout
        )

    def retrieve(
        self,
        query: str,
        files: Sequence[FileHandle],
        *,
        embedding_model: EmbeddingModel | str,
        limit: int | None = None,
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Stream[RetrievalEvent, RetrievalResult]:
        """Deprecated: the passages of ``files`` closest to ``query`` (LM Studio's RAG).

        ``client.files.retrieve("refund policy", [doc], embedding_model=emb).result().entries``

        LM Studio's TypeScript SDK deprecates its ``retrieve()`` (the API is still in
        development); so does this one, with a :class:`DeprecationWarning`. Embed the
        passages yourself with ``EmbeddingModel.embed()`` for a stable alternative.

        Args:
            query: what to look for.
            files: the handles of uploaded documents.
            embedding_model: the loaded embedding model (or its identifier) that
                embeds the passages and the query.
            limit: the most passages to return (``None``: LM Studio's default, 5).
            chunk_size, chunk_overlap: how documents are split (both or neither;
                ``None``: LM Studio's default, 512 and 100).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Stream[RetrievalEvent, RetrievalResult]``: processing events as items
            (``event.type`` is LM Studio's, such as ``"onFileProcessingStepProgress"``);
            the result's ``entries`` have ``content``, ``score`` and ``source`` (the
            file's handle), best first. ``.cancel()`` stops it.

        Raises:
            LMStudioValueError: a ``files`` item is not a ``FileHandle``, or an invalid
                option (raised here).
        """
        warnings.warn(
            "client.files.retrieve() is deprecated: LM Studio's retrieval API is still in "
            "development (the TypeScript SDK deprecates it too)",
            DeprecationWarning,
            stacklevel=2,
        )
        handles = [_file(file) for file in files]
        identifier = (
            embedding_model if isinstance(embedding_model, str) else embedding_model.identifier
        )
        fields = [KvConfigField(key="retrieval.embeddingModel", value=identifier)]
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                raise LMStudioValueError(f"limit must be a positive integer, not {limit!r}")
            fields.append(KvConfigField(key="retrieval.limit", value=limit))
        if (chunk_size is None) != (chunk_overlap is None):
            raise LMStudioValueError("give chunk_size and chunk_overlap together, or neither")
        if chunk_size is not None and chunk_overlap is not None:
            if not 0 <= chunk_overlap < chunk_size:
                raise LMStudioValueError("chunk_overlap must be at least 0 and below chunk_size")
            method = {
                "type": "recursive-v1",
                "chunkSize": chunk_size,
                "chunkOverlap": chunk_overlap,
            }
            fields.append(KvConfigField(key="retrieval.chunkingMethod", value=method))
        creation = FilesChannelRetrieveCreationParameter(
            query=query,
            file_identifiers=[handle.identifier for handle in handles],
            config=KvConfig(fields=fields),
        )
        return self._session.channel(
            files_api.RETRIEVE, creation, handler=_RetrieveHandler(handles), timeout=timeout
        )


def _path(returns: FilesRpcGetLocalFileAbsolutePathReturns) -> str:
    return returns.path


def _library(returns: FilesRpcGetDocumentParsingLibraryReturns) -> DocumentParsingLibraryIdentifier:
    return DocumentParsingLibraryIdentifier(library=returns.library, version=returns.version)


class _ParseHandler(ChannelHandler[float, ParseDocumentResult]):
    def __init__(self) -> None:
        self._result: ParseDocumentResult | None = None

    def packet(self, packet: Any) -> float | None:
        match packet_tag(packet):
            case "progress":
                return float(packet.progress)
            case "result":
                self._result = packet
            case "parserLoaded":
                logger.debug("LM Studio loaded the document parser %s", packet.parser.library)
            case other:
                logger.debug("Ignoring an unknown document parsing packet %r", other)
        return None

    def close(self) -> ParseDocumentResult:
        if self._result is None:
            raise LMStudioChannelClosedError(
                "LM Studio ended the document parsing without its text"
            )
        return self._result


@dataclass(frozen=True)
class RetrievalEvent:
    """One step of ``retrieve()``: LM Studio's packet, its file indices resolved."""

    type: str
    """LM Studio's packet type: ``onFileProcessList``, ``onFileProcessingStart`` /
    ``End``, ``onFileProcessingStepStart`` / ``Progress`` / ``End``,
    ``onSearchingStart`` / ``End``."""
    files: tuple[FileHandle, ...] = ()
    """``onFileProcessList``: the files that need processing."""
    file: FileHandle | None = None
    """The file a processing event is about."""
    step: str | None = None
    """A step event's step: ``"loading"``, ``"chunking"`` or ``"embedding"``."""
    progress: float | None = None
    """``onFileProcessingStepProgress``: the step's progress, 0 to 1."""


class RetrievalResultEntry:
    """One passage ``retrieve()`` found: ``content``, ``score`` and ``source``."""

    __slots__ = ("_entry", "source")

    def __init__(self, entry: InternalRetrievalResultEntry, source: FileHandle) -> None:
        self._entry = entry
        self.source = source
        """The handle of the file the passage is from."""

    @property
    def content(self) -> str:
        """The passage's text."""
        return self._entry.content

    @property
    def score(self) -> float:
        """How close it is to the query (higher is closer)."""
        return self._entry.score

    def __repr__(self) -> str:
        return f"RetrievalResultEntry(score={self.score!r}, source={self.source.name!r}, content={self.content!r})"


class RetrievalResult:
    """What ``retrieve()`` found: ``entries``, best first."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[RetrievalResultEntry]) -> None:
        self.entries = entries

    def __repr__(self) -> str:
        return f"RetrievalResult(entries={self.entries!r})"


class _RetrieveHandler(ChannelHandler[RetrievalEvent, RetrievalResult]):
    cancel_packet: ClassVar[Any] = {"type": "stop"}

    def __init__(self, files: list[FileHandle]) -> None:
        self._files = files
        self._result: RetrievalResult | None = None

    def _at(self, index: int) -> FileHandle | None:
        if 0 <= index < len(self._files):
            return self._files[index]
        logger.warning("LM Studio's retrieval names file %d of %d", index, len(self._files))
        return None

    def packet(self, packet: Any) -> RetrievalEvent | None:
        kind = packet_tag(packet)
        match kind:
            case "result":
                entries = []
                for entry in packet.result.entries:
                    source = self._at(entry.source_index)
                    if source is not None:
                        entries.append(RetrievalResultEntry(entry, source))
                self._result = RetrievalResult(entries)
                return None
            case "onFileProcessList":
                found = (self._at(index) for index in packet.indices)
                return RetrievalEvent(kind, files=tuple(f for f in found if f is not None))
            case "onSearchingStart" | "onSearchingEnd":
                return RetrievalEvent(kind)
            case str() if kind.startswith("onFileProcessing"):
                progress = getattr(packet, "progress", None)
                return RetrievalEvent(
                    kind,
                    file=self._at(packet.index),
                    step=getattr(packet, "step", None),
                    progress=None if progress is None else float(progress),
                )
        logger.debug("Ignoring an unknown retrieval packet %r", kind)
        return None

    def close(self) -> RetrievalResult:
        if self._result is None:
            raise LMStudioChannelClosedError("LM Studio ended the retrieval without its result")
        return self._result


publish(__name__, globals())
