"""``client.files`` uploads end to end, blocking and awaiting."""

from __future__ import annotations

import base64
import errno
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lmstudio import Chat, Client, FileHandle, LMStudioOSError, LMStudioValueError
from lmstudio.testing import FakeLMStudio, expected_reply

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
JPEG = b"\xff\xd8\xff\xe0" + bytes(24)


def uploaded(server: FakeLMStudio) -> list[tuple[str, bytes]]:
    return [
        (call["parameter"]["name"], base64.b64decode(call["parameter"]["contentBase64"]))
        for call in server.calls("uploadFileBase64")
    ]


def test_prepare_image_sources(
    style: Style, client: Client, server: FakeLMStudio, tmp_path: Path
) -> None:
    path = tmp_path / "red.png"
    path.write_bytes(PNG)

    async def body() -> list[FileHandle]:
        return [
            await style.get(client.files.prepare_image(path)),
            await style.get(client.files.prepare_image(str(path), "renamed.png")),
            await style.get(client.files.prepare_image(JPEG)),
            await style.get(client.files.prepare_image(bytearray(PNG))),
            await style.get(client.prepare_image(io.BytesIO(PNG))),
        ]

    handles = style.run(body)
    assert all(isinstance(h, FileHandle) and h.file_type == "image" for h in handles)
    assert [h.name for h in handles] == [
        "red.png",
        "renamed.png",
        "image.jpg",  # named after what the bytes are
        "image.png",
        "image.png",  # a BytesIO has no name
    ]
    assert len({h.identifier for h in handles}) == 5  # every upload is a new file
    assert handles[0].size_bytes == len(PNG)
    assert uploaded(server) == [
        ("red.png", PNG),
        ("renamed.png", PNG),
        ("image.jpg", JPEG),
        ("image.png", PNG),
        ("image.png", PNG),
    ]


def test_prepare_file(style: Style, client: Client, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Remember the milk.")

    async def body() -> None:
        with notes.open("rb") as opened:
            handle = await style.get(client.files.prepare_file(opened))
        assert (handle.name, handle.file_type) == ("notes.txt", "text/plain")
        pdf = await style.get(client.prepare_file(b"%PDF-1.4 ..."))
        assert (pdf.name, pdf.file_type) == ("document.pdf", "application/pdf")
        image = await style.get(client.files.prepare_file(PNG, "photo.png"))
        assert image.file_type == "image"
        with pytest.raises(
            LMStudioValueError, match=r"does not recognise 'notes\.txt' as an image"
        ):
            await style.get(client.files.prepare_image(notes))

    style.run(body)


def test_images_reach_the_model(style: Style, client: Client, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)

    async def body() -> str:
        first = await style.get(client.files.prepare_image(tmp_path / "a.png"))
        second = await style.get(client.files.prepare_image(JPEG, "b.jpg"))
        chat = Chat()
        chat.add_user_message("Compare them", images=[first, second])
        model = await style.get(client.llm.model("fake/vision"))
        return (await style.get(model.respond(chat))).content

    assert style.run(body) == expected_reply("Compare them", images=["a.png", "b.jpg"])


def test_bad_sources_fail_at_once(client: Client, server: FakeLMStudio, tmp_path: Path) -> None:
    missing = client.files.prepare_image(tmp_path / "missing.png")  # the call fails with it
    with pytest.raises(LMStudioOSError) as info:
        missing.result(5)
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOENT
    assert info.value.filename == str(tmp_path / "missing.png")
    assert "files.prepare_image(...)" in repr(missing)
    with pytest.raises(LMStudioValueError, match="binary mode"):
        client.files.prepare_file(io.StringIO("text"))
    with pytest.raises(LMStudioValueError, match="Expected a path"):
        client.files.prepare_file(42)  # type: ignore[arg-type]
    with pytest.raises(LMStudioValueError, match="name"):
        client.files.prepare_file(PNG, "")
    assert server.calls("uploadFileBase64") == []
