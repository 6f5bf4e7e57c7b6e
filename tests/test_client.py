"""``Client`` end to end, over real loopback sockets to the fake LM Studio."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lmstudio import LLM, USE_CLIENT_DEFAULT, Client, ClientState
from lmstudio._engine.stream import Stream
from lmstudio._protocol import models
from lmstudio._protocol.endpoints import Channel, Rpc, llm as llm_api
from lmstudio.errors import (
    LMStudioCancelledError,
    LMStudioClientError,
    LMStudioModelNotFoundError,
    LMStudioRuntimeError,
    LMStudioServerError,
    LMStudioTimeoutError,
    LMStudioValueError,
    LMStudioWebsocketError,
)
from lmstudio.testing import FakeLMStudio
from tests.helpers import FinalPacketHandler

ROOT = Path(__file__).resolve().parents[1]
Prediction = Stream[models.LlmChannelPredictToClientPacket, Any]


SUCCESS_PACKET = {
    "type": "success",
    "stats": {"stopReason": "userStopped"},
    "modelInfo": {
        "type": "llm",
        "modelKey": "fake/chat",
        "format": "gguf",
        "displayName": "Fake",
        "path": "fake/chat",
        "sizeBytes": 1,
        "identifier": "fake/chat",
        "instanceReference": "r",
        "vision": False,
        "trainedForToolUse": False,
        "maxContextLength": 10,
        "contextLength": 10,
    },
    "loadModelConfig": {"fields": []},
    "predictionConfig": {"fields": []},
}


def predict(client: Client, text: str, **kwargs: Any) -> Prediction:
    """A raw ``llm/predict`` channel: packets as items, the ``success`` packet as result."""
    creation = {
        "modelSpecifier": {"type": "query", "query": {"identifier": "fake/chat"}},
        "history": {"messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]},
        "predictionConfigStack": {"layers": []},
    }
    return client._session.channel(
        llm_api.PREDICT, creation, handler=FinalPacketHandler("success"), **kwargs
    )


def contents(items: list[Any]) -> list[str]:
    return [
        item.fragment.content
        for item in items
        if isinstance(item, models.LlmChannelPredictToClientPacketFragment)
    ]


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def client(fake_lmstudio: FakeLMStudio) -> Iterator[Client]:
    with Client(fake_lmstudio.api_host) as client:
        yield client
    assert fake_lmstudio.warnings == []


# --- one method, every way of consuming it --------------------------------------------------


def test_rpc_block_await_cancel(client: Client, fake_lmstudio: FakeLMStudio, ms: float) -> None:
    (model,) = client.llm.list_loaded().result(5000 * ms)
    assert isinstance(model.model_info, models.LlmInstanceInfo)
    assert model.identifier == "fake/chat"

    async def main() -> list[LLM]:
        return await client.llm.list_loaded()

    assert asyncio.run(main()) == [model]
    with fake_lmstudio.faults.delay("listLoaded", 5000 * ms):
        call = client.llm.list_loaded()
        assert call.cancel()
        with pytest.raises(LMStudioCancelledError):
            call.result()
    assert client.llm.list_loaded().result(5000 * ms) == [model]


def test_stream_iterate_await_result_cancel(client: Client, ms: float) -> None:
    stream = predict(client, "count to 5")
    assert contents(list(stream)) == ["1", " 2", " 3", " 4", " 5"]
    assert stream.result(5000 * ms).stats.stop_reason == "eosFound"
    # The result, without iterating.
    assert predict(client, "count to 3").result(5000 * ms).stats.stop_reason == "eosFound"

    async def main() -> tuple[list[Any], Any, Any]:
        stream = predict(client, "count to 4")
        items = [item async for item in stream]
        return items, await stream, await predict(client, "count to 2")

    items, result, other = asyncio.run(main())
    assert contents(items) == ["1", " 2", " 3", " 4"]
    assert result.stats.stop_reason == other.stats.stop_reason == "eosFound"


def test_cancel_mid_stream(client: Client, fake_lmstudio: FakeLMStudio, ms: float) -> None:
    fake_lmstudio.set_fragment_delay(2 * ms)
    stream = predict(client, "count to 100000")
    received = []
    for item in stream:
        if isinstance(item, models.LlmChannelPredictToClientPacketFragment):
            received.append(item.fragment.content)
            if len(received) == 3:
                assert stream.cancel()
    assert received == ["1", " 2", " 3"]
    # The server still ends a cancelled prediction with its final value.
    assert stream.result(5000 * ms).stats.stop_reason == "userStopped"
    sends = [r.message for r in fake_lmstudio.received if r.message.get("type") == "channelSend"]
    assert sends == [{"type": "channelSend", "channelId": 1, "message": {"type": "cancel"}}]


def test_cancel_mid_stream_async(client: Client, fake_lmstudio: FakeLMStudio, ms: float) -> None:
    fake_lmstudio.set_fragment_delay(2 * ms)

    async def main() -> tuple[int, Any]:
        stream = predict(client, "count to 100000")
        count = 0
        async for item in stream:
            if isinstance(item, models.LlmChannelPredictToClientPacketFragment):
                count += 1
                if count == 2:
                    stream.cancel()
        return count, await stream

    count, result = asyncio.run(main())
    assert count == 2
    assert result.stats.stop_reason == "userStopped"


def test_blocking_inside_a_running_event_loop(client: Client, ms: float) -> None:
    # Jupyter runs user code inside its event loop: blocking there is allowed, since
    # the engine runs on its own thread.
    async def main() -> str:
        version = client.system.version().result(5000 * ms)
        items = list(predict(client, "count to 2"))
        return f"{version.version} {len(contents(items))}"

    assert asyncio.run(main()).endswith(" 2")


def test_features_can_send_packets_on_a_channel(
    client: Client, fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    async def echo(channel: Any, creation: Any) -> None:
        packet = await channel.receive()
        assert packet == {"type": "cancel"}
        await channel.send(SUCCESS_PACKET)

    with fake_lmstudio.handle_channel("llm/predict", echo):
        stream = predict(client, "hi")
        client._session.send(llm_api.PREDICT, stream, {"type": "cancel"})
        assert stream.result(5000 * ms).stats.stop_reason == "userStopped"
        # Once the channel ended, a packet is dropped (the stream already says how it ended).
        client._session.send(llm_api.PREDICT, stream, {"type": "cancel"})
        assert client.system.version().result(5000 * ms)


class CountingStream(Stream[Any, Any]):
    """A feature's stream subclass: extra accessors over the same items."""

    __slots__ = ()

    @property
    def described(self) -> str:
        return f"counting {self._description}"


