"""Uploads that are large, endless, stuck or slow (issue 15, point 5), over a loopback socket.

Type and size are checked in the caller's thread before anything is read; reading and
encoding happen off it, under the call's timeout and ``cancel()``.
"""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest

from lmstudio import (
    Client,
    LMStudioCancelledError,
    LMStudioTimeoutError,
    LMStudioValueError,
)
from lmstudio.testing import FakeLMStudio

pytest_plugins = ["tests.styles"]  # server, client

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


class SlowFile(io.RawIOBase):
    """A binary, unseekable file object whose read() waits for ``release``."""

    def __init__(self, data: bytes = PNG) -> None:
        self.release = threading.Event()
        self.reader: int | None = None
        self._data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reader = threading.get_ident()
        self.release.wait(10)
        cut = len(self._data) if size < 0 else size
        data, self._data = self._data[:cut], self._data[cut:]
        return data


def test_the_default_limit_is_documented() -> None:
    from lmstudio._constants import MAX_UPLOAD_SIZE

    assert MAX_UPLOAD_SIZE == 200 * 1024 * 1024
    assert Client().max_upload_size == MAX_UPLOAD_SIZE
    assert "200" in (Client.__doc__ or "")


def test_a_file_past_the_limit_fails_before_reading(server: FakeLMStudio, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate(1001)  # sparse: nothing to read anyway
    with Client(server.api_host, max_upload_size=1000) as client:
        with pytest.raises(LMStudioValueError, match=r"1,001 bytes.*limit of 1,000"):
            client.files.prepare_file(big)
        with pytest.raises(LMStudioValueError, match="limit"):
            client.files.prepare_file(bytes(1001))
        with pytest.raises(LMStudioValueError, match="limit"):
            client.files.prepare_file(io.BytesIO(bytes(1001)))
        assert client.files.prepare_file(bytes(1000)).result(10).size_bytes == 1000
    assert server.calls("uploadFileBase64")[-1]["parameter"]["name"] == "file"


def test_devices_and_fifos_are_refused_at_once(client: Client, tmp_path: Path) -> None:
    with pytest.raises(LMStudioValueError, match="not a regular file"):
        client.files.prepare_file("/dev/zero")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(LMStudioValueError, match="not a regular file"):
        client.files.prepare_file(fifo)  # opening it would wait for a writer forever
    assert time.monotonic() - started < 1
    with pytest.raises(LMStudioValueError, match="not a regular file"):
        client.files.prepare_file(tmp_path)


def test_reading_happens_off_the_callers_thread(client: Client) -> None:
    src = SlowFile()
    started = time.monotonic()
    call = client.files.prepare_image(src)
    assert time.monotonic() - started < 1  # the Call exists before the file is read
    assert not call.done()
    src.release.set()
    assert call.result(10).file_type == "image"
    assert src.reader is not None and src.reader != threading.get_ident()


def test_an_upload_can_be_cancelled_while_reading(client: Client, server: FakeLMStudio) -> None:
    src = SlowFile()
    call = client.files.prepare_image(src)
    assert call.cancel()
    src.release.set()
    with pytest.raises(LMStudioCancelledError):
        call.result(10)
    time.sleep(0.1)
    assert server.calls("uploadFileBase64") == []  # nothing was sent


def test_the_timeout_applies_to_reading(client: Client) -> None:
    src = SlowFile()
    call = client.files.prepare_image(src, timeout=0.1)
    with pytest.raises(LMStudioTimeoutError, match="reading"):
        call.result(10)
    src.release.set()


def test_an_unsized_stream_past_the_limit_fails_its_call(server: FakeLMStudio) -> None:
    src = SlowFile(bytes(5000))
    src.release.set()
    with Client(server.api_host, max_upload_size=1000) as client:
        call = client.files.prepare_file(src)
        with pytest.raises(LMStudioValueError, match="limit of 1,000"):
            call.result(10)


def test_bad_limits_are_refused() -> None:
    for bad in (0, -1, 1.5, "big", True):
        with pytest.raises(LMStudioValueError, match="max_upload_size"):
            Client(max_upload_size=bad)  # type: ignore[arg-type]
