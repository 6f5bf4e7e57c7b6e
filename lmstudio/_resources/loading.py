"""The ``loadModel`` / ``getOrLoad`` channel's handler: progress, then the loaded model."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from msgspec import UNSET

from .._engine.handler import ChannelHandler
from ..errors import LMStudioChannelClosedError

__all__ = ["LoadHandler", "packet_tag"]

logger = logging.getLogger("lmstudio.models")

HandleT = TypeVar("HandleT")
InfoT = TypeVar("InfoT")


class LoadHandler(ChannelHandler[float, HandleT], Generic[HandleT, InfoT]):
    """``loadModel`` / ``getOrLoad`` packets: progress events, then the handle.

    Progress only moves forward and ends at 1.0 (also for a model already loaded, as
    in the official SDK); an ambiguous match and a just-in-time eviction are logged.
    """

    def __init__(self, make_handle: Callable[[InfoT], HandleT], what: str) -> None:
        self._make_handle: Callable[[InfoT], HandleT] = make_handle
        self._what = what
        self._info: InfoT | None = None
        self._progress = -1.0

    def _advance(self, progress: float) -> float | None:
        if progress <= self._progress:
            return None
        self._progress = progress
        return progress

    def packet(self, packet: Any) -> float | None:
        match packet_tag(packet):
            case "resolved":
                ambiguous = packet.ambiguous
                if ambiguous is not UNSET and ambiguous:
                    logger.warning(
                        "Several downloaded models match %r; loading %s (others: %s)",
                        packet.info.model_key,
                        packet.info.path,
                        ", ".join(ambiguous),
                    )
            case "startLoading":
                return self._advance(0.0)
            case "progress" | "loadProgress":
                return self._advance(float(packet.progress))
            case "unloadingOtherJITModel":
                logger.info(
                    "LM Studio unloads the just-in-time loaded %s %r to load another "
                    "(turn off 'JIT models auto-evict' in LM Studio's developer settings to keep it)",
                    self._what,
                    packet.info.identifier,
                )
            case "success" | "alreadyLoaded" | "loadSuccess":
                self._info = packet.info
                return self._advance(1.0)
            case other:
                logger.debug("Ignoring an unknown model loading packet %r", other)
        return None

    def close(self) -> HandleT:
        if self._info is None:
            raise LMStudioChannelClosedError(
                f"LM Studio ended the {self._what} loading without reporting the model"
            )
        return self._make_handle(self._info)


def packet_tag(packet: object) -> str | None:
    """A decoded packet's ``type`` tag (``None`` for an untagged value)."""
    tag = getattr(getattr(type(packet), "__struct_config__", None), "tag", None)
    return tag if isinstance(tag, str) else None
