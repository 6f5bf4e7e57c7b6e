"""Frames once a connection is open: the fast path (``framing.py``), and its fallback.

First the pure functions, on byte strings cut at every position. Then over the wire: the
server here writes frames by hand, cut wherever a test wants them cut, so every size
class of frame header, frames split across reads, control frames between the fragments
of a message, and frames that break the rules are seen by the client, once on the fast
path and once with websockets parsing every frame (what happens on a websockets whose
internals ``fast_path_ok`` does not know).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.sync.server import ServerConnection
from websockets.uri import parse_uri

from lmstudio._engine import framing
from lmstudio._engine.session import Session
from lmstudio._protocol.endpoints import llm as llm_api
from lmstudio.errors import LMStudioProtocolError, LMStudioWebsocketError

from .helpers import accept_websocket, raw_server, read_client_frame, scripted_server

TEXT, CONT, CLOSE, PING, PONG = 0x1, 0x0, 0x8, 0x9, 0xA


def frame(payload: bytes, *, opcode: int = TEXT, fin: bool = True, mask: bool = False) -> bytes:
    """A server frame (any length; masked only to break the rules)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([bit | n])
    elif n < 1 << 16:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if mask:
        key = b"\x01\x02\x03\x04"
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


# --- the pure functions ---------------------------------------------------------------------


def stream_of_frames() -> tuple[bytes, list[tuple[str, bytes]]]:
    """Frames of every kind and size class, and what ``read_frames`` hands on for each."""
    parts: list[tuple[bytes, tuple[str, bytes]]] = []
    for size in (0, 5, 125, 126, 300, 65_535, 65_536, 70_000):
        payload = bytes(i % 251 for i in range(size))
        parts.append((frame(payload), ("text", payload)))
    ping = frame(b"hi", opcode=PING)
    first = frame(b'{"a":', fin=False)
    last = frame(b"1}", opcode=CONT)
    binary = frame(b"\x00\x01", opcode=0x2)
    masked = frame(b"masked", mask=True)
    rsv = bytes([0xC1, 2]) + b"ok"  # RSV1 set: not ours to read (websockets rejects it)
    for data in (ping, first, last, binary, masked, rsv):
        parts.append((data, ("frame", data)))
    parts.insert(3, parts.pop())  # the unusual frames between ordinary ones
    parts.insert(1, parts.pop(-3))
    data = b"".join(part for part, _ in parts)
    return data, [seen for _, seen in parts]


def read(data: bytes, stop_after: bytes | None = None) -> tuple[list[tuple[str, bytes]], int, int]:
    seen: list[tuple[str, bytes]] = []

    def on_text(payload: bytes | memoryview) -> None:
        seen.append(("text", bytes(payload)))

    def on_frame(whole: bytes) -> bool:
        seen.append(("frame", whole))
        return whole != stop_after

    end, needed = framing.read_frames(data, on_text, on_frame)
    return seen, end, needed


def test_read_frames_cut_at_every_byte() -> None:
    data, expected = stream_of_frames()
    boundaries = [0]
    for kind, payload in expected:
        boundaries.append(boundaries[-1] + len(frame(payload) if kind == "text" else payload))
    assert boundaries[-1] == len(data)
    cuts = range(len(data) + 1) if os.environ.get("LMSTUDIO_TESTS_EXHAUSTIVE") else None
    # Every byte of the frame headers and of the small frames, and every 97th of the rest.
    cuts = cuts or sorted(
        {c for b in boundaries for c in range(max(0, b - 12), min(len(data), b + 140) + 1)}
        | set(range(0, len(data) + 1, 97))
    )
    for cut in cuts:
        seen, end, needed = read(data[:cut])
        complete = [b for b in boundaries if b <= cut]
        assert end == complete[-1], cut
        assert seen == expected[: len(complete) - 1], cut
        if end == cut:
            assert needed == 0
            continue
        # Waiting for `needed` bytes is never pointless, and never waits past the frame.
        following = boundaries[len(complete)]
        assert cut < end + needed <= following, cut
        rest, rest_end, _ = read(data[end:])
        assert seen + rest == expected and end + rest_end == len(data)


def test_read_frames_waits_for_the_header_then_the_frame() -> None:
    large = frame(b"x" * 70_000)
    assert framing.read_frames(large[:1], print, bool) == (0, 2)
    assert framing.read_frames(large[:2], print, bool) == (0, 10)
    assert framing.read_frames(large[:10], print, bool) == (0, len(large))


