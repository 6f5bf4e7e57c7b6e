"""The sans-I/O multiplexer, driven directly: messages in, calls settled, bytes out.

Calls and streams are :class:`~tests._engine.helpers.Recorder` objects, a recording
implementation of the engine's settle interface: a test reads what the multiplexer
pushed, woke and settled, in order (what ``Call`` / ``Stream`` make of that is tested in
``test_call.py`` and ``test_stream.py``).
"""

from __future__ import annotations

import ast
import logging
from typing import Any

import msgspec
import pytest

from lmstudio._engine import multiplexer as multiplexer_module, pool as pool_module
from lmstudio._engine.decoders import decoder_for, packet_kinds
from lmstudio._engine.handler import ChannelHandler
from lmstudio._protocol import models
from lmstudio.errors import (
    LMStudioModelNotFoundError,
    LMStudioProtocolError,
    LMStudioServerError,
    LMStudioTimeoutError,
    LMStudioWebsocketError,
)
from tests.helpers import FinalPacketHandler

from .helpers import Recorder, feed, new_mux, sent

PREDICT_PACKET = models.LlmChannelPredictToClientPacket
PREDICT_DECODER = decoder_for(PREDICT_PACKET)
PREDICT_KINDS = packet_kinds(PREDICT_PACKET)


def fragment(channel_id: int, content: str) -> dict[str, Any]:
    return {
        "type": "channelSend",
        "channelId": channel_id,
        "message": {
            "type": "fragment",
            "fragment": {
                "content": content,
                "tokensCount": 1,
                "containsDrafted": False,
                "reasoningType": "none",
                "isStructural": False,
            },
        },
    }


SUCCESS = {
    "type": "success",
    "stats": {"stopReason": "eosFound"},
    "modelInfo": {
        "type": "llm",
        "modelKey": "m",
        "format": "gguf",
        "displayName": "M",
        "path": "p/m",
        "sizeBytes": 1,
        "identifier": "m",
        "instanceReference": "r",
        "vision": False,
        "trainedForToolUse": False,
        "maxContextLength": 10,
        "contextLength": 10,
    },
    "loadModelConfig": {"fields": []},
    "predictionConfig": {"fields": []},
}


def start_predict(
    mux: Any, handler: ChannelHandler[Any, Any] | None = None, timeout: float | None = None
) -> tuple[Recorder, int]:
    stream = Recorder()
    channel_id = mux.start_channel(
        stream,
        "predict",
        msgspec.Raw(b'{"x":1}'),
        handler or FinalPacketHandler("success"),
        PREDICT_DECODER,
        kinds=PREDICT_KINDS,
        timeout=timeout,
    )
    return stream, channel_id


def rpc(mux: Any, endpoint: str = "listLoaded", **kwargs: Any) -> tuple[Recorder, int]:
    call = Recorder()
    decoder = kwargs.pop("decoder", decoder_for(models.LlmRpcListLoadedReturns))
    call_id = mux.start_rpc(call, endpoint, kwargs.pop("parameter", None), decoder, **kwargs)
    return call, call_id


# --- ids and encoding ------------------------------------------------------------------------


def test_ids_are_two_counters_from_one_per_connection() -> None:
    mux, _ = new_mux()
    _, first = rpc(mux)
    _, second = rpc(mux)
    _, channel = start_predict(mux)
    other, _ = new_mux()
    _, other_first = rpc(other)
    assert (first, second, channel, other_first) == (1, 2, 1, 1)


def test_messages_on_the_wire() -> None:
    mux, _ = new_mux()
    rpc(mux)
    rpc(mux, "countTokens", parameter=msgspec.Raw(b'{"inputString":"a"}'))
    start_predict(mux)
    assert sent(mux) == [
        {"type": "rpcCall", "endpoint": "listLoaded", "callId": 1},
        {
            "type": "rpcCall",
            "endpoint": "countTokens",
            "callId": 2,
            "parameter": {"inputString": "a"},
        },
        {
            "type": "channelCreate",
            "endpoint": "predict",
            "channelId": 1,
            "creationParameter": {"x": 1},
        },
    ]
    assert sent(mux) == []


# --- rpc -------------------------------------------------------------------------------------


def test_results_are_routed_by_call_id_and_decoded() -> None:
    mux, _ = new_mux()
    first, _ = rpc(mux)
    second, _ = rpc(mux, "countTokens", decoder=decoder_for(models.EmbeddingRpcCountTokensReturns))
    feed(mux, {"type": "rpcResult", "callId": 2, "result": {"tokenCount": 7}})
    assert first.log == []
    assert second.log == [("resolve", models.EmbeddingRpcCountTokensReturns(token_count=7))]
    feed(mux, {"type": "rpcResult", "callId": 1, "result": []})
    assert first.log == [("resolve", [])]
    assert mux.in_flight == 0


