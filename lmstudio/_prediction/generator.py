"""A generator plugin's prediction: ``plugins/generateWithGenerator`` packets (no I/O).

A generator streams the packets of an ``llm/predict`` channel, save three: its
``promptProcessingProgress``, ``toolCallGenerationEnd`` and ``toolCallGenerationFailed``
have their own (smaller) types, and it ends with a bare ``success``, without statistics
or model info. :class:`GeneratorState` maps those onto the prediction's own packets and
is otherwise the :class:`~.state.PredictionState` every prediction uses, so a generator's
respond, stream and act behave as a model's.

The result: ``stats`` holds only the stop reason (``"eosFound"``, or ``"userStopped"``
after a cancel); ``model_info`` describes the plugin, not a model (its ``identifier``,
``model_key``, ``display_name`` and ``path`` are the plugin identifier, sizes are 0);
``load_config`` and ``prediction_config`` are empty.
"""

from __future__ import annotations

from typing import Any

from .._protocol.models import (
    KvConfig,
    LlmChannelPredictToClientPacketPromptProcessingProgress,
    LlmChannelPredictToClientPacketSuccess,
    LlmChannelPredictToClientPacketToolCallGenerationEnd,
    LlmChannelPredictToClientPacketToolCallGenerationFailed,
    LlmInstanceInfo,
    LlmPredictionStats,
    PluginsChannelGenerateWithGeneratorToClientPacketPromptProcessingProgress,
    PluginsChannelGenerateWithGeneratorToClientPacketSuccess,
    PluginsChannelGenerateWithGeneratorToClientPacketToolCallGenerationEnd,
    PluginsChannelGenerateWithGeneratorToClientPacketToolCallGenerationFailed,
    SerializedLMSExtendedError,
)
from .events import PredictionEvent
from .state import PredictionState

__all__ = ["GeneratorState", "generator_info"]

_UNPARSED_TOOL_CALL = SerializedLMSExtendedError(
    title="The generator failed to generate a tool call",
    root_title="The generator failed to generate a tool call",
)


def generator_info(plugin_identifier: str) -> LlmInstanceInfo:
    """The ``model_info`` of a generator's result: the plugin, in a model's shape."""
    return LlmInstanceInfo(
        model_key=plugin_identifier,
        format="gguf",
        display_name=plugin_identifier,
        path=plugin_identifier,
        size_bytes=0,
        identifier=plugin_identifier,
        instance_reference=plugin_identifier,
        vision=False,
        trained_for_tool_use=True,
        max_context_length=0,
        context_length=0,
    )


class GeneratorState(PredictionState):
    """One ``generateWithGenerator`` channel's packets, as a prediction's."""

    def __init__(self, plugin_identifier: str) -> None:
        super().__init__(None)
        self._plugin_identifier = plugin_identifier

    def packet(self, packet: Any) -> PredictionEvent | list[PredictionEvent] | None:
        match packet:
            case PluginsChannelGenerateWithGeneratorToClientPacketSuccess():
                stop = "userStopped" if self.cancelled else "eosFound"
                packet = LlmChannelPredictToClientPacketSuccess(
                    stats=LlmPredictionStats(stop_reason=stop),
                    model_info=generator_info(self._plugin_identifier),
                    load_model_config=KvConfig(fields=[]),
                    prediction_config=KvConfig(fields=[]),
                )
            case PluginsChannelGenerateWithGeneratorToClientPacketPromptProcessingProgress(
                progress=progress, details=details
            ):
                packet = LlmChannelPredictToClientPacketPromptProcessingProgress(
                    progress=progress, details=details
                )
            case PluginsChannelGenerateWithGeneratorToClientPacketToolCallGenerationEnd(
                tool_call_request=request
            ):
                packet = LlmChannelPredictToClientPacketToolCallGenerationEnd(
                    tool_call_request=request
                )
            case PluginsChannelGenerateWithGeneratorToClientPacketToolCallGenerationFailed():
                packet = LlmChannelPredictToClientPacketToolCallGenerationFailed(
                    error=_UNPARSED_TOOL_CALL
                )
        return super().packet(packet)
