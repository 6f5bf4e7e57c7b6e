"""``LLM``'s prediction methods: ``respond``, ``respond_stream``, ``complete``, ``complete_stream``.

A mixin of :class:`~lmstudio.LLM` (``llm.py``), kept apart for size. Each method is typed
by its ``response_format``: ``respond(chat, response_format=Book)`` is a
``Call[PredictionResult[Book]]``, so ``result.parsed`` is a ``Book`` to a type checker;
a JSON-schema dict gives ``dict[str, Any]``, no format ``str``. The overloads only narrow
the types: the implementation below them is the one signature ``help()`` shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, overload

from .._data.structured import ResponseFormatInput
from .._data.tools import ToolDefinition, tool_set
from .._engine.call import Call, describe
from .._prediction.callbacks import (
    PredictionCallbacks,
    PredictionFragmentCallback,
    PredictionMessageCallback,
)
from .._prediction.request import prepare_complete, prepare_respond
from .._prediction.results import PredictionResult
from .._prediction.stream import PredictionStream
from .._types import (
    USE_CLIENT_DEFAULT,
    PredictionConfigInput,
    PredictionFirstTokenCallback,
    PromptProcessingCallback,
    Timeout,
)
from .predicting import predict

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._data.history import HistoryInput
    from .._engine.session import Session
    from .._protocol.models import ModelSpecifier

__all__ = ["CompleteOptions", "LlmPredictions", "RespondOptions"]

T = TypeVar("T")


class CompleteOptions(TypedDict, total=False):
    """The keyword options of ``complete()`` / ``complete_stream()`` (for the overloads)."""

    config: PredictionConfigInput | None
    preset: str | None
    on_message: PredictionMessageCallback | None
    on_first_token: PredictionFirstTokenCallback | None
    on_prediction_fragment: PredictionFragmentCallback | None
    on_prompt_processing_progress: PromptProcessingCallback | None
    timeout: Timeout


class RespondOptions(CompleteOptions, total=False):
    """The keyword options of ``respond()`` / ``respond_stream()`` (for the overloads)."""

    tools: Iterable[ToolDefinition] | None


class LlmPredictions:
    """The prediction methods of :class:`~lmstudio.LLM` (a mixin; see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _specifier: ModelSpecifier
        _label: str

        @property
        def _session(self) -> Session: ...

    @overload
    def respond_stream(
        self,
        history: HistoryInput,
        *,
        response_format: None = None,
        **options: Unpack[RespondOptions],
    ) -> PredictionStream[str]: ...
    @overload
    def respond_stream(
        self,
        history: HistoryInput,
        *,
        response_format: Mapping[str, Any],
        **options: Unpack[RespondOptions],
    ) -> PredictionStream[dict[str, Any]]: ...
    @overload
    def respond_stream(
        self, history: HistoryInput, *, response_format: type[T], **options: Unpack[RespondOptions]
    ) -> PredictionStream[T]: ...
    @overload
    def respond_stream(
        self,
        history: HistoryInput,
        *,
        response_format: ResponseFormatInput,
        **options: Unpack[RespondOptions],
    ) -> PredictionStream[Any]: ...
    def respond_stream(
        self,
        history: HistoryInput,
        *,
        tools: Iterable[ToolDefinition] | None = None,
        response_format: ResponseFormatInput | None = None,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> PredictionStream[Any]:
        """The model's next message in a chat, streamed fragment by fragment.

        ``for fragment in model.respond_stream(chat): print(fragment.content, end="")``

        Args:
            history: the chat so far: a :class:`~lmstudio.Chat`, a string (one user
                message), or what ``Chat.from_history`` takes (wire- or OpenAI-shaped
                dicts). Copied when the request is sent: later changes do not affect it.
            response_format: structured output: a JSON schema dict, a msgspec
                ``Struct``, a dataclass, a ``TypedDict`` or a pydantic model class;
                ``result.parsed`` then holds the parsed value (an instance of the class,
                typed as such; a dict for a JSON schema). ``None`` (default): text.
            config: the prediction config: an :class:`~lmstudio.LlmPredictionConfig` or a
                dict with snake_case or camelCase keys (``temperature``, ``max_tokens``,
                ``stop_strings``, ``top_k_sampling``, ``draft_model``...). ``None``
                (default): the model's defaults.
            preset: the name of a preset configured in LM Studio, applied under
                ``config``. ``None`` (default): no preset.
            tools: tools to offer the model (functions, ``ToolFunctionDef`` or raw
                definitions, as for :meth:`act`); their requests are in
                ``result.tool_call_requests`` and nothing runs them (:meth:`act` does).
                ``None`` (default): no tools.
            on_message: called with the final assistant message (``AssistantResponse``).
            on_first_token: called once, when the first fragment arrives.
            on_prediction_fragment: called with each :class:`~lmstudio.PredictionFragment`.
            on_prompt_processing_progress: called with the prompt processing progress
                (0.0 to 1.0), and its ``PromptProcessingDetails`` (token counts) if it
                takes a second argument.
            timeout: the inactivity timeout in seconds: the prediction fails when nothing
                arrives for that long (so long generations never trip it). ``None``: no
                timeout. Default: the client's (60 s unless configured).

        Callbacks run where the prediction is consumed: in the thread that iterates it or
        blocks in ``.result()``, or on the loop that awaits it; never on the SDK's own
        event loop. A prediction nobody consumes yet keeps its callbacks, in order, until
        it is. After ``cancel()`` no further callback runs. An exception raised by a
        callback stops the prediction and is raised to the consumer.

        Returns:
            A :class:`~lmstudio.PredictionStream` (``Stream[PredictionFragment,
            PredictionResult]``): iterate it (``for`` / ``async for``) for the fragments,
            ``.result()`` or ``await`` it for the :class:`~lmstudio.PredictionResult`,
            ``.cancel()`` it to stop generating (the result then has stop reason
            ``"userStopped"``), or use it as ``with ... as stream:`` to cancel it on exit.

        Raises:
            LMStudioValueError: an invalid argument (raised here, before anything is sent).

        The stream fails (raised by ``.result()``, ``await`` or the iterator) with
        :class:`~lmstudio.LMStudioPredictionError` if the prediction fails,
        :class:`~lmstudio.LMStudioModelNotFoundError` if the model is no longer loaded,
        :class:`~lmstudio.LMStudioTimeoutError` on inactivity past ``timeout``.
        """
        request = prepare_respond(
            self._specifier,
            history,
            config=config,
            preset=preset,
            response_format=response_format,
            tools=None if tools is None else tool_set(tools).setting,
        )
        callbacks = PredictionCallbacks(
            on_message, on_first_token, on_prediction_fragment, on_prompt_processing_progress
        )
        stream = predict(self._session, request.parameter, request.new_state(), callbacks, timeout)
        return describe(stream, f"{self._label}.respond_stream(...)", shown_as="")

    @overload
    def respond(
        self,
        history: HistoryInput,
        *,
        response_format: None = None,
        **options: Unpack[RespondOptions],
    ) -> Call[PredictionResult[str]]: ...
    @overload
    def respond(
        self,
        history: HistoryInput,
        *,
        response_format: Mapping[str, Any],
        **options: Unpack[RespondOptions],
    ) -> Call[PredictionResult[dict[str, Any]]]: ...
    @overload
    def respond(
        self, history: HistoryInput, *, response_format: type[T], **options: Unpack[RespondOptions]
    ) -> Call[PredictionResult[T]]: ...
    @overload
    def respond(
        self,
        history: HistoryInput,
        *,
        response_format: ResponseFormatInput,
        **options: Unpack[RespondOptions],
    ) -> Call[PredictionResult[Any]]: ...
    def respond(
        self,
        history: HistoryInput,
        *,
        tools: Iterable[ToolDefinition] | None = None,
        response_format: ResponseFormatInput | None = None,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[PredictionResult[Any]]:
        """The model's next message in a chat (the same request as :meth:`respond_stream`).

        ``print(model.respond("Hello!").result().content)``

        Args:
            history: the chat so far: a :class:`~lmstudio.Chat`, a string (one user
                message), or what ``Chat.from_history`` takes (wire- or OpenAI-shaped
                dicts). Copied when the request is sent: later changes do not affect it.
            response_format: structured output: a JSON schema dict, a msgspec
                ``Struct``, a dataclass, a ``TypedDict`` or a pydantic model class;
                ``result.parsed`` then holds the parsed value (an instance of the class,
                typed as such; a dict for a JSON schema). ``None`` (default): text.
            config: the prediction config: an :class:`~lmstudio.LlmPredictionConfig` or a
                dict with snake_case or camelCase keys (``temperature``, ``max_tokens``,
                ``stop_strings``, ``top_k_sampling``, ``draft_model``...). ``None``
                (default): the model's defaults.
            preset: the name of a preset configured in LM Studio, applied under
                ``config``. ``None`` (default): no preset.
            tools: tools to offer the model (functions, ``ToolFunctionDef`` or raw
                definitions, as for :meth:`act`); their requests are in
                ``result.tool_call_requests`` and nothing runs them (:meth:`act` does).
                ``None`` (default): no tools.
            on_message: called with the final assistant message (``AssistantResponse``).
            on_first_token: called once, when the first fragment arrives.
            on_prediction_fragment: called with each :class:`~lmstudio.PredictionFragment`.
            on_prompt_processing_progress: called with the prompt processing progress
                (0.0 to 1.0), and its ``PromptProcessingDetails`` (token counts) if it
                takes a second argument.
            timeout: the inactivity timeout in seconds: the prediction fails when nothing
                arrives for that long (so long generations never trip it). ``None``: no
                timeout. Default: the client's (60 s unless configured).

        Callbacks run where the prediction is consumed: in the thread that iterates it or
        blocks in ``.result()``, or on the loop that awaits it; never on the SDK's own
        event loop. A prediction nobody consumes yet keeps its callbacks, in order, until
        it is. After ``cancel()`` no further callback runs. An exception raised by a
        callback stops the prediction and is raised to the consumer.

        Returns:
            ``Call[PredictionResult[T]]``: ``.result()`` or ``await`` it for the
            :class:`~lmstudio.PredictionResult` (``content``, ``parsed``, ``stats``...).
            ``T``, the type of ``result.parsed``, is the ``response_format`` class
            (``Book`` for ``response_format=Book``), ``dict[str, Any]`` for a JSON schema,
            ``str`` without one.
            At run time it is the same :class:`~lmstudio.PredictionStream`.

        Raises:
            LMStudioValueError: an invalid argument (raised here, before anything is sent).

        The stream fails (raised by ``.result()``, ``await`` or the iterator) with
        :class:`~lmstudio.LMStudioPredictionError` if the prediction fails,
        :class:`~lmstudio.LMStudioModelNotFoundError` if the model is no longer loaded,
        :class:`~lmstudio.LMStudioTimeoutError` on inactivity past ``timeout``.
        """
        stream = self.respond_stream(
            history,
            tools=tools,
            response_format=response_format,
            config=config,
            preset=preset,
            on_message=on_message,
            on_first_token=on_first_token,
            on_prediction_fragment=on_prediction_fragment,
            on_prompt_processing_progress=on_prompt_processing_progress,
            timeout=timeout,
        )
        return describe(stream, f"{self._label}.respond(...)")

    @overload
    def complete_stream(
        self, prompt: str, *, response_format: None = None, **options: Unpack[CompleteOptions]
    ) -> PredictionStream[str]: ...
    @overload
    def complete_stream(
        self, prompt: str, *, response_format: Mapping[str, Any], **options: Unpack[CompleteOptions]
    ) -> PredictionStream[dict[str, Any]]: ...
    @overload
    def complete_stream(
        self, prompt: str, *, response_format: type[T], **options: Unpack[CompleteOptions]
    ) -> PredictionStream[T]: ...
    @overload
    def complete_stream(
        self,
        prompt: str,
        *,
        response_format: ResponseFormatInput,
        **options: Unpack[CompleteOptions],
    ) -> PredictionStream[Any]: ...
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
    ) -> PredictionStream[Any]:
        """A continuation of ``prompt`` as raw text (no chat template), streamed.

        ``for fragment in model.complete_stream("Once upon a time,"): ...``

        Stop strings default to none (a preset's do not apply unless ``config`` sets them).

        Args:
            prompt: the text to continue, sent as it is (no chat template).
            response_format: structured output: a JSON schema dict, a msgspec
                ``Struct``, a dataclass, a ``TypedDict`` or a pydantic model class;
                ``result.parsed`` then holds the parsed value (an instance of the class,
                typed as such; a dict for a JSON schema). ``None`` (default): text.
            config: the prediction config: an :class:`~lmstudio.LlmPredictionConfig` or a
                dict with snake_case or camelCase keys (``temperature``, ``max_tokens``,
                ``stop_strings``, ``top_k_sampling``, ``draft_model``...). ``None``
                (default): the model's defaults.
            preset: the name of a preset configured in LM Studio, applied under
                ``config``. ``None`` (default): no preset.
            on_message: called with the final assistant message (``AssistantResponse``).
            on_first_token: called once, when the first fragment arrives.
            on_prediction_fragment: called with each :class:`~lmstudio.PredictionFragment`.
            on_prompt_processing_progress: called with the prompt processing progress
                (0.0 to 1.0), and its ``PromptProcessingDetails`` (token counts) if it
                takes a second argument.
            timeout: the inactivity timeout in seconds: the prediction fails when nothing
                arrives for that long (so long generations never trip it). ``None``: no
                timeout. Default: the client's (60 s unless configured).

        Callbacks run where the prediction is consumed: in the thread that iterates it or
        blocks in ``.result()``, or on the loop that awaits it; never on the SDK's own
        event loop. A prediction nobody consumes yet keeps its callbacks, in order, until
        it is. After ``cancel()`` no further callback runs. An exception raised by a
        callback stops the prediction and is raised to the consumer.

        Returns:
            A :class:`~lmstudio.PredictionStream`, as :meth:`respond_stream` returns.

        Raises:
            LMStudioValueError: an invalid argument (raised here, before anything is sent).

        The stream fails (raised by ``.result()``, ``await`` or the iterator) with
        :class:`~lmstudio.LMStudioPredictionError` if the prediction fails,
        :class:`~lmstudio.LMStudioModelNotFoundError` if the model is no longer loaded,
        :class:`~lmstudio.LMStudioTimeoutError` on inactivity past ``timeout``.
        """
        request = prepare_complete(
            self._specifier,
            prompt,
            config=config,
            preset=preset,
            response_format=response_format,
        )
        callbacks = PredictionCallbacks(
            on_message, on_first_token, on_prediction_fragment, on_prompt_processing_progress
        )
        stream = predict(self._session, request.parameter, request.new_state(), callbacks, timeout)
        return describe(stream, f"{self._label}.complete_stream(...)", shown_as="")

    @overload
    def complete(
        self, prompt: str, *, response_format: None = None, **options: Unpack[CompleteOptions]
    ) -> Call[PredictionResult[str]]: ...
    @overload
    def complete(
        self, prompt: str, *, response_format: Mapping[str, Any], **options: Unpack[CompleteOptions]
    ) -> Call[PredictionResult[dict[str, Any]]]: ...
    @overload
    def complete(
        self, prompt: str, *, response_format: type[T], **options: Unpack[CompleteOptions]
    ) -> Call[PredictionResult[T]]: ...
    @overload
    def complete(
        self,
        prompt: str,
        *,
        response_format: ResponseFormatInput,
        **options: Unpack[CompleteOptions],
    ) -> Call[PredictionResult[Any]]: ...
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
    ) -> Call[PredictionResult[Any]]:
        """A continuation of ``prompt`` as raw text (the request of :meth:`complete_stream`).

        ``print(model.complete("Once upon a time,").result().content)``

        Args:
            prompt: the text to continue, sent as it is (no chat template).
            response_format: structured output: a JSON schema dict, a msgspec
                ``Struct``, a dataclass, a ``TypedDict`` or a pydantic model class;
                ``result.parsed`` then holds the parsed value (an instance of the class,
                typed as such; a dict for a JSON schema). ``None`` (default): text.
            config: the prediction config: an :class:`~lmstudio.LlmPredictionConfig` or a
                dict with snake_case or camelCase keys (``temperature``, ``max_tokens``,
                ``stop_strings``, ``top_k_sampling``, ``draft_model``...). ``None``
                (default): the model's defaults.
            preset: the name of a preset configured in LM Studio, applied under
                ``config``. ``None`` (default): no preset.
            on_message: called with the final assistant message (``AssistantResponse``).
            on_first_token: called once, when the first fragment arrives.
            on_prediction_fragment: called with each :class:`~lmstudio.PredictionFragment`.
            on_prompt_processing_progress: called with the prompt processing progress
                (0.0 to 1.0), and its ``PromptProcessingDetails`` (token counts) if it
                takes a second argument.
            timeout: the inactivity timeout in seconds: the prediction fails when nothing
                arrives for that long (so long generations never trip it). ``None``: no
                timeout. Default: the client's (60 s unless configured).

        Callbacks run where the prediction is consumed: in the thread that iterates it or
        blocks in ``.result()``, or on the loop that awaits it; never on the SDK's own
        event loop. A prediction nobody consumes yet keeps its callbacks, in order, until
        it is. After ``cancel()`` no further callback runs. An exception raised by a
        callback stops the prediction and is raised to the consumer.

        Returns:
            ``Call[PredictionResult]`` (at run time the same :class:`~lmstudio.PredictionStream`).

        Raises:
            LMStudioValueError: an invalid argument (raised here, before anything is sent).

        The stream fails (raised by ``.result()``, ``await`` or the iterator) with
        :class:`~lmstudio.LMStudioPredictionError` if the prediction fails,
        :class:`~lmstudio.LMStudioModelNotFoundError` if the model is no longer loaded,
        :class:`~lmstudio.LMStudioTimeoutError` on inactivity past ``timeout``.
        """
        stream = self.complete_stream(
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
        return describe(stream, f"{self._label}.complete(...)")
