"""``client.diagnostics``: LM Studio's log stream (what its developer console shows).

::

    with client.diagnostics.stream_logs() as logs:   # leaving the block stops the stream
        for event in logs:
            if isinstance(event.data, lms.PredictionInputLogData):
                print(event.data.model_identifier, event.data.input)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .._engine.handler import ChannelHandler
from .._engine.stream import Stream
from .._exports import publish
from .._protocol.endpoints import diagnostics as diagnostics_api
from .._protocol.models import (
    DiagnosticsLogEvent,
    DiagnosticsLogEventData,
    PredictionInputLogData,
    PredictionOutputLogData,
    RuntimeLogData,
    ServerLogData,
)
from .loading import packet_tag

if TYPE_CHECKING:
    from .._engine.session import Session

__all__ = [
    "DiagnosticsLogEvent",
    "DiagnosticsLogEventData",
    "DiagnosticsNamespace",
    "PredictionInputLogData",
    "PredictionOutputLogData",
    "RuntimeLogData",
    "ServerLogData",
]


class DiagnosticsNamespace:
    """LM Studio's diagnostics: ``client.diagnostics``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def stream_logs(self) -> Stream[DiagnosticsLogEvent, None]:
        """LM Studio's log events, as they happen, until you stop the stream.

        ``for event in client.diagnostics.stream_logs(): print(event.timestamp, event.data)``

        Each event has ``timestamp`` (milliseconds since the epoch) and ``data``, one of
        :class:`PredictionInputLogData` (the formatted prompt a model received),
        :class:`PredictionOutputLogData`, :class:`ServerLogData` and
        :class:`RuntimeLogData` (an engine's log line); a kind a newer LM Studio adds is
        skipped. The stream has no timeout (logs may be quiet for hours) and never ends
        by itself: ``.cancel()`` it, or use it as a context manager, to send LM Studio's
        ``stop``.

        Returns:
            ``Stream[DiagnosticsLogEvent, None]``: iterate it for the events; once
            stopped, iteration ends and ``.result()`` / ``await`` give ``None`` when
            LM Studio has closed the stream (a lost connection fails it with
            :class:`~lmstudio.LMStudioWebsocketError`).
        """
        return self._session.channel(
            diagnostics_api.STREAM_LOGS, None, handler=_LogHandler(), timeout=None
        )


class _LogHandler(ChannelHandler[DiagnosticsLogEvent, None]):
    cancel_packet: ClassVar[Any] = {"type": "stop"}

    def packet(self, packet: Any) -> DiagnosticsLogEvent | None:
        if packet_tag(packet) == "log":
            event: DiagnosticsLogEvent = packet.log
            return event
        return None


publish(__name__, globals())
