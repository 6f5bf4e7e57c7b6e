"""``client.system`` administration end to end: info, notify, variants, HTTP server,
shutdown, experiment flags, disconnect notification."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from lmstudio import Client, DownloadedEmbeddingModel, DownloadedLlm, LMStudioInfo
from lmstudio.errors import LMStudioCancelledError, LMStudioServerError
from lmstudio.testing import FakeLMStudio

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

LONG = 20.0  # seconds: what must happen happens well within it


def test_info(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        info = await style.get(client.system.info())
        assert isinstance(info, LMStudioInfo)
        assert info.pid == os.getpid()  # the fake runs in this process
        assert info.is_daemon is False
        version = await style.get(client.system.version())
        assert info.version == version.version

    style.run(body)
    assert server.calls("system/info")[0] == {"type": "rpcCall", "endpoint": "info", "callId": 1}


def test_notify_sends_only_what_was_given(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> None:
        assert await style.get(client.system.notify("Done")) is None
        await style.get(client.system.notify("Saved", "3 files", no_auto_dismiss=True))

    style.run(body)
    assert server.notifications == [
        {"title": "Done"},
        {"title": "Saved", "description": "3 files", "noAutoDismiss": True},
    ]
    assert [call["parameter"] for call in server.calls("system/notify")] == server.notifications


def test_list_downloaded_model_variants(style: Style, client: Client) -> None:
    async def body() -> None:
        (llm,) = await style.get(client.system.list_downloaded_model_variants("fake/chat"))
        assert isinstance(llm, DownloadedLlm) and llm.model_key == "fake/chat"
        (embed,) = await style.get(client.system.list_downloaded_model_variants("fake/embed"))
        assert isinstance(embed, DownloadedEmbeddingModel)
        with pytest.raises(LMStudioServerError, match="no/such"):
            await style.get(client.system.list_downloaded_model_variants("no/such"))

    style.run(body)


def test_http_server_start_and_stop(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        await style.get(client.system.start_http_server())
        assert server.http_server == {"port": 1234, "cors": False, "networkInterface": "127.0.0.1"}
        await style.get(client.system.stop_http_server())
        assert server.http_server is None
        await style.get(
            client.system.start_http_server(port=4321, cors=True, network_interface="0.0.0.0")
        )
        assert server.http_server == {"port": 4321, "cors": True, "networkInterface": "0.0.0.0"}
        await style.get(client.system.stop_http_server())

    style.run(body)
    starts = server.calls("system/startHttpServer")
    assert [call.get("parameter") for call in starts] == [
        {},
        {"port": 4321, "cors": True, "networkInterface": "0.0.0.0"},
    ]
    assert "parameter" not in server.calls("system/stopHttpServer")[0]


def test_request_shutdown(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        assert await style.get(client.system.request_shutdown()) is None

    style.run(body)
    assert server.shutdown_requests == 1


def test_experiment_flags(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        assert await style.get(client.system.get_experiment_flags()) == []
        await style.get(client.system.set_experiment_flag("b-flag"))
        await style.get(client.system.set_experiment_flag("a-flag", True))
        assert await style.get(client.system.get_experiment_flags()) == ["a-flag", "b-flag"]
        await style.get(client.system.set_experiment_flag("b-flag", False))
        assert await style.get(client.system.get_experiment_flags()) == ["a-flag"]

    style.run(body)
    assert server.experiment_flags == {"a-flag"}
    sent = [call["parameter"] for call in server.calls("system/setExperimentFlag")]
    assert sent[:2] == [{"code": "b-flag", "value": True}, {"code": "a-flag", "value": True}]


def test_when_disconnected_resolves_when_the_connection_drops(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> None:
        gone = client.system.when_disconnected()
        await style.get(client.system.version())  # the alive channel is open by now
        assert not gone.done()
        server.drop_connections()  # done on return (the server runs in its own thread)
        assert await style.get(gone) is None

    style.run(body)
    assert len(server.calls("system/alive")) == 1


def test_when_disconnected_cancelled_and_client_closed(server: FakeLMStudio) -> None:
    with Client(server.api_host, timeout=LONG) as client:
        watching = client.system.when_disconnected()
        assert watching.cancel()
        with pytest.raises(LMStudioCancelledError):
            watching.result(LONG)
        pending = client.system.when_disconnected()
        client.system.version().result(LONG)
    with pytest.raises(LMStudioCancelledError):
        pending.result(LONG)  # closing the client is not a lost connection


def test_cancelling_an_open_watch_sends_nothing(server: FakeLMStudio, client: Client) -> None:
    # The alive channel takes no packets, not even a cancel (the server fixture fails the
    # test on the communicationWarning a cancel packet would cause).
    watching = client.system.when_disconnected()
    client.system.version().result(LONG)  # the same socket: the channel is open by now
    assert any(call["endpoint"] == "alive" for call in server.calls())
    assert watching.cancel()
    with pytest.raises(LMStudioCancelledError):
        watching.result(LONG)
    client.system.version().result(LONG)  # anything sent with the cancel has arrived
