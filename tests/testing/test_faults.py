"""Fault injection: delays, failures, dropped sockets, silence, and their scoping."""

from __future__ import annotations

from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from lmstudio.testing import FakeLMStudio

from .wire import QUIET, TIMEOUT, predict_params


def test_delay_holds_the_reply_back(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.delay("listLoaded", QUIET * 2):
        call = llm.call("listLoaded")
        llm.expect_silence()
        assert llm.answer(call)["type"] == "rpcResult"
    assert llm.rpc("listLoaded", timeout=TIMEOUT)["type"] == "rpcResult"


def test_delay_holds_a_channels_first_packet_back(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.delay("llm/predict", QUIET * 2):
        channel = llm.open("predict", predict_params("count to 2"))
        llm.expect_silence()
        assert llm.until_end(channel)[-1]["type"] == "channelClose"


def test_fail_answers_an_rpc_error(server: FakeLMStudio, connect_to: Any) -> None:
    system = connect_to(server, "system")
    display = {"code": "generic.specificModelUnloaded"}
    with server.faults.fail(
        "version", title="Boom", cause="because", display_data=display
    ) as fault:
        error = system.error("version")
    assert error["title"] == "Boom"
    assert error["rootTitle"] == "Boom"
    assert error["cause"] == "because"
    assert error["displayData"] == display
    assert fault.hits == 1
    assert "version" in system.result("version")


def test_fail_answers_a_channel_error(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.fail("predict", title="Prediction exploded"):
        packets, end = llm.stream("predict", predict_params("hi"))
    assert packets == []
    assert end["type"] == "channelError"
    assert end["error"]["title"] == "Prediction exploded"


def test_times_limits_a_fault_and_removes_it(server: FakeLMStudio, llm: Any) -> None:
    fault = server.faults.fail("listLoaded", times=1)
    assert llm.rpc("listLoaded")["type"] == "rpcError"
    assert llm.rpc("listLoaded")["type"] == "rpcResult"
    assert fault not in server.faults.active


def test_faults_without_with_stay_until_removed(server: FakeLMStudio, llm: Any) -> None:
    fault = server.faults.fail("*")
    assert llm.rpc("listLoaded")["type"] == "rpcError"
    assert (
        llm.rpc(
            "getModelInfo", {"specifier": {"type": "query", "query": {}}, "throwIfNotFound": True}
        )["type"]
        == "rpcError"
    )
    fault.remove()
    fault.remove()
    assert llm.rpc("listLoaded")["type"] == "rpcResult"


def test_a_fault_matches_its_namespace_only(server: FakeLMStudio, connect_to: Any) -> None:
    embedding = connect_to(server, "embedding")
    llm = connect_to(server, "llm")
    with server.faults.fail("embedding/listLoaded"):
        assert embedding.rpc("listLoaded")["type"] == "rpcError"
        assert llm.rpc("listLoaded")["type"] == "rpcResult"


def test_fault_targets_are_checked(server: FakeLMStudio) -> None:
    with pytest.raises(ValueError, match="no endpoint"):
        server.faults.delay("listLodaed", 1)
    with pytest.raises(ValueError, match="no namespace"):
        server.faults.fail("lllm/listLoaded")
    server.faults.clear()


def test_drop_connection_after_n_packets_of_a_channel(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.drop_connection_after("predict", packets=3):
        channel = llm.open("predict", predict_params("count to 50"))
        received = []
        with pytest.raises(ConnectionClosed):
            while True:
                received.append(llm.next_on(channel))
    assert len(received) == 3
    assert all(m["type"] == "channelSend" for m in received)
    assert llm.ws.close_code == 1006


def test_drop_connection_of_a_channel_that_ends_early(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.drop_connection_after("getOrLoad", packets=50):
        channel = llm.open(
            "getOrLoad", {"identifier": "fake/chat", "loadConfigStack": {"layers": []}}
        )
        with pytest.raises(ConnectionClosed):
            while True:
                assert llm.next_on(channel)["type"] == "channelSend"


def test_drop_connection_instead_of_an_rpc_answer(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.drop_connection_after("listLoaded"):
        llm.call("listLoaded")
        with pytest.raises(ConnectionClosed):
            llm.ws.recv(timeout=TIMEOUT)


def test_drop_connection_right_after_an_rpc_answer(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.drop_connection_after("listLoaded", packets=1):
        assert llm.rpc("listLoaded")["type"] == "rpcResult"
        with pytest.raises(ConnectionClosed):
            llm.ws.recv(timeout=TIMEOUT)


def test_silence_never_answers(server: FakeLMStudio, llm: Any) -> None:
    with server.faults.silence("listLoaded"):
        llm.call("listLoaded")
        channel = llm.open("predict", predict_params("hi"))
        assert llm.until_end(channel)[-1]["type"] == "channelClose"
        llm.expect_silence()
    with server.faults.silence("predict"):
        channel = llm.open("predict", predict_params("hi"))
        llm.channel_send(channel, {"type": "cancel"})  # accepted, never answered
        llm.expect_silence()
    assert server.warnings == []


def test_several_kinds_of_fault_combine(server: FakeLMStudio, llm: Any) -> None:
    with (
        server.faults.delay("listLoaded", QUIET * 2),
        server.faults.fail("listLoaded", title="late"),
    ):
        call = llm.call("listLoaded")
        llm.expect_silence()
        assert llm.answer(call)["error"]["title"] == "late"


def test_restart_mid_stream_ends_the_socket(
    server: FakeLMStudio, llm: Any, connect_to: Any
) -> None:
    server.set_fragment_delay(0.01)
    channel = llm.open("predict", predict_params("count to 1000"))
    assert llm.next_on(channel)["type"] == "channelSend"
    server.restart()
    with pytest.raises(ConnectionClosed):
        while True:
            llm.next_on(channel)
    assert connect_to(server, "llm").result("listLoaded")
