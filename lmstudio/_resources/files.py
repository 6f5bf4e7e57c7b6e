"""``client.files``: upload images and files for chat messages.

An upload answers a :class:`~lmstudio.FileHandle` to put in a user message::

    image = client.files.prepare_image("photo.jpg").result()
    chat.add_user_message("What is in this picture?", images=[image])

The file's type and size are checked in the calling thread, before anything is read: a
path must name a regular file (a device or a FIFO would be read without end, or wait
forever), and no upload may pass the client's ``max_upload_size`` (200 MB by default):
:class:`~lmstudio.LMStudioValueError`, raised at once. The file is then read and encoded
in a worker thread, under the call's timeout (reading included) and ``cancel()``.
LM Studio keeps the upload for its session and detects its type (``handle.file_type``).
"""

from __future__ import annotations

import base64
import concurrent.futures
import functools
import io
import os
import stat
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from .._data.history import FileHandle
from .._engine.call import Call, describe, new_call
from .._protocol.endpoints import files as files_api
from .._protocol.models import FilesRpcUploadFileBase64Parameter, FilesRpcUploadFileBase64Returns
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioError, LMStudioOSError, LMStudioTimeoutError, LMStudioValueError
from .documents import FilesDocuments

if TYPE_CHECKING:
    from .._engine.session import Session
    from .._engine.settle import Settle

__all__ = ["FilesNamespace", "LocalFileInput"]

LocalFileInput: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]"
"""A path, the file's bytes, or a binary file object (read from its current position)."""

# Magic bytes -> a name for bytes given without one (LM Studio also looks at the name).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image.png"),
    (b"\xff\xd8\xff", "image.jpg"),
    (b"GIF87a", "image.gif"),
    (b"GIF89a", "image.gif"),
    (b"BM", "image.bmp"),
    (b"%PDF", "document.pdf"),
)


