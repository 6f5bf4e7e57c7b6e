"""``client.llm`` and ``LLM`` handles: loading LLMs, predicting and acting with them.

Predictions open their channel through ``predicting.py``; ``act()`` is driven by
``act.py``. Where callbacks run is stated in each method's docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._constants import DEFAULT_MAX_PARALLEL_TOOL_CALLS
from .._data.config import (
    llm_load_config_from_kv,
    llm_load_config_stack,
    to_struct,
)
from .._data.history import (
    AssistantResponse,
    Chat,
    HistoryInput,
    ToolCallRequest,
    ToolCallResultData,
    ToolResultMessage,
)
from .._data.tools import ToolDefinition
from .._engine.call import Call, describe
from .._exports import publish
from .._prediction.act_events import ActCallbacks, PredictionRoundResult
from .._prediction.results import PredictionFragment
from .._prediction.stream import PredictionStream
from .._protocol.endpoints import llm as llm_api
from .._protocol.models import (
    KvConfig,
    KvConfigStack,
    LlmApplyPromptTemplateOpts,
    LlmInfo,
    LlmInstanceInfo,
    LlmLoadModelConfig,
    LlmRpcApplyPromptTemplateParameter,
    LlmRpcApplyPromptTemplateReturns,
    ModelQuery,
    PromptProcessingDetails,
)
from .._types import (
    USE_CLIENT_DEFAULT,
    LlmLoadConfigInput,
    PredictionConfigInput,
    Timeout,
)
from ..errors import LMStudioPredictionError
from .act import ActStream, GuardToolCallHandler, InvalidToolRequestHandler, start_act
from .downloaded import DownloadedModel
from .handles import DynamicHandle, ModelHandle
from .llm_predictions import LlmPredictions
from .model_extras import LlmHandleExtras
from .models import ModelNamespace
from .predicting import predict_events

__all__ = ["LLM", "ActStream", "LLMDynamicHandle", "LlmMethods", "LlmNamespace", "PredictionStream"]


class LlmMethods(LlmPredictions, LlmHandleExtras):
    """The methods of ``LLM`` and ``LLMDynamicHandle``: everything that addresses the model
    by its specifier (a mixin: :class:`~.handles.QueryHandle` gives the rest)."""

    __slots__ = ()

    def act(
        self,
        chat: HistoryInput,
        tools: Iterable[ToolDefinition],
        *,
        max_prediction_rounds: int | None = None,
        max_parallel_tool_calls: int | None = DEFAULT_MAX_PARALLEL_TOOL_CALLS,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: Callable[[AssistantResponse | ToolResultMessage], object] | None = None,
        on_first_token: Callable[[int], object] | None = None,
        on_prediction_fragment: Callable[[PredictionFragment, int], object] | None = None,
        on_round_start: Callable[[int], object] | None = None,
        on_round_end: Callable[[int], object] | None = None,
        on_prediction_completed: Callable[[PredictionRoundResult], object] | None = None,
        on_prompt_processing_progress: Callable[[float, int], object]
        | Callable[[float, int, PromptProcessingDetails | None], object]
        | None = None,
        on_tool_call_request_start: Callable[[int, int, str | None], object] | None = None,
        on_tool_call_request_name_received: Callable[[int, int, str], object] | None = None,
        on_tool_call_request_argument_fragment_generated: Callable[[int, int, str], object]
        | None = None,
        on_tool_call_request_end: Callable[[int, int, ToolCallRequest], object] | None = None,
        on_tool_call_request_failure: Callable[[int, int, LMStudioPredictionError], object]
        | None = None,
        on_tool_call_result: Callable[[int, int, ToolCallResultData], object] | None = None,
        guard_tool_call: GuardToolCallHandler | None = None,
        handle_invalid_tool_request: InvalidToolRequestHandler | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> ActStream:
        """Let the model use ``tools``: predict, run the tools it calls, predict again...

        Each round is one prediction; the tools the model calls run as soon as their
        requests are complete, their results go back to the model in the next round, and
        the act ends with the first round that calls no tool (or at the round limit).

        Args:
            chat: the conversation (a ``Chat``, a string, or what ``Chat.from_history``
                takes); it is copied, never changed: the act's own copy, with every
                message the act added, is ``ActResult.chat``.
            tools: functions (their name, docstring and annotated parameters describe the
                tool), ``async def`` functions, ``ToolFunctionDef`` objects or dicts, or
                raw tool definitions without an implementation (the act then ends when
                the model calls one and hands the request back in
                ``ActResult.unimplemented_tool_calls``).
            max_prediction_rounds: at most this many rounds, the last one sent without
                tools; ``None`` (default): no limit.
            max_parallel_tool_calls: how many tools may run at once (default 1: one at a
                time, in request order); ``None``: no bound of our own.
            config: prediction config (typed or a dict), applied to every round.
            preset: the name of a preset configured in LM Studio.
            on_message: each message the act adds to the chat: a round's assistant
                message (with its tool call requests), then the tool results.
            on_first_token: ``(round_index)`` at a round's first fragment.
            on_prediction_fragment: ``(fragment, round_index)`` for each fragment.
            on_round_start: ``(round_index)`` when a round starts.
            on_round_end: ``(round_index)`` when a round's messages are recorded.
            on_prediction_completed: ``(round_result)`` when a round's prediction ends
                (its tools may still run).
            on_prompt_processing_progress: ``(progress, round_index)``, or
                ``(progress, round_index, details)`` (a ``PromptProcessingDetails``).
            on_tool_call_request_start: ``(round_index, call_index, tool_call_id)``: the
                model started writing a tool call (``call_index`` numbers the act's
                requests from 0).
            on_tool_call_request_name_received: ``(round_index, call_index, name)``.
            on_tool_call_request_argument_fragment_generated: ``(round_index,
                call_index, text)``.
            on_tool_call_request_end: ``(round_index, call_index, request)``: the
                request is complete.
            on_tool_call_request_failure: ``(round_index, call_index, error)``: LM Studio
                could not parse the request.
            on_tool_call_result: ``(round_index, call_index, result)``: a result for the
                model is ready (the tool's, an error text, or a denial).
            guard_tool_call: ``(round_index, call_index, controller)`` before a tool
                runs: call ``controller.allow()``, ``allow_and_override_parameters(args)``
                or ``deny(reason)`` (the model gets the reason); may be ``async``.
                Guards run one at a time, so a guard can ask a human.
            handle_invalid_tool_request: ``(error, request)`` for a call to an unknown
                tool, arguments that do not fit, or a tool that raised: return the text
                for the model (``None`` keeps the error's text), or raise to stop the
                act. ``request`` is ``None`` when LM Studio could not parse the request:
                without a handler, or if it raises, the act then fails with
                :class:`~lmstudio.LMStudioPredictionError`; if it returns, the act goes
                on. Without a handler the model is told what was wrong.
            timeout: each round's inactivity timeout (tools are not timed).

        Returns:
            An :class:`ActStream` (``Stream[ActEvent, ActResult]``): ``.result()`` or
            ``await`` it for the :class:`~lmstudio.ActResult`, iterate it for the events
            (``RoundStarted``, ``RoundFragment``, ``ToolCallRequested``,
            ``ToolCallCompleted``, ``MessageAdded``...). Callbacks run where it is
            consumed; where tools run, and what ``cancel()`` does to the tools already
            running, is in ``lmstudio._resources.act``'s rules (also in the README).

        Raises:
            LMStudioValueError: here, before anything is sent, for an invalid tool
                definition (naming the tool and the parameter), chat, config or limit.
                The stream fails with :class:`~lmstudio.LMStudioPredictionError` if a
                prediction fails, or with what a handler or guard raised.

        ``print(model.act("What is 12 * 34?", [multiply]).result().content)``
        """
        callbacks = ActCallbacks(
            on_message=on_message,
            on_first_token=on_first_token,
            on_prediction_fragment=on_prediction_fragment,
            on_round_start=on_round_start,
            on_round_end=on_round_end,
            on_prediction_completed=on_prediction_completed,
            on_prompt_processing_progress=on_prompt_processing_progress,
            on_tool_call_request_start=on_tool_call_request_start,
            on_tool_call_request_name_received=on_tool_call_request_name_received,
            on_tool_call_request_argument_fragment_generated=(
                on_tool_call_request_argument_fragment_generated
            ),
            on_tool_call_request_end=on_tool_call_request_end,
            on_tool_call_request_failure=on_tool_call_request_failure,
            on_tool_call_result=on_tool_call_result,
        )
        acting = start_act(
            lambda request: predict_events(self._session, request, timeout),
            self._specifier,
            chat,
            tools,
            max_prediction_rounds=max_prediction_rounds,
            max_parallel_tool_calls=max_parallel_tool_calls,
            config=config,
            preset=preset,
            callbacks=callbacks,
            guard_tool_call=guard_tool_call,
            handle_invalid_tool_request=handle_invalid_tool_request,
        )
        return describe(acting, f"{self._label}.act(...)", shown_as="")

    def apply_prompt_template(
        self,
        history: HistoryInput,
        *,
        opts: LlmApplyPromptTemplateOpts | Mapping[str, Any] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[str]:
        """``history`` formatted with this model's prompt template, as the model sees it.

        ``print(model.apply_prompt_template(chat).result())``

        Args:
            history: a :class:`~lmstudio.Chat`, a string, or what ``Chat.from_history``
                takes.
            opts: ``omit_bos_token``, ``omit_eos_token``, ``tool_definitions`` (an
                ``LlmApplyPromptTemplateOpts`` or a dict, snake_case or camelCase keys).
                ``None`` (default): none.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[str]``: the formatted prompt.

        Raises:
            LMStudioValueError: an invalid history or option (raised here).

        The call fails with :class:`~lmstudio.LMStudioModelNotFoundError` if the model is
        no longer loaded.
        """
        chat = history if isinstance(history, Chat) else Chat.from_history(history)
        parameter = LlmRpcApplyPromptTemplateParameter(
            specifier=self._specifier,
            history=chat.to_wire(),
            prediction_config_stack=KvConfigStack(layers=[]),
            opts=_template_opts(opts),
        )
        return self._session.rpc(
            llm_api.APPLY_PROMPT_TEMPLATE, parameter, transform=_formatted, timeout=timeout
        )


class LLM(LlmMethods, ModelHandle[LlmInstanceInfo, LlmLoadModelConfig]):
    """A loaded LLM: chat responses, completions, tokens, its info and config.

    Obtained from ``client.llm.model(key)`` (or ``lms.llm(key)``), ``load_new_instance()``
    or ``list_loaded()``; every method sends one request and returns a ``Call`` or a
    ``Stream``::

        model = client.llm.model("qwen2.5-7b-instruct").result()
        print(model.respond("Hello!").result().content)
        for fragment in model.respond_stream("Tell me a story"):
            print(fragment.content, end="", flush=True)

    Predictions: :meth:`respond`, :meth:`respond_stream`, :meth:`complete`,
    :meth:`complete_stream`, :meth:`complete_raw`, :meth:`act`; also
    :meth:`apply_prompt_template`, and what every model handle has: ``identifier``,
    ``model_info``, ``get_info()``, ``get_load_config()``, ``get_context_length()``,
    ``tokenize()``, ``count_tokens()``, ``unload()``.

    The handle addresses its instance by identifier, so it keeps working if the model is
    unloaded and loaded again under the same identifier, and fails with
    :class:`~lmstudio.LMStudioModelNotFoundError` while no instance has it.
    """

    __slots__ = ()


class LLMDynamicHandle(LlmMethods, DynamicHandle[LlmInstanceInfo, LlmLoadModelConfig]):
    """An LLM found by a query at each request: ``client.llm.handle(...)``.

    Getting it loads and sends nothing::

        handle = client.llm.handle("qwen2.5-7b-instruct")
        print(handle.respond("Hello!").result().content)

    It has every ``LLM`` method but ``unload()`` (and no ``identifier`` / ``model_info``):
    each goes to the loaded LLM matching ``query`` then, and fails with
    :class:`~lmstudio.LMStudioModelNotFoundError` while none does; ``get_info()`` gives
    ``None`` then.
    """

    __slots__ = ()


class DownloadedLlm(DownloadedModel[LlmInfo, "LLM", LlmLoadConfigInput]):
    """A downloaded LLM; ``.model()`` / ``.load_new_instance()`` give an ``LLM``."""

    __slots__ = ()


class LlmNamespace(
    ModelNamespace[
        LLM,
        LlmInstanceInfo,
        LlmLoadModelConfig,
        LlmLoadConfigInput,
        DownloadedLlm,
        LLMDynamicHandle,
    ]
):
    """Large language models: ``client.llm``.

    ``client.llm.model(key)``, ``handle(key)``, ``load_new_instance(key)``, ``unload(identifier)``,
    ``list_loaded()``, ``list_downloaded()``, ``get_model_info(identifier)``; each returns
    a ``Call``.
    """

    _handle_class = LLM
    _name = "llm"
    _what = "LLM"
    _api = llm_api

    def _handle(self, info: LlmInstanceInfo) -> LLM:
        return LLM(self, info)

    def _dynamic_handle(self, query: ModelQuery) -> LLMDynamicHandle:
        return LLMDynamicHandle(self, query)

    def _downloaded(self, info: object) -> DownloadedLlm | None:
        return DownloadedLlm(info, self) if isinstance(info, LlmInfo) else None

    def _load_config_stack(self, config: LlmLoadConfigInput | None) -> KvConfigStack:
        return llm_load_config_stack(config)

    def _load_config_from_kv(self, config: KvConfig) -> LlmLoadModelConfig:
        return llm_load_config_from_kv(config)


# --- prompt templates -----------------------------------------------------------------


def _template_opts(
    opts: LlmApplyPromptTemplateOpts | Mapping[str, Any] | None,
) -> LlmApplyPromptTemplateOpts:
    return to_struct(opts, LlmApplyPromptTemplateOpts, "prompt template option")


def _formatted(returns: LlmRpcApplyPromptTemplateReturns) -> str:
    return returns.formatted


publish(__name__, globals())
