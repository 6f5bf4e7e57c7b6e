"""The runner over the wire: each hook served by a plugin in-process, against the fake."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lmstudio.testing import FakeLMStudio, PluginHookError

from .running import EXAMPLES, INVALID, running_plugin, write_plugin

pytest_plugins = ["tests.styles"]
pytestmark = pytest.mark.timeout(60)


def test_dice_tool_lists_and_runs_its_tool(server: FakeLMStudio) -> None:
    with running_plugin(server, EXAMPLES / "dice-tool", ("toolsProvider",)) as plugin:
        record = server.plugins.get(plugin.identifier)
        keys = [f["fullKey"] for f in record.config_schematics["fields"]]
        assert keys == ["polyhedral_only", "max_dice"]
        session = server.plugins.tools_session(plugin.identifier).result()
        assert [t["function"]["name"] for t in session.tools] == ["roll_dice"]
        outcome = session.call("roll_dice", {"count": 3, "sides": 6}).result()
        assert outcome is not None and outcome.error is None
        assert len(outcome.result["rolls"]) == 3
        assert outcome.result["total"] == sum(outcome.result["rolls"])
        assert outcome.statuses == ["Rolling 3d6..."]
        # the tool's own error goes back as that call's error; the runner keeps serving
        failed = session.call("roll_dice", {"count": 1, "sides": 7}).result()
        assert failed is not None and failed.error is not None
        assert "not a polyhedral die" in failed.error["title"]
        again = session.call("roll_dice", {"count": 1, "sides": 20}).result()
        assert again is not None and again.error is None
        session.discard().result()


def test_the_chat_config_reaches_the_tools(server: FakeLMStudio) -> None:
    with running_plugin(server, EXAMPLES / "dice-tool", ("toolsProvider",)) as plugin:
        config = {"polyhedral_only": False, "max_dice": 2}
        session = server.plugins.tools_session(plugin.identifier, plugin_config=config).result()
        odd = session.call("roll_dice", {"count": 2, "sides": 7}).result()
        assert odd is not None and odd.error is None
        many = session.call("roll_dice", {"count": 3, "sides": 6}).result()
        assert many is not None and many.error is not None
        assert "between 1 and 2 dice" in many.error["title"]


def test_unknown_tools_and_bad_arguments_are_call_errors(server: FakeLMStudio) -> None:
    with running_plugin(server, EXAMPLES / "dice-tool", ("toolsProvider",)) as plugin:
        session = server.plugins.tools_session(plugin.identifier).result()
        unknown = session.call("roll_coins", {}).result()
        assert unknown is not None and unknown.error is not None
        assert "no tool named 'roll_coins'" in unknown.error["title"]
        bad = session.call("roll_dice", {"count": "many", "sides": 6}).result()
        assert bad is not None and bad.error is not None


def test_an_aborted_tool_call_is_cancelled(server: FakeLMStudio, tmp_path: Path) -> None:
    source = (
        "import asyncio\n"
        "from lmstudio.plugin import get_tool_call_context\n"
        "STARTED = []\n"
        "async def slow() -> str:\n"
        "    '''Takes forever.'''\n"
        "    get_tool_call_context().notify_status('started')\n"
        "    await asyncio.sleep(60)\n"
        "    return 'late'\n"
        "def quick() -> str:\n"
        "    '''Answers at once.'''\n"
        "    return 'done'\n"
        "def list_provided_tools(ctl):\n"
        "    return [slow, quick]\n"
    )
    folder = write_plugin(tmp_path, source)
    with running_plugin(server, folder, ("toolsProvider",)) as plugin:
        session = server.plugins.tools_session(plugin.identifier).result()
        pending = session.call("slow", {})
        time.sleep(0.3)
        pending.abort()
        assert pending.result() is None
        quick = session.call("quick", {}).result()
        assert quick is not None and quick.result == "done"


def test_prompt_prefix_preprocesses_with_status_updates(server: FakeLMStudio) -> None:
    with running_plugin(server, EXAMPLES / "prompt-prefix", ("promptPreprocessor",)) as plugin:
        outcome = server.plugins.preprocess(
            plugin.identifier, "Hello", plugin_config={"prefix": "P: "}
        ).result()
        assert outcome.error is None
        assert outcome.processed == {
            "role": "user",
            "content": [{"type": "text", "text": "P: "}, {"type": "text", "text": "Hello"}],
        }
        kinds = [u["type"] for u in outcome.updates]
        assert kinds == ["status.create", "status.update"]
        assert outcome.updates[0]["id"] == outcome.updates[1]["id"]  # updated in place
        assert outcome.updates[1]["state"]["status"] == "done"
        debug = server.plugins.preprocess(
            plugin.identifier, "Hi", global_config={"report": "debug"}
        ).result()
        assert [u["type"] for u in debug.updates] == ["debugInfoBlock.create"]


def test_routed_predictions_go_through_the_preprocessor(server: FakeLMStudio) -> None:
    from lmstudio import Client

    with running_plugin(server, EXAMPLES / "prompt-prefix", ("promptPreprocessor",)) as plugin:
        server.plugins.route_predictions(plugin.identifier, plugin_config={"prefix": "Briefly: "})
        with Client(server.api_host) as client:
            model = client.llm.model().result()
            reply = model.respond("what is 2+2?").result()
        assert "Briefly: " in reply.content


def test_canned_reply_streams_and_calls_a_tool(server: FakeLMStudio) -> None:
    tool = {
        "type": "function",
        "function": {"name": "roll_dice", "parameters": {"type": "object", "properties": {}}},
    }
    with running_plugin(server, EXAMPLES / "canned-reply", ("generator",)) as plugin:
        outcome = server.plugins.generate(plugin.identifier, "Roll", tools=[tool]).result()
        assert outcome.error is None
        assert outcome.content == "Let me roll for you."
        assert len(outcome.tool_calls) == 1
        call = outcome.tool_calls[0]
        assert call["name"] == "roll_dice" and call["arguments"] == {"count": 2, "sides": 6}
        plain = server.plugins.generate(
            plugin.identifier, "Hi", plugin_config={"reply": "Only words"}
        ).result()
        assert plain.content == "Only words" and plain.tool_calls == []


def test_an_aborted_generation_answers_aborted(server: FakeLMStudio) -> None:
    with running_plugin(server, EXAMPLES / "canned-reply", ("generator",)) as plugin:
        pending = server.plugins.generate(
            plugin.identifier,
            "Hi",
            plugin_config={"reply": "one two three four five six", "delay": 1.0},
        )
        time.sleep(0.3)
        pending.abort()
        outcome = pending.result()
        assert outcome.aborted
        assert outcome.content == "one"


def test_the_prediction_loop_handler_gets_history_and_names(
    server: FakeLMStudio, tmp_path: Path
) -> None:
    source = (
        "async def prediction_loop_handler(ctl):\n"
        "    chat = await ctl.pull_history()\n"
        "    await ctl.set_sender_name('Looper')\n"
        "    block = ctl.create_status('loading', 'thinking')\n"
        "    await block.notify_done(f'{len(chat._messages)} messages')\n"
        "    await ctl.debug('seen', len(chat._messages))\n"
    )
    folder = write_plugin(tmp_path, source)
    with running_plugin(server, folder, ("predictionLoopHandler",)) as plugin:
        messages = [
            {"role": "user", "content": [{"type": "text", "text": "one"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "two"}]},
        ]
        outcome = server.plugins.prediction_loop(plugin.identifier, messages).result()
        assert outcome.error is None, outcome.error
        assert outcome.sender_names == ["Looper"]
        assert [u["type"] for u in outcome.updates] == [
            "status.create",
            "status.update",
            "debugInfoBlock.create",
        ]
        assert outcome.updates[1]["state"]["text"] == "2 messages"


def test_hook_exceptions_go_back_as_errors_and_the_runner_keeps_serving(
    server: FakeLMStudio,
) -> None:
    hooks = ("toolsProvider", "promptPreprocessor", "generator")
    with running_plugin(server, INVALID / "hook_exception", hooks) as plugin:
        with pytest.raises(PluginHookError, match="tools listing exploded"):
            server.plugins.tools_session(plugin.identifier).result()
        first = server.plugins.preprocess(plugin.identifier, "Hi").result()
        assert first.error is not None and "preprocessing exploded" in first.error["cause"]
        generated = server.plugins.generate(plugin.identifier, "Hi").result()
        assert generated.error is not None and "generation exploded" in generated.error["cause"]
        assert generated.content == "partial "
        second = server.plugins.preprocess(plugin.identifier, "Again").result()
        assert second.error is not None


def test_a_malformed_prompt_is_an_error(server: FakeLMStudio) -> None:
    with running_plugin(server, INVALID / "malformed_prompt", ("promptPreprocessor",)) as plugin:
        outcome = server.plugins.preprocess(plugin.identifier, "Hi").result()
        assert outcome.error is not None
        assert "malformed prompt" in outcome.error["cause"]


def test_a_client_uses_the_canned_reply_generator_as_a_model(server: FakeLMStudio) -> None:
    from lmstudio import Client, GeneratorPredictionResult

    with (
        running_plugin(server, EXAMPLES / "canned-reply", ("generator",)) as plugin,
        Client(server.api_host) as client,
    ):
        generator = client.plugins.generator(plugin.identifier)
        reply = generator.respond("Hello").result()
        assert reply == GeneratorPredictionResult(
            content="Let me roll for you.", plugin_identifier=plugin.identifier
        )
        stream = generator.respond_stream("Again")
        fragments = [f.content for f in stream]
        assert "".join(fragments) == "Let me roll for you."
        assert stream.result().plugin_identifier == plugin.identifier


def test_hooks_call_lm_studio_through_their_client(server: FakeLMStudio, tmp_path: Path) -> None:
    source = (
        "def list_provided_tools(ctl):\n"
        "    def ask(question: str) -> str:\n"
        "        '''Ask the loaded model.'''\n"
        "        model = ctl.client.llm.model().result()\n"  # blocking, in a worker thread
        "        return model.respond(question).result().content\n"
        "    return [ask]\n"
        "async def preprocess_prompt(ctl, message):\n"
        "    model = await ctl.client.llm.model()\n"  # awaited, on the runner's loop
        "    reply = await model.respond('Hi')\n"
        "    return reply.content\n"
    )
    folder = write_plugin(tmp_path, source)
    with running_plugin(server, folder, ("toolsProvider", "promptPreprocessor")) as plugin:
        session = server.plugins.tools_session(plugin.identifier).result()
        outcome = session.call("ask", {"question": "What?"}).result()
        assert outcome is not None and outcome.error is None, outcome
        assert isinstance(outcome.result, str) and outcome.result
        processed = server.plugins.preprocess(plugin.identifier, "ignored").result()
        assert processed.error is None
        assert processed.processed is not None
        assert processed.processed["content"][0]["text"]


def test_sync_hooks_run_off_the_runner_loop_and_async_ones_on_it(
    server: FakeLMStudio, tmp_path: Path
) -> None:
    source = (
        "import asyncio, threading\n"
        "SEEN = {}\n"
        "def list_provided_tools(ctl):\n"
        "    def where() -> str:\n"
        "        '''Where tools run.'''\n"
        "        return threading.current_thread().name\n"
        "    return [where]\n"
        "async def generate(ctl, chat):\n"
        "    ctl.fragment_generated(threading.current_thread().name)\n"
    )
    folder = write_plugin(tmp_path, source)
    with running_plugin(server, folder, ("toolsProvider", "generator")) as plugin:
        session = server.plugins.tools_session(plugin.identifier).result()
        outcome = session.call("where", {}).result()
        assert outcome is not None
        assert (
            outcome.result not in ("plugin-runner-under-test",) and "lmstudio" not in outcome.result
        )
        generated = server.plugins.generate(plugin.identifier, "Hi").result()
        assert generated.content == "plugin-runner-under-test"


def test_the_readme_plugin_block_is_a_working_plugin(server: FakeLMStudio, tmp_path: Path) -> None:
    from .running import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Writing a plugin", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    folder = write_plugin(tmp_path, block, name="readme-dice")
    with running_plugin(server, folder, ("toolsProvider",)) as plugin:
        session = server.plugins.tools_session(
            plugin.identifier, plugin_config={"max_dice": 2}
        ).result()
        outcome = session.call("roll_dice", {"count": 5, "sides": 6}).result()
        assert outcome is not None and outcome.error is None
        assert len(outcome.result["rolls"]) == 2


def test_an_aborted_plain_tool_sees_it_and_never_blocks_the_stop(
    server: FakeLMStudio, tmp_path: Path
) -> None:
    marker = tmp_path / "aborted.txt"
    source = (
        "import time\n"
        "from lmstudio.plugin import get_tool_call_context\n"
        "def list_provided_tools(ctl):\n"
        "    def wait_for_abort() -> str:\n"
        "        '''Runs until aborted.'''\n"
        "        context = get_tool_call_context()\n"
        "        while not context.aborted:\n"
        "            time.sleep(0.02)\n"
        f"        open({str(marker)!r}, 'w').write('yes')\n"
        "        return 'aborted'\n"
        "    def forever() -> str:\n"
        "        '''Never returns.'''\n"
        "        time.sleep(3600)\n"
        "        return 'never'\n"
        "    return [wait_for_abort, forever]\n"
    )
    folder = write_plugin(tmp_path / "plugin", source)
    started = time.monotonic()
    with running_plugin(server, folder, ("toolsProvider",)) as plugin:
        session = server.plugins.tools_session(plugin.identifier).result()
        pending = session.call("wait_for_abort", {})
        stuck = session.call("forever", {})
        time.sleep(0.3)
        pending.abort()
        assert pending.result() is None
        deadline = time.monotonic() + 5
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "yes"
        stuck.abort()
        assert stuck.result() is None
    assert time.monotonic() - started < 20  # the never-returning tool did not hold the runner


def test_the_runner_stops_when_lm_studio_closes_the_connection(server: FakeLMStudio) -> None:
    with running_plugin(server, EXAMPLES / "dice-tool", ("toolsProvider",)) as plugin:
        server.drop_connections()
        assert plugin.finished.wait(10), "the runner kept running without LM Studio"
        assert plugin.error is None


def test_an_aborted_preprocessor_is_cancelled_and_says_so(
    server: FakeLMStudio, tmp_path: Path
) -> None:
    source = (
        "import asyncio\n"
        "async def preprocess_prompt(ctl, message):\n"
        "    seen = []\n"
        "    ctl.on_aborted(lambda: seen.append('callback'))\n"
        "    block = await ctl.notify_start('working')\n"
        "    async with block.notify_aborted('cancelled by LM Studio'):\n"
        "        await asyncio.sleep(60)\n"
        "    return None\n"
    )
    folder = write_plugin(tmp_path, source)
    with running_plugin(server, folder, ("promptPreprocessor",)) as plugin:
        record = server.plugins.get(plugin.identifier)
        assert record.config_schematics is None and record.global_config_schematics is None
        pending = server.plugins.preprocess(plugin.identifier, "Hi")
        time.sleep(0.5)  # the hook is in its sleep
        pending.abort()
        outcome = pending.result()
        assert outcome.aborted and outcome.processed is None
        deadline = time.monotonic() + 5
        while len(outcome.updates) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        states = [u.get("state", {}).get("status") for u in outcome.updates]
        assert states == ["waiting", "canceled"], states


def test_the_global_schema_is_sent_too(server: FakeLMStudio) -> None:
    with running_plugin(server, EXAMPLES / "prompt-prefix", ("promptPreprocessor",)) as plugin:
        record = server.plugins.get(plugin.identifier)
        assert [f["fullKey"] for f in record.config_schematics["fields"]] == ["prefix"]
        (report,) = record.global_config_schematics["fields"]
        assert report["typeKey"] == "select" and report["defaultValue"] == "status"
        assert report["typeParams"]["options"][0] == {
            "value": "status",
            "displayName": "A status line",
        }
