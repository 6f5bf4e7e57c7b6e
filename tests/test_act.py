"""``LLM.act()`` end to end against the fake tool model, each test blocking and awaiting.

The fake model's tool rules are in ``lmstudio/testing/_tools.py``: a sentence starting
with "Then" is the next round's step, each tool named is one call, its numbers are the
arguments; after the last step it answers "The result is ...".
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from lmstudio import (
    LLM,
    ActResult,
    Chat,
    Client,
    GuardToolCallController,
    LMStudioPredictionError,
    LMStudioRuntimeError,
    LMStudioTimeoutError,
    LMStudioValueError,
    MessageAdded,
    RoundEnded,
    RoundFragment,
    RoundPredictionCompleted,
    RoundStarted,
    ToolCallCompleted,
    ToolCallRequested,
    ToolCallRequestFailed,
    ToolCallRequestStarted,
    ToolFunctionDef,
)
from lmstudio.testing import FakeLMStudio, expected_reply, expected_tool_preamble

if TYPE_CHECKING:
    from tests.styles import Style

pytest_plugins = ["tests.styles"]  # style, server, client

TOOLS_MODEL = "fake/tools"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


async def get_model(style: Style, client: Client, server: FakeLMStudio) -> LLM:
    if TOOLS_MODEL not in server.loaded_models():
        server.load_model(TOOLS_MODEL)
    return await style.get(client.llm.model(TOOLS_MODEL))


def tool_fields(server: FakeLMStudio) -> list[bool]:
    """For each predict the client sent: whether it offered tools."""
    offered = []
    for call in server.calls("predict"):
        layers = call["creationParameter"]["predictionConfigStack"]["layers"]
        keys = {f["key"] for layer in layers for f in layer["config"]["fields"]}
        offered.append("llm.prediction.tools" in keys)
    return offered


def role(message: Any) -> str:
    tag: str = type(message).__struct_config__.tag
    return tag


def results_of(chat: Chat) -> list[str]:
    return [
        part.content
        for message in chat.messages
        if role(message) == "tool"
        for part in message.content
    ]


# --- rounds -------------------------------------------------------------------------------


def test_several_rounds_record_the_whole_chat(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    messages: list[Any] = []
    given = Chat("You are a calculator.")
    given.add_user_message("Add 1 and 2. Then multiply 3 and 4.")

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        return await style.get(
            model.act(given, [add, multiply], on_message=messages.append, max_prediction_rounds=5)
        )

    result = style.run(body)
    assert result.rounds == 3 and not result.cancelled
    assert result.content == "The result is 12."
    assert len(given) == 2  # the given chat is copied, never changed
    roles = [role(m) for m in result.chat.messages]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert list(result.chat.messages[2:]) == [m for m in messages]
    assert results_of(result.chat) == ["3", "12"]
    request = result.chat.messages[4].content[1].tool_call_request
    assert (request.name, request.arguments, request.id) == ("multiply", {"a": 3, "b": 4}, "call_2")
    assert [p.round_index for p in result.predictions] == [0, 1, 2]
    assert result.total_time_seconds > 0
    assert tool_fields(server) == [True, True, True]
    # round 2's history is what the act recorded
    sent = server.calls("predict")[-1]["creationParameter"]["history"]
    assert sent == Chat.from_history(result.chat.messages[:-1]).to_dict()


def test_the_round_limit_sends_the_last_round_without_tools(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    text = "Add 1 and 2. Then add 3 and 4. Then add 5 and 6."

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        with pytest.raises(LMStudioValueError, match="max_prediction_rounds"):
            model.act(text, [add], max_prediction_rounds=0)
        return await style.get(model.act(text, [add], max_prediction_rounds=2))

    result = style.run(body)
    assert result.rounds == 2
    assert tool_fields(server) == [True, False]
    assert result.content == expected_reply(text)  # no tools: the plain reply


def test_a_model_that_says_something_before_calling(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> ActResult:
        model = await get_model(style, client, server)
        return await style.get(model.act("Explain, then add 1 and 2", [add]))

    result = style.run(body)
    assistant = result.chat.messages[1]
    assert assistant.content[0].text == expected_tool_preamble(["add"])
    assert result.predictions[0].tool_call_requests[0].name == "add"


def test_an_unimplemented_tool_ends_the_act_with_its_request(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    raw = {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look a word up.",
            "parameters": {"type": "object", "properties": {"word": {"type": "string"}}},
        },
    }

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        return await style.get(model.act('lookup "cat" and add 1 and 2', [raw, add]))

    result = style.run(body)
    assert result.rounds == 1
    assert [(r.name, r.arguments) for r in result.unimplemented_tool_calls] == [
        ("lookup", {"word": "cat"})
    ]
    assert results_of(result.chat) == ["3"]  # the implemented tool still ran


def test_bad_definitions_raise_before_anything_is_sent(
    client: Client, server: FakeLMStudio
) -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        """No annotation."""

    model = client.llm.model().result(20)
    before = len(server.calls("predict"))
    with pytest.raises(LMStudioValueError, match=r"'untyped'.*'x'"):
        model.act("hi", [untyped])
    with pytest.raises(LMStudioValueError, match="Two tools"):
        model.act("hi", [add, add])
    with pytest.raises(LMStudioValueError, match="empty chat"):
        model.act(Chat(), [add])
    with pytest.raises(LMStudioValueError, match="max_parallel_tool_calls"):
        model.act("hi", [add], max_parallel_tool_calls=0)
    assert len(server.calls("predict")) == before


# --- where tools run -------------------------------------------------------------------------


@pytest.mark.parametrize("bound", [1, 3])
def test_parallel_calls_and_their_bound(
    style: Style, client: Client, server: FakeLMStudio, bound: int
) -> None:
    lock = threading.Lock()
    running = [0, 0]  # now, most at once
    threads: set[str] = set()
    barrier = threading.Barrier(3, timeout=5)

    def slow_add(a: int, b: int) -> int:
        """Add slowly."""
        with lock:
            running[0] += 1
            running[1] = max(running)
            threads.add(threading.current_thread().name)
        if bound == 3:
            barrier.wait()  # all three run at once
        else:
            time.sleep(0.02)
        with lock:
            running[0] -= 1
        return a + b

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        text = "slow_add 1 and 2, slow_add 3 and 4, slow_add 5 and 6"
        return await style.get(model.act(text, [slow_add], max_parallel_tool_calls=bound))

    result = style.run(body)
    assert running[1] == bound
    assert results_of(result.chat) == ["3", "7", "11"]  # in request order
    assert all(name.startswith("lmstudio-tool") for name in threads)


def test_async_tools_run_on_the_awaiting_loop_or_the_helper_loop(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    seen: list[tuple[asyncio.AbstractEventLoop, str]] = []

    async def async_add(a: int, b: int) -> int:
        """Add, asynchronously."""
        await asyncio.sleep(0.001)
        seen.append((asyncio.get_running_loop(), threading.current_thread().name))
        return a + b

    async def body() -> tuple[ActResult, asyncio.AbstractEventLoop | None]:
        model = await get_model(style, client, server)
        loop = asyncio.get_running_loop() if style.name == "await" else None
        return await style.get(model.act("async_add 2 and 3", [async_add])), loop

    result, loop = style.run(body)
    assert results_of(result.chat) == ["5"]
    if loop is not None:
        assert seen[0][0] is loop
    else:
        assert seen[0][1] == "lmstudio-act"


def test_blocking_inside_a_running_loop_works(client: Client, server: FakeLMStudio) -> None:
    """As in Jupyter: ``.result()`` in a coroutine blocks its loop; async tools run elsewhere."""
    server.load_model(TOOLS_MODEL)

    async def async_add(a: int, b: int) -> int:
        """Add, asynchronously."""
        await asyncio.sleep(0.001)
        return a + b

    async def notebook_cell() -> ActResult:
        model = client.llm.model(TOOLS_MODEL).result(20)
        return model.act("async_add 2 and 3", [async_add]).result(20)

    assert results_of(asyncio.run(notebook_cell()).chat) == ["5"]


def test_a_tool_that_raises_tells_the_model(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    def divide(a: int, b: int) -> float:
        """Divide a by b."""
        return a / b

    events: list[Any] = []

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        stream = model.act("divide 1 by 0", [divide])
        events.extend([e async for e in style.iterate(stream)])
        return await style.get(stream)

    result = style.run(body)
    assert result.rounds == 2
    assert results_of(result.chat) == [
        "Unhandled Python exception: ZeroDivisionError('division by zero')"
    ]
    (completed,) = [e for e in events if isinstance(e, ToolCallCompleted)]
    assert completed.outcome == "error" and isinstance(completed.error, ZeroDivisionError)
    assert result.content.startswith("The result is Unhandled")


# --- invalid requests --------------------------------------------------------------------------


def test_invalid_requests_without_a_handler_tell_the_model(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> ActResult:
        model = await get_model(style, client, server)
        return await style.get(model.act("call `frobnicate`, add 1 2 wrong arguments", [add]))

    result = style.run(body)
    unknown, wrong = results_of(result.chat)
    assert unknown == "Cannot find tool with name frobnicate."
    assert wrong.startswith("Failed to parse arguments for tool add: Invalid arguments")


def test_invalid_requests_with_a_handler(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(error: LMStudioPredictionError, request: Any) -> str | None:
        seen.append((str(error), None if request is None else request.name))
        if request is not None and request.name == "frobnicate":
            return "There is no frobnicate tool: use add."
        return None

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        text = "call `frobnicate`, add 1 2 malformed"
        return await style.get(model.act(text, [add], handle_invalid_tool_request=handler))

    result = style.run(body)
    assert results_of(result.chat) == ["There is no frobnicate tool: use add."]
    assert seen[0] == ("Cannot find tool with name frobnicate.", "frobnicate")
    assert seen[1][1] is None and "not valid JSON" in seen[1][0]  # the unparsable call


def test_an_unparsable_request_fails_the_act_without_a_handler(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    failures: list[Any] = []

    async def body() -> None:
        model = await get_model(style, client, server)
        stream = model.act("add 1 2 malformed", [add])
        with pytest.raises(LMStudioPredictionError, match="not valid JSON"):
            async for event in style.iterate(stream):
                if isinstance(event, ToolCallRequestFailed):
                    failures.append(event)
        with pytest.raises(LMStudioPredictionError):
            await style.get(stream)

    style.run(body)
    assert failures[0].call_index == 0 and failures[0].raw_content


def test_a_handler_that_raises_stops_the_act(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    class Stop(Exception):
        pass

    def handler(error: LMStudioPredictionError, request: Any) -> str:
        raise Stop(str(error))

    def broken(a: int) -> int:
        """Always fails."""
        raise ValueError("nope")

    async def body() -> None:
        model = await get_model(style, client, server)
        with pytest.raises(Stop, match="Unhandled Python exception: ValueError"):
            await style.get(model.act("broken 1", [broken], handle_invalid_tool_request=handler))

    style.run(body)


# --- guard_tool_call ---------------------------------------------------------------------------


def test_guard_allows_denies_and_rewrites(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    ran: list[tuple[int, int]] = []

    def traced_add(a: int, b: int) -> int:
        """Add two integers."""
        ran.append((a, b))
        return a + b

    def guard(round_index: int, call_index: int, controller: GuardToolCallController) -> None:
        arguments = controller.tool_call_request.arguments
        if arguments == {"a": 1, "b": 2}:
            controller.allow()
        elif arguments == {"a": 3, "b": 4}:
            controller.deny("Not today.")
        else:
            controller.allow_and_override_parameters({"a": 10, "b": 20})

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        text = "traced_add 1 2, traced_add 3 4, traced_add 5 6"
        return await style.get(model.act(text, [traced_add], guard_tool_call=guard))

    result = style.run(body)
    assert ran == [(1, 2), (10, 20)]
    assert results_of(result.chat) == ["3", "Not today.", "30"]
    recorded = [p.tool_call_request.arguments for p in result.chat.messages[1].content[1:]]
    assert recorded == [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 10, "b": 20}]


def test_an_async_guard_and_a_guard_that_decides_nothing(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def deny_all(round_index: int, call_index: int, controller: Any) -> None:
        await asyncio.sleep(0)
        controller.deny()

    def undecided(round_index: int, call_index: int, controller: Any) -> None:
        pass

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        with pytest.raises(LMStudioRuntimeError, match="did not allow or deny"):
            await style.get(model.act("add 1 2", [add], guard_tool_call=undecided))
        return await style.get(model.act("add 1 2", [add], guard_tool_call=deny_all))

    result = style.run(body)
    assert results_of(result.chat) == ["The user denied this tool call."]


# --- cancel and timeout ----------------------------------------------------------------------


def test_cancel_mid_round_stops_the_prediction(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    server.set_fragment_delay(0.002)

    async def body() -> tuple[ActResult, list[Any]]:
        model = await get_model(style, client, server)
        chat = Chat()
        chat.add_user_message("count to 10000")
        stream = model.act(chat, [add])
        seen = []
        async for event in style.iterate(stream):
            seen.append(event)
            if isinstance(event, RoundFragment) and event.fragment.content == " 3":
                assert stream.cancel()
        return await style.get(stream), seen

    result, seen = style.run(body)
    assert isinstance(seen[-1], RoundFragment)  # iteration ends at once
    assert result.cancelled and result.rounds == 1
    assert result.predictions[0].stop_reason == "userStopped"
    assert result.chat.messages[-1].content[0].text.startswith("1 2 3")


def test_cancel_while_a_tool_runs_starts_no_further_tool(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    started = threading.Event()
    release = threading.Event()
    ran: list[int] = []

    def wait(a: int) -> int:
        """Wait for the test."""
        ran.append(a)
        started.set()
        release.wait(10)
        return a

    async def body() -> ActResult:
        model = await get_model(style, client, server)
        stream = model.act("wait 1, wait 2", [wait])
        async for event in style.iterate(stream):
            if isinstance(event, RoundPredictionCompleted):
                assert started.wait(10)
                stream.cancel()
        return await style.get(stream)

    try:
        result = style.run(body)
    finally:
        release.set()
    assert result.cancelled and ran == [1]
    assert [role(m) for m in result.chat.messages] == ["user", "assistant"]
    time.sleep(0.05)
    assert ran == [1]


def test_timeout_fails_the_act(style: Style, client: Client, server: FakeLMStudio) -> None:
    async def body() -> None:
        model = await get_model(style, client, server)
        server.set_fragment_delay(1.0)
        with pytest.raises(LMStudioTimeoutError):
            await style.get(model.act("add 1 and 2", [add], timeout=0.2))

    style.run(body)


# --- callbacks and events ----------------------------------------------------------------------


def test_callback_order(style: Style, client: Client, server: FakeLMStudio) -> None:
    calls: list[tuple[Any, ...]] = []
    threads: set[threading.Thread] = set()

    def record(name: str) -> Any:
        def callback(*args: Any) -> None:
            threads.add(threading.current_thread())
            calls.append((name, *args))

        return callback

    names = [
        "on_message",
        "on_first_token",
        "on_prediction_fragment",
        "on_round_start",
        "on_round_end",
        "on_prediction_completed",
        "on_prompt_processing_progress",
        "on_tool_call_request_start",
        "on_tool_call_request_name_received",
        "on_tool_call_request_argument_fragment_generated",
        "on_tool_call_request_end",
        "on_tool_call_result",
    ]

    async def body() -> threading.Thread:
        model = await get_model(style, client, server)
        callbacks = {name: record(name.removeprefix("on_")) for name in names}
        await style.get(model.act("add 1 and 2", [add], **callbacks))
        return threading.current_thread()

    consumer = style.run(body)
    assert threads == {consumer}  # where it is consumed
    order = [c[0] for c in calls]
    compact = [n for i, n in enumerate(order) if i == 0 or order[i - 1] != n]
    assert compact == [
        "round_start",
        "prompt_processing_progress",
        "tool_call_request_start",
        "tool_call_request_name_received",
        "tool_call_request_argument_fragment_generated",
        "tool_call_request_end",
        "prediction_completed",
        "tool_call_result",
        "message",
        "round_end",
        "round_start",
        "prompt_processing_progress",
        "first_token",
        "prediction_fragment",
        "prediction_completed",
        "message",
        "round_end",
    ]
    assert ("round_start", 0) in calls and ("round_end", 1) in calls
    assert ("first_token", 1) in calls
    fragment = next(c for c in calls if c[0] == "prediction_fragment")
    assert fragment[2] == 1 and fragment[1].content == "The"
    assert ("tool_call_request_start", 0, 0, "call_1") in calls
    assert ("tool_call_request_name_received", 0, 0, "add") in calls


def test_iterating_gives_typed_events_in_order(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> tuple[list[Any], ActResult]:
        model = await get_model(style, client, server)
        stream = model.act("add 1 and 2", [add])
        events = [e async for e in style.iterate(stream)]
        return events, await style.get(stream)

    events, result = style.run(body)
    assert isinstance(events[0], RoundStarted) and isinstance(events[-1], RoundEnded)
    assert [e.round_index for e in events if isinstance(e, RoundStarted | RoundEnded)] == [
        0,
        0,
        1,
        1,
    ]
    started = [e for e in events if isinstance(e, ToolCallRequestStarted)]
    requested = [e for e in events if isinstance(e, ToolCallRequested)]
    assert [e.call_index for e in started + requested] == [0, 0]
    assert requested[0].request.arguments == {"a": 1, "b": 2}
    added = [role(e.message) for e in events if isinstance(e, MessageAdded)]
    assert added == ["assistant", "tool", "assistant"]
    assert "".join(e.fragment.content for e in events if isinstance(e, RoundFragment)) == (
        result.content
    )


# --- the chat, respond(tools=) ----------------------------------------------------------------


def test_the_recorded_chat_is_sent_again(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    async def body() -> ActResult:
        model = await get_model(style, client, server)
        first = await style.get(model.act("add 1 and 2", [add]))
        chat = first.chat
        chat.add_user_message("multiply 3 and 4")
        return await style.get(model.act(Chat.from_json(chat.to_json()), [add, multiply]))

    result = style.run(body)
    assert results_of(result.chat) == ["3", "12"]
    ids = [
        part.tool_call_request.id
        for message in result.chat.messages
        if role(message) == "assistant"
        for part in message.content[1:]
    ]
    assert ids == ["call_1", "call_2"]


def test_respond_with_tools_returns_the_requests(
    style: Style, client: Client, server: FakeLMStudio
) -> None:
    described = ToolFunctionDef(
        name="add", description="Add.", parameters={"a": int, "b": int}, implementation=add
    )
    messages: list[Any] = []

    async def body() -> Chat:
        model = await get_model(style, client, server)
        chat = Chat()
        chat.add_user_message("add 1 and 2")
        result = await style.get(model.respond(chat, tools=[described], on_message=messages.append))
        assert [(r.name, r.arguments) for r in result.tool_call_requests] == [
            ("add", {"a": 1, "b": 2})
        ]
        chat.add_assistant_response(result)
        chat.add_tool_result({"tool_call_id": "call_1", "content": "3"})
        answer = await style.get(model.respond(chat, tools=[add]))
        assert answer.content == "The result is 3."
        return chat

    chat = style.run(body)
    assert chat.messages[1].content[1].tool_call_request.name == "add"
    assert messages[0].content[1].tool_call_request.id == "call_1"
