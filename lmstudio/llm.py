"""``client.llm`` and ``LLM`` handles: loading LLMs and predicting with them.

Every prediction method returns a :class:`PredictionStream`: iterate it for the
fragments as they are generated, or block on / await it for the final
:class:`~lmstudio.PredictionResult`::

    model = client.llm.model().result()               # or: await client.llm.model()
    print(model.respond("Hello!").result().content)
    for fragment in model.respond_stream("Tell me a story"):
        print(fragment.content, end="", flush=True)

Callbacks (``on_message``, ``on_first_token``, ``on_prediction_fragment``,
``on_prompt_processing_progress``) run where the prediction is consumed: in the thread
that iterates it or blocks in ``.result()``, or on the loop that awaits it; never on the
engine's loop. A prediction nobody consumes yet keeps its callbacks, in order, until it
is. After ``cancel()`` no further callback runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._engine.call import Call
from ._engine.constants import USE_CLIENT_DEFAULT
from ._engine.handler import ChannelHandler
from ._engine.stream import SKIP, Skip, Stream
from ._model_handle import ModelHandle, ModelNamespace, Timeout
from ._protocol.models import (
    KvConfig,
    KvConfigStack,
    LlmApplyPromptTemplateOpts,
    LlmInfo,
    LlmInstanceInfo,
    LlmLoadModelConfig,
    LlmPredictionStats,
    LlmRpcApplyPromptTemplateParameter,
    LlmRpcApplyPromptTemplateReturns,
)
from .catalog import DownloadedLlm
from .config import (
    LlmLoadConfigInput,
    PredictionConfigInput,
    llm_load_config_from_kv,
    llm_load_config_stack,
    to_struct,
)
from .errors import (
    LMStudioPredictionError,
    LMStudioProtocolError,
    LMStudioServerError,
)
from .history import Chat, HistoryInput
from .prediction import (
    FragmentReceived,
    PredictionCallbacks,
    PredictionEvent,
    PredictionFirstTokenCallback,
    PredictionFragment,
    PredictionFragmentCallback,
    PredictionMessageCallback,
    PredictionRequest,
    PredictionResult,
    PredictionState,
    PromptProcessingCallback,
    model_specifier,
    prepare_complete,
    prepare_respond,
)
from .structured import ResponseFormatInput

__all__ = ["LLM", "LlmNamespace", "PredictionStream"]


class PredictionStream(Stream[PredictionFragment, PredictionResult]):
    """A prediction: its fragments (``for`` / ``async for``), then its result.

    A ``Stream[PredictionFragment, PredictionResult]``: ``.result(timeout)`` or ``await``
    for the :class:`~lmstudio.PredictionResult` (iterating first is optional),
    ``.cancel()`` to stop generating: the result then holds the text generated so far,
    with stop reason ``"userStopped"``.
    """

    __slots__ = ()

    @property
    def stats(self) -> LlmPredictionStats | None:
        """The prediction's statistics once it finished successfully, else ``None``."""
        result = self._final()
        return None if result is None else result.stats

    @property
    def model_info(self) -> LlmInstanceInfo | None:
        """The instance that answered, once the prediction finished successfully."""
        result = self._final()
        return None if result is None else result.model_info

    def _final(self) -> PredictionResult | None:
        # Call's own methods: Stream.result() would consume pending fragments.
        if not self.done() or self.cancelled() or Call.exception(self) is not None:
            return None
        return Call.result(self)