def test_void_result_and_transform() -> None:
    mux, _ = new_mux()
    void, _ = rpc(mux, "unloadModel", decoder=None)
    shaped, _ = rpc(mux, "countTokens", decoder=None, transform=lambda value: ("seen", value))
    feed(mux, {"type": "rpcResult", "callId": 1}, {"type": "rpcResult", "callId": 2})
    assert void.value is None
    assert shaped.value == ("seen", None)


def test_undecodable_result_is_a_protocol_error() -> None:
    mux, _ = new_mux()
    call, _ = rpc(mux)
    feed(mux, {"type": "rpcResult", "callId": 1, "result": {"not": "a list"}})
    call.error(LMStudioProtocolError, r"llm.listLoaded result could not be decoded")


def test_unreadable_items_of_a_list_result_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    call, _ = rpc(mux)
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, {"type": "rpcResult", "callId": 1, "result": [{"identifier": 3}]})
    assert call.value == []
    assert "skipped 1 of 1" in caplog.records[0].getMessage()


def test_rpc_error_becomes_a_typed_server_error() -> None:
    mux, _ = new_mux()
    plain, _ = rpc(mux)
    missing, _ = rpc(mux)
    feed(
        mux,
        {"type": "rpcError", "callId": 1, "error": {"title": "Boom", "cause": "because"}},
        {
            "type": "rpcError",
            "callId": 2,
            "error": {
                "title": "No model",
                "displayData": {
                    "code": "generic.noModelMatchingQuery",
                    "query": {"identifier": "nope"},
                    "loadedModelsSample": ["m1"],
                    "totalLoadedModels": 1,
                },
            },
        },
    )
    error = plain.error()
    assert type(error) is LMStudioServerError
    assert (error.title, error.cause) == ("Boom", "because")
    missing.error(LMStudioModelNotFoundError, "nope")


def test_unknown_call_id_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    call, _ = rpc(mux)
    with caplog.at_level(logging.DEBUG, "lmstudio"):
        feed(mux, {"type": "rpcResult", "callId": 99, "result": []})
    assert "unknown call 99" in caplog.text
    assert call.log == []


def test_cancelled_call_drops_its_late_answer_quietly(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    call, call_id = rpc(mux)
    mux.cancel_rpc(call_id)
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, {"type": "rpcResult", "callId": call_id, "result": []})
    assert caplog.records == []
    assert call.log == [("cancelled",)]
    assert mux.in_flight == 0


def test_rpc_timeout_then_late_answer_dropped(caplog: pytest.LogCaptureFixture) -> None:
    mux, clock = new_mux()
    call, _ = rpc(mux, timeout=5.0)
    clock.advance(4.9)
    assert call.log == []
    clock.advance(0.2)
    call.error(LMStudioTimeoutError, r"llm.listLoaded: no answer .* within 5 s")
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, {"type": "rpcResult", "callId": 1, "result": []})
    assert caplog.records == []
    assert len(call.log) == 1  # the late answer settled nothing


def test_answered_rpc_cancels_its_timer() -> None:
    mux, clock = new_mux()
    rpc(mux, timeout=5.0)
    feed(mux, {"type": "rpcResult", "callId": 1, "result": []})
    assert clock.pending == []


# --- other server messages -----------------------------------------------------------------


def test_communication_warning_is_logged_as_an_error(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, {"type": "communicationWarning", "warning": "bad rpc"})
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "bad rpc" in record.getMessage()


def test_channel_ack_and_keepalive_ack_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, {"type": "channelAck", "channelId": 1, "ackId": 0}, {"type": "keepAliveAck"})
    assert caplog.records == []


def test_unknown_message_type_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    call, _ = rpc(mux)
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, {"type": "fromTheFuture", "x": 1}, {"type": "fromTheFuture", "x": 2})
        feed(mux, {"type": "rpcResult", "callId": 1, "result": []})
    assert len(caplog.records) == 1
    assert "fromTheFuture" in caplog.text
    assert call.value == []


def test_malformed_message_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    with caplog.at_level(logging.WARNING, "lmstudio"):
        mux.receive(b"{not json")
    assert caplog.records[0].levelno == logging.WARNING


# --- channels --------------------------------------------------------------------------------


