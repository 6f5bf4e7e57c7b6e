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

from collections.abc import Mapping
from typing import Any, cast

from .._data.config import (
    llm_load_config_from_kv,
    llm_load_config_stack,
    to_struct,
)
from .._data.history import Chat, HistoryInput
from .._data.specifiers import model_specifier
from .._data.structured import ResponseFormatInput
from .._engine.call import Call
from .._exports import publish
from .._prediction.callbacks import (
    PredictionCallbacks,
    PredictionFragmentCallback,
    PredictionMessageCallback,
)
from .._prediction.request import PredictionRequest, prepare_complete, prepare_respond
from .._prediction.results import PredictionResult
from .._prediction.stream import PredictionStream, consumer
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
)
from .._types import (
    USE_CLIENT_DEFAULT,
    LlmLoadConfigInput,
    PredictionConfigInput,
    PredictionFirstTokenCallback,
    PromptProcessingCallback,
    Timeout,
)
from .models import DownloadedModel, ModelHandle, ModelNamespace

__all__ = ["LLM", "LlmNamespace", "PredictionStream"]


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
            llm_api.APPLY_PROMPT_TEMPLATE, parameter, transform=_formatted, timeout=timeout
        )


class DownloadedLlm(DownloadedModel[LlmInfo, "LLM", LlmLoadConfigInput]):
    """A downloaded LLM; ``.model()`` / ``.load_new_instance()`` give an ``LLM``."""

    __slots__ = ()


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
    _api = llm_api

    def _handle(self, info: LlmInstanceInfo) -> LLM:
        return LLM(self, info)

    def _downloaded(self, info: object) -> DownloadedLlm | None:
        return DownloadedLlm(info, self) if isinstance(info, LlmInfo) else None

    def _load_config_stack(self, config: LlmLoadConfigInput | None) -> KvConfigStack:
        return llm_load_config_stack(config)

    def _load_config_from_kv(self, config: KvConfig) -> LlmLoadModelConfig:
        return llm_load_config_from_kv(config)


# --- predictions ----------------------------------------------------------------------


def _predict(
    model: LLM, request: PredictionRequest, callbacks: PredictionCallbacks, timeout: Timeout
) -> PredictionStream:
    stream = model._session.channel(
        llm_api.PREDICT,
        request.parameter,
        handler=request.new_state(),
        consume=consumer(callbacks),
        timeout=timeout,
        stream_class=PredictionStream,
    )
    return cast(PredictionStream, stream)  # it is one: stream_class


# --- prompt templates -----------------------------------------------------------------


def _template_opts(
    opts: LlmApplyPromptTemplateOpts | Mapping[str, Any] | None,
) -> LlmApplyPromptTemplateOpts:
    return to_struct(opts, LlmApplyPromptTemplateOpts, "prompt template option")


def _formatted(returns: LlmRpcApplyPromptTemplateReturns) -> str:
    return returns.formatted


publish(__name__, globals())
