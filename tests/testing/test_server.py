"""Lifecycle and entry points: the ``with`` / ``async with`` forms, the greeting probe,
the namespace sockets, restart, dropped connections, the CLI and the pytest fixture."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from lmstudio.testing import FakeLMStudio

from .wire import TIMEOUT, WireClient

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_port_zero_picks_a_free_port_and_api_host_names_it() -> None:
    with FakeLMStudio() as first, FakeLMStudio() as second:
        assert first.port != second.port
        assert first.api_host == f"127.0.0.1:{first.port}"
        assert first.base_url == f"ws://127.0.0.1:{first.port}"


def test_greeting_probe_answers_on_the_websocket_port(server: FakeLMStudio) -> None:
    status, headers, body = _get(f"http://{server.api_host}/lmstudio-greeting")
    assert status == 200
    assert json.loads(body) == {"lmstudio": True}
    assert headers["Content-Type"] == "application/json"


def test_unknown_paths_are_not_found(server: FakeLMStudio) -> None:
    status, _, _ = _get(f"http://{server.api_host}/nope")
    assert status == 404
    with pytest.raises(InvalidStatus) as caught:
        connect(f"ws://{server.api_host}/retrieval", open_timeout=TIMEOUT)
    assert caught.value.response.status_code == 404


@pytest.mark.parametrize(
    "namespace",
    ["llm", "embedding", "system", "files", "repository", "diagnostics", "plugins", "runtime"],
)
def test_every_namespace_has_a_socket(
    server: FakeLMStudio, connect_to: Any, namespace: str
) -> None:
    client = connect_to(server, namespace)
    assert client.auth_result == {"success": True}


def test_state_is_shared_by_every_connection(server: FakeLMStudio, connect_to: Any) -> None:
    first = connect_to(server, "llm", identifier="guest:one", passkey="a")
    second = connect_to(server, "llm", identifier="guest:two", passkey="b")
    first.result("unloadModel", {"identifier": "fake/chat"})
    assert [m["identifier"] for m in second.result("listLoaded")] == []


def test_async_form_runs_on_the_callers_loop(violations: list[str]) -> None:
    async def main() -> list[Any]:
        async with FakeLMStudio() as server:
            assert server._thread is None
            async with async_connect(f"ws://{server.api_host}/system") as ws:
                await ws.send(
                    json.dumps(
                        {"authVersion": 1, "clientIdentifier": "guest:a", "clientPasskey": "p"}
                    )
                )
                auth = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                await ws.send(json.dumps({"type": "rpcCall", "endpoint": "version", "callId": 1}))
                answer = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                await server.drop_connections()
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
            return [auth, answer]

    auth, answer = asyncio.run(main())
    assert auth == {"success": True}
    assert answer["result"]["version"].count(".") == 2


def test_restart_keeps_the_port_and_resets_models(server: FakeLMStudio, connect_to: Any) -> None:
    port = server.port
    before = connect_to(server, "llm")
    before.result("unloadModel", {"identifier": "fake/chat"})
    server.restart()
    with pytest.raises(ConnectionClosed):
        before.ws.recv(timeout=TIMEOUT)
    assert server.port == port
    after = connect_to(server, "llm")
    assert [m["identifier"] for m in after.result("listLoaded")] == ["fake/chat"]


def test_drop_connections_closes_every_socket_and_keeps_listening(
    server: FakeLMStudio, connect_to: Any
) -> None:
    clients = [connect_to(server, ns) for ns in ("llm", "system")]
    server.drop_connections()
    for client in clients:
        with pytest.raises(ConnectionClosed):
            client.ws.recv(timeout=TIMEOUT)
        assert client.ws.close_code == 1001
    assert connect_to(server, "llm").result("listLoaded")


def test_drop_connections_can_abort(server: FakeLMStudio, connect_to: Any) -> None:
    client = connect_to(server, "llm")
    server.drop_connections(abort=True)
    with pytest.raises(ConnectionClosed):
        client.ws.recv(timeout=TIMEOUT)
    assert client.ws.close_code == 1006  # no closing handshake


def test_stop_is_clean_and_idempotent() -> None:
    server = FakeLMStudio().start()
    port = server.port
    server.stop()
    server.stop()
    with pytest.raises(OSError):
        connect(f"ws://127.0.0.1:{port}/llm", open_timeout=TIMEOUT)


def test_load_model_and_loaded_models_control_the_state(
    server: FakeLMStudio, connect_to: Any
) -> None:
    assert server.loaded_models() == ["fake/chat", "fake/embed"]
    assert server.load_model("fake/chat") == "fake/chat:2"
    server.unload_model("fake/embed")
    client = connect_to(server, "llm")
    assert [m["identifier"] for m in client.result("listLoaded")] == ["fake/chat", "fake/chat:2"]


def test_cli_prints_its_address_serves_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, violations: list[str]
) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([{"type": "llm", "modelKey": "acme/tiny", "loaded": True}]))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lmstudio.testing",
            "--port",
            "0",
            "--catalog",
            str(catalog),
            "--fragments-per-second",
            "1000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Fake LM Studio listening on 127.0.0.1:"), line
        api_host = line.split()[-1]
        client = WireClient(api_host, "llm", violations)
        assert [m["identifier"] for m in client.result("listLoaded")] == ["acme/tiny"]
        client.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)


def test_cli_reports_a_bad_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([{"type": "robot", "modelKey": "x"}]))
    done = subprocess.run(
        [sys.executable, "-m", "lmstudio.testing", "--catalog", str(catalog)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=TIMEOUT * 3,
    )
    assert done.returncode == 1
    assert "'type' must be 'llm' or 'embedding'" in done.stderr


pytest_plugins = ["pytester"]


def test_pytest_fixture_serves_and_takes_marker_arguments(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["lmstudio.testing.pytest_plugin"]')
    pytester.makepyfile(
        """
        import pytest

        def test_default(fake_lmstudio):
            assert fake_lmstudio.api_host.startswith("127.0.0.1:")
            assert "fake/chat" in fake_lmstudio.loaded_models()

        @pytest.mark.fake_lmstudio(catalog=[{"type": "llm", "modelKey": "a/b", "loaded": True}])
        def test_marker(fake_lmstudio):
            assert fake_lmstudio.loaded_models() == ["a/b"]
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
