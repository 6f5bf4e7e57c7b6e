"""The events a prediction's packets cause (consumed where the stream is consumed)."""

from __future__ import annotations

from typing import TypeAlias

import msgspec

from .._data.history import ToolCallRequest
from .._protocol.models import (
    PromptProcessingDetails,
    SerializedLMSExtendedError,
)
from .results import GeneratedText, PredictionFragment

# --- Events ----------------------------------------------------------------------------


__all__ = [
    "FirstToken",
    "FragmentReceived",
    "PredictionCompleted",
    "PredictionEvent",
    "PromptProcessingDetails",
    "PromptProcessingProgress",
    "ToolCallArgumentsFragment",
    "ToolCallGenerated",
    "ToolCallGenerationFailed",
    "ToolCallGenerationStarted",
    "ToolCallNameReceived",
]


class PromptProcessingProgress(msgspec.Struct, frozen=True):
    """Prompt processing advanced to ``progress`` (0.0 to 1.0)."""

    progress: float
    details: PromptProcessingDetails | None = None


class FirstToken(msgspec.Struct, frozen=True):
    """The first fragment arrived (just before its :class:`FragmentReceived`)."""


class FragmentReceived:
    """A fragment of generated text: the stream's item (read-only).

    A plain class rather than a frozen dataclass: one is made per fragment, and a
    frozen dataclass is several times slower to create.
    """

    __slots__ = ("_fragment",)
    __match_args__ = ("fragment",)

    def __init__(self, fragment: PredictionFragment) -> None:
        self._fragment = fragment

    @property
    def fragment(self) -> PredictionFragment:
        """The fragment."""
        return self._fragment

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FragmentReceived):
            return NotImplemented
        return self._fragment == other._fragment

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FragmentReceived(fragment={self._fragment!r})"


class ToolCallGenerationStarted(msgspec.Struct, frozen=True):
    """The model started writing a tool call."""

    tool_call_id: str | None


class ToolCallNameReceived(msgspec.Struct, frozen=True):
    """The name of the tool being called is known."""

    name: str


class ToolCallArgumentsFragment(msgspec.Struct, frozen=True):
    """A piece of the tool call's arguments text."""

    content: str


class ToolCallGenerated(msgspec.Struct, frozen=True):
    """A complete tool call request."""

    request: ToolCallRequest
    raw_content: str | None


class ToolCallGenerationFailed(msgspec.Struct, frozen=True):
    """The model wrote a tool call the server could not parse."""

    error: SerializedLMSExtendedError
    raw_content: str | None


class PredictionCompleted(msgspec.Struct, frozen=True):
    """The prediction ended (``success``); the stream's final value."""

    result: GeneratedText


PredictionEvent: TypeAlias = (
    PromptProcessingProgress
    | FirstToken
    | FragmentReceived
    | ToolCallGenerationStarted
    | ToolCallNameReceived
    | ToolCallArgumentsFragment
    | ToolCallGenerated
    | ToolCallGenerationFailed
    | PredictionCompleted
)
