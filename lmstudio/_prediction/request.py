"""Building the ``llm/predict`` request from the caller's arguments (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec import UNSET

from .._data.config import (
    config_stack,
    prediction_config_to_kv,
    to_prediction_config,
)
from .._data.history import Chat, HistoryInput
from .._data.specifiers import ModelSpecifierInput, model_specifier
from .._data.structured import ResponseFormat, ResponseFormatInput, to_response_format
from .._protocol.models import (
    KvConfig,
    LlmChannelCompleteRawTextCreationParameter,
    LlmChannelPredictCreationParameter,
    LlmPredictionConfig,
    LlmToolUseSettingToolArray,
)
from .._types import PredictionConfigInput
from ..errors import LMStudioValueError
from .state import PredictionState

# --- Requests --------------------------------------------------------------------------

# A pass-through prompt template: the prompt reaches the model unformatted (completion).
_RAW_PROMPT_TEMPLATE = "{% for message in messages %}{{ message['content'] }}{% endfor %}"
COMPLETION_FORMATTING_LAYER = "completeModeFormatting"


__all__ = [
    "COMPLETION_FORMATTING_LAYER",
    "PredictionRequest",
    "prepare_complete",
    "prepare_complete_raw",
    "prepare_respond",
]


class PredictionRequest(msgspec.Struct, frozen=True):
    """Everything needed to run one prediction: the creation parameter and the parsing."""

    parameter: LlmChannelPredictCreationParameter
    response_format: ResponseFormat | None = None
    config: LlmPredictionConfig = msgspec.field(default_factory=LlmPredictionConfig)
    """The caller's config as sent (with ``structured`` / ``raw_tools`` filled in)."""

    def new_state(self) -> PredictionState:
        """A fresh stream state for this request."""
        return PredictionState(self.response_format)


def prepare_respond(
    model: ModelSpecifierInput,
    history: HistoryInput,
    *,
    config: PredictionConfigInput | None = None,
    preset: str | None = None,
    response_format: ResponseFormatInput | None = None,
    tools: LlmToolUseSettingToolArray | None = None,
) -> PredictionRequest:
    """The request for a chat response to ``history``.

    ``config`` is a typed config or a dict; ``preset`` a preset name (fuzzy matched by the
    server); ``response_format`` asks for structured output (see ``_data/structured.py``);
    ``tools`` the tool definitions to offer (from ``tools.py``). Raises
    ``LMStudioValueError`` for invalid arguments.
    """
    chat = history if isinstance(history, Chat) else Chat.from_history(history)
    if len(chat) == 0:
        raise LMStudioValueError("Cannot respond to an empty chat history")
    return _prepare(model, chat, config, preset, response_format, tools, completion=False)


def prepare_complete(
    model: ModelSpecifierInput,
    prompt: str,
    *,
    config: PredictionConfigInput | None = None,
    preset: str | None = None,
    response_format: ResponseFormatInput | None = None,
) -> PredictionRequest:
    """The request for a text completion of ``prompt`` (no chat template applied).

    As the official SDKs do on ``predict``: a one-message history with the prompt, and a
    ``completeModeFormatting`` layer whose prompt template passes it through unchanged.
    Stop strings default to none, so a preset's do not apply.
    """
    if not isinstance(prompt, str):
        raise LMStudioValueError(
            f"A completion prompt must be a string, not {type(prompt).__name__}"
        )
    chat = Chat()
    chat.add_user_message(prompt)
    return _prepare(model, chat, config, preset, response_format, None, completion=True)


def _prepare(
    model: ModelSpecifierInput,
    chat: Chat,
    config_input: PredictionConfigInput | None,
    preset: str | None,
    response_format: ResponseFormatInput | None,
    tools: LlmToolUseSettingToolArray | None,
    *,
    completion: bool,
) -> PredictionRequest:
    config = to_prediction_config(config_input)
    fmt: ResponseFormat | None = None
    if response_format is not None:
        if config.structured is not UNSET:
            raise LMStudioValueError(
                "Give structured output either as response_format or as config 'structured', not both"
            )
        fmt = to_response_format(response_format)
        config = msgspec.structs.replace(config, structured=fmt.setting)
    elif config.structured is not UNSET and config.structured.type_ != "none":
        fmt = to_response_format(config.structured)
    if tools is not None:
        if config.raw_tools is not UNSET:
            raise LMStudioValueError(
                "Give tools either as tools= or as config 'raw_tools', not both"
            )
        config = msgspec.structs.replace(config, raw_tools=tools)
    if completion and config.stop_strings is UNSET:
        config = msgspec.structs.replace(config, stop_strings=[])
    layers: list[tuple[str, KvConfig]] = [("apiOverride", prediction_config_to_kv(config))]
    if completion:
        layers.append((COMPLETION_FORMATTING_LAYER, _completion_formatting()))
    parameter = LlmChannelPredictCreationParameter(
        model_specifier=model_specifier(model),
        history=chat.to_wire(),
        prediction_config_stack=config_stack(*layers),
    )
    if preset is not None:
        parameter.fuzzy_preset_identifier = _checked_preset(preset)
    return PredictionRequest(parameter, fmt, config)


def prepare_complete_raw(
    model: ModelSpecifierInput,
    prompt: str,
    *,
    config: PredictionConfigInput | None = None,
    preset: str | None = None,
) -> LlmChannelCompleteRawTextCreationParameter:
    """The ``llm/completeRawText`` creation parameter: ``prompt`` exactly, no template.

    Raises ``LMStudioValueError`` for invalid arguments.
    """
    if not isinstance(prompt, str):
        raise LMStudioValueError(f"A raw prompt must be a string, not {type(prompt).__name__}")
    return LlmChannelCompleteRawTextCreationParameter(
        model_specifier=model_specifier(model),
        raw_prompt=prompt,
        prediction_config_stack=config_stack(
            ("apiOverride", prediction_config_to_kv(to_prediction_config(config)))
        ),
        fuzzy_preset_identifier=UNSET if preset is None else _checked_preset(preset),
    )


def _checked_preset(preset: object) -> str:
    if not isinstance(preset, str) or not preset:
        raise LMStudioValueError(f"preset must be a non-empty string, got {preset!r}")
    return preset


def _completion_formatting() -> KvConfig:
    template: Mapping[str, Any] = {
        "type": "jinja",
        "jinjaPromptTemplate": {"template": _RAW_PROMPT_TEMPLATE},
        "stopStrings": [],
    }
    config = to_prediction_config({"prompt_template": template})
    return prediction_config_to_kv(config)
