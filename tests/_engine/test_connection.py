"""Connections: authentication, discovery, liveness, framing and how they end."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
from typing import Any

import pytest
from websockets.sync.server import ServerConnection

from lmstudio import Client
from lmstudio._engine.discovery import discover, probe
from lmstudio._engine.identity import resolve_identity
from lmstudio._engine.session import Session, parse_host
from lmstudio._protocol.endpoints import llm as llm_api, system as system_api
from lmstudio.errors import (
    LMStudioCancelledError,
    LMStudioClientError,
    LMStudioServerError,
    LMStudioTimeoutError,
    LMStudioValueError,
    LMStudioWebsocketError,
)
from lmstudio.testing import FakeLMStudio

from .helpers import accept_websocket, raw_server, read_client_frame, scripted_server, text_frame

TOKEN = "sk-lm-Abcd1234:Abcdefghij0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def auth_packets(server: FakeLMStudio) -> list[tuple[str, dict[str, Any]]]:
    return [(r.namespace, r.message) for r in server.received if "authVersion" in r.message]


# --- identity ----------------------------------------------------------------------------------


def test_guest_identity_is_shared_by_the_namespaces(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with Client(fake_lmstudio.api_host) as client:
        client.system.version().result(5000 * ms)
        client.llm.list_loaded().result(5000 * ms)
    (ns1, first), (ns2, second) = auth_packets(fake_lmstudio)
    assert {ns1, ns2} == {"system", "llm"}
    assert first == second
    assert first["authVersion"] == 1
    assert first["clientIdentifier"].startswith("guest:")
    assert first["clientPasskey"]


@pytest.mark.fake_lmstudio(api_tokens=[TOKEN])
def test_api_token_argument(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with Client(fake_lmstudio.api_host, api_token=TOKEN) as client:
        assert client.system.version().result(5000 * ms)
    ((_, auth),) = auth_packets(fake_lmstudio)
    assert (auth["clientIdentifier"], auth["clientPasskey"]) == ("Abcd1234", "Abcdefghij0123456789")


@pytest.mark.fake_lmstudio(api_tokens=[TOKEN])
def test_rejected_authentication(
    fake_lmstudio: FakeLMStudio, ms: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LMSTUDIO_API_TOKEN", raising=False)
    monkeypatch.delenv("LM_API_TOKEN", raising=False)
    with Client(fake_lmstudio.api_host) as client:
        with pytest.raises(
            LMStudioServerError, match="rejected the client's authentication"
        ) as info:
            client.system.version().result(5000 * ms)
        assert "API token" in (info.value.suggestion or "")
        # Not retried silently: the next call tries again and fails the same way.
        with pytest.raises(LMStudioServerError):
            client.system.version().result(5000 * ms)


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LMSTUDIO_API_TOKEN", raising=False)
    monkeypatch.setenv("LM_API_TOKEN", TOKEN)
    assert resolve_identity(None).client_identifier == "Abcd1234"
    monkeypatch.setenv("LMSTUDIO_API_TOKEN", "  sk-lm-Zzzz9999:Abcdefghij0123456789 ")
    assert resolve_identity(None).client_identifier == "Zzzz9999"
    monkeypatch.setenv("LMSTUDIO_API_TOKEN", "")  # empty: unset
    assert resolve_identity(None).client_identifier == "Abcd1234"
    assert resolve_identity(None, {}).client_identifier.startswith("guest:")
    # An explicit token wins over the environment.
    assert resolve_identity("sk-lm-Xxxx0000:Abcdefghij0123456789").client_identifier == "Xxxx0000"


def test_malformed_token_is_rejected_before_connecting() -> None:
    secret = "sk-lm-short:secretsecret"
    with pytest.raises(
        LMStudioValueError, match="malformed LM Studio API token in api_token"
    ) as info:
        Client("localhost:1234", api_token=secret)
    assert "secretsecret" not in str(info.value)
    with pytest.raises(LMStudioValueError, match="in LMSTUDIO_API_TOKEN"):
        resolve_identity(None, {"LMSTUDIO_API_TOKEN": secret})


def test_passkey_is_not_in_reprs() -> None:
    identity = resolve_identity(TOKEN)
    assert "Abcdefghij0123456789" not in repr(identity)


# --- hosts and discovery -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("localhost:1234", ("localhost", 1234, False)),
        (" 127.0.0.1:41343 ", ("127.0.0.1", 41343, False)),
        ("ws://example.com:80/", ("example.com", 80, False)),
        ("wss://example.com:443", ("example.com", 443, True)),
        ("[::1]:1234", ("::1", 1234, False)),
    ],
)
def test_parse_host(text: str, expected: tuple[str, int, bool]) -> None:
    target = parse_host(text)
    assert (target.host, target.port, target.secure) == expected


@pytest.mark.parametrize(
    "text", ["localhost", "localhost:0", "localhost:x", "ftp://h:1", "h:1/llm", ":80"]
)
def test_parse_host_rejects(text: str) -> None:
    with pytest.raises(LMStudioValueError):
        parse_host(text)


def test_discovery_picks_the_first_port_that_greets(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    session = Session(None, ports=[free_port(), fake_lmstudio.port])
    try:
        assert session.api_host is None
        assert session.rpc(system_api.VERSION).result(5000 * ms)
        assert session.rpc(llm_api.LIST_LOADED).result(5000 * ms)
        assert session.api_host == fake_lmstudio.api_host
    finally:
        session.close()


def test_discovery_failure_is_clear(ms: float) -> None:
    session = Session(None, ports=[free_port(), free_port()])
    try:
        with pytest.raises(LMStudioClientError, match="not reachable at any of its default ports"):
            session.rpc(system_api.VERSION).result(5000 * ms)
    finally:
        session.close()


def test_probe(fake_lmstudio: FakeLMStudio) -> None:
    import asyncio

    def not_lmstudio(ws: ServerConnection) -> None:  # pragma: no cover - never upgraded
        pass

    async def main(other: str) -> tuple[bool, bool, int | None]:
        host, port = other.rsplit(":", 1)
        return (
            await probe("127.0.0.1", fake_lmstudio.port),
            await probe(host, int(port)),  # a WebSocket server without the greeting
            await discover([free_port(), fake_lmstudio.port, free_port()]),
        )

    with scripted_server(not_lmstudio) as other:
        assert asyncio.run(main(other)) == (True, False, fake_lmstudio.port)


# --- framing and ends ----------------------------------------------------------------------------


def authenticate(ws: ServerConnection) -> None:
    assert json.loads(ws.recv())["authVersion"] == 1
    ws.send('{"success": true}')


def test_fragmented_and_binary_messages(ms: float) -> None:
    def handler(ws: ServerConnection) -> None:
        authenticate(ws)
        call = json.loads(ws.recv())
        ws.send(b"\x00binary", text=False)  # not part of the protocol: ignored
        ws.send(['{"type": "rpcResult", ', f'"callId": {call["callId"]}, "result": []', "}"])
        ws.recv()

    with scripted_server(handler) as host, Client(host) as client:
        assert client.llm.list_loaded().result(5000 * ms) == []


def test_server_closing_fails_calls_in_flight(ms: float) -> None:
    def handler(ws: ServerConnection) -> None:
        authenticate(ws)
        ws.recv()
        ws.close(1001, "going away")

    with (
        scripted_server(handler) as host,
        Client(host) as client,
        pytest.raises(LMStudioWebsocketError, match=r"closed the connection .*1001: going away"),
    ):
        client.llm.list_loaded().result(5000 * ms)


def test_unanswered_handshake_times_out(ms: float) -> None:
    with raw_server(lambda sock: None) as host:
        session = Session(host, open_timeout=100 * ms)
        try:
            with pytest.raises(LMStudioTimeoutError, match=r"connecting to .* timed out"):
                session.rpc(system_api.VERSION).result(5000 * ms)
        finally:
            session.close()


def test_a_peer_that_stops_answering_pings_is_declared_dead(ms: float) -> None:
    def handler(sock: socket.socket) -> None:
        accept_websocket(sock)
        sock.sendall(text_frame(b'{"success":true}'))
        # ...then never reads again: no pong, no answer.

    with raw_server(handler) as host:
        session = Session(host, ping_interval=20 * ms, ping_timeout=50 * ms)
        try:
            with pytest.raises(LMStudioWebsocketError, match="did not answer a ping"):
                session.rpc(system_api.VERSION).result(5000 * ms)
        finally:
            session.close()


def test_pings_keep_a_quiet_connection(ms: float) -> None:
    pongs = threading.Semaphore(0)

    def handler(sock: socket.socket) -> None:
        accept_websocket(sock)
        sock.sendall(text_frame(b'{"success":true}'))
        with contextlib.suppress(EOFError, OSError):
            while True:
                opcode, payload = read_client_frame(sock)
                if opcode == 0x9:  # ping: answer it
                    sock.sendall(bytes([0x8A, len(payload)]) + payload)
                    pongs.release()
                elif opcode == 0x8:  # close: end the TCP connection
                    sock.shutdown(socket.SHUT_RDWR)
                    return

    with raw_server(handler) as host:
        session = Session(host, ping_interval=10 * ms, ping_timeout=2000 * ms)
        try:
            waiting = session.rpc(system_api.VERSION, timeout=None)  # never answered
            for _ in range(3):
                assert pongs.acquire(timeout=5000 * ms)
            assert not waiting.done()  # the connection lives on
        finally:
            session.close()
        with pytest.raises(LMStudioCancelledError):
            waiting.result(0)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "HTTP 404"),
        (b"HTTP/1.1 404 Not Found\r\n\r\nno length, closed", "HTTP 404"),
        # (the wording depends on the websockets version)
        (b"SSH-2.0-OpenSSH\r\n", "did not receive a valid HTTP response|invalid HTTP status line"),
    ],
)
def test_not_a_websocket_server(answer: bytes, reason: str, ms: float) -> None:
    def handler(sock: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            request += sock.recv(4096)
        sock.sendall(answer)
        sock.shutdown(socket.SHUT_WR)

    with raw_server(handler) as host, Client(host) as client:
        with pytest.raises(LMStudioWebsocketError, match=r"WebSocket handshake .* failed") as info:
            client.system.version().result(5000 * ms)
        assert re.search(reason, str(info.value))


def test_the_passkey_is_never_logged(
    fake_lmstudio: FakeLMStudio, ms: float, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), Client(fake_lmstudio.api_host, api_token=TOKEN) as client:
        # The fake server accepts any identity when it requires no token.
        assert client.system.version().result(5000 * ms)
    # What the client logs (the fake server's own log is not the SDK's).
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("lmstudio.testing")
    )
    assert "clientPasskey" not in logged and "Abcdefghij" not in logged
    assert "authenticating as Abcd1234" in logged
    assert "> TEXT" in logged  # websockets did log the other frames
