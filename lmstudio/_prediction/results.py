"""Public results of a prediction: streamed fragments and the final result."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from msgspec import UNSET

from .._data.history import AssistantResponse, TextData, ToolCallRequest, ToolCallRequestData
from .._data.structured import ResponseFormat
from .._exports import publish
from .._protocol.models import (
    LlmInstanceInfo,
    LlmLoadModelConfig,
    LlmPredictionConfig,
    LlmPredictionFragment,
    LlmPredictionStats,
    LlmToken,
)

__all__ = [
    "GeneratedText",
    "GeneratorPredictionResult",
    "LlmPredictionStats",
    "PredictionFragment",
    "PredictionResult",
]

_log = logging.getLogger("lmstudio.prediction")


# --- Fragments and results -------------------------------------------------------------


class PredictionFragment:
    """One piece of generated text, as streamed (wraps the protocol's fragment)."""

    __slots__ = ("_wire",)

    def __init__(self, wire: LlmPredictionFragment) -> None:
        self._wire = wire

    @property
    def wire(self) -> LlmPredictionFragment:
        """The fragment as the server sent it."""
        return self._wire

    @property
    def content(self) -> str:
        """The text of this fragment."""
        return self._wire.content

    @property
    def tokens_count(self) -> int:
        """How many tokens this fragment holds."""
        return self._wire.tokens_count

    @property
    def contains_drafted(self) -> bool:
        """Whether speculative decoding's draft model produced (part of) it."""
        return self._wire.contains_drafted

    @property
    def reasoning_type(self) -> str:
        """``"none"``, ``"reasoning"``, ``"reasoningStartTag"`` or ``"reasoningEndTag"``."""
        return self._wire.reasoning_type

    @property
    def is_structural(self) -> bool:
        """Whether it is a structural token (such as a reasoning tag), not content."""
        return self._wire.is_structural is True

    @property
    def tokens(self) -> list[LlmToken] | None:
        """Per-token details (with log probabilities) when requested; else ``None``."""
        tokens = self._wire.tokens
        return None if tokens is UNSET else tokens

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PredictionFragment):
            return NotImplemented
        return self._wire == other._wire

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        extra = "" if self.reasoning_type == "none" else f", reasoning_type={self.reasoning_type!r}"
        return (
            f"PredictionFragment(content={self.content!r}, tokens_count={self.tokens_count}{extra})"
        )


_UNPARSED: Any = object()


_SAME_AS_CONTENT: Any = object()


T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratedText:
    """What every prediction result holds: the generated text and its tool call requests.

    ``content`` is the whole generated text, reasoning and its tags included, as in both
    official SDKs; ``reasoning_content`` is the reasoning and ``non_reasoning_content``
    the answer (structural tokens such as reasoning tags belong to neither).
    """

    content: str
    """The whole generated text."""
    reasoning_content: str = ""
    """The reasoning (fragments of reasoning type ``"reasoning"``, tags excluded)."""
    non_reasoning_content: str = _SAME_AS_CONTENT
    """The answer (fragments of reasoning type ``"none"``, structural tokens excluded);
    defaults to ``content`` when a result is built by hand."""
    tool_call_requests: tuple[ToolCallRequest, ...] = ()
    """Tool calls requested (when tools were offered)."""

    def __post_init__(self) -> None:
        if self.non_reasoning_content is _SAME_AS_CONTENT:
            object.__setattr__(self, "non_reasoning_content", self.content)

    def to_message(self) -> AssistantResponse:
        """The assistant message for this result, with its tool call requests (what
        ``on_message`` receives)."""
        requests = [ToolCallRequestData(tool_call_request=r) for r in self.tool_call_requests]
        return AssistantResponse(content=[TextData(text=self.content), *requests])

    def _to_history_content(self) -> str:
        return self.content

    def __str__(self) -> str:
        return self.content


@dataclass(frozen=True, slots=True, kw_only=True)
class GeneratorPredictionResult(GeneratedText):
    """The result of a generator plugin's prediction (``client.plugins.generator(...)``).

    A generator reports only its text and tool call requests: no statistics, model or
    configs (as the TypeScript SDK's ``GeneratorPredictionResult``). ``content``,
    ``reasoning_content`` and ``non_reasoning_content`` are as for
    :class:`PredictionResult` (the generator decides what is reasoning).
    """

    plugin_identifier: str
    """The generator plugin that produced it, ``"owner/name"``."""
    cancelled: bool = False
    """Whether ``cancel()`` stopped it (the text is then what arrived before)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionResult(GeneratedText, Generic[T]):
    """The final result of a prediction; ``T`` is the type of :attr:`parsed`.

    ``content`` is the whole generated text, reasoning and its tags included, as in both
    official SDKs; ``reasoning_content`` is the model's reasoning and
    ``non_reasoning_content`` the answer (structural tokens such as reasoning tags belong
    to neither). ``parsed`` is the structured value when a response format was requested
    and the answer parses (``structured`` is then true); otherwise the answer text, as for
    a cancelled or cut-off prediction. ``tool_call_requests``: tool calls the model
    requested (when tools were offered).
    """

    stats: LlmPredictionStats
    model_info: LlmInstanceInfo
    load_config: LlmLoadModelConfig
    prediction_config: LlmPredictionConfig
    response_format: ResponseFormat | None = field(default=None, repr=False, compare=False)
    """The format ``parsed`` comes from; ``None`` for plain text."""
    _parsed: tuple[Any, bool] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def parsed(self) -> T:
        """The structured value (an instance of the requested type, a dict for a JSON
        schema), else the answer text.

        Typed ``T``: the ``response_format`` class (``PredictionResult[Book]`` for
        ``response_format=Book``), ``dict[str, Any]`` for a JSON schema, ``str`` without a
        format. When an answer that should be structured did not parse (cut off by a token
        limit, or cancelled), it holds the text and :attr:`structured` is false: check
        ``structured`` where that can happen. Parsed on first access, where the result is
        consumed: a type's own validation code never runs on the engine loop.
        """
        value: T = self._parse()[0]
        return value

    @property
    def structured(self) -> bool:
        """Whether ``parsed`` holds a structured value (the answer parsed)."""
        return self._parse()[1]

    @property
    def stop_reason(self) -> str:
        """Why generation stopped (``stats.stop_reason``), e.g. ``"eosFound"``."""
        return self.stats.stop_reason

    def _parse(self) -> tuple[Any, bool]:
        cached = self._parsed
        if cached is None:
            cached = (self.non_reasoning_content, False)
            if self.response_format is not None:
                try:
                    cached = (self.response_format.parse(self.non_reasoning_content), True)
                except Exception as exc:
                    # As the official SDK: an answer that does not parse (cut off, or a
                    # grammar that is not JSON) is reported as text, ``structured`` false.
                    _log.warning("Structured prediction result did not parse: %s", exc)
            object.__setattr__(self, "_parsed", cached)
        return cached

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(content={self.content!r}, stop_reason={self.stop_reason!r})"


publish(__name__, globals())