def test_channel_returns_the_requested_stream_class(client: Client, ms: float) -> None:
    stream = predict(client, "count to 3", stream_class=CountingStream)
    assert type(stream) is CountingStream
    assert stream.described == "counting llm.predict"
    assert len(contents(list(stream))) == 3
    assert isinstance(stream.result(5000 * ms), models.LlmChannelPredictToClientPacketSuccess)
    assert type(predict(client, "hi")) is Stream


def test_server_error_traceback_ends_in_the_caller(
    client: Client, fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    with fake_lmstudio.faults.fail("version", title="Boom"):
        call = client.system.version()
        try:
            call.result(5000 * ms)
        except LMStudioServerError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            assert exc.__cause__ is None and exc.__context__ is None
        else:
            pytest.fail("no error")
    assert [Path(f.filename).name for f in frames] == ["test_client.py", "call.py"]


# --- concurrency ---------------------------------------------------------------------------------


def test_200_calls_from_8_threads_share_one_connection(
    client: Client, fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    barrier = threading.Barrier(8)

    def work() -> list[str]:
        barrier.wait(5000 * ms)  # first use of the namespace, from 8 threads at once
        calls = [client.llm.list_loaded() for _ in range(25)]
        return [c.result(10_000 * ms)[0].identifier for c in calls]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = [f.result(20_000 * ms) for f in [pool.submit(work) for _ in range(8)]]
    assert results == [["fake/chat"] * 25] * 8
    llm = [r.message for r in fake_lmstudio.received if r.namespace == "llm"]
    assert sum("authVersion" in m for m in llm) == 1  # one connection
    call_ids = [m["callId"] for m in llm if m.get("type") == "rpcCall"]
    assert sorted(call_ids) == list(range(1, 201))


def test_200_calls_from_one_event_loop(client: Client, ms: float) -> None:
    async def main() -> list[list[models.LlmInstanceInfo]]:
        return await asyncio.wait_for(
            asyncio.gather(*(client.llm.list_loaded() for _ in range(200))), 20_000 * ms
        )

    results = asyncio.run(main())
    assert len(results) == 200 and all(r[0].identifier == "fake/chat" for r in results)


def test_two_event_loops_in_two_threads_share_one_client(client: Client, ms: float) -> None:
    async def main(n: int) -> tuple[int, list[str]]:
        calls = await asyncio.gather(*(client.llm.list_loaded() for _ in range(50)))
        stream = predict(client, f"count to {n}")
        items = [item async for item in stream]
        await stream
        return len(calls), contents(items)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        a = pool.submit(asyncio.run, main(3))
        b = pool.submit(asyncio.run, main(4))
        assert a.result(20_000 * ms) == (50, ["1", " 2", " 3"])
        assert b.result(20_000 * ms) == (50, ["1", " 2", " 3", " 4"])


def test_futures_compose(client: Client, fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with fake_lmstudio.faults.delay("version", 200 * ms):
        slow = client.system.version()
        fast = client.llm.list_loaded()
        both: list[concurrent.futures.Future[Any]] = [slow, fast]
        first = next(concurrent.futures.as_completed(both, 5000 * ms))
        assert first is fast
        done, _ = concurrent.futures.wait(both, 5000 * ms)
        assert done == {slow, fast}


# --- timeouts -----------------------------------------------------------------------------------


def test_rpc_timeout_client_default_and_per_call(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with Client(fake_lmstudio.api_host, timeout=100 * ms) as client:
        assert client.timeout == pytest.approx(100 * ms)
        with fake_lmstudio.faults.silence("listLoaded"):
            with pytest.raises(LMStudioTimeoutError, match=r"llm\.listLoaded: no answer"):
                client.llm.list_loaded().result(5000 * ms)
            with pytest.raises(LMStudioTimeoutError):
                client.llm.list_loaded(timeout=50 * ms).result(5000 * ms)
        # A longer per-call timeout than the client's.
        with fake_lmstudio.faults.delay("listLoaded", 200 * ms):
            assert client.llm.list_loaded(timeout=5000 * ms).result(5000 * ms)
        with fake_lmstudio.faults.delay("listLoaded", 50 * ms):
            assert client.llm.list_loaded(timeout=None).result(5000 * ms)


def test_stream_timeout_cancels_on_the_server(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with Client(fake_lmstudio.api_host, timeout=400 * ms) as client:
        fake_lmstudio.set_fragment_delay(20 * ms)  # slower than the timeout overall, not per packet
        assert len(contents(list(predict(client, "count to 30")))) == 30
        fake_lmstudio.set_fragment_delay(0)
        with fake_lmstudio.faults.silence("predict"):
            stream = predict(client, "count to 3")
            with pytest.raises(LMStudioTimeoutError, match="nothing received"):
                list(stream)
        assert wait_until(
            lambda: any(
                r.message.get("message") == {"type": "cancel"} for r in fake_lmstudio.received
            ),
            5000 * ms,
        )
        assert client.llm.list_loaded().result(5000 * ms)


def test_timeout_must_be_positive() -> None:
    with pytest.raises(LMStudioValueError):
        Client("localhost:1234", timeout=0)
    with pytest.raises(LMStudioValueError):
        Client("localhost:1234")._session.rpc(llm_api.LIST_LOADED, timeout=-1)


# --- errors ------------------------------------------------------------------------------------


def test_server_errors_are_typed(client: Client, fake_lmstudio: FakeLMStudio, ms: float) -> None:
    with (
        fake_lmstudio.faults.fail("version", title="Boom", cause="because", suggestion="retry"),
        pytest.raises(LMStudioServerError) as info,
    ):
        client.system.version().result(5000 * ms)
    assert (info.value.title, info.value.cause, info.value.suggestion) == (
        "Boom",
        "because",
        "retry",
    )
    assert str(info.value) == "Boom\n  Cause: because\n  Suggestion: retry"
    missing = client._session.rpc(
        llm_api.GET_MODEL_INFO,
        {"specifier": {"type": "query", "query": {"identifier": "nope"}}, "throwIfNotFound": True},
    )
    with pytest.raises(LMStudioModelNotFoundError, match="nope"):
        missing.result(5000 * ms)
    with (
        fake_lmstudio.faults.fail("predict", title="Model crashed"),
        pytest.raises(LMStudioServerError, match="Model crashed"),
    ):
        list(predict(client, "count to 3"))


def test_what_type_checkers_cannot_see_raises_at_once(
    client: Client, fake_lmstudio: FakeLMStudio
) -> None:
    """Wrong endpoints and parameters fail in the caller, before anything is sent."""
    # With the generated descriptors a misspelt endpoint is an AttributeError (and a mypy
    # error); what is left for run time: untyped callers, hand-made descriptors, dicts.
    session = client._session
    with pytest.raises(AttributeError):
        llm_api.NOPE  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(LMStudioValueError, match="expected an endpoint descriptor"):
        session.rpc("llm", "listLoaded")  # type: ignore[call-overload]  # the old spelling
    with pytest.raises(LMStudioValueError, match="no endpoint llm/nope"):
        session.rpc(Rpc("llm", "nope"))
    with pytest.raises(LMStudioValueError, match="<channel llm/predict> is a channel, not an rpc"):
        session.rpc(llm_api.PREDICT)  # type: ignore[call-overload]
    with pytest.raises(LMStudioValueError, match="llm/predict is a channel, not an rpc"):
        session.rpc(Rpc("llm", "predict"))
    with pytest.raises(LMStudioValueError, match="<rpc llm/countTokens> is an rpc, not a channel"):
        session.channel(llm_api.COUNT_TOKENS, None)  # type: ignore[arg-type]
    with pytest.raises(LMStudioValueError, match="no endpoint system/nope"):
        session.channel(Channel("system", "nope"), None)
    # a struct of another endpoint's type (a cast or Any hid it from mypy)
    wrong: Any = models.RpcUnloadModelParameter(identifier="fake/chat")
    with pytest.raises(
        LMStudioValueError,
        match=r"the llm\.countTokens parameter is RpcTokenizeParameter, not RpcUnloadModelParameter",
    ):
        session.rpc(llm_api.COUNT_TOKENS, wrong)
    with pytest.raises(LMStudioValueError, match=r"the llm\.predict creation_parameter is"):
        session.channel(llm_api.PREDICT, wrong)
    with pytest.raises(LMStudioValueError, match=r"cannot encode the llm\.countTokens parameter"):
        session.rpc(llm_api.COUNT_TOKENS, {"x": object()})
    # nothing of that was sent; a good call afterwards is the only one the server saw
    assert [info.identifier for info in session.rpc(llm_api.LIST_LOADED).result(10)]
    assert [call["endpoint"] for call in fake_lmstudio.calls()] == ["listLoaded"]


def test_unreachable_host(ms: float) -> None:
    with (
        Client("127.0.0.1:1") as client,
        pytest.raises(
            LMStudioClientError, match=r"not reachable at 127\.0\.0\.1:1; is it running"
        ) as info,
    ):
        client.system.version().result(5000 * ms)
    assert isinstance(info.value, LMStudioWebsocketError)
    assert isinstance(info.value.__cause__, OSError)


def test_connection_drop_mid_stream_fails_everything_in_flight(
    client: Client, fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    fake_lmstudio.set_fragment_delay(5 * ms)
    assert client.llm.list_loaded().result(5000 * ms)  # the connection is open
    with fake_lmstudio.faults.silence("listLoaded"):
        waiting = client.llm.list_loaded()
        with fake_lmstudio.faults.drop_connection_after("predict", packets=5):
            stream = predict(client, "count to 1000")
            items = []
            with pytest.raises(LMStudioWebsocketError, match=r"was lost|closed the connection"):
                for item in stream:
                    items.append(item)
    assert len(items) == 5
    with pytest.raises(LMStudioWebsocketError):
        waiting.result(5000 * ms)
    # The next use of the namespace opens a new connection.
    assert client.llm.list_loaded().result(5000 * ms)


def test_server_restart_then_reconnect(
    client: Client, fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    assert client.system.version().result(5000 * ms)
    fake_lmstudio.restart()
    deadline = time.monotonic() + 5000 * ms
    while True:  # the first call after the restart may still meet the old socket
        try:
            assert client.system.version().result(5000 * ms)
            break
        except LMStudioWebsocketError:
            assert time.monotonic() < deadline


# --- lifecycle ------------------------------------------------------------------------------------


def test_close_is_idempotent_and_final(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    client = Client(fake_lmstudio.api_host)
    assert client.state in {ClientState.UNOPENED}
    assert client.api_host == fake_lmstudio.api_host
    client.system.version().result(5000 * ms)
    assert client.state in {ClientState.OPENED}
    client.close()
    client.close()
    assert client.state in {ClientState.CLOSED}
    with pytest.raises(LMStudioRuntimeError, match="closed"):
        client.system.version()
    with pytest.raises(LMStudioRuntimeError), client:
        pass


@pytest.mark.parametrize("how", ["close", "aclose"])
def test_close_cancels_what_is_in_flight(fake_lmstudio: FakeLMStudio, ms: float, how: str) -> None:
    client = Client(fake_lmstudio.api_host)
    fake_lmstudio.set_fragment_delay(5 * ms)
    with fake_lmstudio.faults.silence("listLoaded"):
        call = client.llm.list_loaded()
        stream = predict(client, "count to 100000")
        next(stream)
        if how == "close":
            client.close()
        else:
            asyncio.run(client.aclose())
    assert client.state is ClientState.CLOSED
    with pytest.raises(LMStudioCancelledError, match="the client was closed"):
        call.result(5000 * ms)
    with pytest.raises(LMStudioCancelledError):
        stream.result(5000 * ms)


def test_a_server_started_either_way_and_a_client_closed_either_way(ms: float) -> None:
    # FakeLMStudio.start()/astart() share one implementation, as Client.close()/aclose().
    with FakeLMStudio() as server:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        client = Client(server.api_host)
        assert client.system.version().result(5000 * ms)  # the refusal left it running
        client.close()

    async def main() -> None:
        async with FakeLMStudio() as server:
            with pytest.raises(RuntimeError, match="already running"):
                await server.astart()
            with pytest.raises(RuntimeError, match="already running"):
                server.start()  # not from another thread either
            async with Client(server.api_host) as client:
                assert await client.system.version()
        assert client.state is ClientState.CLOSED
        server.start()  # stopped: it can start again, in its own thread this time
        try:
            async with Client(server.api_host) as client:
                assert await client.system.version()
        finally:
            server.stop()

    asyncio.run(main())


def test_close_on_the_engine_thread_is_refused_and_changes_nothing(
    fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    client = Client(fake_lmstudio.api_host)
    client.system.version().result(5000 * ms)
    refused: concurrent.futures.Future[BaseException | None] = concurrent.futures.Future()

    def close_there() -> None:
        try:
            client.close()
        except BaseException as exc:
            refused.set_result(exc)
        else:
            refused.set_result(None)

    assert client._session._engine is not None
    client._session._engine.submit(close_there)
    assert isinstance(refused.result(5000 * ms), LMStudioRuntimeError)
    assert client.state is ClientState.OPENED
    assert client.system.version().result(5000 * ms)  # still usable
    client.close()
    assert client.state is ClientState.CLOSED


def test_close_racing_with_submissions_leaves_no_call_hanging(
    fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    client = Client(fake_lmstudio.api_host)
    client.system.version().result(5000 * ms)
    calls: list[Any] = []
    started = threading.Barrier(5)

    def hammer() -> None:
        started.wait(5000 * ms)
        while True:
            try:
                calls.append(client.llm.list_loaded())
            except LMStudioRuntimeError:
                return

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait(5000 * ms)
    time.sleep(20 * ms)
    client.close()
    for thread in threads:
        thread.join(5000 * ms)
    assert calls
    for call in calls:  # each one answered or cancelled, none left hanging
        with contextlib.suppress(LMStudioCancelledError):
            call.result(5000 * ms)


def test_async_with_and_aclose(fake_lmstudio: FakeLMStudio) -> None:
    async def main() -> Client:
        async with Client(fake_lmstudio.api_host) as client:
            assert await client.system.version()
        await client.aclose()
        return client

    assert asyncio.run(main()).state is ClientState.CLOSED


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts sockets in /proc")
@pytest.mark.parametrize("how", ["close", "aclose"])
def test_nothing_left_behind_after_close(how: str) -> None:
    # In a fresh interpreter: the engine is process-wide, so the check needs a process
    # where nothing else uses it.
    done = run_script(
        """
        import asyncio, os, sys, threading, time
        from lmstudio import Client
        from lmstudio._protocol.endpoints import llm as llm_api
        from tests.helpers import FinalPacketHandler
        from lmstudio.testing import FakeLMStudio

        def sockets():
            return sum(os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
                       for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}"))

        def settled(condition):
            deadline = time.monotonic() + 10
            while not condition() and time.monotonic() < deadline:
                time.sleep(0.01)
            return condition()

        with FakeLMStudio() as server:
            threads, before = set(threading.enumerate()), sockets()
            client = Client(server.api_host)
            client.llm.list_loaded().result(10)
            creation = {
                "modelSpecifier": {"type": "query", "query": {"identifier": "fake/chat"}},
                "history": {"messages": [{"role": "user", "content": [{"type": "text", "text": "count to 3"}]}]},
                "predictionConfigStack": {"layers": []},
            }
            list(client._session.channel(llm_api.PREDICT, creation, handler=FinalPacketHandler("success")))
            ran = threading.Event()
            client.system.version().add_done_callback(lambda _: ran.set())
            assert ran.wait(10)
            assert {t.name for t in threading.enumerate()} >= {"lmstudio-engine", "lmstudio-callbacks"}
            engine = client._session._engine
            assert sockets() > before
            if sys.argv[1] == "close":
                client.close()
            else:
                asyncio.run(client.aclose())
            assert set(threading.enumerate()) == threads, threading.enumerate()
            assert engine.loop.is_closed()
            assert settled(lambda: sockets() == before), (sockets(), before)
        print("ok")
        """,
        how,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


def test_one_engine_thread_for_many_clients(fake_lmstudio: FakeLMStudio, ms: float) -> None:
    clients = [Client(fake_lmstudio.api_host) for _ in range(3)]
    try:
        for client in clients:
            client.system.version().result(5000 * ms)
        engines = {id(client._session._engine) for client in clients}
        assert len(engines) == 1
        assert sum(t.name == "lmstudio-engine" for t in threading.enumerate()) == 1
    finally:
        for client in clients:
            client.close()


def run_script(
    source: str, *args: str, timeout: float = 60, warnings_are_errors: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flags = ["-X", "dev", *(["-W", "error"] if warnings_are_errors else [])]
    return subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(source), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def test_interpreter_exits_cleanly_without_close(fake_lmstudio: FakeLMStudio) -> None:
    fake_lmstudio.set_fragment_delay(0.01)
    done = run_script(
        """
        import sys
        from lmstudio import Client
        from lmstudio._protocol.endpoints import llm as llm_api
        from tests.helpers import FinalPacketHandler

        client = Client(sys.argv[1])
        client.llm.list_loaded().result(10)
        creation = {
            "modelSpecifier": {"type": "query", "query": {"identifier": "fake/chat"}},
            "history": {"messages": [{"role": "user", "content": [{"type": "text", "text": "count to 100000"}]}]},
            "predictionConfigStack": {"layers": []},
        }
        stream = client._session.channel(llm_api.PREDICT, creation, handler=FinalPacketHandler("success"))
        next(stream)
        client.system.version()  # in flight at exit
        print("bye")
        """,
        fake_lmstudio.api_host,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "bye\n", "")


def test_clients_left_open_or_closed_after_the_engine_exit_quietly(
    fake_lmstudio: FakeLMStudio,
) -> None:
    # -W error: any warning at exit (an un-awaited coroutine...) goes to stderr. The
    # default client's and this client's exit hooks are registered before the engine's
    # (imported on first use), so they run after it stopped.
    done = run_script(
        """
        import atexit, sys
        import lmstudio as lms
        from lmstudio import Client

        lms.configure_default_client(sys.argv[1])
        model = lms.llm().result(10)  # the default client's exit hook, then the engine's
        client = Client(sys.argv[1])
        atexit.register(client.close)
        other = Client(sys.argv[1])
        assert client.llm.list_loaded().result(10)
        assert other.system.version().result(10)
        assert model.respond("count to 2").result(10).content
        print("bye")
        """,
        fake_lmstudio.api_host,
        warnings_are_errors=True,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "bye\n", "")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_fresh_engine(fake_lmstudio: FakeLMStudio) -> None:
    done = run_script(
        """
        import os, sys, warnings
        from lmstudio import Client

        # Python 3.12+ warns about forking with threads; the engine thread is why the
        # at-fork hook exists.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        client = Client(sys.argv[1])
        client.system.version().result(10)
        pid = os.fork()
        if pid == 0:
            code = 0 if client.llm.list_loaded().result(10) else 1
            client.close()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert client.llm.list_loaded().result(10)
        client.close()
        print("ok")
        """,
        fake_lmstudio.api_host,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


def test_use_client_default_is_not_none() -> None:
    assert USE_CLIENT_DEFAULT is not None
    assert repr(USE_CLIENT_DEFAULT) == "USE_CLIENT_DEFAULT"
