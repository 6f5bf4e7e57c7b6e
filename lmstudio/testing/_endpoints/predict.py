"""``llm/predict`` and ``llm/completeRawText``: streamed fake predictions.

A prediction resolves its model, applies the preset and the client's config layers,
checks the files it references (an image given to a model without vision fails it),
then streams: prompt processing progress (0, 0.5, 1), reasoning and content fragments
of exactly one token each, tool call packets, and finally ``success`` with the stats
and effective configs. It stops early, still ending with ``success``, on the client's
``cancel`` (``userStopped``), the model being unloaded (``modelUnloaded``), the token
limit (``maxPredictedTokensReached``), a stop string (``stopStringFound``; the stop
string is not emitted, and text that may start one is held back until it cannot), or,
with the ``stopAtLimit`` overflow policy, the context length (``contextLengthReached``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._errors import FakeServerError, path_not_found, preset_not_found
from lmstudio.testing._gbnf import GrammarError
from lmstudio.testing._kvconfig import (
    PredictionSettings,
    collapse,
    effective_prediction_config,
    prediction_settings,
    to_kv_config,
)
from lmstudio.testing._prompt import render_prompt
from lmstudio.testing._replies import ReplyPlan, plan_reply
from lmstudio.testing._session import CallContext, Channel
from lmstudio.testing._state import Instance, ServerState
from lmstudio.testing._structured import SchemaError
from lmstudio.testing._tokenizer import count_tokens, split_tokens

_YIELD_EVERY = 32
_encode = msgspec.json.Encoder().encode


@channel("predict", "llm")
async def predict(ch: Channel, creation: Any) -> None:
    raw = msgspec.to_builtins(creation)
    layers = creation.prediction_config_stack.layers
    messages: list[dict[str, Any]] = raw["history"]["messages"]
    if ch.core.plugins is not None:  # a routed prompt preprocessor rewrites the user message
        messages = await ch.core.plugins.preprocess_for_prediction(messages)
    raw_prompt = None
    if any(layer.layer_name == "completeModeFormatting" for layer in layers):
        # The official SDKs' text completion: a pass-through template over the messages.
        raw_prompt = "".join(
            part.get("text", "")
            for m in messages
            for part in m.get("content", [])
            if part.get("type") == "text"
        )
    await run_prediction(
        ch, raw["modelSpecifier"], messages, layers, raw.get("fuzzyPresetIdentifier"), raw_prompt
    )


@channel("completeRawText", "llm")
async def complete_raw_text(ch: Channel, creation: Any) -> None:
    raw = msgspec.to_builtins(creation)
    layers = creation.prediction_config_stack.layers
    await run_prediction(
        ch, raw["modelSpecifier"], [], layers, raw.get("fuzzyPresetIdentifier"), raw["rawPrompt"]
    )


def _preset_fields(ch: Channel, preset: str) -> dict[str, Any]:
    for name, fields in ch.core.presets.items():
        if name.lower() == preset.lower():
            return dict(fields)
    raise preset_not_found(preset, list(ch.core.presets))


def _check_files(
    state: ServerState, instance: Instance, messages: Sequence[Mapping[str, Any]]
) -> None:
    for message in messages:
        for part in message.get("content", []):
            if part.get("type") != "file":
                continue
            uploaded = state.files.get(part.get("identifier", ""))
            if uploaded is None:
                raise FakeServerError(
                    f'File not found: "{part.get("identifier")}"',
                    cause="Files are uploaded with files/uploadFileBase64 and live until the server restarts.",
                )
            if uploaded.file_type == "image" and not instance.model.vision:
                raise FakeServerError(
                    "Model does not support images",
                    cause=f'The model "{instance.identifier}" does not have vision capabilities.',
                    suggestion="Use a model with vision support to process images.",
                )


async def run_prediction(
    ch: Channel,
    specifier: Mapping[str, Any],
    messages: list[dict[str, Any]],
    layers: Sequence[Any],
    preset: str | None,
    raw_prompt: str | None,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    state = ch.state
    instance = state.resolve(specifier, "llm")
    fields: dict[str, Any] = _preset_fields(ch, preset) if preset else {}
    fields.update(collapse(layers))
    settings = prediction_settings(fields)
    draft = settings.draft_model or instance.draft_model
    if draft is not None and state.find_downloaded(draft, "llm") is None:
        raise path_not_found(draft, [m.key for m in state.downloaded if m.domain == "llm"])
    _check_files(state, instance, messages)
    if instance.backend.predict is not None:  # a real model (_backends): its own tokens
        await instance.backend.predict(
            ch, instance, messages, raw_prompt, fields, settings, started
        )
        return
    model = instance.model
    try:
        plan = plan_reply(
            messages=messages,
            raw_prompt=raw_prompt,
            model_key=model.key,
            vision=model.vision,
            trained_for_tool_use=model.trained_for_tool_use,
            temperature=settings.temperature,
            tools=settings.tools,
            structured=settings.structured,
        )
    except (GrammarError, SchemaError) as exc:
        raise FakeServerError("Invalid structured output setting", cause=str(exc)) from None
    prompt = raw_prompt if raw_prompt is not None else render_prompt(messages, settings.tools)
    ch.core.emit_log(
        {
            "type": "llm.prediction.input",
            "modelPath": model.path,
            "modelIdentifier": instance.identifier,
            "input": prompt,
        }
    )
    stream = _Stream(ch, instance, settings, count_tokens(prompt), started, draft)
    instance.active += 1
    state.touch(instance)
    try:
        await stream.prompt_progress()
        await stream.run(plan)
    finally:
        instance.active -= 1
        if not instance.unloaded:
            state.touch(instance)
    await send_success(ch, stream, instance, fields)


async def send_success(
    ch: Channel, stream: _Stream, instance: Instance, fields: Mapping[str, Any]
) -> None:
    """The ``success`` packet ending a prediction: stats and the effective configs."""
    await ch.send(
        models.LlmChannelPredictToClientPacketSuccess(
            stats=stream.stats(asyncio.get_running_loop().time()),
            model_info=instance.info(),
            load_model_config=to_kv_config(instance.load_fields),
            prediction_config=to_kv_config(effective_prediction_config(fields)),
        )
    )


class _Stream:
    """Emits one prediction's packets and decides when it stops."""

    def __init__(
        self,
        ch: Channel,
        instance: Instance,
        settings: PredictionSettings,
        prompt_tokens: int,
        started: float,
        draft: str | None,
    ) -> None:
        self.ch = ch
        self.instance = instance
        self.settings = settings
        self.prompt_tokens = prompt_tokens
        self.started = started
        self.draft = draft
        self.loop = asyncio.get_running_loop()
        self.predicted = 0
        self.drafted = 0
        self.content_fragments = 0
        self.first_token_at: float | None = None
        self.stop_reason: str | None = None
        self.stop_string: str | None = None
        self.held = ""  # text that may begin a stop string
        self.held_tokens = 0
        self.longest_stop = max((len(s) for s in settings.stop_strings), default=0)
        self.rate: float | None = None  # the pace of the schedule below
        self.pace_started = 0.0
        self.paced = 0  # tokens paced since the schedule started

    # -- stopping ------------------------------------------------------------------------

    def may_continue(self) -> bool:
        if self.stop_reason is not None:
            return False
        settings = self.settings
        if self.ch.cancelled.is_set():
            self.stop_reason = "userStopped"
        elif self.instance.unloaded:
            self.stop_reason = "modelUnloaded"
        elif settings.max_tokens is not None and self.predicted >= settings.max_tokens:
            self.stop_reason = "maxPredictedTokensReached"
        elif (
            settings.overflow_policy == "stopAtLimit"
            and self.prompt_tokens + self.predicted >= self.instance.context_length
        ):
            self.stop_reason = "contextLengthReached"
        return self.stop_reason is None

    async def pace(self) -> None:
        """Wait until the next token is due at the server's pace (README: *Pace*).

        Token ``n`` (from 1) is due ``n / tokens_per_second`` after the stream's first
        token was asked for, so the average rate holds even when a sleep overshoots; a
        changed pace restarts the schedule. Unlimited
        (``None``), the stream still yields to the loop every few tokens, so a cancel is seen.
        """
        rate = self.ch.core.tokens_per_second
        self.paced += 1
        if rate is None:
            if self.paced % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the socket reader see a cancel
            return
        now = self.loop.time()
        if rate != self.rate:
            self.rate, self.pace_started, self.paced = rate, now, 1
        due = self.pace_started + self.paced / rate  # each token takes its time, the first too
        if due > now:
            await asyncio.sleep(due - now)
        elif self.paced % _YIELD_EVERY == 0:
            await asyncio.sleep(0)

    def token_produced(self, tokens: int = 1) -> None:
        self.predicted += tokens
        if self.first_token_at is None:
            self.first_token_at = self.loop.time()

    # -- packets -------------------------------------------------------------------------

    async def prompt_progress(self) -> None:
        total = self.prompt_tokens
        for progress in (0.0, 0.5, 1.0):
            processed = round(total * progress)
            await self.ch.send(
                models.LlmChannelPredictToClientPacketPromptProcessingProgress(
                    progress=progress,
                    details=models.PromptProcessingDetails(
                        cached_token_count=0,
                        total_prompt_token_count=total,
                        processed_prompt_token_count=processed,
                        unprocessed_prompt_token_count=total - processed,
                    ),
                )
            )

    async def fragment(
        self, content: str, reasoning_type: str, *, structural: bool = False, tokens: int = 1
    ) -> None:
        drafted = False
        if self.draft is not None and reasoning_type == "none":
            # Every second content fragment comes from the draft model (all accepted).
            drafted = self.content_fragments % 2 == 1
            self.content_fragments += 1
            self.drafted += tokens if drafted else 0
        packet = models.LlmChannelPredictToClientPacketFragment(
            fragment=models.LlmPredictionFragment(
                content=content,
                tokens_count=tokens,
                contains_drafted=drafted,
                reasoning_type=reasoning_type,
                is_structural=structural,
            )
        )
        await self.ch.send_encoded(_encode(packet))

    async def text(self, pieces: Sequence[str], reasoning_type: str) -> None:
        """Stream tokens, one fragment each, honouring stop strings."""
        for piece in pieces:
            if not await self.piece(piece, reasoning_type):
                return
        await self.flush(reasoning_type)

    async def piece(self, piece: str, reasoning_type: str, tokens: int = 1) -> bool:
        """Stream one piece of ``tokens`` tokens at the pace; ``False`` once stopped."""
        await self.pace()
        if not self.may_continue():
            return False
        self.token_produced(tokens)
        stops = self.settings.stop_strings
        if not stops:
            await self.fragment(piece, reasoning_type, tokens=tokens)
            return True
        buffer = self.held + piece
        tokens += self.held_tokens
        found = [(buffer.find(s), s) for s in stops if s in buffer]
        if found:
            index, stop = min(found)
            self.held, self.held_tokens = "", 0
            if index > 0:
                await self.fragment(buffer[:index], reasoning_type, tokens=tokens)
            self.stop_reason, self.stop_string = "stopStringFound", stop
            return False
        keep = self._stop_prefix_length(buffer)
        self.held, self.held_tokens = buffer[len(buffer) - keep :], (tokens if keep else 0)
        if keep < len(buffer):
            await self.fragment(
                buffer[: len(buffer) - keep], reasoning_type, tokens=0 if keep else tokens
            )
        return True

    async def flush(self, reasoning_type: str) -> None:
        if self.held:
            held, tokens = self.held, self.held_tokens
            self.held, self.held_tokens = "", 0
            await self.fragment(held, reasoning_type, tokens=tokens)

    def _stop_prefix_length(self, text: str) -> int:
        """Length of the longest end of ``text`` that begins some stop string."""
        for length in range(min(len(text), self.longest_stop - 1), 0, -1):
            tail = text[-length:]
            if any(stop.startswith(tail) for stop in self.settings.stop_strings):
                return length
        return 0

    async def tag(self, content: str, reasoning_type: str) -> bool:
        await self.pace()
        if not self.may_continue():
            return False
        self.token_produced()
        await self.fragment(content, reasoning_type, structural=True)
        return True

    async def run(self, plan: ReplyPlan) -> None:
        if plan.reasoning is not None:
            if not await self.tag("<think>", "reasoningStartTag"):
                return
            await self.text(split_tokens(plan.reasoning), "reasoning")
            if self.stop_reason is not None or not await self.tag("</think>", "reasoningEndTag"):
                return
        await self.text(split_tokens(plan.content), "none")
        for call in plan.tool_calls:
            if not await self.tool_call(call.id, call.name, call.arguments, call.malformed):
                return
        self.may_continue()
        if self.stop_reason is None:
            self.stop_reason = "eosFound"

    async def tool_call(
        self, call_id: str, name: str, arguments: dict[str, Any], malformed: bool = False
    ) -> bool:
        await self.pace()
        if not self.may_continue():
            return False
        ch = self.ch
        await ch.send(
            models.LlmChannelPredictToClientPacketToolCallGenerationStart(tool_call_id=call_id)
        )
        self.token_produced()
        await ch.send(
            models.LlmChannelPredictToClientPacketToolCallGenerationNameReceived(name=name)
        )
        body = json.dumps(arguments, ensure_ascii=False)
        if malformed:  # broken JSON: LM Studio cannot parse the call (``_tools`` rule 5)
            body = body[:-1] + ",,"
        raw = f'<tool_call>{{"name": {json.dumps(name)}, "arguments": {body}}}</tool_call>'
        for piece in split_tokens(body):
            await self.pace()
            if not self.may_continue():
                if self.stop_reason == "maxPredictedTokensReached":
                    await ch.send(
                        models.LlmChannelPredictToClientPacketToolCallGenerationFailed(
                            error=models.SerializedLMSExtendedError(
                                title="Failed to parse tool call: the generation ended inside it",
                                root_title="Failed to parse tool call: the generation ended inside it",
                            ),
                            raw_content=raw,
                        )
                    )
                return False
            self.token_produced()
            await ch.send(
                models.LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated(
                    content=piece
                )
            )
        if malformed:
            await ch.send(
                models.LlmChannelPredictToClientPacketToolCallGenerationFailed(
                    error=models.SerializedLMSExtendedError(
                        title="Failed to parse tool call: its arguments are not valid JSON",
                        root_title="Failed to parse tool call: its arguments are not valid JSON",
                    ),
                    raw_content=raw,
                )
            )
            return True
        await ch.send(
            models.LlmChannelPredictToClientPacketToolCallGenerationEnd(
                tool_call_request=models.FunctionToolCallRequest(
                    id=call_id, name=name, arguments=arguments
                ),
                raw_content=raw,
            )
        )
        return True

    def stats(self, now: float) -> Any:
        stats = models.LlmPredictionStats(
            stop_reason=self.stop_reason or "eosFound",
            prompt_tokens_count=self.prompt_tokens,
            predicted_tokens_count=self.predicted,
            total_tokens_count=self.prompt_tokens + self.predicted,
            num_gpu_layers=-1,
        )
        if self.first_token_at is not None:
            stats.time_to_first_token_sec = round(self.first_token_at - self.started, 6)
            elapsed = max(now - self.first_token_at, 1e-6)
            stats.tokens_per_second = round(self.predicted / elapsed, 3)
        if self.stop_string is not None:
            stats.stop_string = self.stop_string
        if self.draft is not None:
            stats.used_draft_model_key = self.draft
            stats.total_draft_tokens_count = self.drafted
            stats.accepted_draft_tokens_count = self.drafted
            stats.rejected_draft_tokens_count = 0
            stats.ignored_draft_tokens_count = 0
        return stats


@rpc("applyPromptTemplate", "llm")
async def apply_prompt_template(ctx: CallContext, param: Any) -> Any:
    raw = msgspec.to_builtins(param)
    instance = ctx.state.resolve(raw["specifier"], "llm")
    tools = raw["opts"].get("toolDefinitions") or []
    formatted = await instance.backend.render_prompt(raw["history"]["messages"], tools)
    return models.LlmRpcApplyPromptTemplateReturns(formatted=formatted)
