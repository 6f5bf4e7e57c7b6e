"""``llm/predict`` on a real model: the protocol side of a llama.cpp generation.

The prediction's prompt is the GGUF's chat template over the history (or the raw
prompt of a completion), tokenized by the model. Packets follow LM Studio: prompt
processing progress as llama.cpp works through the prompt (``cachedTokenCount``: what the
KV cache already held), fragments as the model writes them (a fragment per token, or per
character when one is split over tokens), then ``success`` with the measured stats. The
stop rules are the rule models' (``_endpoints/predict.py``): the client's cancel, an
unload, ``maxTokens``, stop strings (held back until they cannot match), and the context
length; end of generation is ``eosFound``.

Honoured: temperature, top-k, top-p, min-p, repeat penalty, the load config's seed,
structured output (a JSON schema, or a GBNF grammar, through llama.cpp's grammars).
Not on real models: tools (offered tools are not rendered, and never called: use the
rule models for tool calls), reasoning sections, draft models.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from lmstudio._protocol import models
from lmstudio.testing._endpoints.predict import _Stream, send_success
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._kvconfig import PredictionSettings
from lmstudio.testing._llama_backend import LlamaBackend, Sampling
from lmstudio.testing._session import Channel
from lmstudio.testing._state import Instance

__all__ = ["predict", "sampling_for"]


class _LlamaStream(_Stream):
    """The rule models' stream, paced by the model itself."""

    async def pace(self) -> None:
        return  # tokens arrive at the model's own pace

    async def progress(self, processed: int, total: int, cached: int) -> None:
        await self.ch.send(
            models.LlmChannelPredictToClientPacketPromptProcessingProgress(
                # the share of the work: what the KV cache held is not reprocessed
                progress=(processed - cached) / (total - cached) if total > cached else 1.0,
                details=models.PromptProcessingDetails(
                    cached_token_count=cached,
                    total_prompt_token_count=total,
                    processed_prompt_token_count=processed,
                    unprocessed_prompt_token_count=total - processed,
                ),
            )
        )


async def _watch_cancel(ch: Channel, stop: Any) -> None:
    await ch.cancelled.wait()
    stop.set()


async def predict(
    ch: Channel,
    instance: Instance,
    messages: list[dict[str, Any]],
    raw_prompt: str | None,
    fields: Mapping[str, Any],
    settings: PredictionSettings,
    started: float,
) -> None:
    """Stream one prediction of a llama.cpp instance, ending with ``success``."""
    backend = instance.backend
    assert isinstance(backend, LlamaBackend)
    if raw_prompt is not None:
        prompt = raw_prompt
    else:
        prompt = await backend.render_prompt(messages, ())  # tools stay on the rule models
    ch.core.emit_log(
        {
            "type": "llm.prediction.input",
            "modelPath": instance.model.path,
            "modelIdentifier": instance.identifier,
            "input": prompt,
        }
    )
    tokens = await backend.prompt_tokens(prompt)
    if not tokens:
        raise FakeServerError("The prompt is empty", cause="A real model needs a prompt token.")
    if len(tokens) >= instance.context_length:
        raise FakeServerError(
            "The prompt does not fit in the context",
            cause=f"The prompt has {len(tokens)} tokens, the context length is "
            f"{instance.context_length}.",
            suggestion="Load the model with a longer context length, or shorten the prompt.",
        )
    grammar = None
    structured = settings.structured
    if structured is not None and structured.kind == "gbnf":
        grammar = await backend.grammar("gbnf", structured.grammar)
    elif structured is not None:
        schema = structured.json_schema
        grammar = await backend.grammar("json", "" if schema is None else json.dumps(schema))
    sampling = sampling_for(fields, settings, backend.seed)
    stream = _LlamaStream(ch, instance, settings, len(tokens), started, None)
    instance.active += 1
    ch.state.touch(instance)
    try:
        async with backend.generation(tokens, sampling, grammar) as (job, queue):
            watcher = asyncio.ensure_future(_watch_cancel(ch, job.stop))
            try:
                await _consume(stream, queue)
            finally:
                watcher.cancel()
    finally:
        instance.active -= 1
        if not instance.unloaded:
            ch.state.touch(instance)
    await send_success(ch, stream, instance, fields)


async def _consume(stream: _LlamaStream, queue: asyncio.Queue[tuple[Any, ...]]) -> None:
    stopped = False  # stopped here (cancel, unload, stop string): the thread is told
    while True:
        event = await queue.get()
        match event:
            case ("progress", processed, total, cached):
                if not stopped:
                    await stream.progress(processed, total, cached)
            case ("token", text, count):
                if not stopped and not await stream.piece(text, "none", count):
                    return
            case ("end", reason):
                if stream.stop_reason is None:
                    stream.may_continue()  # a cancel or an unload the thread saw first
                if stream.stop_reason is None:
                    await stream.flush("none")
                    stream.stop_reason = reason or "eosFound"
                return
            case ("error", message):
                raise FakeServerError("Generation failed in llama.cpp", cause=message)


def _box(fields: Mapping[str, Any], key: str, default: float, off: float) -> float:
    """A number, or a ``{"checked", "value"}`` box (``off`` when unchecked)."""
    value = fields.get(key, default)
    if isinstance(value, Mapping):
        value = value.get("value", default) if value.get("checked", True) else off
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FakeServerError(
            f"Invalid value for config key {key}", cause=f"expected a number, got {value!r}"
        )
    return float(value)


def sampling_for(fields: Mapping[str, Any], settings: PredictionSettings, seed: int) -> Sampling:
    """The sampling of a prediction from its collapsed config (LM Studio's defaults)."""
    prefix = "llm.prediction."
    temperature = settings.temperature if settings.temperature is not None else 0.8
    return Sampling(
        temperature=temperature,
        top_k=int(_box(fields, prefix + "topKSampling", 40, 0)),
        top_p=_box(fields, prefix + "topPSampling", 0.95, 1.0),
        min_p=_box(fields, prefix + "minPSampling", 0.05, 0.0),
        repeat_penalty=_box(fields, prefix + "repeatPenalty", 1.1, 1.0),
        seed=seed,
        max_tokens=settings.max_tokens,
    )
