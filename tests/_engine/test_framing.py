"""Frames once a connection is open: the fast path, and what it leaves to websockets.

The server here writes frames by hand, cut wherever a test wants them cut, so every
size class of frame header, frames split across reads, control frames between the
fragments of a message, and frames that break the rules are seen by the client.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

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
def opened(script: Callable[[socket.socket], None]) -> Iterator[Session]:
    """A session whose connection is open and on its fast path; then the server runs
    ``script(sock)`` (reading the client's next calls and answering as it likes)."""

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
            assert session._pool.connections()["llm"]._fast  # websockets' parser is idle
            yield session
        finally:
            session.close()


def test_frames_of_every_size_split_anywhere_across_reads() -> None:
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

    with opened(script) as session:
        calls = [session.rpc(llm_api.LIST_LOADED, timeout=None) for _ in range(3)]
        assert [call.result(10) for call in calls] == [[], [], []]
        assert done.wait(10)
    assert pong == [(PONG, b"hi")]


def test_a_fragmented_message_with_a_ping_between_its_fragments() -> None:
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

    with opened(script) as session:
        calls = [session.rpc(llm_api.LIST_LOADED, timeout=None) for _ in range(2)]
        assert [call.result(10) for call in calls] == [[], []]
        assert done.wait(10)
    assert pong == [(PONG, b"p")]


def test_a_masked_frame_from_the_server_fails_the_connection() -> None:
    def script(sock: socket.socket) -> None:
        sock.sendall(frame(result(call_id(sock)), mask=True))

    with opened(script) as session:
        call = session.rpc(llm_api.LIST_LOADED, timeout=None)
        with pytest.raises(LMStudioProtocolError, match="broke the WebSocket protocol"):
            call.result(10)


def test_a_close_frame_ends_the_connection_and_what_follows_it_is_ignored() -> None:
    def script(sock: socket.socket) -> None:
        ident = call_id(sock)
        sock.sendall(frame(b"\x03\xe9bye", opcode=CLOSE) + frame(result(ident)))

    with opened(script) as session:
        call = session.rpc(llm_api.LIST_LOADED, timeout=None)
        with pytest.raises(LMStudioWebsocketError, match=r"closed the connection .*1001: bye"):
            call.result(10)


def test_messages_of_every_size_class_sent_in_one_batch() -> None:
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
