"""``LLM.act()``'s driver: prediction rounds, tools run as their requests complete.

Where everything runs (the rules, in one place):

- The driver (a coroutine) runs on the helper loop (``tool_loop.py``), never on the
  engine loop; it awaits each round's prediction like any caller would.
- A tool starts as soon as its request is complete, while the model may still be
  streaming. Plain functions run in worker threads, at most ``max_parallel_tool_calls``
  at a time (async tools count towards that bound too); ``async def`` tools run on the
  loop that awaits (or ``async for``-iterates) the act, and on the helper loop when the
  act is consumed by blocking (``.result()``, ``for``), or when a tool starts before
  anyone consumes the act. So ``act(...).result()`` works inside Jupyter's running loop.
- ``guard_tool_call`` and ``handle_invalid_tool_request`` run like tools (a plain
  function in a worker thread, an ``async def`` one on the tools' loop); guards run one
  at a time, in request order, so a guard may ask a human.
- Callbacks (``on_message``, ``on_round_start``...) run where the act is consumed, like a
  prediction's: in the thread that blocks or iterates, or on the awaiting loop.
- ``cancel()`` stops the current prediction and starts no further tool or guard. Async
  tools still running are cancelled; plain functions already running in a worker thread
  cannot be interrupted: they finish in the background and their results are dropped.
  The act then resolves with an :class:`~lmstudio.ActResult` whose ``cancelled`` is true
  (its chat ends with the stopped round's text).
- A failure (a prediction error, a handler or guard raising, an exception that is not
  an ``Exception`` escaping a tool) stops the act the same way and fails it with that
  error.

The act's ``Stream`` is fed through :class:`_Feed`, the only code here that uses the
engine's settling methods.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import time
import weakref
from collections.abc import Callable, Coroutine, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic

import msgspec

from .._data.history import Chat, HistoryInput, ToolCallRequest
from .._data.tools import ToolDefinition, tool_set
from .._engine.settle import Sink
from .._engine.stream import Stream, new_stream
from .._exports import publish
from .._prediction.act import (
    ActPlan,
    FinishedCall,
    GuardToolCallController,
    InvalidRequest,
    RunTool,
    UnimplementedTool,
    tool_error_text,
)
from .._prediction.act_events import (
    ActCallbacks,
    ActEvent,
    ActResult,
    PredictionRoundResult,
    RoundEnded,
    RoundPredictionCompleted,
    RoundResult,
    RoundStarted,
    ToolCallCompleted,
    ToolCallOutcome,
    ToolCallRequested,
    ToolCallRequestFailed,
    round_result,
)
from .._prediction.events import PredictionEvent
from .._prediction.request import PredictionRequest, prepare_respond
from .._types import PredictionConfigInput
from ..errors import LMStudioCancelledError, LMStudioPredictionError, LMStudioValueError
from .tool_loop import helper_loop

if TYPE_CHECKING:
    import asyncio

    from .._data.specifiers import ModelSpecifierInput

__all__ = ["ActStream", "GuardToolCallHandler", "InvalidToolRequestHandler", "start_act"]

_log = logging.getLogger("lmstudio.act")

Predict = Callable[[PredictionRequest], Stream[PredictionEvent, Any]]
"""Opens one round's prediction; its items are all the prediction's events, its result
a prediction result (a dataclass the round's result type is made from)."""

InvalidToolRequestHandler = Callable[[LMStudioPredictionError, ToolCallRequest | None], Any]
"""``handle_invalid_tool_request(error, request)``: return the text for the model (``None``
keeps ``str(error)``), or raise to stop the act. ``request`` is ``None`` when LM Studio
could not parse the request at all."""

GuardToolCallHandler = Callable[[int, int, GuardToolCallController], Any]
"""``guard_tool_call(round_index, call_index, controller)``: call ``controller.allow()``,
``allow_and_override_parameters(...)`` or ``deny(reason)``; may be ``async``."""


class ActStream(Stream[ActEvent[RoundResult], ActResult[RoundResult]], Generic[RoundResult]):
    """An act: its events (``for`` / ``async for``), then its :class:`~lmstudio.ActResult`.

    A ``Stream[ActEvent, ActResult]`` (a generator's act: ``ActStream[GeneratorRoundResult]``,
    whose round results are :class:`~lmstudio.GeneratorRoundResult` objects):
    ``.result(timeout)`` or ``await`` for the result
    (callbacks run there, iterating first is optional); ``.cancel()`` stops the act (see
    ``LLM.act``). Remembers the loop that consumes it: async tools run there.
    """

    _default_returns = ActResult

    def __init__(self, description: str = "act", consume: Any = None, **hooks: Any) -> None:
        super().__init__(description, consume, **hooks)
        self._consumer_loop: asyncio.AbstractEventLoop | None = None

    def __await__(self) -> Generator[Any, None, ActResult[RoundResult]]:
        self._consumer_loop = _running_loop()
        return (yield from super().__await__())

    async def __anext__(self) -> ActEvent[RoundResult]:
        self._consumer_loop = _running_loop()
        return await super().__anext__()

    def __next__(self) -> ActEvent[RoundResult]:
        self._consumer_loop = None
        return super().__next__()

    def result(self, timeout: float | None = None) -> ActResult[RoundResult]:
        """The act's result, blocking up to ``timeout`` seconds (``None``: until done).

        Raises like :meth:`Call.result`.
        """
        self._consumer_loop = None
        return super().result(timeout)


class _Feed:
    """Settles the act's stream through the engine's settle interface (``settle.py``)."""

    __slots__ = ("_sink",)

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def push(self, event: ActEvent[Any]) -> None:
        self._sink.push(event)
        self._sink.wake()

    def resolve(self, result: ActResult[Any]) -> None:
        self._sink.resolve(result)

    def fail(self, exc: BaseException) -> None:
        self._sink.fail(exc)


def start_act(
    predict: Predict,
    model: ModelSpecifierInput,
    chat: HistoryInput,
    tools: Iterable[ToolDefinition],
    *,
    max_prediction_rounds: int | None,
    max_parallel_tool_calls: int | None,
    config: PredictionConfigInput | None,
    preset: str | None,
    callbacks: ActCallbacks,
    guard_tool_call: GuardToolCallHandler | None,
    handle_invalid_tool_request: InvalidToolRequestHandler | None,
    round_type: Callable[..., RoundResult] = PredictionRoundResult,  # type: ignore[assignment]
) -> ActStream[RoundResult]:
    """Check the arguments, then start the act on the helper loop (see ``LLM.act``).

    Raises:
        LMStudioValueError: an invalid tool definition, chat, config or limit (nothing
            was sent).
    """
    started = time.perf_counter()
    if max_parallel_tool_calls is not None and (
        not isinstance(max_parallel_tool_calls, int) or max_parallel_tool_calls < 1
    ):
        raise LMStudioValueError(
            f"max_parallel_tool_calls must be at least 1 or None ({max_parallel_tool_calls!r} given)"
        )
    toolset = tool_set(tools)
    plan: ActPlan[RoundResult] = ActPlan(
        Chat.from_history(chat), toolset, max_prediction_rounds=max_prediction_rounds
    )

    def make_request(round_index: int) -> PredictionRequest:
        offered = toolset.setting if plan.offers_tools(round_index) else None
        return prepare_respond(model, plan.chat, config=config, preset=preset, tools=offered)

    first = make_request(0)  # checks the chat and the config before anything is sent
    driver: _Driver[RoundResult]

    def cancel(_: Sink) -> None:
        driver.cancel()  # bound below, before the stream is handed out

    stream, sink = new_stream(
        "llm.act", callbacks.consume, on_cancel=cancel, stream_class=ActStream
    )
    # The driver keeps the stream only weakly: an act nobody references is cancelled.
    stream_ref = weakref.ref(stream)
    driver = _Driver(
        plan,
        _Feed(sink),
        predict,
        round_type,
        make_request,
        first,
        started,
        max_parallel_tool_calls,
        guard_tool_call,
        handle_invalid_tool_request,
        consumer_loop=lambda: getattr(stream_ref(), "_consumer_loop", None),
    )
    driver.start(helper_loop())
    return stream


class _Driver(Generic[RoundResult]):
    """Runs one act's rounds on the helper loop (see the module docstring)."""

    def __init__(
        self,
        plan: ActPlan[RoundResult],
        feed: _Feed,
        predict: Predict,
        round_type: Callable[..., RoundResult],
        make_request: Callable[[int], PredictionRequest],
        first: PredictionRequest,
        started: float,
        max_parallel: int | None,
        guard: GuardToolCallHandler | None,
        handler: InvalidToolRequestHandler | None,
        *,
        consumer_loop: Callable[[], asyncio.AbstractEventLoop | None],
    ) -> None:
        self._plan = plan
        self._feed = feed
        self._predict = predict
        self._round_type = round_type
        self._make_request = make_request
        self._first: PredictionRequest | None = first
        self._started = started
        self._max_parallel = max_parallel
        self._guard = guard
        self._handler = handler
        self._consumer_loop = consumer_loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        self._guard_lock: asyncio.Lock | None = None
        self._stream: Stream[PredictionEvent, Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cancelled = False
        self._failure: BaseException | None = None

    # --- control (any thread) ------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        import asyncio

        self._loop = loop
        asyncio.run_coroutine_threadsafe(self._main(), loop)

    def cancel(self) -> None:
        """The act stream's cancel hook."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the helper loop is gone (exit)
                loop.call_soon_threadsafe(self._stop, None)

    # --- on the helper loop --------------------------------------------------------------

    def _stop(self, failure: BaseException | None) -> None:
        """Stop the act: cancel the prediction and the async tools, start nothing more."""
        if failure is None:
            self._cancelled = True
        elif self._failure is None:
            self._failure = failure
        stream = self._stream
        if stream is not None:
            stream.cancel()
        for task in list(self._tasks):
            task.cancel()

    async def _main(self) -> None:
        import asyncio

        if self._max_parallel is not None:
            self._slots = asyncio.Semaphore(self._max_parallel)
        self._guard_lock = asyncio.Lock()
        try:
            cancelled = await self._rounds()
            result = self._plan.result(time.perf_counter() - self._started, cancelled=cancelled)
        except BaseException as exc:
            self._stop(exc)
            self._feed.fail(exc)
            return
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
        self._feed.resolve(result)

    async def _rounds(self) -> bool:
        """Every round; whether the act was cancelled."""
        plan = self._plan
        while not self._cancelled and (index := plan.next_round()) is not None:
            self._emit(RoundStarted(index))
            request, self._first = self._first or self._make_request(index), None
            result, calls = await self._round(index, request)
            if self._failure is not None:
                raise self._failure
            if self._cancelled:
                for message in plan.finish_cancelled(result):
                    self._emit(message)
                self._emit(RoundEnded(index))
                return True
            assert result is not None
            for message in plan.finish_round(result, calls):
                self._emit(message)
            self._emit(RoundEnded(index))
        if self._cancelled:
            plan.finish_cancelled(None)
        return self._cancelled

    async def _round(
        self, index: int, request: PredictionRequest
    ) -> tuple[RoundResult | None, list[FinishedCall]]:
        import asyncio

        plan = self._plan
        stream = self._predict(request)
        self._stream = stream
        pending: list[asyncio.Task[FinishedCall | None]] = []
        try:
            async for event in stream:
                act_event = plan.translate(index, event)
                if act_event is None:
                    continue
                self._emit(act_event)
                if type(act_event) is ToolCallRequested:
                    pending.append(self._spawn(self._tool_call(act_event)))
                elif type(act_event) is ToolCallRequestFailed:
                    pending.append(self._spawn(self._generation_failed(act_event)))
            try:
                result: RoundResult | None = round_result(self._round_type, await stream, index)
            except LMStudioCancelledError:
                if not (self._cancelled or self._failure):
                    raise
                result = None
        except BaseException:
            for task in pending:
                task.cancel()
            raise
        finally:
            self._stream = None
        if result is not None:
            self._emit(RoundPredictionCompleted(index, result))
        done = await asyncio.gather(*pending, return_exceptions=True)
        return result, [call for call in done if isinstance(call, FinishedCall)]

    def _emit(self, event: ActEvent[RoundResult]) -> None:
        self._feed.push(event)

    def _spawn(
        self, work: Coroutine[Any, Any, FinishedCall | None]
    ) -> asyncio.Task[FinishedCall | None]:
        assert self._loop is not None
        task = self._loop.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self._cancelled or self._failure is not None:
            task.cancel()
        return task

    async def _guarded(self, work: Coroutine[Any, Any, FinishedCall | None]) -> FinishedCall | None:
        import asyncio

        try:
            return await work
        except asyncio.CancelledError:
            return None
        except BaseException as exc:
            self._stop(exc)
            return None

    # --- one tool call -------------------------------------------------------------------

    async def _tool_call(self, requested: ToolCallRequested) -> FinishedCall | None:
        request = requested.request
        decision = self._plan.decide(requested.round_index, request)
        if isinstance(decision, UnimplementedTool):
            return FinishedCall(request, None, unimplemented=True)
        if isinstance(decision, InvalidRequest):
            return await self._invalid(requested, request, decision.message)
        if self._slots is None:
            return await self._run(requested, request, decision)
        async with self._slots:
            return await self._run(requested, request, decision)

    async def _run(
        self, requested: ToolCallRequested, request: ToolCallRequest, decision: RunTool
    ) -> FinishedCall | None:
        if self._cancelled:
            return None
        if self._guard is not None:
            assert self._guard_lock is not None
            controller = GuardToolCallController(
                requested.round_index, requested.call_index, request
            )
            async with self._guard_lock:
                if self._cancelled:
                    return None
                await self._call_user(
                    self._guard, requested.round_index, requested.call_index, controller
                )
            kind, value = controller.decision
            if kind == "deny":
                return self._completed(requested, request, value, "denied")
            if kind == "override":
                request = msgspec.structs.replace(request, arguments=value)
                checked = self._plan.arguments(decision.tool, value)
                if isinstance(checked, InvalidRequest):
                    return await self._invalid(requested, request, checked.message)
                decision = checked
            if self._cancelled:
                return None
        try:
            value = await self._call_user(decision.tool.implementation, **decision.arguments)
        except Exception as exc:
            text = await self._handled(tool_error_text(exc), request, exc)
            return self._completed(requested, request, text, "error", exc)
        return self._completed(requested, request, value, "success")

    async def _invalid(
        self, requested: ToolCallRequested, request: ToolCallRequest, message: str
    ) -> FinishedCall:
        text = await self._handled(message, request)
        return self._completed(requested, request, text, "invalid")

    async def _handled(
        self, message: str, request: ToolCallRequest, cause: BaseException | None = None
    ) -> Any:
        """The text for the model about an invalid request: the handler's, else ``message``."""
        if self._handler is None:
            return message
        error = LMStudioPredictionError(message)
        error.__cause__ = cause
        answer = await self._call_user(self._handler, error, request)
        return message if answer is None else answer

    async def _generation_failed(self, failed: ToolCallRequestFailed) -> None:
        """A request LM Studio could not parse: the act fails unless a handler returns."""
        if self._handler is None:
            raise failed.error
        await self._call_user(self._handler, failed.error, None)
        _log.info("An unparsable tool call request was ignored (handle_invalid_tool_request)")

    def _completed(
        self,
        requested: ToolCallRequested,
        request: ToolCallRequest,
        content: object,
        outcome: ToolCallOutcome,
        error: BaseException | None = None,
    ) -> FinishedCall:
        result = self._plan.result_for(request, content)
        self._emit(
            ToolCallCompleted(
                requested.round_index, requested.call_index, request, result, outcome, error
            )
        )
        return FinishedCall(request, result)

    # --- running user code ---------------------------------------------------------------

    async def _call_user(self, fn: Callable[..., Any] | None, *args: Any, **kwargs: Any) -> Any:
        """Call a tool, guard or handler where the module docstring says; its return value."""
        assert fn is not None and self._loop is not None
        if _is_async(fn):
            return await self._on_tools_loop(fn(*args, **kwargs))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._max_parallel, thread_name_prefix="lmstudio-tool")
        value = await self._loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        if inspect.iscoroutine(value):  # a plain function that returned a coroutine
            value = await self._on_tools_loop(value)
        return value

    async def _on_tools_loop(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        import asyncio

        target = self._consumer_loop()
        if target is None or target is self._loop or target.is_closed():
            return await coroutine
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, target)
        except RuntimeError:  # that loop closed meanwhile
            return await coroutine
        return await asyncio.wrap_future(future)


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an async __call__
    )


def _running_loop() -> asyncio.AbstractEventLoop | None:
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


publish(__name__, globals())