class FilesNamespace(FilesDocuments):
    """Uploads and documents: ``client.files``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def prepare_image(
        self,
        src: LocalFileInput,
        name: str | None = None,
        *,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[FileHandle]:
        """Upload an image; its handle goes in ``add_user_message(..., images=[handle])``.

        ``image = client.files.prepare_image("photo.jpg").result()``

        Args:
            src: a path, the image's bytes, or a binary file object.
            name: the name LM Studio shows. ``None`` (default): the file's name; for
                bytes, one derived from their type (e.g. ``image.png``).
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[FileHandle]``: the handle of the uploaded file.

        Raises:
            LMStudioOSError: the file is missing or cannot be read (raised by the call:
                ``.result()`` / ``await``; an ``OSError`` too).
            LMStudioValueError: an invalid ``name``, a path that is not a regular file,
                or a source past the client's ``max_upload_size`` (raised here, before
                anything is read).

        The call fails with :class:`~lmstudio.LMStudioValueError` if LM Studio does not
        recognise an image (the upload is then unused).
        """
        return self._upload(src, name, timeout, image=True)

    def prepare_file(
        self,
        src: LocalFileInput,
        name: str | None = None,
        *,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[FileHandle]:
        """Upload any file (image, PDF, Word document, text...) for a user message.

        ``doc = client.files.prepare_file("notes.txt").result()``

        Args:
            src: a path, the file's bytes, or a binary file object.
            name: the name LM Studio shows. ``None`` (default): the file's name; for
                bytes, one derived from their type.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[FileHandle]``: the handle; ``handle.file_type`` tells what LM Studio
            detected.

        Raises:
            LMStudioOSError: the file is missing or cannot be read (raised by the call:
                ``.result()`` / ``await``; an ``OSError`` too).
            LMStudioValueError: an invalid ``name``, a path that is not a regular file,
                or a source past the client's ``max_upload_size`` (raised here, before
                anything is read).
        """
        return self._upload(src, name, timeout, image=False)

    def _upload(
        self, src: LocalFileInput, name: str | None, timeout: Timeout, *, image: bool
    ) -> Call[FileHandle]:
        if name is not None and (not isinstance(name, str) or not name):
            raise LMStudioValueError(f"name must be a non-empty string, not {name!r}")
        session = self._session
        operation = f"files.{'prepare_image' if image else 'prepare_file'}(...)"
        try:
            source = _Source.check(src, session.max_upload_size)  # nothing is read here
        except OSError as exc:  # missing, no permission...: the call fails with it
            failed, settle = new_call(operation)
            settle.fail(_os_error(exc))
            return describe(failed, operation, FileHandle)
        upload = _Upload(session, source, name, image, session.resolve_timeout(timeout))
        call, settle = new_call(operation, on_cancel=upload.cancel)
        upload.start(settle)
        return describe(call, operation, FileHandle)


_CHUNK = 1 << 20  # bytes per read() of a file


class _Source:
    """What an upload reads, checked (type, size) without reading it."""

    def __init__(self, limit: int, name: str = "", *, data: bytes | None = None) -> None:
        self.limit = limit
        self.name = name
        self.data = data
        self.file: Any = None  # a binary file object to read
        self.owned = False  # the file was opened here (closed after reading)

    @classmethod
    def check(cls, src: LocalFileInput, limit: int) -> _Source:
        """The source of ``src``; raises at once what the caller must see."""
        if isinstance(src, bytes | bytearray | memoryview):
            _check_size(memoryview(src).nbytes, limit, "the data")
            return cls(limit, data=bytes(src))  # a snapshot: later changes do not count
        if callable(getattr(src, "read", None)):
            if isinstance(src, io.TextIOBase) or "b" not in str(getattr(src, "mode", "b")):
                raise LMStudioValueError("a file object given as src must be opened in binary mode")
            _check_size(_remaining(src), limit, "the file object's content")
            raw_name = getattr(src, "name", None)
            source = cls(limit, os.path.basename(raw_name) if isinstance(raw_name, str) else "")
            source.file = src
            return source
        if isinstance(src, str | os.PathLike):
            path = Path(src)
            mode = path.stat().st_mode  # OSError (missing, no permission...) here
            if not stat.S_ISREG(mode):
                raise LMStudioValueError(
                    f"{str(path)!r} is not a regular file (a device, a FIFO or a directory "
                    "would be read without end or wait forever); upload a file or bytes"
                )
            _check_size(path.stat().st_size, limit, repr(path.name))
            source = cls(limit, path.name)
            source.file, source.owned = path.open("rb"), True  # quick for a regular file
            return source
        raise LMStudioValueError(
            f"Expected a path, bytes or a binary file object, not {type(src).__name__}"
        )

    def read(self, stopped: threading.Event) -> bytes | None:
        """The bytes, at most ``limit`` of them; ``None`` if ``stopped`` meanwhile."""
        if self.data is not None:
            return self.data
        chunks = bytearray()
        try:
            while not stopped.is_set():
                chunk = self.file.read(_CHUNK)
                if chunk is None:  # a non-blocking file with nothing to read yet
                    stopped.wait(0.01)
                    continue
                if not isinstance(chunk, bytes | bytearray):
                    raise LMStudioValueError(
                        "a file object given as src must be opened in binary mode"
                    )
                if not chunk:
                    return bytes(chunks)
                chunks += chunk
                if len(chunks) > self.limit:
                    _check_size(len(chunks), self.limit, "the file's content", more=True)
            return None
        finally:
            if self.owned:
                self.file.close()


def _remaining(file: Any) -> int:
    """Bytes left in a seekable file object (0 when unknown: reading finds out)."""
    try:
        if not file.seekable():
            return 0
        here = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(here)
        return int(end - here)
    except (AttributeError, OSError, ValueError):
        return 0


def _check_size(size: int, limit: int, what: str, *, more: bool = False) -> None:
    if size > limit:
        amount = f"more than {limit:,}" if more else f"{size:,}"
        raise LMStudioValueError(
            f"{what} is {amount} bytes: past the upload limit of {limit:,} bytes "
            "(Client(max_upload_size=...) sets it)"
        )


class _Upload:
    """One upload: read and encode in a worker thread, then the rpc (see the module docstring).

    The worker is a daemon thread, so a stuck read never holds up the interpreter's exit.
    The call's timeout covers the reading (a timer fails the call if reading takes longer
    than that), then the rpc's own inactivity timeout applies.
    """

    def __init__(
        self,
        session: Session,
        source: _Source,
        name: str | None,
        image: bool,
        timeout: float | None,
    ) -> None:
        self._session = session
        self._source = source
        self._name = name
        self._image = image
        self._timeout = timeout
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._inner: Call[FileHandle] | None = None
        self._timer: threading.Timer | None = None
        self._settle: Settle | None = None

    def start(self, settle: Settle) -> None:
        self._settle = settle
        if self._timeout is not None:
            self._timer = threading.Timer(self._timeout, self._expired)
            self._timer.daemon = True
            self._timer.start()
        threading.Thread(target=self._run, name="lmstudio-upload", daemon=True).start()

    def cancel(self, _: object = None) -> None:
        """The call's cancel hook: stop reading, or cancel the rpc."""
        with self._lock:
            self._stop()
            inner = self._inner
        if inner is not None:
            inner.cancel()

    def _stop(self) -> None:
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()

    def _expired(self) -> None:
        with self._lock:
            if self._inner is not None or self._stopped.is_set():
                return
            self._stopped.set()
        assert self._settle is not None
        self._settle.fail(
            LMStudioTimeoutError(
                f"files.uploadFileBase64: reading the file took longer than {self._timeout:g} s"
            )
        )

    def _run(self) -> None:
        settle = self._settle
        assert settle is not None
        try:
            data = self._source.read(self._stopped)
            if data is None:
                return
            name = self._name or self._source.name or _name_for(data)
            encoded = base64.b64encode(data).decode("ascii")
            del data  # one copy less at a time
            parameter = FilesRpcUploadFileBase64Parameter(name=name, content_base64=encoded)
            del encoded
            with self._lock:
                if self._stopped.is_set():
                    return
                self._stop()  # reading is over: from here, the rpc's own timeout applies
                inner = self._inner = self._session.rpc(
                    files_api.UPLOAD_FILE_BASE64,
                    parameter,
                    transform=functools.partial(_handle, name, self._image),
                    timeout=self._timeout,
                )
        except LMStudioError as exc:
            self._stop()
            settle.fail(exc)
            return
        except OSError as exc:  # reading failed (a disk error, a file gone meanwhile)
            self._stop()
            settle.fail(_os_error(exc))
            return
        except Exception as exc:  # a broken file object...
            self._stop()
            error = LMStudioValueError(f"the upload's source could not be read ({exc})")
            error.__cause__ = exc
            settle.fail(error)
            return
        concurrent.futures.Future.add_done_callback(inner, functools.partial(_relay, settle))


def _os_error(exc: OSError) -> LMStudioOSError:
    """``exc`` as an :class:`~lmstudio.LMStudioOSError` (errno and file name kept)."""
    error = LMStudioOSError(exc.errno, f"cannot upload: {exc.strerror or exc}", exc.filename)
    error.__cause__ = exc
    return error


def _relay(settle: Settle, inner: concurrent.futures.Future[Any]) -> None:
    if inner.cancelled():
        settle.resolve_cancelled()
        return
    exc = inner.exception()
    if exc is not None:
        settle.fail(exc)
    else:
        settle.resolve(inner.result())


def _name_for(data: bytes) -> str:
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image.webp"
    return "file"


def _handle(name: str, image: bool, returns: FilesRpcUploadFileBase64Returns) -> FileHandle:
    if image and returns.file_type != "image":
        raise LMStudioValueError(
            f"LM Studio does not recognise {name!r} as an image (it detected "
            f"{returns.file_type!r}); use prepare_file() for other files"
        )
    return FileHandle(
        name=name,
        identifier=returns.identifier,
        size_bytes=returns.size_bytes,
        file_type=returns.file_type,
    )
