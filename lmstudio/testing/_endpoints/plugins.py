"""``plugins``: LM Studio's host side of plugins (the rules are in ``_plugins.py``).

Plugins register (``registerDevelopmentPlugin``), open hook channels and answer the
hook requests the host sends them; clients use a plugin's tools
(``startToolUseSession``) and generator (``generateWithGenerator``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import msgspec

from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._plugins import (
    HOOK_ENDPOINTS,
    PluginHookError,
    PluginHost,
    ToolsSession,
    plugin_host,
)
from lmstudio.testing._session import CallContext, Channel


def _host(ctx: CallContext) -> PluginHost:
    return plugin_host(ctx.core)


# -- registration and plugin identity ----------------------------------------------------


@channel("registerDevelopmentPlugin", "plugins")
async def register_development_plugin(ch: Channel, creation: Any) -> None:
    manifest = msgspec.to_builtins(creation.manifest)
    host = _host(ch)
    record = host.register(manifest, dev=True)
    ready: dict[str, Any] = {
        "type": "ready",
        "clientIdentifier": record.client_identifier,
        "clientPasskey": record.client_passkey,
    }
    address = ch.session.ws.local_address
    if isinstance(address, tuple) and len(address) >= 2:
        ready["baseUrl"] = f"ws://{address[0]}:{address[1]}"
    await ch.send(ready)
    try:
        while True:
            packet = await ch.receive()
            if packet.get("type") == "end":
                return
    finally:
        host.unregister(record)


def _hook_channel(endpoint: str) -> None:
    hook = HOOK_ENDPOINTS[endpoint]

    async def serve(ch: Channel, _: None) -> None:
        await _host(ch).serve_hook(ch, hook)

    serve.__name__ = f"serve_{hook}"
    channel(endpoint, "plugins")(serve)


for _endpoint in HOOK_ENDPOINTS:
    _hook_channel(_endpoint)


@rpc("setConfigSchematics", "plugins")
async def set_config_schematics(ctx: CallContext, param: Any) -> None:
    _host(ctx).require_caller(ctx).config_schematics = msgspec.to_builtins(param.schematics)


@rpc("setGlobalConfigSchematics", "plugins")
async def set_global_config_schematics(ctx: CallContext, param: Any) -> None:
    record = _host(ctx).require_caller(ctx)
    record.global_config_schematics = msgspec.to_builtins(param.schematics)


@rpc("pluginInitCompleted", "plugins")
async def plugin_init_completed(ctx: CallContext, _: None) -> None:
    _host(ctx).require_caller(ctx).init_completed = True


@rpc("reportError", "plugins")
async def report_error(ctx: CallContext, param: Any) -> None:
    _host(ctx).reported_errors.append(msgspec.to_builtins(param))


@rpc("reindexPlugins", "plugins")
async def reindex_plugins(ctx: CallContext, _: None) -> None:
    _host(ctx).reindex_count += 1


# -- processing: what a hook does with its request's pci + token -------------------------


@rpc("processingHandleUpdate", "plugins")
async def processing_handle_update(ctx: CallContext, param: Any) -> None:
    task = _host(ctx).processing_task(param)
    update = msgspec.to_builtins(param.update)
    task.outcome.updates.append(update)
    if update.get("type") == "setSenderName":
        task.outcome.sender_names.append(update["name"])


@rpc("processingHandleRequest", "plugins")
async def processing_handle_request(ctx: CallContext, param: Any) -> Any:
    host = _host(ctx)
    task = host.processing_task(param)
    request = msgspec.to_builtins(param.request)
    task.outcome.requests.append(request)
    if request["type"] == "confirmToolCall":
        result = {"type": "allow"} if host.confirm_tool_calls else {"type": "deny"}
        return {"response": {"type": "confirmToolCall", "result": result}}
    return {"response": {"type": "textInput", "result": host.text_input}}


@rpc("processingPullHistory", "plugins")
async def processing_pull_history(ctx: CallContext, param: Any) -> Any:
    task = _host(ctx).processing_task(param)
    messages = list(task.history)
    if param.include_current and task.current is not None:
        messages.append(task.current)
    return {"messages": messages}


@rpc("processingGetOrLoadTokenSource", "plugins")
async def processing_get_or_load_token_source(ctx: CallContext, param: Any) -> Any:
    _host(ctx).processing_task(param)
    state = ctx.state
    loaded = state.loaded("llm")
    if not loaded:
        model = next((m for m in state.downloaded if m.domain == "llm"), None)
        if model is None:
            raise FakeServerError("No model is loaded and no LLM is downloaded")
        loaded = [state.load(model)]
    return {"tokenSourceIdentifier": {"type": "model", "identifier": loaded[0].identifier}}


@rpc("processingHasStatus", "plugins")
async def processing_has_status(ctx: CallContext, param: Any) -> Any:
    task = _host(ctx).processing_task(param)
    return any(u.get("type") == "status.create" for u in task.outcome.updates)


@rpc("processingNeedsNaming", "plugins")
async def processing_needs_naming(ctx: CallContext, param: Any) -> Any:
    return not _host(ctx).processing_task(param).outcome.suggested_names


@rpc("processingSuggestName", "plugins")
async def processing_suggest_name(ctx: CallContext, param: Any) -> None:
    _host(ctx).processing_task(param).outcome.suggested_names.append(param.name)


@rpc("processingSetSenderName", "plugins")
async def processing_set_sender_name(ctx: CallContext, param: Any) -> None:
    _host(ctx).processing_task(param).outcome.sender_names.append(param.name)


# -- clients using plugins ------------------------------------------------------------------


def _config_of(host: PluginHost, specifier: Any) -> tuple[dict[str, Any], str | None]:
    raw = msgspec.to_builtins(specifier)
    if raw["type"] == "direct":
        return raw["config"], raw.get("workingDirectoryPath")
    host.processing_task(specifier)  # validates the prediction process's pci + token
    return {"fields": []}, None


@channel("startToolUseSession", "plugins")
async def start_tool_use_session(ch: Channel, creation: Any) -> None:
    host = _host(ch)
    config, working_directory = _config_of(host, creation.plugin_config_specifier)
    try:
        session = await host.open_tools_session(
            creation.plugin_identifier, plugin_config=config, working_directory=working_directory
        )
    except PluginHookError as exc:
        raise FakeServerError(
            f"Failed to start a tool use session with {creation.plugin_identifier}",
            cause=str(exc) if exc.error is None else exc.error.get("cause") or str(exc),
        ) from None
    calls: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}
    try:
        await ch.send({"type": "sessionReady", "toolDefinitions": session.tools})
        while True:
            packet = await ch.receive()
            match packet["type"]:
                case "callTool":
                    abort = asyncio.Event()
                    call = asyncio.ensure_future(_relay_tool_call(ch, host, session, packet, abort))
                    calls[packet["callId"]] = (call, abort)
                    call.add_done_callback(_forget(calls, packet["callId"]))
                case "abortToolCall":
                    found = calls.get(packet["callId"])
                    if found is not None:
                        found[1].set()
                case "discardSession":
                    return
    finally:
        for call, _ in list(calls.values()):
            call.cancel()
        with contextlib.suppress(Exception):
            await host.discard_session(session)


def _forget(calls: dict[int, Any], key: int) -> Callable[[Any], None]:
    return lambda _: calls.pop(key, None)


async def _relay_tool_call(
    ch: Channel, host: PluginHost, session: ToolsSession, packet: dict[str, Any], abort: Any
) -> None:
    client_id = packet["callId"]

    async def forward(answer: dict[str, Any]) -> None:
        kind = answer["type"]
        relayed: dict[str, Any] = {"type": kind, "callId": client_id}
        for key in ("result", "error", "statusText", "warnText"):
            if key in answer:
                relayed[key] = answer[key]
        await ch.send(relayed)

    try:
        await host.call_tool(
            session, packet["name"], packet["arguments"], abort=abort, on_packet=forward
        )
    except PluginHookError as exc:
        error = FakeServerError(str(exc)).to_wire()
        await ch.send({"type": "toolCallError", "callId": client_id, "error": error})


def _fragment(packet: dict[str, Any]) -> dict[str, Any]:
    opts = packet.get("opts") or {}
    fragment = {
        "content": packet["content"],
        "tokensCount": opts.get("tokenCount", 1),
        "containsDrafted": opts.get("containsDrafted", False),
        "reasoningType": opts.get("reasoningType", "none"),
        "isStructural": opts.get("isStructural", False),
    }
    if "tokens" in opts:
        fragment["tokens"] = opts["tokens"]
    return {"type": "fragment", "fragment": fragment}


def _client_packet(packet: dict[str, Any]) -> dict[str, Any] | None:
    match packet["type"]:
        case "fragmentGenerated":
            return _fragment(packet)
        case "toolCallGenerationStarted":
            started = {"type": "toolCallGenerationStart"}
            if "toolCallId" in packet:
                started["toolCallId"] = packet["toolCallId"]
            return started
        case "toolCallGenerationNameReceived":
            return {"type": "toolCallGenerationNameReceived", "name": packet["toolName"]}
        case "toolCallGenerationArgumentFragmentGenerated":
            return {
                "type": "toolCallGenerationArgumentFragmentGenerated",
                "content": packet["content"],
            }
        case "toolCallGenerationEnded":
            return {"type": "toolCallGenerationEnd", "toolCallRequest": packet["toolCallRequest"]}
        case "toolCallGenerationFailed":
            return {"type": "toolCallGenerationFailed"}
    return None


@channel("generateWithGenerator", "plugins")
async def generate_with_generator(ch: Channel, creation: Any) -> None:
    host = _host(ch)
    config, working_directory = _config_of(host, creation.plugin_config_specifier)
    raw = msgspec.to_builtins(creation)

    async def forward(packet: dict[str, Any]) -> None:
        relayed = _client_packet(packet)
        if relayed is not None:
            await ch.send(relayed)

    try:
        outcome = await host.generate(
            creation.plugin_identifier,
            raw["history"]["messages"],
            tools=raw["tools"],
            plugin_config=config,
            working_directory=working_directory,
            abort=ch.cancelled,
            on_packet=forward,
        )
    except PluginHookError as exc:
        raise FakeServerError(
            f"Generator {creation.plugin_identifier} failed", cause=str(exc)
        ) from None
    if outcome.error is not None:
        raise FakeServerError(
            outcome.error.get("title") or f"Generator {creation.plugin_identifier} failed",
            cause=outcome.error.get("cause"),
        )
    await ch.send({"type": "success"})
