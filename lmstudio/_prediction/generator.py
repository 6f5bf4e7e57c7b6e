"""A generator plugin's prediction: ``plugins/generateWithGenerator`` packets (no I/O).

A generator streams the packets of an ``llm/predict`` channel, save four: its
``promptProcessingProgress``, ``toolCallGenerationEnd`` and ``toolCallGenerationFailed``
have their own (smaller) types, which :class:`GeneratorState` maps onto the
prediction's own packets, and it ends with a bare ``success``: no statistics, model info
or configs. So its result is a :class:`~lmstudio.GeneratorPredictionResult` (as the
TypeScript SDK's): the text, reasoning and tool call requests every prediction has, the
plugin's identifier, and whether ``cancel()`` stopped it; nothing is made up. Every
other rule is :class:`~.state.TextPredictionState`'s, as for any prediction.
"""

from __future__ import annotations

from typing import Any

from .._protocol.models import (
    LlmChannelPredictToClientPacketPromptProcessingProgress,
    LlmChannelPredictToClientPacketToolCallGenerationEnd,
    LlmChannelPredictToClientPacketToolCallGenerationFailed,
    PluginsChannelGenerateWithGeneratorToClientPacketPromptProcessingProgress,
    PluginsChannelGenerateWithGeneratorToClientPacketSuccess,
    PluginsChannelGenerateWithGeneratorToClientPacketToolCallGenerationEnd,
    PluginsChannelGenerateWithGeneratorToClientPacketToolCallGenerationFailed,
    SerializedLMSExtendedError,
)
from .events import PredictionEvent
from .results import GeneratorPredictionResult
from .state import TextPredictionState

__all__ = ["GeneratorState"]

_UNPARSED_TOOL_CALL = SerializedLMSExtendedError(
    title="The generator failed to generate a tool call",
    root_title="The generator failed to generate a tool call",
)


class GeneratorState(TextPredictionState[GeneratorPredictionResult]):
    """One ``generateWithGenerator`` channel's packets, as a prediction's."""

    _success_type = PluginsChannelGenerateWithGeneratorToClientPacketSuccess

    def __init__(self, plugin_identifier: str) -> None:
        super().__init__()
        self._plugin_identifier = plugin_identifier

    def packet(self, packet: Any) -> PredictionEvent | list[PredictionEvent] | None:
        match packet:
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

    def _finish(
        self, packet: PluginsChannelGenerateWithGeneratorToClientPacketSuccess
    ) -> GeneratorPredictionResult:
        return self._generated(
            GeneratorPredictionResult,
            plugin_identifier=self._plugin_identifier,
            cancelled=self.cancelled,
        )
