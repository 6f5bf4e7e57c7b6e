"""Authentication, envelope routing and strictness: what LM Studio does with bad input."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from lmstudio.testing import FakeLMStudio

from .wire import TIMEOUT, UNSET, predict_params, query, stack

TOKEN = "sk-lm-Abcd1234:Abcdefghij0123456789"


# -- authentication ---------------------------------------------------------------------------


def test_same_identifier_needs_the_same_passkey(server: FakeLMStudio, connect_to: Any) -> None:
    connect_to(server, "llm", identifier="guest:same", passkey="one")
    connect_to(server, "system", identifier="guest:same", passkey="one")
    other = connect_to(server, "files", identifier="guest:same", passkey="two", authenticate=False)
    answer = other.authenticate("guest:same", "two")
    assert answer["success"] is False
    assert 'Invalid client passkey for client "guest:same"' in answer["error"]
    with pytest.raises(ConnectionClosed):
        other.ws.recv(timeout=TIMEOUT)


def test_api_tokens_required_mode(connect_to: Any) -> None:
    with FakeLMStudio(api_tokens=[TOKEN]) as server:
        good = connect_to(server, "llm", identifier="Abcd1234", passkey="Abcdefghij0123456789")
        assert good.result("listLoaded")
        missing = connect_to(server, "llm", authenticate=False)
        answer = missing.authenticate("guest:someone", "whatever")
        assert answer == {
            "success": False,
            "error": "Authentication required: this LM Studio server requires an API token",
        }
        wrong = connect_to(server, "llm", authenticate=False)
        assert wrong.authenticate("Abcd1234", "Wrongpasskey00000000") == {
            "success": False,
            "error": "Invalid API token",
        }
        unknown = connect_to(server, "llm", authenticate=False)
        assert (
            unknown.authenticate("Zzzz9999", "Abcdefghij0123456789")["error"] == "Invalid API token"
        )
        for client in (missing, wrong, unknown):
            with pytest.raises(ConnectionClosed):
                client.ws.recv(timeout=TIMEOUT)


def test_the_passkey_is_never_logged_even_at_debug(
    server: FakeLMStudio, connect_to: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lmstudio.testing")
    passkey = "Secretpasskey0123456"
    client = connect_to(server, "llm", identifier="guest:logged", passkey=passkey)
    assert client.result("listLoaded")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("lmstudio.testing")]
    assert not [line for line in lines if "Secret" in line or passkey[-8:] in line]
    assert passkey not in caplog.text
    assert any("listLoaded" in line for line in lines)  # frames are logged at DEBUG
    assert any('"clientPasskey": "***"' in line for line in lines)  # the authentication too


def test_malformed_api_tokens_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="sk-lm-"):
        FakeLMStudio(api_tokens=["sk-lm-short:x"])


def test_invalid_auth_frames_are_ignored_until_a_valid_one(
    server: FakeLMStudio, connect_to: Any
) -> None:
    client = connect_to(server, "llm", authenticate=False)
    client.send({"authVersion": 2, "clientIdentifier": "guest:a", "clientPasskey": "p"})
    client.send({"type": "rpcCall", "endpoint": "listLoaded", "callId": 1})
    client.ws.send("not json")
    client.expect_silence()
    assert client.authenticate("guest:a", "p") == {"success": True}


def test_auth_times_out(connect_to: Any) -> None:
    with FakeLMStudio(auth_timeout=0.2) as server:
        client = connect_to(server, "llm", authenticate=False)
        answer = json.loads(client.ws.recv(timeout=TIMEOUT))
        assert answer["success"] is False
        assert "timed out" in answer["error"]


# -- recording ----------------------------------------------------------------------------------


def test_every_client_frame_is_recorded(server: FakeLMStudio, llm: Any) -> None:
    llm.result("listLoaded")
    llm.ws.send("[1, 2]")
    llm.warning()
    server.warnings.clear()
    assert [r.namespace for r in server.received] == ["llm"] * 3
    assert server.received[0].message["authVersion"] == 1
    assert server.received[1].message == {"type": "rpcCall", "endpoint": "listLoaded", "callId": 1}
    assert server.received[2].message == {"_raw": "[1, 2]"}
    assert server.calls("listLoaded") == [server.received[1].message]
    assert server.calls("llm/listLoaded") == server.calls("listLoaded")
    assert server.calls("embedding/listLoaded") == []


def test_client_warnings_are_recorded(server: FakeLMStudio, llm: Any) -> None:
    llm.send({"type": "communicationWarning", "warning": "I did not understand", "kind": "unknown"})
    llm.result("listLoaded")  # the warning was processed before this answer
    assert server.client_warnings == ["I did not understand"]
    assert server.warnings == []


# -- strictness -----------------------------------------------------------------------------------


def test_invalid_envelopes_get_a_warning(server: FakeLMStudio, llm: Any) -> None:
    llm.ws.send("{not json")
    assert "invalid message" in llm.warning()["warning"]
    llm.send({"type": "rpcCall", "endpoint": "listLoaded"})  # no callId
    assert "callId" in llm.warning()["warning"]
    llm.send({"type": "shout"})
    llm.warning()
    assert len(server.warnings) == 3
    server.warnings.clear()


def test_unknown_rpc_endpoint_gets_a_warning_and_no_answer(server: FakeLMStudio, llm: Any) -> None:
    llm.call("listEverything")
    warning = llm.warning()
    assert warning["kind"] == "rpcEndpointUnknown"
    assert "llm/listEverything" in warning["warning"]
    llm.expect_silence()
    assert server.warnings == [warning["warning"]]
    server.warnings.clear()


def test_an_endpoint_of_another_namespace_is_unknown(server: FakeLMStudio, llm: Any) -> None:
    llm.call("version")  # a system endpoint
    assert llm.warning()["kind"] == "rpcEndpointUnknown"
    server.warnings.clear()


def test_answer_invalid_also_answers_an_error(connect_to: Any) -> None:
    with FakeLMStudio(answer_invalid=True) as server:
        llm = connect_to(server, "llm")
        error = llm.error("listEverything")
        assert "unknown endpoint" in error["title"]
        channel = llm.open("predictEverything")
        assert llm.next_on(channel)["type"] == "channelError"
        assert len(server.warnings) == 2
        server.warnings.clear()


def test_bad_parameters_get_a_warning_naming_the_problem(server: FakeLMStudio, llm: Any) -> None:
    llm.call("countTokens", {"specifier": query("fake/chat"), "inputString": 42})
    warning = llm.warning()
    assert warning["kind"] == "rpcParameterTypeError"
    assert "inputString" in warning["warning"]
    llm.call("countTokens", {"specifier": {"type": "byName", "name": "x"}, "inputString": "a"})
    assert llm.warning()["kind"] == "rpcParameterTypeError"
    llm.call("countTokens")
    assert "missing" in llm.warning()["warning"]
    llm.call("listLoaded", {})  # takes no parameter
    assert "must be absent" in llm.warning()["warning"]
    llm.call("countTokens", {"specifier": query(""), "inputString": "a"})  # identifier length >= 1
    assert llm.warning()["kind"] == "rpcParameterTypeError"
    llm.expect_silence()
    assert len(server.warnings) == 5
    server.warnings.clear()


def test_extra_keys_are_ignored_like_zod(llm: Any) -> None:
    assert llm.result(
        "countTokens", {"specifier": query("fake/chat"), "inputString": "a b", "extra": 1}
    ) == {"tokenCount": 2}


def test_enum_values_are_checked(server: FakeLMStudio, llm: Any) -> None:
    params = predict_params("hi")
    params["predictionConfigStack"]["layers"][0]["layerName"] = "myLayer"
    llm.open("predict", params)
    assert llm.warning()["kind"] == "channelCreationParameterTypeError"
    server.warnings.clear()


def test_missing_tags_of_lone_tagged_objects_are_caught(server: FakeLMStudio, llm: Any) -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {
            "role": "assistant",
            "content": [{"type": "toolCallRequest", "toolCallRequest": {"name": "add"}}],
        },
    ]
    llm.open("predict", predict_params(messages))
    warning = llm.warning()
    assert "`type`" in warning["warning"]
    assert "toolCallRequest" in warning["warning"]
    server.warnings.clear()


def test_channel_errors(server: FakeLMStudio, llm: Any) -> None:
    llm.open("predictEverything")
    assert llm.warning()["kind"] == "channelEndpointUnknown"
    channel = llm.open("predict", predict_params("count to 3"))
    llm.until_end(channel)
    llm.channel_send(channel, {"type": "cancel"})  # crossed the end in flight: ignored
    llm.channel_send(99, {"type": "cancel"})
    assert llm.warning()["kind"] == "channelUnknown"
    server.warnings.clear()


def test_channel_already_open_and_bad_packets(server: FakeLMStudio, llm: Any) -> None:
    server.set_fragment_delay(0.05)
    channel = llm.open("predict", predict_params("count to 100"))
    llm.send(
        {
            "type": "channelCreate",
            "endpoint": "predict",
            "channelId": channel,
            "creationParameter": predict_params("x"),
        }
    )
    assert llm.warning()["kind"] == "channelAlreadyOpen"
    llm.channel_send(channel, {"type": "pause"})
    assert llm.warning()["kind"] == "channelMessageTypeError"
    llm.channel_send(channel, {"type": "cancel"})
    packets = [e["message"] for e in llm.until_end(channel)[:-1]]
    assert packets[-1]["stats"]["stopReason"] == "userStopped"
    assert len(server.warnings) == 2
    server.warnings.clear()


def test_rpc_and_channel_ids_are_separate(llm: Any) -> None:
    call = llm.call("listLoaded")
    channel = llm.open("predict", predict_params("count to 2"))
    assert call == channel == 1
    assert llm.answer(call)["type"] == "rpcResult"
    assert llm.until_end(channel)[-1]["type"] == "channelClose"


def test_ids_from_zero_work(llm: Any) -> None:
    llm.send({"type": "rpcCall", "endpoint": "listLoaded", "callId": 0})
    assert llm.wait_for(lambda m: m.get("callId") == 0)["type"] == "rpcResult"


def test_unimplemented_endpoints_answer_an_error_never_silence(
    server: FakeLMStudio, connect_to: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake answers every non-plugin endpoint: take two handlers away to see the rule.
    from lmstudio.testing._endpoints import CHANNEL_HANDLERS, RPC_HANDLERS

    monkeypatch.delitem(RPC_HANDLERS, ("repository", "installLocalPlugin"))
    monkeypatch.delitem(CHANNEL_HANDLERS, ("repository", "ensureAuthenticated"))
    repository = connect_to(server, "repository")
    error = repository.error("installLocalPlugin", {"pluginPath": "/nowhere"})
    assert error["title"] == "repository/installLocalPlugin is not implemented by the fake server"
    packets, end = repository.stream("ensureAuthenticated")
    assert packets == []
    assert end["type"] == "channelError"
    assert "not implemented by the fake server" in end["error"]["title"]


def test_signals_do_not_exist(server: FakeLMStudio, llm: Any) -> None:
    llm.send({"type": "signalSubscribe", "endpoint": "loaded", "subscribeId": 0})
    assert llm.warning()["kind"] == "signalEndpointUnknown"
    llm.send({"type": "writableSignalSubscribe", "endpoint": "config", "subscribeId": 0})
    assert llm.warning()["kind"] == "writableSignalEndpointUnknown"
    server.warnings.clear()


def test_keep_alive_is_acknowledged(llm: Any) -> None:
    llm.send({"type": "keepAlive"})
    assert json.loads(llm.ws.recv(timeout=TIMEOUT)) == {"type": "keepAliveAck"}


def test_a_void_rpc_answers_without_result(llm: Any) -> None:
    answer = llm.rpc("unloadModel", {"identifier": "fake/chat"})
    assert answer == {"type": "rpcResult", "callId": 1}
    assert llm.result("listLoaded") == []
    assert UNSET is not None


def test_per_test_rpc_and_channel_handlers(server: FakeLMStudio, llm: Any, connect_to: Any) -> None:
    from lmstudio.testing import FakeServerError

    seen: list[Any] = []

    def version(parameter: Any) -> Any:
        seen.append(parameter)
        return {"version": "9.9.9", "build": 7}

    system = connect_to(server, "system")
    with server.handle_rpc("system/version", version):
        assert system.result("version") == {"version": "9.9.9", "build": 7}
    assert seen == [None]
    assert system.result("version")["version"] != "9.9.9"

    async def predict(channel: Any, creation: Any) -> None:
        assert creation["history"]["messages"][0]["content"][0]["text"] == "hi"
        await channel.send(
            {
                "type": "fragment",
                "fragment": {
                    "content": "scripted",
                    "tokensCount": 1,
                    "containsDrafted": False,
                    "reasoningType": "none",
                    "isStructural": False,
                },
            }
        )
        raise FakeServerError("Scripted failure", cause="because")

    with server.handle_channel("predict", predict):
        packets, end = llm.stream("predict", predict_params("hi"))
    assert [p["fragment"]["content"] for p in packets] == ["scripted"]
    assert end["error"]["title"] == "Scripted failure"
    assert end["error"]["cause"] == "because"
    with pytest.raises(ValueError, match="no endpoint"):
        server.handle_rpc("system/versoin", version)
    assert stack() is not None