def test_channel_packets_become_items_then_the_result() -> None:
    mux, _ = new_mux()
    stream, channel_id = start_predict(mux)
    feed(mux, fragment(channel_id, "a"), fragment(channel_id, "b"))
    feed(mux, {"type": "channelSend", "channelId": channel_id, "message": SUCCESS})
    assert stream.outcome is None
    feed(mux, {"type": "channelClose", "channelId": channel_id})
    items = stream.items
    assert [item.fragment.content for item in items] == ["a", "b"]
    assert isinstance(items[0], models.LlmChannelPredictToClientPacketFragment)
    assert [entry[0] for entry in stream.log] == ["push", "push", "wake", "resolve"]
    assert isinstance(stream.value, models.LlmChannelPredictToClientPacketSuccess)
    assert mux.in_flight == 0


def test_handler_may_return_several_events_or_none() -> None:
    class Doubler(ChannelHandler[str, int]):
        seen = 0

        def packet(self, packet: Any) -> list[str] | None:
            self.seen += 1
            if isinstance(packet, models.LlmChannelPredictToClientPacketSuccess):
                return None
            return [packet.fragment.content, packet.fragment.content.upper()]

        def close(self) -> int:
            return self.seen

    mux, _ = new_mux()
    stream, cid = start_predict(mux, Doubler())
    feed(mux, fragment(cid, "a"), fragment(cid, "b"))
    feed(mux, {"type": "channelSend", "channelId": cid, "message": SUCCESS})
    feed(mux, {"type": "channelClose", "channelId": cid})
    assert stream.log == [
        ("push_many", ["a", "A"]),
        ("push_many", ["b", "B"]),
        ("wake",),
        ("resolve", 3),
    ]


def test_unknown_packet_kind_is_skipped_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    stream, cid = start_predict(mux)
    future = {"type": "channelSend", "channelId": cid, "message": {"type": "hologram", "x": 1}}
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, future, fragment(cid, "a"), future)
    assert len(caplog.records) == 1
    assert "hologram" in caplog.text
    feed(mux, {"type": "channelSend", "channelId": cid, "message": SUCCESS})
    feed(mux, {"type": "channelClose", "channelId": cid})
    assert [item.fragment.content for item in stream.items] == ["a"]


def test_undecodable_known_packet_fails_the_channel_and_cancels_it() -> None:
    mux, _ = new_mux()
    stream, cid = start_predict(mux)
    sent(mux)
    bad = {"type": "channelSend", "channelId": cid, "message": {"type": "fragment", "fragment": 5}}
    feed(mux, fragment(cid, "a"), bad)
    assert [item.fragment.content for item in stream.items] == ["a"]
    stream.error(LMStudioProtocolError, r"llm\.predict packet could not be decoded")
    assert sent(mux) == [{"type": "channelSend", "channelId": cid, "message": {"type": "cancel"}}]
    # Late packets of that channel are dropped quietly until the server ends it.
    feed(mux, fragment(cid, "late"), {"type": "channelClose", "channelId": cid})
    assert mux.in_flight == 0


def test_channel_error_after_items(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    stream, cid = start_predict(mux)
    feed(
        mux,
        fragment(cid, "a"),
        {"type": "channelError", "channelId": cid, "error": {"title": "Model crashed"}},
    )
    assert [item.fragment.content for item in stream.items] == ["a"]
    stream.error(LMStudioServerError, "Model crashed")


def test_close_without_final_packet_fails() -> None:
    mux, _ = new_mux()
    stream, cid = start_predict(mux)
    feed(mux, {"type": "channelClose", "channelId": cid})
    stream.error(LMStudioProtocolError, "without its final packet")


def test_cancel_sends_the_cancel_packet_and_keeps_the_final_value() -> None:
    class Recorder(FinalPacketHandler):
        cancelled = False

        def cancel(self) -> None:
            self.cancelled = True

    handler = Recorder("success")
    mux, _ = new_mux()
    stream, cid = start_predict(mux, handler)
    feed(mux, fragment(cid, "a"))
    sent(mux)
    mux.cancel_channel(cid)
    assert handler.cancelled
    assert sent(mux) == [{"type": "channelSend", "channelId": cid, "message": {"type": "cancel"}}]
    feed(mux, fragment(cid, "b"), {"type": "channelSend", "channelId": cid, "message": SUCCESS})
    feed(mux, {"type": "channelClose", "channelId": cid})
    assert [item.fragment.content for item in stream.items] == ["a"]  # nothing after the cancel
    assert isinstance(stream.value, models.LlmChannelPredictToClientPacketSuccess)


def test_cancel_without_final_value_resolves_cancelled() -> None:
    mux, _ = new_mux()
    stream, cid = start_predict(mux)
    mux.cancel_channel(cid)
    assert stream.outcome is None  # until the server ends it
    feed(mux, {"type": "channelError", "channelId": cid, "error": {"title": "Cancelled"}})
    assert stream.was_cancelled


def test_abandon_when_the_endpoint_has_no_cancel_packet(caplog: pytest.LogCaptureFixture) -> None:
    class NoCancel(ChannelHandler[Any, None]):
        cancel_packet = None

    mux, _ = new_mux()
    stream, cid = start_predict(mux, NoCancel())
    sent(mux)
    mux.cancel_channel(cid)
    assert stream.was_cancelled
    assert sent(mux) == []
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, fragment(cid, "late"), {"type": "channelClose", "channelId": cid})
    assert caplog.records == []
    assert stream.was_cancelled  # settled once
    assert mux.in_flight == 0


