"""A prediction's user callbacks and the one place that runs them for an event."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeAlias

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


__all__ = [
    "PredictionCallbacks",
    "PredictionFragmentCallback",
    "PredictionMessageCallback",
    "call_with_details",
]

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
            case PromptProcessingProgress(progress=progress, details=details):
                if self.on_prompt_processing_progress is not None:
                    call_with_details(self.on_prompt_processing_progress, (progress,), details)
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


def call_with_details(callback: Callable[..., object], args: tuple[Any, ...], details: Any) -> None:
    """``callback(*args, details)`` if it takes one more positional argument, else
    ``callback(*args)``: how a prompt processing callback gets its ``details`` and one
    written before they existed keeps working."""
    if _takes_one_more(callback, len(args)):
        callback(*args, details)
    else:
        callback(*args)


def _takes_one_more(callback: Callable[..., object], count: int) -> bool:
    try:
        signature = inspect.signature(callback)
    except (TypeError, ValueError):  # a builtin without a signature: the old form
        return False
    try:
        signature.bind(*range(count + 1))
    except TypeError:
        return False
    return True


publish(__name__, globals())
