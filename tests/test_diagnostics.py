"""``client.diagnostics.stream_logs()`` end to end: typed events, cancel, no timeout."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from lmstudio import Client, DiagnosticsLogEvent, PredictionInputLogData
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client


def test_stream_logs_sees_predictions_until_cancelled(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> None:
        model = await style.get(client.llm.model("fake/chat"))
        logs = client.diagnostics.stream_logs()
        # the channel is open once the server recorded it; then predict twice
        deadline = time.monotonic() + 10
        while not server.calls("diagnostics/streamLogs") and time.monotonic() < deadline:
            time.sleep(0.01)
        await style.get(model.respond("first"))
        await style.get(model.respond("second"))
        seen: list[DiagnosticsLogEvent] = []
        async for event in style.iterate(logs):
            seen.append(event)
            if len(seen) == 2:
                logs.cancel()
        assert len(seen) == 2
        for event, text in zip(seen, ("first", "second"), strict=True):
            assert isinstance(event.data, PredictionInputLogData)
            assert event.data.model_identifier == "fake/chat"
            assert text in event.data.input
            assert event.timestamp > 1.7e12  # milliseconds since the epoch
        assert await style.get(logs) is None  # LM Studio confirmed the stop

    style.run(body)
    channel_id = server.calls("diagnostics/streamLogs")[0]["channelId"]
    sends = [
        m.message
        for m in server.received
        if m.namespace == "diagnostics" and m.message.get("type") == "channelSend"
    ]
    assert sends == [{"type": "channelSend", "channelId": channel_id, "message": {"type": "stop"}}]


def test_stream_logs_has_no_inactivity_timeout(server: FakeLMStudio) -> None:
    with Client(server.api_host, timeout=0.2) as client, client.diagnostics.stream_logs() as logs:
        time.sleep(0.6)  # three client timeouts without a log event
        assert not logs.done()
        client.llm.model("fake/chat").result(10).respond("late").result(10)
        event = next(iter(logs))
        assert isinstance(event.data, PredictionInputLogData) and "late" in event.data.input
