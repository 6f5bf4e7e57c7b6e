"""A prediction's user callbacks and the one place that runs them for an event."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import msgspec

from .._data.history import AssistantResponse
from .._exports import publish
from .._types import PredictionFirstTokenCallback, PromptProcessingCallback
from .events import (
    FirstToken,
    FragmentReceived,
    PredictionCompleted,
    PredictionEvent,
    PromptProcessingProgress,
)
from .results import PredictionFragment

# --- Callbacks -------------------------------------------------------------------------


__all__ = ["PredictionCallbacks", "PredictionFragmentCallback", "PredictionMessageCallback"]

PredictionMessageCallback: TypeAlias = Callable[[AssistantResponse], object]
"""``on_message(message)``: the prediction's final assistant message."""

PredictionFragmentCallback: TypeAlias = Callable[[PredictionFragment], object]
"""``on_prediction_fragment(fragment)``: one fragment of generated text."""


class PredictionCallbacks(msgspec.Struct, frozen=True):
    """The user callbacks of a prediction; :meth:`dispatch` runs them for an event.

    The layer that owns the stream calls ``dispatch`` where the stream is consumed (never on
    the engine loop); a callback's exception propagates to that caller.
    """

    on_message: PredictionMessageCallback | None = None
    on_first_token: PredictionFirstTokenCallback | None = None
    on_prediction_fragment: PredictionFragmentCallback | None = None
    on_prompt_processing_progress: PromptProcessingCallback | None = None

    def __bool__(self) -> bool:
        return any(
            cb is not None
            for cb in (
                self.on_message,
                self.on_first_token,
                self.on_prediction_fragment,
                self.on_prompt_processing_progress,
            )
        )

    def dispatch(self, event: PredictionEvent) -> None:
        """Run the callback(s) this event calls for, if set."""
        match event:
            case PromptProcessingProgress(progress=progress):
                if self.on_prompt_processing_progress is not None:
                    self.on_prompt_processing_progress(progress)
            case FirstToken():
                if self.on_first_token is not None:
                    self.on_first_token()
            case FragmentReceived(fragment=fragment):
                if self.on_prediction_fragment is not None:
                    self.on_prediction_fragment(fragment)
            case PredictionCompleted(result=result):
                if self.on_message is not None:
                    self.on_message(result.to_message())
            case _:
                pass


publish(__name__, globals())
