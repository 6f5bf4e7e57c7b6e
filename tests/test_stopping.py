"""Stopping work: Ctrl-C while blocked, ``break``, and streams nobody references (issue 15, 9).

LM Studio must never keep generating for a caller that is gone. Each test runs over a
real loopback socket to the fake server and checks that the server received the
prediction's cancel packet.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from lmstudio import Client, LMStudioCancelledError
from lmstudio.testing import FakeLMStudio

pytest_plugins = ["tests.styles"]  # server, client

LONG_PROMPT = "count to 10000"


def cancels(server: FakeLMStudio) -> int:
    """How many ``{"type": "cancel"}`` packets the server received."""
    return sum(
        1
        for r in list(server.received)
        if r.message.get("type") == "channelSend"
        and isinstance(r.message.get("message"), dict)
        and r.message["message"].get("type") == "cancel"
    )


def wait_for_cancel(server: FakeLMStudio, count: int = 1, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while cancels(server) < count:
        assert time.monotonic() < deadline, "the server never received the cancel packet"
        time.sleep(0.005)


@pytest.fixture
def slow(server: FakeLMStudio) -> Iterator[FakeLMStudio]:
    server.set_fragment_delay(0.005)  # 10,000 numbers take far longer than any test
    yield server


def interrupt_main_soon(delay: float) -> threading.Timer:
    """SIGINT to the main thread after ``delay`` s (a Ctrl-C, as the terminal sends it)."""
    main = threading.main_thread().ident
    assert main is not None and threading.get_ident() == main
    timer = threading.Timer(delay, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_during_result_cancels_the_prediction(client: Client, slow: FakeLMStudio) -> None:
    model = client.llm.model().result(10)
    call = model.respond(LONG_PROMPT)
    timer = interrupt_main_soon(0.1)
    with pytest.raises(KeyboardInterrupt):
        call.result(30)
    timer.join()
    wait_for_cancel(slow)
    assert call.result(10).stop_reason == "userStopped"


def test_ctrl_c_while_iterating_cancels_the_stream(client: Client, slow: FakeLMStudio) -> None:
    model = client.llm.model().result(10)
    stream = model.respond_stream(LONG_PROMPT)
    seen = 0
    timer = interrupt_main_soon(0.1)
    with pytest.raises(KeyboardInterrupt):
        for _ in stream:
            seen += 1
    timer.join()
    assert seen > 0
    wait_for_cancel(slow)
    assert stream.result(10).stop_reason == "userStopped"


def test_ctrl_c_during_an_rpc_result_cancels_the_call(client: Client, server: FakeLMStudio) -> None:
    with server.faults.delay("version", 5.0):
        call = client.system.version()
        timer = interrupt_main_soon(0.05)
        with pytest.raises(KeyboardInterrupt):
            call.result(30)
        timer.join()
    assert call.cancelled()
    with pytest.raises(LMStudioCancelledError):
        call.result(1)


def test_break_out_of_an_unreferenced_stream_cancels_it(client: Client, slow: FakeLMStudio) -> None:
    model = client.llm.model().result(10)
    for _ in model.respond_stream(LONG_PROMPT):
        break
    gc.collect()  # CPython frees it at once; other interpreters when they collect
    wait_for_cancel(slow)


def test_a_stream_garbage_collected_unfinished_is_cancelled(
    client: Client, slow: FakeLMStudio
) -> None:
    model = client.llm.model().result(10)
    stream = model.respond_stream(LONG_PROMPT)
    next(stream)
    del stream
    gc.collect()
    wait_for_cancel(slow)


def test_a_stream_with_a_done_callback_is_kept(client: Client, slow: FakeLMStudio) -> None:
    slow.set_fragment_delay(0.0)
    model = client.llm.model().result(10)
    done = threading.Event()
    model.respond("count to 5").add_done_callback(lambda _: done.set())
    gc.collect()
    assert done.wait(10)
    assert cancels(slow) == 0


def test_a_referenced_stream_keeps_generating(client: Client, slow: FakeLMStudio) -> None:
    slow.set_fragment_delay(0.0)
    model = client.llm.model().result(10)
    stream = model.respond_stream("count to 20")
    for _ in stream:
        break
    gc.collect()
    assert stream.result(10).stop_reason != "userStopped"
    assert cancels(slow) == 0


def test_an_act_nobody_references_is_cancelled(client: Client, slow: FakeLMStudio) -> None:
    model = client.llm.model().result(10)

    def lookup(name: str) -> str:
        """Look a name up."""
        return name

    act = model.act(LONG_PROMPT, [lookup])
    for event in act:  # until the prediction is on the server
        if "Fragment" in type(event).__name__:
            break
    del act
    gc.collect()
    wait_for_cancel(slow)


def test_a_task_awaiting_a_stream_is_kept(client: Client, slow: FakeLMStudio) -> None:
    slow.set_fragment_delay(0.001)

    async def main() -> None:
        model = await client.llm.model()
        done = asyncio.Event()

        async def consume() -> None:
            await model.respond("count to 100")
            done.set()

        asyncio.get_running_loop().create_task(consume())  # no reference kept, on purpose
        await asyncio.sleep(0.02)
        gc.collect()  # asyncio holds the task only weakly
        await asyncio.wait_for(done.wait(), 10)

    asyncio.run(main())
    assert cancels(slow) == 0


def test_cancelling_a_channel_that_takes_no_client_packet_sends_none(
    client: Client, server: FakeLMStudio
) -> None:
    # system/alive takes nothing from the client: cancelling it abandons it (a cancel
    # packet there is a protocol error, which the fake server reports).
    watching = client.system.when_disconnected()
    deadline = time.monotonic() + 10
    while not any(r.message.get("endpoint") == "alive" for r in list(server.received)):
        assert time.monotonic() < deadline, "the alive channel was never opened"
        time.sleep(0.005)
    assert watching.cancel()
    client.system.version().result(10)  # anything sent before it has arrived
    sent = [r.message for r in list(server.received) if r.message.get("type") == "channelSend"]
    assert sent == []
    assert server.warnings == []
