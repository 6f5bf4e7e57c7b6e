"""Test-only helpers shared by several test modules (not part of the package)."""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from lmstudio._engine.handler import ChannelHandler
from lmstudio._protocol.models import (
    LlmChannelPredictToClientPacket,
    LlmChannelPredictToClientPacketFragment,
    LlmChannelPredictToClientPacketPromptProcessingProgress,
    LlmChannelPredictToClientPacketSuccess,
    LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated,
    LlmChannelPredictToClientPacketToolCallGenerationEnd,
    LlmChannelPredictToClientPacketToolCallGenerationFailed,
    LlmChannelPredictToClientPacketToolCallGenerationNameReceived,
    LlmChannelPredictToClientPacketToolCallGenerationStart,
)
from lmstudio.errors import LMStudioProtocolError

__all__ = ["FinalPacketHandler", "decode_predict_packet"]


class FinalPacketHandler(ChannelHandler[Any, Any]):
    """Packets whose ``type`` is in ``final_kinds`` are the final value; others are events."""

    def __init__(self, *final_kinds: str) -> None:
        self.final_kinds = frozenset(final_kinds)
        self.final: Any = None
        self.has_final = False

    def packet(self, packet: Any) -> Any:
        kind = getattr(type(packet), "__struct_config__", None)
        tag = (
            kind.tag
            if kind is not None
            else (packet.get("type") if isinstance(packet, dict) else None)
        )
        if tag in self.final_kinds:
            self.final, self.has_final = packet, True
            return None
        return packet

    def close(self) -> Any:
        if not self.has_final:
            raise LMStudioProtocolError(
                f"the server ended the channel without its final packet ({', '.join(sorted(self.final_kinds))})"
            )
        return self.final


@functools.cache
def _packet_decoder() -> msgspec.json.Decoder[LlmChannelPredictToClientPacket]:
    return msgspec.json.Decoder(LlmChannelPredictToClientPacket)


_KNOWN_PACKET_TYPES = frozenset(
    cls.__struct_config__.tag
    for cls in (
        LlmChannelPredictToClientPacketFragment,
        LlmChannelPredictToClientPacketPromptProcessingProgress,
        LlmChannelPredictToClientPacketToolCallGenerationStart,
        LlmChannelPredictToClientPacketToolCallGenerationNameReceived,
        LlmChannelPredictToClientPacketToolCallGenerationArgumentFragmentGenerated,
        LlmChannelPredictToClientPacketToolCallGenerationEnd,
        LlmChannelPredictToClientPacketToolCallGenerationFailed,
        LlmChannelPredictToClientPacketSuccess,
    )
)


def decode_predict_packet(data: bytes | str) -> LlmChannelPredictToClientPacket | None:
    """Decode a ``predict`` toClient packet's JSON; ``None`` for a kind this SDK does not know.

    Raises ``msgspec.ValidationError`` / ``DecodeError`` for a known kind that is malformed.
    """
    try:
        return _packet_decoder().decode(data)
    except msgspec.ValidationError:
        raw = msgspec.json.decode(data)
        if isinstance(raw, dict) and raw.get("type") not in _KNOWN_PACKET_TYPES:
            return None
        raise
