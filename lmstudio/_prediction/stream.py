"""``PredictionStream``: a prediction as the caller sees it (fragments, then the result).

No I/O: the engine's ``Stream`` carries the items; :func:`consumer` is the stream's
``consume`` hook, which runs where the stream is consumed and calls the user callbacks
there (see :class:`~.callbacks.PredictionCallbacks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .._engine.call import Call
from .._engine.stream import SKIP, Skip, Stream
from .._exports import publish
from .._protocol.models import LlmInstanceInfo, LlmPredictionStats
from .callbacks import PredictionCallbacks
from .events import FragmentReceived, PredictionEvent
from .results import PredictionFragment, PredictionResult

__all__ = ["PredictionStream", "consumer"]

T = TypeVar("T")


class PredictionStream(Stream[PredictionFragment, PredictionResult[T]], Generic[T]):
    """A prediction: its fragments (``for`` / ``async for``), then its result.

    A ``Stream[PredictionFragment, PredictionResult[T]]`` (``T``: the type of the result's
    ``parsed``): ``.result(timeout)`` or ``await``
    for the :class:`~lmstudio.PredictionResult` (iterating first is optional);
    ``.cancel()`` stops generating: the result then holds the text generated so far, with
    stop reason ``"userStopped"``. ``close()`` and ``with ... as stream:`` cancel it if it
    has not finished and wait for its end.
    """

    __slots__ = ()
    _default_returns = PredictionResult

    @property
    def stats(self) -> LlmPredictionStats | None:
        """The prediction's statistics once it finished successfully, else ``None``."""
        result = self._final()
        return None if result is None else result.stats

    @property
    def model_info(self) -> LlmInstanceInfo | None:
        """The instance that answered, once the prediction finished successfully."""
        result = self._final()
        return None if result is None else result.model_info

    def _final(self) -> PredictionResult[T] | None:
        # Call's own methods: Stream.result() would consume pending fragments.
        if not self.done() or self.cancelled() or Call.exception(self) is not None:
            return None
        return Call.result(self)


def consumer(callbacks: PredictionCallbacks) -> Callable[[PredictionEvent], Any]:
    """The stream's ``consume`` hook: runs the callbacks, keeps fragments as items."""
    if not callbacks:
        return _fragment_of

    def consume(event: PredictionEvent) -> PredictionFragment | Skip:
        callbacks.dispatch(event)
        return _fragment_of(event)

    return consume


def _fragment_of(event: PredictionEvent) -> PredictionFragment | Skip:
    return event.fragment if type(event) is FragmentReceived else SKIP


publish(__name__, globals())
