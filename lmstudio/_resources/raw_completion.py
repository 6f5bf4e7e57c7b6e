"""``LLM.complete_raw()`` / ``complete_raw_stream()``: LM Studio's ``completeRawText``.

Unlike ``complete()``, which sends the prompt as a one-message chat with a pass-through
template (as the official SDKs' ``complete`` does), this sends the prompt text itself
and LM Studio applies no template at all. The packets are the prediction's own
(fragments, prompt processing progress, ``success``), so the stream and the result are
a prediction's: :class:`~lmstudio.PredictionStream`, :class:`~lmstudio.PredictionResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .._engine.call import Call
from .._prediction.callbacks import (
    PredictionCallbacks,
    PredictionFragmentCallback,
    PredictionMessageCallback,
)
from .._prediction.request import prepare_complete_raw
from .._prediction.results import PredictionResult
from .._prediction.state import PredictionState
from .._prediction.stream import PredictionStream
from .._protocol.endpoints import llm as llm_api
from .._protocol.models import (
    LlmChannelCompleteRawTextToClientPacketPromptProcessingProgress,
    LlmChannelPredictToClientPacketPromptProcessingProgress,
)
from .._types import (
    USE_CLIENT_DEFAULT,
    PredictionConfigInput,
    PredictionFirstTokenCallback,
    PromptProcessingCallback,
    Timeout,
)
from .predicting import predict

if TYPE_CHECKING:
    from .._engine.session import Session
    from .._protocol.models import ModelSpecifier

__all__ = ["RawCompletion"]


class RawCompletion:
    """``complete_raw`` for ``LLM`` (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _specifier: ModelSpecifier
        _label: str

        @property
        def _session(self) -> Session: ...

    def complete_raw_stream(
        self,
        prompt: str,
        *,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> PredictionStream[str]:
        """A continuation of the raw text ``prompt``, with no template whatsoever, streamed.

        ``for fragment in model.complete_raw_stream("<|im_start|>user\\nHi"): ...``

        Args:
            prompt: the exact text the model continues (any special tokens included).
            config: the prediction config, as for ``complete_stream()``.
            preset: the name of a preset configured in LM Studio (``None``: none).
            on_message: called with the final assistant message.
            on_first_token: called once, when the first fragment arrives.
            on_prediction_fragment: called with each ``PredictionFragment``.
            on_prompt_processing_progress: called with the prompt processing progress
                (0.0 to 1.0), and its ``PromptProcessingDetails`` (token counts) if it
                takes a second argument.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Callbacks run where the prediction is consumed, as for ``respond_stream()``.

        Returns:
            A :class:`~lmstudio.PredictionStream` (fragments as items, a
            ``PredictionResult`` as its result; ``.cancel()`` stops it).

        Raises:
            LMStudioValueError: an invalid argument (raised here, before anything is sent).
        """
        creation = prepare_complete_raw(self._specifier, prompt, config=config, preset=preset)
        callbacks = PredictionCallbacks(
            on_message, on_first_token, on_prediction_fragment, on_prompt_processing_progress
        )
        stream = predict(
            self._session,
            creation,
            _RawState(),
            callbacks,
            timeout,
            endpoint=llm_api.COMPLETE_RAW_TEXT,
        )
        return cast(PredictionStream[str], stream)

    def complete_raw(
        self,
        prompt: str,
        *,
        config: PredictionConfigInput | None = None,
        preset: str | None = None,
        on_message: PredictionMessageCallback | None = None,
        on_first_token: PredictionFirstTokenCallback | None = None,
        on_prediction_fragment: PredictionFragmentCallback | None = None,
        on_prompt_processing_progress: PromptProcessingCallback | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
    ) -> Call[PredictionResult[str]]:
        """A continuation of the raw text ``prompt`` (the request of :meth:`complete_raw_stream`).

        ``print(model.complete_raw("The capital of France is").result().content)``

        Args:
            prompt: the exact text the model continues.
            config: the prediction config, as for ``complete()``.
            preset: the name of a preset configured in LM Studio (``None``: none).
            on_message: called with the final assistant message.
            on_first_token: called once, when the first fragment arrives.
            on_prediction_fragment: called with each ``PredictionFragment``.
            on_prompt_processing_progress: called with the prompt processing progress.
            timeout: the inactivity timeout in seconds (``None``: none; default: the
                client's).

        Returns:
            ``Call[PredictionResult]``.

        Raises:
            LMStudioValueError: an invalid argument (raised here).
        """
        return self.complete_raw_stream(
            prompt,
            config=config,
            preset=preset,
            on_message=on_message,
            on_first_token=on_first_token,
            on_prediction_fragment=on_prediction_fragment,
            on_prompt_processing_progress=on_prompt_processing_progress,
            timeout=timeout,
        )


class _RawState(PredictionState):
    """The prediction state, fed ``completeRawText``'s own progress packet as predict's."""

    def packet(self, packet: Any) -> Any:
        if type(packet) is LlmChannelCompleteRawTextToClientPacketPromptProcessingProgress:
            packet = LlmChannelPredictToClientPacketPromptProcessingProgress(
                progress=packet.progress, details=packet.details
            )
        return super().packet(packet)
