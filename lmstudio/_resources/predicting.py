"""Opening ``llm/predict`` channels: the stream a caller gets, or every event (for act)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .._engine.stream import Stream
from .._prediction.callbacks import PredictionCallbacks
from .._prediction.events import PredictionEvent
from .._prediction.request import PredictionRequest
from .._prediction.results import PredictionResult
from .._prediction.state import PredictionState
from .._prediction.stream import PredictionStream, consumer
from .._protocol.endpoints import llm as llm_api
from .._types import Timeout

if TYPE_CHECKING:
    from .._engine.session import Session
    from .._protocol.endpoints import Channel

__all__ = ["predict", "predict_events"]


def predict(
    session: Session,
    parameter: Any,
    state: PredictionState,
    callbacks: PredictionCallbacks,
    timeout: Timeout,
    *,
    endpoint: Channel[Any, Any, Any] = llm_api.PREDICT,
) -> PredictionStream[Any]:
    """A prediction as the caller sees it: fragments as items, callbacks where consumed.

    ``endpoint`` is ``llm/predict`` (``parameter`` a request's creation parameter) or
    ``llm/completeRawText``, whose packets are a prediction's too.
    """
    stream = session.channel(
        endpoint,
        parameter,
        handler=state,
        consume=consumer(callbacks),
        timeout=timeout,
        stream_class=PredictionStream,
    )
    return cast(PredictionStream[Any], stream)  # it is one: stream_class


def predict_events(
    session: Session, request: PredictionRequest, timeout: Timeout
) -> Stream[PredictionEvent, PredictionResult[Any]]:
    """A prediction whose items are all its events (``act()``'s driver consumes them)."""
    return session.channel(
        llm_api.PREDICT, request.parameter, handler=request.new_state(), timeout=timeout
    )
