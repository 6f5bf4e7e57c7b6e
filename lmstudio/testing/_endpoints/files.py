"""``files``: uploads (a fresh identifier each time, type detected) and local paths."""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import PurePosixPath
from typing import Any

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import rpc
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._session import CallContext

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
FILES_DIRECTORY = os.path.join(tempfile.gettempdir(), "lmstudio-fake", "user-files")


def detect_file_type(name: str, data: bytes) -> str:
    """LM Studio's ``fileType`` for an upload, from its magic bytes and its name."""
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if (
        data.startswith(_IMAGE_MAGIC)
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or suffix in _IMAGE_SUFFIXES
    ):
        return "image"
    if data.startswith(b"%PDF") or suffix == ".pdf":
        return "application/pdf"
    if suffix in (".doc", ".docx"):
        return "application/word"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    return "text/plain" if suffix in ("", ".txt") else "text/other"


@rpc("uploadFileBase64", "files")
async def upload_file_base64(ctx: CallContext, param: Any) -> Any:
    try:
        data = base64.b64decode(param.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise FakeServerError(
            "Invalid base64 content", cause=f'The content of "{param.name}" is not valid base64.'
        ) from None
    uploaded = ctx.state.add_file(param.name, detect_file_type(param.name, data), data)
    return models.FilesRpcUploadFileBase64Returns(
        identifier=uploaded.identifier, file_type=uploaded.file_type, size_bytes=uploaded.size_bytes
    )


@rpc("getLocalFileAbsolutePath", "files")
async def get_local_file_absolute_path(ctx: CallContext, param: Any) -> Any:
    name = param.file_name
    if not name or "/" in name or "\\" in name:
        raise FakeServerError(
            f'Invalid file name "{name}"', cause="A file name has no directory part."
        )
    return models.FilesRpcGetLocalFileAbsolutePathReturns(path=os.path.join(FILES_DIRECTORY, name))