def test_channel_inactivity_timeout_cancels_on_the_server() -> None:
    mux, clock = new_mux()
    stream, cid = start_predict(mux, timeout=10.0)
    sent(mux)
    for _ in range(5):  # packets keep a long stream alive
        clock.advance(8.0)
        feed(mux, fragment(cid, "x"))
    assert stream.outcome is None
    clock.advance(10.5)
    assert sent(mux) == [{"type": "channelSend", "channelId": cid, "message": {"type": "cancel"}}]
    assert len(stream.items) == 5
    stream.error(LMStudioTimeoutError, r"llm.predict: nothing received .* for 10 s")


def test_fail_all_fails_everything_with_fresh_errors() -> None:
    mux, clock = new_mux()
    call, _ = rpc(mux, timeout=5)
    stream, cid = start_predict(mux, timeout=5)
    cancelling, cid2 = start_predict(mux)
    mux.cancel_channel(cid2)
    feed(mux, fragment(cid, "a"))
    mux.fail_all(lambda: LMStudioWebsocketError("lost"))
    error = call.error(LMStudioWebsocketError, "lost")
    assert stream.error(LMStudioWebsocketError, "lost") is not error
    assert [item.fragment.content for item in stream.items] == ["a"]
    assert [entry[0] for entry in stream.log] == ["push", "wake", "fail"]
    assert cancelling.was_cancelled
    assert mux.in_flight == 0
    assert clock.pending == []


def test_packets_with_an_ack_id_are_acknowledged() -> None:
    mux, _ = new_mux()
    stream, cid = start_predict(mux)
    sent(mux)
    feed(mux, {**fragment(cid, "a"), "ackId": 4}, fragment(cid, "b"))
    assert sent(mux) == [{"type": "channelAck", "channelId": cid, "ackId": 4}]
    assert [item.fragment.content for item in stream.items] == ["a", "b"]


def test_unknown_channel_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    mux, _ = new_mux()
    with caplog.at_level(logging.WARNING, "lmstudio"):
        feed(mux, fragment(7, "x"))
    assert "unknown channel 7" in caplog.text


def test_send_packet_only_on_live_channels() -> None:
    mux, _ = new_mux()
    _, cid = start_predict(mux)
    sent(mux)
    assert mux.send_packet(cid, msgspec.Raw(b'{"type":"cancel"}'))
    assert sent(mux) == [{"type": "channelSend", "channelId": cid, "message": {"type": "cancel"}}]
    assert not mux.send_packet(cid + 1, msgspec.Raw(b"{}"))


def test_consumer_is_woken_once_per_batch() -> None:
    mux, _ = new_mux()
    stream, cid = start_predict(mux)
    quiet, _ = start_predict(mux)
    # Events arrive but the batch is not over: the consumer is not woken yet.
    for content in "abc":
        mux.receive(_json(fragment(cid, content)))
    assert [entry[0] for entry in stream.log] == ["push", "push", "push"]
    mux.wake_consumers()
    mux.wake_consumers()  # nothing new: no second wake-up
    feed(mux, {"type": "channelSend", "channelId": cid, "message": SUCCESS})
    assert [entry[0] for entry in stream.log] == ["push", "push", "push", "wake"]
    assert quiet.log == []  # a stream that received nothing is not woken


@pytest.mark.parametrize("module", [multiplexer_module, pool_module])
def test_the_engine_settles_through_the_interface_only(module: Any) -> None:
    # Neither the multiplexer nor the pool imports Call or Stream (even for typing).
    with open(module.__file__) as file:
        tree = ast.parse(file.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported.update(alias.name for alias in node.names)
    assert imported.isdisjoint({"call", "stream", "Call", "Stream", "CallSettle", "StreamSink"})
    assert "settle" in imported


def _json(message: dict[str, Any]) -> bytes:
    return msgspec.json.encode(message)