class LLM(ModelHandle[LlmInstanceInfo, LlmLoadModelConfig]):
    """A loaded LLM (see :class:`~lmstudio._model_handle.ModelHandle` for the common methods)."""

    __slots__ = ()

    def respond_stream(
        self,
        history: HistoryInput,
        *,
        response_format: ResponseFormatInput | None = None,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> PredictionStream:
        """The model's next message in a chat, streamed.

        ``history``: a :class:`~lmstudio.Chat`, a string (one user message), or anything
        ``Chat.from_history`` takes (wire- or OpenAI-shaped dicts). It is copied when the
        request is sent: changing the chat afterwards does not change the request.

        ``response_format``: structured output: a JSON schema dict, a msgspec
        ``Struct``, a dataclass, a ``TypedDict`` or a pydantic model class;
        ``result.parsed`` then holds the parsed value. ``config``: an
        :class:`~lmstudio.LlmPredictionConfig` or a dict with snake_case or camelCase
        keys (``temperature``, ``max_tokens``, ``stop_strings``, ``top_k_sampling``,
        ``draft_model``...). ``preset``: the name of a preset configured in LM Studio,
        applied under ``config``. Callbacks: see the module docstring. ``timeout``:
        the inactivity timeout (no packet for that long fails the prediction).

        Returns a :class:`PredictionStream` (``Stream[PredictionFragment,
        PredictionResult]``). Raises :class:`~lmstudio.LMStudioValueError` here for an
        invalid argument; the stream fails with :class:`~lmstudio.LMStudioPredictionError`
        if the prediction fails, :class:`~lmstudio.LMStudioModelNotFoundError` if the
        model is no longer loaded.

        ``for fragment in model.respond_stream(chat): print(fragment.content, end="")``
        """
        request = prepare_respond(
            self.identifier,
            history,
            config=config,
            preset=preset,
            response_format=response_format,
        )
        callbacks = PredictionCallbacks(
            on_message, on_first_token, on_prediction_fragment, on_prompt_processing_progress
        )
        return _predict(self, request, callbacks, timeout)

    def respond(
        self,
        history: HistoryInput,
        *,
        response_format: ResponseFormatInput | None = None,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[PredictionResult]:
        """The model's next message in a chat: :meth:`respond_stream`, typed for its result.

        Returns ``Call[PredictionResult]`` (the same :class:`PredictionStream` at run time).

        ``print(model.respond("Hello!").result().content)``
        """
        return self.respond_stream(
            history,
            response_format=response_format,
            config=config,
            preset=preset,
            on_message=on_message,
            on_first_token=on_first_token,
            on_prediction_fragment=on_prediction_fragment,
            on_prompt_processing_progress=on_prompt_processing_progress,
            timeout=timeout,
        )

    def complete_stream(
        self,
        prompt: str,
        *,
        response_format: ResponseFormatInput | None = None,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> PredictionStream:
        """A continuation of ``prompt`` as raw text (no chat template), streamed.

        The prompt reaches the model as it is; stop strings default to none (a preset's
        do not apply unless ``config`` sets them). Arguments as for :meth:`respond_stream`.

        Returns a :class:`PredictionStream`.

        ``for fragment in model.complete_stream("Once upon a time,"): ...``
        """
        request = prepare_complete(
            self.identifier,
            prompt,
            config=config,
            preset=preset,
            response_format=response_format,
        )
        callbacks = PredictionCallbacks(
            on_message, on_first_token, on_prediction_fragment, on_prompt_processing_progress
        )
        return _predict(self, request, callbacks, timeout)

    def complete(
        self,
        prompt: str,
        *,
        response_format: ResponseFormatInput | None = None,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[PredictionResult]:
        """A continuation of ``prompt``: :meth:`complete_stream`, typed for its result.

        Returns ``Call[PredictionResult]``. ``model.complete("Once upon a time,").result()``
        """
        return self.complete_stream(
            prompt,
            response_format=response_format,
            config=config,
            preset=preset,
            on_message=on_message,
            on_first_token=on_first_token,
            on_prediction_fragment=on_prediction_fragment,
            on_prompt_processing_progress=on_prompt_processing_progress,
            timeout=timeout,
        )

    def apply_prompt_template(
        self,
        history: HistoryInput,
        *,
        opts: LlmApplyPromptTemplateOpts | Mapping[str, Any] | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[str]:
        """``history`` formatted with this model's prompt template, as the model would see it.

        ``opts``: ``omit_bos_token``, ``omit_eos_token``, ``tool_definitions`` (an
        :class:`LlmApplyPromptTemplateOpts` or a dict, snake_case or camelCase keys).

        Returns ``Call[str]``. ``print(model.apply_prompt_template(chat).result())``
        """
        chat = history if isinstance(history, Chat) else Chat.from_history(history)
        parameter = LlmRpcApplyPromptTemplateParameter(
            specifier=model_specifier(self.identifier),
            history=chat.to_wire(),
            prediction_config_stack=KvConfigStack(layers=[]),
            opts=_template_opts(opts),
        )
        return self._session.rpc(
            "llm", "applyPromptTemplate", parameter, transform=_formatted, timeout=timeout
        )


class LlmNamespace(
    ModelNamespace[LLM, LlmInstanceInfo, LlmLoadModelConfig, LlmLoadConfigInput, DownloadedLlm]
):
    """Large language models: ``client.llm`` (see :class:`~lmstudio._model_handle.ModelNamespace`).

    ``client.llm.model(key)``, ``load_new_instance(key)``, ``unload(identifier)``,
    ``list_loaded()``, ``list_downloaded()``, ``get_model_info(identifier)``; each returns
    a ``Call``.
    """

    _name = "llm"
    _what = "LLM"

    def _handle(self, info: LlmInstanceInfo) -> LLM:
        return LLM(self, info)

    def _downloaded(self, info: object) -> DownloadedLlm | None:
        return DownloadedLlm(info, self) if isinstance(info, LlmInfo) else None

    def _load_config_stack(self, config: LlmLoadConfigInput | None) -> KvConfigStack:
        return llm_load_config_stack(config)

    def _load_config_from_kv(self, config: KvConfig) -> LlmLoadModelConfig:
        return llm_load_config_from_kv(config)


# --- predictions ----------------------------------------------------------------------


class _PredictionHandler(ChannelHandler[PredictionEvent, PredictionResult]):
    """The engine side of a prediction: packets into events, ``success`` into the result."""

    def __init__(self, state: PredictionState) -> None:
        self._state = state

    def packet(self, packet: Any) -> PredictionEvent | list[PredictionEvent] | None:
        return self._state.events_of(packet) or None

    def cancel(self) -> None:
        self._state.mark_cancelled()

    def close(self) -> PredictionResult:
        result = self._state.result
        if result is None:
            raise LMStudioProtocolError("LM Studio ended the prediction without its result")
        return result

    def error(self, error: LMStudioServerError) -> BaseException:
        if type(error) is not LMStudioServerError:  # already specific (model not found...)
            return error
        return LMStudioPredictionError(
            error.title,
            cause=error.cause,
            suggestion=error.suggestion,
            error_data=error.error_data,
            display_data=error.display_data,
            root_title=error.root_title,
            stack=error.stack,
        )


def _consumer(callbacks: PredictionCallbacks) -> Callable[[PredictionEvent], Any]:
    if not callbacks:
        return _fragment_of

    def consume(event: PredictionEvent) -> PredictionFragment | Skip:
        callbacks.dispatch(event)
        return _fragment_of(event)

    return consume


def _fragment_of(event: PredictionEvent) -> PredictionFragment | Skip:
    return event.fragment if type(event) is FragmentReceived else SKIP


def _predict(
    model: LLM, request: PredictionRequest, callbacks: PredictionCallbacks, timeout: Timeout
) -> PredictionStream:
    return model._session.channel(
        "llm",
        "predict",
        request.parameter,
        handler=_PredictionHandler(request.new_state()),
        consume=_consumer(callbacks),
        timeout=timeout,
        stream_class=PredictionStream,
    )


# --- prompt templates -----------------------------------------------------------------


def _template_opts(
    opts: LlmApplyPromptTemplateOpts | Mapping[str, Any] | None,
) -> LlmApplyPromptTemplateOpts:
    return to_struct(opts, LlmApplyPromptTemplateOpts, "prompt template option")


def _formatted(returns: LlmRpcApplyPromptTemplateReturns) -> str:
    return returns.formatted
