"""Type aliases and sentinels shared by every layer above the protocol.

Cheap to import: the config input aliases, which name protocol types, are built on
first access (a module ``__getattr__``), so the engine can import ``Timeout`` without
loading the protocol layer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from ._exports import publish
from .errors import LMStudioValueError

__all__ = [
    "USE_CLIENT_DEFAULT",
    "EmbeddingLoadConfigInput",
    "LlmLoadConfigInput",
    "ModelLoadingCallback",
    "PredictionConfigInput",
    "PredictionFirstTokenCallback",
    "PromptProcessingCallback",
    "Timeout",
    "UseClientDefault",
    "check_timeout",
]


class UseClientDefault(enum.Enum):
    """Type of :data:`USE_CLIENT_DEFAULT`."""

    USE_CLIENT_DEFAULT = enum.auto()

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


USE_CLIENT_DEFAULT: Final = UseClientDefault.USE_CLIENT_DEFAULT
"""Per-call option value meaning "whatever the client was configured with".

Distinct from ``None``, which for ``timeout`` means "no timeout".
"""

Timeout: TypeAlias = float | UseClientDefault | None
"""A per-call inactivity timeout: seconds, ``None`` for none, or the client's default."""


def check_timeout(timeout: object) -> float | None:
    """``timeout`` as seconds (a ``float``), or ``None`` for no timeout.

    Raises:
        LMStudioValueError: not a positive number of seconds nor ``None``.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise LMStudioValueError(
            f"timeout must be a positive number of seconds or None, not {timeout!r}"
        )
    return float(timeout)


ModelLoadingCallback: TypeAlias = Callable[[float], object]
"""``on_load_progress(progress)``: loading advanced to ``progress`` (0.0 to 1.0)."""

PromptProcessingCallback: TypeAlias = (
    Callable[[float], object] | Callable[[float, "PromptProcessingDetails | None"], object]
)
"""``on_prompt_processing_progress(progress)``: prompt processing advanced (0.0 to 1.0).

A callback that takes a second argument also gets the ``details`` LM Studio sends with
it (a :class:`~lmstudio.PromptProcessingDetails`: ``cached_token_count``,
``total_prompt_token_count``, ``processed_prompt_token_count``,
``unprocessed_prompt_token_count``; ``None`` from an LM Studio that sends none), as the
TypeScript SDK's ``onPromptProcessingProgress(progress, details)``."""

PredictionFirstTokenCallback: TypeAlias = Callable[[], object]
"""``on_first_token()``: the prediction's first fragment arrived."""

if TYPE_CHECKING:
    from ._protocol.dicts import (
        EmbeddingLoadModelConfigDict,
        LlmLoadModelConfigDict,
        LlmPredictionConfigDict,
    )
    from ._protocol.models import (
        EmbeddingLoadModelConfig,
        LlmLoadModelConfig,
        LlmPredictionConfig,
        PromptProcessingDetails,
    )

    PredictionConfigInput: TypeAlias = LlmPredictionConfig | LlmPredictionConfigDict
    """A prediction config: typed, or a dict with snake_case or camelCase keys (a type
    checker checks the keys; an unknown one raises ``LMStudioValueError`` naming the
    closest valid key)."""

    LlmLoadConfigInput: TypeAlias = LlmLoadModelConfig | LlmLoadModelConfigDict
    """An LLM load config: typed, or a dict with snake_case or camelCase keys."""

    EmbeddingLoadConfigInput: TypeAlias = EmbeddingLoadModelConfig | EmbeddingLoadModelConfigDict
    """An embedding model load config: typed, or a dict with snake_case or camelCase keys."""
else:
    _CONFIG_INPUTS = {
        "PredictionConfigInput": "LlmPredictionConfig",
        "LlmLoadConfigInput": "LlmLoadModelConfig",
        "EmbeddingLoadConfigInput": "EmbeddingLoadModelConfig",
    }

    def __getattr__(name: str) -> Any:
        config = _CONFIG_INPUTS.get(name)
        if config is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from ._protocol import dicts, models

        alias = getattr(models, config) | getattr(dicts, f"{config}Dict")
        globals()[name] = alias
        return alias


publish(__name__, globals())
