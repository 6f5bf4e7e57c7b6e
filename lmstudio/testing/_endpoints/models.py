"""``llm`` and ``embedding`` model endpoints: listing, info, tokens, loading, unloading."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import msgspec

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._endpoints.lm_link import THIS_DEVICE, load_device
from lmstudio.testing._errors import FakeServerError, no_model_matching_query
from lmstudio.testing._kvconfig import PREDICTION_DEFAULTS, collapse, load_config, to_kv_config
from lmstudio.testing._session import CallContext, Channel
from lmstudio.testing._state import Instance, model_info

_BOTH = ("llm", "embedding")
_PROGRESS_STEPS = (0.25, 0.5, 0.75, 1.0)


def resolve(ctx: CallContext, specifier: Any) -> Instance:
    return ctx.state.resolve(msgspec.to_builtins(specifier), ctx.namespace)


@rpc("listLoaded", *_BOTH)
async def list_loaded(ctx: CallContext, _: None) -> Any:
    return [i.info() for i in ctx.state.loaded(ctx.namespace)]


@rpc("getModelInfo", *_BOTH)
async def get_model_info(ctx: CallContext, param: Any) -> Any:
    try:
        return resolve(ctx, param.specifier).info()
    except FakeServerError:
        if param.throw_if_not_found:
            raise
        return None  # absent result


@rpc("getInstanceProcessingState", *_BOTH)
async def get_instance_processing_state(ctx: CallContext, param: Any) -> Any:
    instance = resolve(ctx, param.specifier)
    busy = "generating" if ctx.namespace == "llm" else "computingEmbedding"
    return models.ModelProcessingState(status=busy if instance.active else "idle", queued=0)


@rpc("getLoadConfig", *_BOTH)
async def get_load_config(ctx: CallContext, param: Any) -> Any:
    return to_kv_config(resolve(ctx, param.specifier).load_fields)


@rpc("getBasePredictionConfig", *_BOTH)
async def get_base_prediction_config(ctx: CallContext, param: Any) -> Any:
    resolve(ctx, param.specifier)
    return to_kv_config(PREDICTION_DEFAULTS if ctx.namespace == "llm" else {})


@rpc("estimateModelUsage", *_BOTH)
async def estimate_model_usage(ctx: CallContext, param: Any) -> Any:
    model = ctx.state.require_downloaded(param.model_key, ctx.namespace)
    load_device(ctx.core, param.device_identifier)
    fields = collapse(param.load_config_stack.layers)
    _, context_length = load_config(ctx.namespace, fields, model.max_context_length)
    size = int(model.info["sizeBytes"])
    context = context_length * 131_072
    return models.EstimatedResourcesUsage(
        memory=models.EstimatedModelMemoryUsage(
            confidence="high",
            model_vram_bytes=size,
            context_vram_bytes=context,
            total_vram_bytes=size + context,
            model_bytes=size,
            context_bytes=context,
            total_bytes=size + context,
        ),
        passes_guardrails=True,
    )


@rpc("unloadModel", *_BOTH)
async def unload_model(ctx: CallContext, param: Any) -> None:
    if param.device_identifier is msgspec.UNSET:
        ctx.state.unload_identifier(param.identifier, ctx.namespace)
        return
    device = None if param.device_identifier in (None, THIS_DEVICE) else param.device_identifier
    wanted = param.identifier.lower()
    loaded = ctx.state.loaded(ctx.namespace)
    found = next((i for i in loaded if i.identifier.lower() == wanted and i.device == device), None)
    if found is None:
        query = {"identifier": param.identifier}
        raise no_model_matching_query(query, ctx.state.identifiers(ctx.namespace))
    ctx.state.unload(found)


@rpc("tokenize", *_BOTH)
async def tokenize_rpc(ctx: CallContext, param: Any) -> Any:
    instance = resolve(ctx, param.specifier)
    ctx.state.touch(instance)
    # Integer ids on the wire, as LM Studio sends them (the schema says "number"); an
    # embedding model adds its start and end markers.
    embedding = ctx.namespace == "embedding"
    tokens = await instance.backend.tokenize(param.input_string, embedding=embedding)
    return models.EmbeddingRpcTokenizeReturns(tokens=cast("list[float]", tokens))


@rpc("countTokens", *_BOTH)
async def count_tokens_rpc(ctx: CallContext, param: Any) -> Any:
    instance = resolve(ctx, param.specifier)
    ctx.state.touch(instance)
    count = await instance.backend.count_tokens(param.input_string)
    return models.EmbeddingRpcCountTokensReturns(token_count=count)


@rpc("preloadDraftModel", "llm")
async def preload_draft_model(ctx: CallContext, param: Any) -> None:
    instance = resolve(ctx, param.specifier)
    draft = ctx.state.require_downloaded(param.draft_model_key, "llm")
    instance.draft_model = draft.key


async def _progress(ch: Channel, packet: Any) -> None:
    """Loading progress packets, spread over the server's load time."""
    pause = ch.core.load_time / len(_PROGRESS_STEPS)
    for step in _PROGRESS_STEPS:
        if pause:
            await asyncio.sleep(pause)
        if ch.cancelled.is_set():
            raise FakeServerError("Model loading was cancelled")
        await ch.send(packet(progress=step))


