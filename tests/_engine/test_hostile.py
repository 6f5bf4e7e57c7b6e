"""A hostile or broken server, over a real loopback socket (issue 15, points 1, 2, 3, 6).

Each case checks that only the call a bad message names fails, with a typed error, and
that the connection and every other call go on.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from typing import Any

import pytest
from websockets.sync.server import ServerConnection

from lmstudio import Client, LMStudioProtocolError, LMStudioServerError

from .helpers import accept_websocket, raw_server, read_client_frame, scripted_server, text_frame

DEEP = "[" * 1000 + "]" * 1000  # a 2 kB message that recursive decoders cannot handle


def authenticate(ws: ServerConnection) -> None:
    assert json.loads(ws.recv())["authVersion"] == 1
    ws.send('{"success": true}')


def answer(call: dict[str, Any], result: Any = None) -> str:
    return json.dumps({"type": "rpcResult", "callId": call["callId"], "result": result or []})


class Script:
    """A scripted server's record: how many connections it accepted."""

    def __init__(self) -> None:
        self.connections = 0
        self.lock = threading.Lock()

    def accepted(self) -> None:
        with self.lock:
            self.connections += 1


def test_deep_nesting_fails_only_the_call_it_names(ms: float) -> None:
    script = Script()

    def handler(ws: ServerConnection) -> None:
        script.accepted()
        authenticate(ws)
        first, second = json.loads(ws.recv()), json.loads(ws.recv())
        ws.send(f'{{"type": "rpcResult", "callId": {first["callId"]}, "result": {DEEP}}}')
        ws.send(f'{{"type": "rpcResult", "callId": 999, "result": {DEEP}}}')  # no such call
        ws.send(f'{{"type": "channelSend", "channelId": 7, "message": {DEEP}}}')
        ws.send(answer(second))
        third = json.loads(ws.recv())
        ws.send(answer(third))
        ws.recv()

    with scripted_server(handler) as host, Client(host, timeout=None) as client:
        bad, good = client.llm.list_loaded(), client.llm.list_loaded()
        with pytest.raises(LMStudioProtocolError, match="nested too deeply"):
            bad.result(5000 * ms)
        assert good.result(5000 * ms) == []
        assert client.llm.list_loaded().result(5000 * ms) == []
    assert script.connections == 1  # the connection survived


def test_a_wrong_envelope_type_fails_its_call_and_warns_each_time(
    ms: float, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(ws: ServerConnection) -> None:
        authenticate(ws)
        first, second = json.loads(ws.recv()), json.loads(ws.recv())
        ws.send(f'{{"type": "rpcResult", "callId": "{first["callId"]}", "result": []}}')
        ws.send('{"type": "rpcError", "callId": "77", "error": {"title": "x"}}')
        ws.send(answer(second))
        ws.recv()

    with (
        caplog.at_level(logging.WARNING, "lmstudio"),
        scripted_server(handler) as host,
        Client(host, timeout=None) as client,
    ):
        bad, good = client.llm.list_loaded(), client.llm.list_loaded()
        with pytest.raises(LMStudioProtocolError, match=r"unreadable rpcResult for call 1"):
            bad.result(5000 * ms)
        assert good.result(5000 * ms) == []
    unreadable = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(unreadable) == 2, [r.getMessage() for r in caplog.records]


def test_warnings_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    from lmstudio._engine.tolerance import WarningBudget

    now = [0.0]
    budget = WarningBudget(
        logging.getLogger("lmstudio.test"), burst=3, window=10, clock=lambda: now[0]
    )
    with caplog.at_level(logging.WARNING, "lmstudio"):
        for _ in range(50):
            budget.warn("bad %d", 1)
        now[0] = 11.0
        budget.warn("bad %d", 2)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["bad 1"] * 3 + [
        "47 similar warnings were suppressed in the last 10 s",
        "bad 2",
    ]
    assert budget.total == 51


def huge_frame_server(sock: socket.socket, claimed: int, body: bytes = b"x" * 100) -> None:
    accept_websocket(sock)
    read_client_frame(sock)  # authentication
    sock.sendall(text_frame(b'{"success": true}'))
    read_client_frame(sock)  # the call
    sock.sendall(bytes([0x81, 127]) + claimed.to_bytes(8, "big") + body)


def test_a_frame_claiming_a_terabyte_fails_its_connection_at_once(ms: float) -> None:
    with (
        raw_server(lambda sock: huge_frame_server(sock, 1 << 40)) as host,
        Client(host, timeout=None) as client,
    ):
        started = time.monotonic()
        with pytest.raises(
            LMStudioProtocolError,
            match=r"frame of 1,099,511,627,786 bytes, past the message size limit",
        ):
            client.system.version().result(5000 * ms)
        assert time.monotonic() - started < 2


def test_the_message_size_limit_is_configurable(ms: float) -> None:
    def handler(ws: ServerConnection) -> None:
        authenticate(ws)
        call = json.loads(ws.recv())
        ws.send(answer(call, ["x" * 3000]))
        ws.recv()

    with (
        scripted_server(handler) as host,
        Client(host, timeout=None, max_message_size=2000) as client,
        pytest.raises(LMStudioProtocolError),
    ):
        client.llm.list_loaded().result(5000 * ms)


def freeze_engine(client: Client, seconds: float) -> None:
    """Block the engine loop, as a paused process (Ctrl-Z, a laptop lid) would be."""
    engine, _ = client._session._use()
    engine.submit(time.sleep, seconds)


def test_answers_that_arrived_during_a_pause_win_over_timeouts(ms: float) -> None:
    frozen = threading.Event()

    def handler(ws: ServerConnection) -> None:
        authenticate(ws)
        first = json.loads(ws.recv())
        ws.send(answer(first))
        calls = [json.loads(ws.recv()) for _ in range(3)]
        assert frozen.wait(10)
        time.sleep(0.1)  # the client is paused now: everything lands in its socket buffer
        filler = "x" * (2 << 20)  # 2 MB ahead of the answers: several reads on resume
        ws.send(json.dumps({"type": "rpcResult", "callId": 999, "result": [filler]}))
        for call in calls:
            ws.send(answer(call))
        ws.recv()

    with scripted_server(handler) as host, Client(host, timeout=0.5) as client:
        assert client.llm.list_loaded().result(5000 * ms) == []  # connected
        calls = [client.llm.list_loaded() for _ in range(3)]
        time.sleep(0.05)  # sent
        freeze_engine(client, 1.0)  # twice the calls' timeout
        frozen.set()
        assert [call.result(5000 * ms) for call in calls] == [[], [], []]


def test_an_error_of_an_unforeseen_shape_fails_its_call_typed(ms: float) -> None:
    # Found by tests/fuzz: an unhashable displayData.code made the error's construction
    # raise after the channel was forgotten; the call then waited forever.
    odd = {"title": "Odd", "displayData": {"code": []}}

    def handler(ws: ServerConnection) -> None:
        authenticate(ws)
        first, second, third = (json.loads(ws.recv()) for _ in range(3))
        ws.send(json.dumps({"type": "channelError", "channelId": first["channelId"], "error": odd}))
        ws.send(json.dumps({"type": "rpcError", "callId": second["callId"], "error": odd}))
        ws.send(answer(third))
        ws.recv()

    with scripted_server(handler) as host, Client(host, timeout=None) as client:
        loading = client.llm.model("some/model")
        failing = client.llm.list_loaded()
        good = client.llm.list_loaded()
        for call in (loading, failing):
            with pytest.raises(LMStudioServerError, match="Odd"):
                call.result(5000 * ms)
        assert good.result(5000 * ms) == []
