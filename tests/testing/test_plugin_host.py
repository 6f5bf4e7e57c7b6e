"""The fake's host side of plugins, driven by a plugin on a raw websocket (``raw_plugin.py``).

Every message the fake sends is judged against both protocol schemas; every test's
server must end with no communicationWarning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lmstudio.testing import FakeLMStudio, PluginHookError

from .raw_plugin import MANIFEST, RawPlugin
from .wire import WireClient

pytestmark = pytest.mark.timeout(60)
USER = {"role": "user", "content": [{"type": "text", "text": "Hello"}]}


@pytest.fixture
def plugin(server: FakeLMStudio, violations: list[str]) -> Iterator[RawPlugin]:
    raw = RawPlugin.register(server, violations)
    yield raw
    raw.close()


def test_registration_hands_out_a_plugin_identity_until_end(
    server: FakeLMStudio, connect_to: Callable[..., WireClient]
) -> None:
    client = connect_to(server, "plugins")
    channel = client.open("registerDevelopmentPlugin", {"manifest": MANIFEST})
    ready = client.next_on(channel)["message"]
    assert ready["type"] == "ready"
    assert ready["baseUrl"] == server.base_url
    assert server.plugins.registered() == ["tests/raw"]
    record = server.plugins.get("tests/raw")
    assert record.client_identifier == ready["clientIdentifier"] and record.dev
    plugin = connect_to(
        server, "plugins", identifier=ready["clientIdentifier"], passkey=ready["clientPasskey"]
    )
    assert plugin.result("pluginInitCompleted") is not None
    assert server.plugins.wait_ready("tests/raw").result().init_completed
    client.channel_send(channel, {"type": "end"})
    assert client.next_on(channel)["type"] == "channelClose"
    assert server.plugins.registered() == []


def test_hooks_and_schematics_need_a_plugin_identity(
    server: FakeLMStudio, connect_to: Callable[..., WireClient]
) -> None:
    guest = connect_to(server, "plugins")
    for endpoint in ("setToolsProvider", "setPromptPreprocessor", "setGenerator"):
        envelope = guest.next_on(guest.open(endpoint))
        assert envelope["type"] == "channelError"
        assert "only available to plugins" in envelope["error"]["title"]
    error = guest.error("setConfigSchematics", {"schematics": {"fields": []}})
    assert "only available to plugins" in error["title"]
    assert "only available to plugins" in guest.error("pluginInitCompleted")["title"]


def test_config_schematics_are_stored(server: FakeLMStudio, plugin: RawPlugin) -> None:
    field = {
        "shortKey": "prefix",
        "fullKey": "prefix",
        "typeKey": "string",
        "typeParams": {"displayName": "Prefix"},
        "defaultValue": ">> ",
    }
    plugin.ws.result("setConfigSchematics", {"schematics": {"fields": [field]}})
    plugin.ws.result("setGlobalConfigSchematics", {"schematics": {"fields": []}})
    record = server.plugins.get("tests/raw")
    assert record.config_schematics == {"fields": [field]}
    assert record.global_config_schematics == {"fields": []}


def test_a_tools_session_call_status_error_abort_and_discard(
    server: FakeLMStudio, plugin: RawPlugin
) -> None:
    plugin.open_hook("setToolsProvider")
    plugin.init_completed()
    server.plugins.wait_ready("tests/raw", hooks=["toolsProvider"]).result()
    pending = server.plugins.tools_session("tests/raw", plugin_config={"k": 1})
    init = plugin.next_request("setToolsProvider")
    assert init["type"] == "initSession"
    assert init["pluginConfig"] == {"fields": [{"key": "k", "value": 1}]}
    assert init["workingDirectoryPath"] is None
    sid = init["sessionId"]
    tool = {
        "type": "function",
        "function": {"name": "echo", "parameters": {"type": "object", "properties": {}}},
    }
    plugin.reply(
        "setToolsProvider",
        {"type": "sessionInitialized", "sessionId": sid, "toolDefinitions": [tool]},
    )
    session = pending.result()
    assert session.tools == [tool]

    call = session.call("echo", {"x": 1})
    request = plugin.next_request("setToolsProvider")
    assert request == {
        "type": "callTool",
        "sessionId": sid,
        "callId": request["callId"],
        "toolName": "echo",
        "parameters": {"x": 1},
    }
    ids = {"sessionId": sid, "callId": request["callId"]}
    plugin.reply("setToolsProvider", {"type": "toolCallStatus", **ids, "statusText": "working"})
    plugin.reply("setToolsProvider", {"type": "toolCallWarn", **ids, "warnText": "careful"})
    plugin.reply("setToolsProvider", {"type": "toolCallComplete", **ids, "result": {"x": 1}})
    outcome = call.result()
    assert outcome is not None
    assert (outcome.result, outcome.statuses, outcome.warnings) == (
        {"x": 1},
        ["working"],
        ["careful"],
    )

    failing = session.call("echo", {})
    ids["callId"] = plugin.next_request("setToolsProvider")["callId"]
    plugin.reply("setToolsProvider", {"type": "toolCallError", **ids, "error": {"title": "no"}})
    failed = failing.result()
    assert failed is not None and failed.error == {"title": "no"} and failed.result is None

    aborted = session.call("echo", {})
    call_id = plugin.next_request("setToolsProvider")["callId"]
    aborted.abort()
    assert plugin.next_request("setToolsProvider") == {
        "type": "abortToolCall",
        "sessionId": sid,
        "callId": call_id,
    }
    assert aborted.result() is None

    session.discard().result()
    assert plugin.next_request("setToolsProvider") == {"type": "discardSession", "sessionId": sid}
    assert [a["packet"]["type"] for a in server.plugins.answers][:2] == [
        "sessionInitialized",
        "toolCallStatus",
    ]


def test_a_failed_session_start_raises(server: FakeLMStudio, plugin: RawPlugin) -> None:
    plugin.open_hook("setToolsProvider")
    plugin.init_completed()
    pending = server.plugins.tools_session("tests/raw")
    sid = plugin.next_request("setToolsProvider")["sessionId"]
    error = {"title": "cannot list", "rootTitle": "cannot list"}
    plugin.reply(
        "setToolsProvider",
        {"type": "sessionInitializationFailed", "sessionId": sid, "error": error},
    )
    with pytest.raises(PluginHookError, match="cannot list") as caught:
        pending.result()
    assert caught.value.error == error


def _processing(plugin: RawPlugin, request: dict[str, Any]) -> dict[str, Any]:
    return {"pci": request["pci"], "token": request["token"]}


def test_preprocess_with_every_processing_rpc(server: FakeLMStudio, plugin: RawPlugin) -> None:
    plugin.open_hook("setPromptPreprocessor")
    plugin.init_completed()
    earlier = {"role": "assistant", "content": [{"type": "text", "text": "Hi!"}]}
    pending = server.plugins.preprocess("tests/raw", USER, history=[earlier])
    request = plugin.next_request("setPromptPreprocessor")
    assert request["type"] == "preprocess" and request["input"] == USER
    assert request["enabledPluginInfos"][0]["hasPromptPreprocessor"] is True
    ws, ctx = plugin.ws, _processing(plugin, request)
    block = {"status": "waiting", "text": "Starting"}
    assert ws.result("processingHasStatus", ctx) is False
    ws.result(
        "processingHandleUpdate",
        {**ctx, "update": {"type": "status.create", "id": "b1", "state": block}},
    )
    assert ws.result("processingHasStatus", ctx) is True
    ws.result(
        "processingHandleUpdate",
        {
            **ctx,
            "update": {"type": "status.update", "id": "b1", "state": {**block, "status": "done"}},
        },
    )
    assert ws.result("processingPullHistory", {**ctx, "includeCurrent": False}) == {
        "messages": [earlier]
    }
    assert ws.result("processingPullHistory", {**ctx, "includeCurrent": True}) == {
        "messages": [earlier, USER]
    }
    ws.result("processingSetSenderName", {**ctx, "name": "Prefixer"})
    assert ws.result("processingNeedsNaming", ctx) is True
    ws.result("processingSuggestName", {**ctx, "name": "A chat"})
    assert ws.result("processingNeedsNaming", ctx) is False
    source = ws.result("processingGetOrLoadTokenSource", ctx)["tokenSourceIdentifier"]
    assert source["type"] == "model" and source["identifier"] in server.loaded_models()
    confirm = {"type": "confirmToolCall", "callId": 1, "name": "x", "parameters": {}}
    answer = ws.result("processingHandleRequest", {**ctx, "request": confirm})
    assert answer == {"response": {"type": "confirmToolCall", "result": {"type": "allow"}}}
    server.plugins.text_input = "typed"
    text = ws.result(
        "processingHandleRequest", {**ctx, "request": {"type": "textInput", "prompt": "?"}}
    )
    assert text == {"response": {"type": "textInput", "result": "typed"}}
    processed = {"role": "user", "content": [{"type": "text", "text": "HELLO"}]}
    plugin.reply(
        "setPromptPreprocessor",
        {"type": "complete", "taskId": request["taskId"], "processed": processed},
    )
    outcome = pending.result()
    assert outcome.processed == processed and outcome.error is None
    assert [u["type"] for u in outcome.updates] == ["status.create", "status.update"]
    assert outcome.sender_names == ["Prefixer"] and outcome.suggested_names == ["A chat"]
    assert len(outcome.requests) == 2
    # the pci and token outlive the request (LM Studio's prediction process): a late
    # update is still accepted and recorded
    ws.result(
        "processingHandleUpdate",
        {
            **ctx,
            "update": {
                "type": "status.update",
                "id": "b1",
                "state": {**block, "status": "canceled"},
            },
        },
    )
    assert outcome.updates[-1]["state"]["status"] == "canceled"
    error = ws.error("processingHasStatus", {"pci": "pci-0", "token": ctx["token"]})
    assert "Invalid prediction context identifier or token" in error["title"]


def test_a_wrong_token_is_refused(server: FakeLMStudio, plugin: RawPlugin) -> None:
    plugin.open_hook("setPromptPreprocessor")
    plugin.init_completed()
    pending = server.plugins.preprocess("tests/raw", "Hi")
    request = plugin.next_request("setPromptPreprocessor")
    error = plugin.ws.error("processingHasStatus", {"pci": request["pci"], "token": "wrong"})
    assert "Invalid prediction context identifier" in error["title"]
    plugin.reply(
        "setPromptPreprocessor",
        {"type": "error", "taskId": request["taskId"], "error": {"title": "broken"}},
    )
    assert pending.result().error == {"title": "broken"}


def test_aborting_a_preprocess(server: FakeLMStudio, plugin: RawPlugin) -> None:
    plugin.open_hook("setPromptPreprocessor")
    plugin.init_completed()
    pending = server.plugins.preprocess("tests/raw", "Hi")
    task = plugin.next_request("setPromptPreprocessor")["taskId"]
    pending.abort()
    assert plugin.next_request("setPromptPreprocessor") == {"type": "abort", "taskId": task}
    plugin.reply("setPromptPreprocessor", {"type": "aborted", "taskId": task})
    assert pending.result().aborted


def test_generate_collects_fragments_and_tool_calls(
    server: FakeLMStudio, plugin: RawPlugin
) -> None:
    plugin.open_hook("setGenerator")
    plugin.init_completed()
    tool = {
        "type": "function",
        "function": {"name": "add", "parameters": {"type": "object", "properties": {}}},
    }
    pending = server.plugins.generate("tests/raw", "Hi", tools=[tool], plugin_config={"a": True})
    request = plugin.next_request("setGenerator")
    assert request["type"] == "generate" and request["toolDefinitions"] == [tool]
    assert request["input"]["messages"][0]["content"][0]["text"] == "Hi"
    task = request["taskId"]
    call = {"type": "function", "name": "add", "arguments": {}}
    for packet in (
        {"type": "fragmentGenerated", "taskId": task, "content": "Hel", "opts": {}},
        {"type": "fragmentGenerated", "taskId": task, "content": "lo", "opts": {"tokenCount": 1}},
        {"type": "toolCallGenerationStarted", "taskId": task},
        {"type": "toolCallGenerationEnded", "taskId": task, "toolCallRequest": call},
        {"type": "complete", "taskId": task},
    ):
        plugin.reply("setGenerator", packet)
    outcome = pending.result()
    assert outcome.content == "Hello" and outcome.tool_calls == [call]


def test_a_prediction_loop_request(server: FakeLMStudio, plugin: RawPlugin) -> None:
    plugin.open_hook("setPredictionLoopHandler")
    plugin.init_completed()
    pending = server.plugins.prediction_loop("tests/raw", [USER])
    request = plugin.next_request("setPredictionLoopHandler")
    assert request["type"] == "handlePredictionLoop"
    ctx = _processing(plugin, request)
    assert plugin.ws.result("processingPullHistory", {**ctx, "includeCurrent": True}) == {
        "messages": [USER]
    }
    plugin.reply("setPredictionLoopHandler", {"type": "complete", "taskId": request["taskId"]})
    assert pending.result().error is None


def test_a_hook_channel_that_goes_fails_its_requests(
    server: FakeLMStudio, plugin: RawPlugin
) -> None:
    plugin.open_hook("setGenerator")
    plugin.init_completed()
    pending = server.plugins.generate("tests/raw", "Hi")
    plugin.next_request("setGenerator")
    plugin.ws.close()
    with pytest.raises(PluginHookError, match="closed its hook channel"):
        pending.result()


def test_requests_to_missing_plugins_or_hooks_fail(
    server: FakeLMStudio, plugin: RawPlugin, connect_to: Callable[..., WireClient]
) -> None:
    from lmstudio.testing import FakeServerError

    with pytest.raises(FakeServerError, match='Plugin "nobody/else" not found'):
        server.plugins.generate("nobody/else", "Hi").result()
    with pytest.raises(FakeServerError, match="does not provide a tools provider"):
        server.plugins.tools_session("tests/raw").result()
    client = connect_to(server, "plugins")
    creation = {
        "pluginIdentifier": "tests/raw",
        "pluginConfigSpecifier": {"type": "direct", "config": {"fields": []}},
    }
    envelope = client.next_on(client.open("startToolUseSession", creation))
    assert envelope["type"] == "channelError"
    assert "does not provide a tools provider" in envelope["error"]["title"]


def test_a_client_tool_use_session_is_relayed(
    server: FakeLMStudio, plugin: RawPlugin, connect_to: Callable[..., WireClient]
) -> None:
    plugin.serve(tools=True)
    client = connect_to(server, "plugins")
    creation = {
        "pluginIdentifier": "tests/raw",
        "pluginConfigSpecifier": {"type": "direct", "config": {"fields": []}},
    }
    channel = client.open("startToolUseSession", creation)
    ready = client.next_on(channel)["message"]
    assert ready["type"] == "sessionReady"
    assert [t["function"]["name"] for t in ready["toolDefinitions"]] == ["add"]
    client.channel_send(
        channel, {"type": "callTool", "callId": 0, "name": "add", "arguments": {"a": 1, "b": 2}}
    )
    assert client.next_on(channel)["message"] == {
        "type": "toolCallStatus",
        "callId": 0,
        "statusText": "adding",
    }
    assert client.next_on(channel)["message"] == {
        "type": "toolCallComplete",
        "callId": 0,
        "result": 3,
    }
    client.channel_send(channel, {"type": "callTool", "callId": 1, "name": "add", "arguments": {}})
    client.next_on(channel)
    error = client.next_on(channel)["message"]
    assert error["type"] == "toolCallError" and error["callId"] == 1
    client.channel_send(channel, {"type": "discardSession"})
    assert client.next_on(channel)["type"] == "channelClose"


def test_generate_with_generator_is_relayed_and_cancels(
    server: FakeLMStudio, plugin: RawPlugin, connect_to: Callable[..., WireClient]
) -> None:
    plugin.serve(generator=True)
    client = connect_to(server, "plugins")
    creation = {
        "pluginIdentifier": "tests/raw",
        "pluginConfigSpecifier": {"type": "direct", "config": {"fields": []}},
        "tools": [],
        "history": {"messages": [USER]},
    }
    packets, end = client.stream("generateWithGenerator", creation)
    assert end["type"] == "channelClose"
    assert [p["type"] for p in packets] == ["fragment", "success"]
    assert packets[0]["fragment"]["content"] == "Hello "


def test_a_routed_preprocessor_rewrites_the_prompt(
    server: FakeLMStudio, plugin: RawPlugin, connect_to: Callable[..., WireClient]
) -> None:
    plugin.serve(preprocessor=True)
    server.plugins.route_predictions("tests/raw")
    llm = connect_to(server, "llm")
    creation = {
        "modelSpecifier": {"type": "query", "query": {}},
        "history": {"messages": [USER]},
        "predictionConfigStack": {"layers": []},
    }
    packets, end = llm.stream("predict", creation)
    assert end["type"] == "channelClose"
    text = "".join(p["fragment"]["content"] for p in packets if p["type"] == "fragment")
    assert text == "You said: HELLO"
    server.plugins.stop_routing()
    packets, _ = llm.stream("predict", creation)
    assert (
        "".join(p["fragment"]["content"] for p in packets if p["type"] == "fragment")
        == "You said: Hello"
    )


def test_report_error_and_reindex_are_recorded(
    server: FakeLMStudio, connect_to: Callable[..., WireClient]
) -> None:
    client = connect_to(server, "plugins")
    report = {"type": "unauthorized", "pluginRunId": "r1", "serverUrl": "ws://x", "message": "no"}
    client.result("reportError", report)
    client.result("reindexPlugins")
    assert server.plugins.reported_errors == [report]
    assert server.plugins.reindex_count == 1


def test_plugin_identities_pass_an_api_token_server(violations: list[str]) -> None:
    token = "sk-lm-abcdefgh:abcdefghijklmnopqrst"
    with FakeLMStudio(api_tokens=[token]) as server:
        identifier, passkey = server.plugins.add_plugin(MANIFEST)
        assert identifier.startswith("plugin:prod:tests/raw")
        plugin = WireClient(
            server.api_host, "plugins", violations, identifier=identifier, passkey=passkey
        )
        plugin.result("pluginInitCompleted")
        assert server.plugins.get("tests/raw").init_completed
        plugin.close()
        assert not server.warnings


def test_a_registration_ends_with_its_connection_and_a_restart(
    server: FakeLMStudio, violations: list[str]
) -> None:
    first = RawPlugin.register(server, violations, "tests/one")
    second = RawPlugin.register(server, violations, "tests/two")
    assert sorted(server.plugins.registered()) == ["tests/one", "tests/two"]
    first.close()
    deadline = time.monotonic() + 10
    while "tests/one" in server.plugins.registered():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    server.restart()
    assert server.plugins.registered() == []
    second.close()