def test_read_frames_stops_when_on_frame_says_so() -> None:
    ping = frame(b"p", opcode=PING)
    data = frame(b"a") + ping + frame(b"b")
    seen, end, needed = read(data, stop_after=ping)
    assert seen == [("text", b"a"), ("frame", ping)]
    assert (end, needed) == (len(frame(b"a") + ping), 0)


def test_large_payloads_are_views_of_the_buffer() -> None:
    data = frame(b"x" * 5000) + frame(b"y" * 10)
    got: list[Any] = []
    framing.read_frames(data, got.append, bool)
    assert type(got[0]) is memoryview and got[0].obj is data
    assert type(got[1]) is bytes


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 70_000])
def test_text_frames_are_what_websockets_reads(size: int) -> None:
    messages = [b"a" * size, "é€".encode() * 3, b"z"]
    keys = framing.MaskingKeys().take(len(messages))
    chunks = framing.text_frames(messages, keys)
    assert len(chunks) == (4 if size >= 126 else 3)
    server = ServerProtocol(state=State.OPEN)
    server.receive_data(b"".join(chunks))
    frames = server.events_received()
    assert server.parser_exc is None
    assert [(f.opcode, f.fin, bytes(f.data)) for f in frames] == [
        (Opcode.TEXT, True, message) for message in messages
    ]


def test_masking_keys_are_fresh_random_bytes() -> None:
    keys = framing.MaskingKeys(batch=8)
    taken = [keys.take(1) for _ in range(5)] + [keys.take(3)]
    assert [len(k) for k in taken] == [4, 4, 4, 4, 4, 12]
    assert len(set(taken)) == len(taken)  # 2**-32 odds of a false failure per pair


def test_the_pure_python_mask_matches_websockets() -> None:
    from websockets.utils import apply_mask

    for size in [*range(12), 1000, 4097]:
        data, mask = os.urandom(size), os.urandom(4)
        assert framing._apply_mask_py(data, mask) == apply_mask(data, mask)
        assert framing.apply_mask(data, mask) == apply_mask(data, mask)


def open_protocol() -> ClientProtocol:
    return ClientProtocol(parse_uri("ws://127.0.0.1/llm"), state=State.OPEN)


def test_fast_path_check_on_the_installed_websockets() -> None:
    ws = open_protocol()
    assert framing.fast_path_ok(ws)
    ws.receive_data(frame(b"half a frame")[:5])  # websockets holds a partial frame now
    assert not framing.fast_path_ok(ws)
    ws.receive_data(frame(b"half a frame")[5:])
    assert framing.fast_path_ok(ws)


def test_fast_path_check_is_off_while_websockets_logs_frames() -> None:
    logger = logging.getLogger("websockets.client")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        ws = open_protocol()
    finally:
        logger.setLevel(level)
    assert ws.debug
    assert not framing.fast_path_ok(ws)


def test_fast_path_check_falls_back_on_unknown_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another websockets: attributes missing, of another type, or another parser.
    assert not framing.fast_path_ok(object())
    assert not framing.fast_path_ok(types.SimpleNamespace(debug=False, reader=None, parser=None))
    other = types.SimpleNamespace(
        debug=False, reader=types.SimpleNamespace(buffer=b""), parser=iter(())
    )
    assert not framing.fast_path_ok(other)
    monkeypatch.setattr(framing, "_AT_EOF_CODE", None)  # StreamReader.at_eof is gone
    assert not framing.fast_path_ok(open_protocol())
    assert not framing.fast_path_ok(types.SimpleNamespace(debug=False, reader=None, parser=None))


# --- over the wire, on both paths ------------------------------------------------------------