@channel("loadModel", *_BOTH)
async def load_model(ch: Channel, creation: Any) -> None:
    state = ch.state
    model = state.require_downloaded(creation.model_key, ch.namespace)
    identifier = creation.identifier if isinstance(creation.identifier, str) else None
    if identifier is not None:
        state.check_identifier_free(identifier)
    device = load_device(ch.core, creation.device_identifier)
    fields = collapse(creation.load_config_stack.layers)
    load_config(ch.namespace, fields, model.max_context_length)  # reject bad values up front
    resolved = (
        models.LlmChannelLoadModelToClientPacketResolved
        if ch.namespace == "llm"
        else models.EmbeddingChannelLoadModelToClientPacketResolved
    )
    await ch.send(resolved(info=model_info(model)))
    await _progress(ch, models.EmbeddingChannelLoadModelToClientPacketProgress)
    ttl = creation.ttl_ms if isinstance(creation.ttl_ms, int) else None
    instance = state.load(
        model, identifier=identifier, ttl_ms=ttl, load_fields=fields, device=device
    )
    success = (
        models.LlmChannelLoadModelToClientPacketSuccess
        if ch.namespace == "llm"
        else models.EmbeddingChannelLoadModelToClientPacketSuccess
    )
    await ch.send(success(info=instance.info()))


@channel("getOrLoad", *_BOTH)
async def get_or_load(ch: Channel, creation: Any) -> None:
    state = ch.state
    llm = ch.namespace == "llm"
    device = load_device(ch.core, creation.device_identifier)
    found = state.find_instance({"identifier": creation.identifier}, ch.namespace)
    if found is not None and creation.device_identifier is not msgspec.UNSET:
        found = found if found.device == device else None  # asked for another device
    if found is not None:
        state.touch(found)
        already = (
            models.LlmChannelGetOrLoadToClientPacketAlreadyLoaded
            if llm
            else models.EmbeddingChannelGetOrLoadToClientPacketAlreadyLoaded
        )
        await ch.send(already(info=found.info()))
        return
    model = state.find_downloaded(creation.identifier, ch.namespace)
    if model is None:
        raise no_model_matching_query(
            {"identifier": creation.identifier}, state.identifiers(ch.namespace)
        )
    fields = collapse(creation.load_config_stack.layers)
    load_config(ch.namespace, fields, model.max_context_length)
    start = (
        models.LlmChannelGetOrLoadToClientPacketStartLoading
        if llm
        else models.EmbeddingChannelGetOrLoadToClientPacketStartLoading
    )
    await ch.send(start(identifier=state.next_identifier(model), info=model_info(model)))
    for other in state.jit_to_evict():  # whatever its namespace, as LM Studio
        await ch.send(
            models.ChannelGetOrLoadToClientPacketUnloadingOtherJITModel(info=other.info())
        )
        state.unload(other)
    await _progress(ch, models.ChannelGetOrLoadToClientPacketLoadProgress)
    ttl = creation.load_ttl_ms if isinstance(creation.load_ttl_ms, int) else None
    instance = state.load(model, ttl_ms=ttl, jit=True, load_fields=fields, device=device)
    success = (
        models.LlmChannelGetOrLoadToClientPacketLoadSuccess
        if llm
        else models.EmbeddingChannelGetOrLoadToClientPacketLoadSuccess
    )
    await ch.send(success(info=instance.info()))
