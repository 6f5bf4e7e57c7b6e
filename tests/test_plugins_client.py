"""``client.plugins``: generators as models, plugin tools in act(), reindexing.

The plugin is a raw-websocket one registered on the fake (``tests/testing/raw_plugin.py``):
a tools provider with ``add(a, b)``, a generator streaming ``"Hello "`` (or, offered
``add``, calling it once, then ``"The answer is 5. "``), an upper-casing preprocessor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import msgspec
import pytest

import lmstudio as lms
from lmstudio.testing import FakeLMStudio, expected_tool_result_reply

from .testing.raw_plugin import RawPlugin

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server() -> Iterator[FakeLMStudio]:
    with FakeLMStudio() as fake:
        yield fake
        assert not fake.warnings and not fake.client_warnings


@pytest.fixture
def violations() -> Iterator[list[str]]:
    found: list[str] = []
    yield found
    assert not found, found


@pytest.fixture
def plugin(server: FakeLMStudio, violations: list[str]) -> Iterator[RawPlugin]:
    raw = RawPlugin.register(server, violations)
    raw.serve(tools=True, generator=True, preprocessor=True, generator_tool_call=True)
    server.plugins.wait_ready("tests/raw").result()
    yield raw
    raw.close()


@pytest.fixture
def client(server: FakeLMStudio) -> Iterator[lms.Client]:
    with lms.Client(server.api_host) as c:
        yield c


def test_a_generator_responds_and_streams(client: lms.Client, plugin: RawPlugin) -> None:
    generator = client.plugins.generator("tests/raw")
    result = generator.respond("Hi").result()
    assert result == lms.GeneratorPredictionResult(
        content="Hello ", plugin_identifier="tests/raw", cancelled=False
    )
    assert (result.reasoning_content, result.non_reasoning_content) == ("", "Hello ")
    assert not hasattr(result, "model_info") and not hasattr(result, "stats")
    stream = generator.respond_stream("Hi")
    fragments = [f.content for f in stream]
    assert fragments == ["Hello "]
    assert type(stream.result()) is lms.GeneratorPredictionResult


def test_a_generator_respond_can_be_awaited(client: lms.Client, plugin: RawPlugin) -> None:
    async def main() -> str:
        return (await client.plugins.generator("tests/raw").respond("Hi")).content

    assert asyncio.run(main()) == "Hello "


def test_a_generator_acts_with_tools(client: lms.Client, plugin: RawPlugin) -> None:
    calls: list[tuple[int, int]] = []

    def add(a: int, b: int) -> int:
        """Add two integers."""
        calls.append((a, b))
        return a + b

    completed: list[lms.GeneratorRoundResult] = []
    act = client.plugins.generator("tests/raw").act(
        "What is 2 + 3?", [add], on_prediction_completed=completed.append
    )
    result = act.result()
    assert calls == [(2, 3)]
    assert result.content == "The answer is 5. "
    assert result.rounds == 2
    assert [type(r) for r in result.predictions] == [lms.GeneratorRoundResult] * 2
    assert list(result.predictions) == completed
    first, second = result.predictions
    assert (first.round_index, second.round_index) == (0, 1)
    assert [r.name for r in first.tool_call_requests] == ["add"]
    assert second.plugin_identifier == "tests/raw" and not second.cancelled
    assert not hasattr(first, "model_info")


def test_plugin_tools_in_a_model_act(
    server: FakeLMStudio, client: lms.Client, plugin: RawPlugin
) -> None:
    model = client.llm.model("fake/tools").result()
    with client.plugins.plugin_tools("tests/raw").result() as tools:
        assert [t.name for t in tools.tools] == ["add"]
        assert tools.call_tool("add", {"a": 4, "b": 5}).result() == 9
        result = model.act("What is 4 + 5? Use the add tool.", tools).result()
    calls = [
        a["packet"] for a in server.plugins.answers if a["packet"]["type"] == "toolCallComplete"
    ]
    assert [c["result"] for c in calls] == [9, 9]
    assert result.rounds == 2
    assert result.content == expected_tool_result_reply(["9"])


def test_a_plugin_generator_uses_plugin_tools(client: lms.Client, plugin: RawPlugin) -> None:
    with client.plugins.plugin_tools("tests/raw").result() as tools:
        result = client.plugins.generator("tests/raw").act("2 + 3?", tools).result()
    assert result.content == "The answer is 5. "
    tool_message = msgspec.to_builtins(result.chat.to_wire())["messages"][2]
    assert tool_message["role"] == "tool"
    assert tool_message["content"][0]["content"] == "5"


def test_a_plugin_tool_error_reaches_the_caller(client: lms.Client, plugin: RawPlugin) -> None:
    with (
        client.plugins.plugin_tools("tests/raw").result() as tools,
        pytest.raises(lms.LMStudioServerError, match="add needs two integers"),
    ):
        tools.call_tool("add", {"a": "x"}).result()


def test_a_closed_session_refuses_calls(
    server: FakeLMStudio, client: lms.Client, plugin: RawPlugin
) -> None:
    tools = client.plugins.plugin_tools("tests/raw").result()
    tools.close()
    with pytest.raises(lms.LMStudioChannelClosedError):
        tools.call_tool("add", {"a": 1, "b": 1}).result()


def test_unknown_plugins_and_bad_arguments_fail_clearly(
    client: lms.Client, plugin: RawPlugin
) -> None:
    with pytest.raises(lms.LMStudioServerError, match='Plugin "nobody/else" not found'):
        client.plugins.plugin_tools("nobody/else").result()
    with pytest.raises(lms.LMStudioPredictionError, match="not found"):
        client.plugins.generator("nobody/else").respond("Hi").result()
    with pytest.raises(lms.LMStudioValueError, match="owner/name"):
        client.plugins.generator("no-slash")
    with pytest.raises(lms.LMStudioValueError, match="plugin_config"):
        client.plugins.plugin_tools("tests/raw", plugin_config=3)  # type: ignore[arg-type]


def test_cancelling_a_generator_sends_cancel(
    server: FakeLMStudio, client: lms.Client, violations: list[str]
) -> None:
    slow = RawPlugin.register(server, violations, "tests/slow")
    slow.open_hook("setGenerator")
    slow.init_completed()
    stream = client.plugins.generator("tests/slow").respond_stream("Hi")
    request = slow.next_request("setGenerator")
    task = request["taskId"]
    slow.reply(
        "setGenerator", {"type": "fragmentGenerated", "taskId": task, "content": "a", "opts": {}}
    )
    assert next(iter(stream)).content == "a"
    stream.cancel()
    assert slow.next_request("setGenerator") == {"type": "abort", "taskId": task}
    slow.reply("setGenerator", {"type": "aborted", "taskId": task})
    result = stream.result()
    assert isinstance(result, lms.GeneratorPredictionResult)
    assert result.content == "a" and result.cancelled
    slow.close()


def test_reindex_plugins(server: FakeLMStudio, client: lms.Client) -> None:
    assert client.plugins.reindex_plugins().result() is None
    assert server.plugins.reindex_count == 1