@pytest.fixture(params=["fast path", "websockets parser"])
def fast(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Each wire test runs on the fast path, then as on a websockets it does not know."""
    if request.param == "fast path":
        return True
    monkeypatch.setattr(framing, "_AT_EOF_CODE", None)
    return False


def result(call_id: int, padding: int = 0) -> bytes:
    """An ``rpcResult`` of ``[]``, padded with JSON whitespace up to a frame size class."""
    return b'{"type":"rpcResult","callId":%d,"result":[]%s}' % (call_id, b" " * padding)


def call_id(sock: socket.socket) -> int:
    return int(json.loads(read_client_frame(sock)[1])["callId"])


def send_in_pieces(sock: socket.socket, data: bytes, cuts: list[int]) -> None:
    """Send ``data`` cut at ``cuts``, pausing so that each piece arrives in its own read."""
    last = 0
    for cut in [*cuts, len(data)]:
        sock.sendall(data[last:cut])
        last = cut
        time.sleep(0.02)


@contextmanager
def opened(script: Callable[[socket.socket], None], fast: bool) -> Iterator[Session]:
    """A session whose connection is open, on its fast path if ``fast``; then the server
    runs ``script(sock)`` (reading the client's next calls and answering as it likes)."""

    def handler(sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        accept_websocket(sock)
        read_client_frame(sock)  # the authentication packet
        sock.sendall(frame(b'{"success":true}'))
        sock.sendall(frame(result(call_id(sock))))
        script(sock)

    with raw_server(handler) as host:
        session = Session(host, ping_interval=None)
        try:
            assert session.rpc(llm_api.LIST_LOADED).result(10) == []
            assert session._pool is not None
            assert session._pool.connections()["llm"]._fast is fast
            yield session
        finally:
            session.close()


def test_frames_of_every_size_split_anywhere_across_reads(fast: bool) -> None:
    pong: list[tuple[int, bytes]] = []
    done = threading.Event()

    def script(sock: socket.socket) -> None:
        ids = [call_id(sock) for _ in range(3)]
        small = frame(result(ids[0]))  # 7-bit length
        ping = frame(b"hi", opcode=PING)
        medium = frame(result(ids[1], padding=300))  # 16-bit length
        large = frame(result(ids[2], padding=70_000))  # 64-bit length, a view, no copy
        data = small + ping + medium + large
        at_medium = len(small + ping)
        at_large = at_medium + len(medium)
        cuts = [1, at_medium + 1, at_medium + 3, at_large + 5, at_large + 1000, at_large + 40_000]
        send_in_pieces(sock, data, cuts)
        pong.append(read_client_frame(sock))
        done.set()

    with opened(script, fast) as session:
        calls = [session.rpc(llm_api.LIST_LOADED, timeout=None) for _ in range(3)]
        assert [call.result(10) for call in calls] == [[], [], []]
        assert done.wait(10)
    assert pong == [(PONG, b"hi")]


def test_a_fragmented_message_with_a_ping_between_its_fragments(fast: bool) -> None:
    pong: list[tuple[int, bytes]] = []
    done = threading.Event()

    def script(sock: socket.socket) -> None:
        first, second = call_id(sock), call_id(sock)
        sock.sendall(
            frame(b'{"type":"rpcResult",', fin=False)
            + frame(b"p", opcode=PING)
            + frame(b'"callId":%d,"result":[]}' % first, opcode=CONT)
            + frame(result(second))  # and the fast path goes on after it
        )
        pong.append(read_client_frame(sock))
        done.set()

    with opened(script, fast) as session:
        calls = [session.rpc(llm_api.LIST_LOADED, timeout=None) for _ in range(2)]
        assert [call.result(10) for call in calls] == [[], []]
        assert done.wait(10)
    assert pong == [(PONG, b"p")]


def test_a_masked_frame_from_the_server_fails_the_connection(fast: bool) -> None:
    def script(sock: socket.socket) -> None:
        sock.sendall(frame(result(call_id(sock)), mask=True))

    with opened(script, fast) as session:
        call = session.rpc(llm_api.LIST_LOADED, timeout=None)
        with pytest.raises(LMStudioProtocolError, match="broke the WebSocket protocol"):
            call.result(10)


def test_a_close_frame_ends_the_connection_and_what_follows_it_is_ignored(fast: bool) -> None:
    def script(sock: socket.socket) -> None:
        ident = call_id(sock)
        sock.sendall(frame(b"\x03\xe9bye", opcode=CLOSE) + frame(result(ident)))

    with opened(script, fast) as session:
        call = session.rpc(llm_api.LIST_LOADED, timeout=None)
        with pytest.raises(LMStudioWebsocketError, match=r"closed the connection .*1001: bye"):
            call.result(10)


def test_messages_of_every_size_class_sent_in_one_batch(fast: bool) -> None:
    received: list[int] = []

    def handler(ws: ServerConnection) -> None:
        assert json.loads(ws.recv())["authVersion"] == 1
        ws.send('{"success": true}')
        with contextlib.suppress(ConnectionClosed):
            while True:
                call = json.loads(ws.recv())
                received.append(len(call["parameter"]["pad"]))
                ws.send(result(call["callId"]).decode())

    # 7-bit, 16-bit and 64-bit lengths (joined into one write, the largest on its own).
    sizes = [10, 300, 70_000, 20]
    with scripted_server(handler) as host:
        session = Session(host, ping_interval=None)
        try:
            assert session.rpc(llm_api.LIST_LOADED, {"pad": ""}).result(10) == []
            calls = [session.rpc(llm_api.LIST_LOADED, {"pad": "x" * n}) for n in sizes]
            assert [call.result(10) for call in calls] == [[], [], [], []]
        finally:
            session.close()
    assert received == [0, *sizes]
