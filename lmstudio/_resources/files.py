"""``client.files``: upload images and files for chat messages.

An upload answers a :class:`~lmstudio.FileHandle` to put in a user message::

    image = client.files.prepare_image("photo.jpg").result()
    chat.add_user_message("What is in this picture?", images=[image])

The file is read here, in the calling thread, before anything is sent; LM Studio keeps
the upload for its session and detects its type (``handle.file_type``).
"""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeAlias

from .._data.history import FileHandle
from .._engine.call import Call
from .._protocol.endpoints import files as files_api
from .._protocol.models import FilesRpcUploadFileBase64Parameter, FilesRpcUploadFileBase64Returns
from .._types import USE_CLIENT_DEFAULT, Timeout
from ..errors import LMStudioValueError

if TYPE_CHECKING:
    from .._engine.session import Session

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


class FilesNamespace:
    """Uploads: ``client.files``."""

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
            OSError: the file cannot be read (raised here).
            LMStudioValueError: an invalid ``name`` (raised here).

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
            OSError: the file cannot be read (raised here).
            LMStudioValueError: an invalid ``name`` (raised here).
        """
        return self._upload(src, name, timeout, image=False)

    def _upload(
        self, src: LocalFileInput, name: str | None, timeout: Timeout, *, image: bool
    ) -> Call[FileHandle]:
        default_name, data = _read(src)
        if name is not None and (not isinstance(name, str) or not name):
            raise LMStudioValueError(f"name must be a non-empty string, not {name!r}")
        name = name or default_name
        parameter = FilesRpcUploadFileBase64Parameter(
            name=name, content_base64=base64.b64encode(data).decode("ascii")
        )
        transform = functools.partial(_handle, name, image)
        return self._session.rpc(
            files_api.UPLOAD_FILE_BASE64, parameter, transform=transform, timeout=timeout
        )


def _read(src: LocalFileInput) -> tuple[str, bytes]:
    """The default name and the bytes of ``src``."""
    if isinstance(src, bytes | bytearray | memoryview):
        data = bytes(src)
        return _name_for(data), data
    read = getattr(src, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, bytes):
            raise LMStudioValueError("a file object given as src must be opened in binary mode")
        raw_name = getattr(src, "name", None)
        name = os.path.basename(raw_name) if isinstance(raw_name, str) else ""
        return name or _name_for(data), data
    if isinstance(src, str | os.PathLike):
        path = Path(src)
        return path.name, path.read_bytes()
    raise LMStudioValueError(
        f"Expected a path, bytes or a binary file object, not {type(src).__name__}"
    )


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
