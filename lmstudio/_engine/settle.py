"""The engine's face of a call: the one interface that settles a ``Call`` or a ``Stream``.

Each in-flight request has two faces, created together:

- the public one, :class:`~lmstudio.Call` / :class:`~lmstudio.Stream`: block, await,
  iterate, cancel (``call.py``, ``stream.py``);
- the engine's one, a :class:`Settle` (for an rpc) or a :class:`Sink` (for a channel):
  what the pool and the sans-I/O multiplexer hold and settle, and all they know of it::

      call, settle = new_call("system.version", on_cancel=...)            # call.py
      stream, sink = new_stream("llm.predict", consume, on_cancel=...)

The multiplexer never imports ``Call`` or ``Stream``; its tests drive it with a
recording implementation of this interface (``tests/_engine/helpers.py``). Hooks go the
other way, from the public face to the engine, and are given at construction:
``on_cancel(settle)`` when the caller cancels.

Rules:

- The engine settles from one thread at a time (the engine loop; ``compose.gather``
  from whichever thread completes its last sub-call). The caller may cancel
  concurrently: settling what the caller cancelled meanwhile is a no-op, never an
  error.
- The first of :meth:`~Settle.resolve`, :meth:`~Settle.fail` and
  :meth:`~Settle.resolve_cancelled` decides the outcome; later ones are ignored.
- A stream's items go in with :meth:`~Sink.push` / :meth:`~Sink.push_many`, which only
  append (the hot path: no lock, no wake-up); :meth:`~Sink.wake` then wakes the
  consumer once per batch of received messages. Items are pushed before the stream is
  settled, and settling wakes the consumer itself.
- :attr:`~Settle.route` is the pool's slot: where the request lives on the wire (its
  connection and ``callId`` / ``channelId``), for cancelling it and sending on it.
  Nothing else reads it, and the public face does not have it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Settle", "Sink"]


@runtime_checkable
class Settle(Protocol):
    """How the engine completes one ``Call`` (see the module docstring)."""

    route: Any
    """The pool's routing of the request (``(connection, id)``), ``None`` before it starts."""

    def wanted(self) -> bool:
        """Whether the caller still waits for it: ``False`` once cancelled or settled.

        Returns:
            ``False`` if the request need not (or no longer) be started.
        """
        ...

    def resolve(self, value: Any) -> None:
        """Complete with ``value`` (the decoded, transformed result, or a final value)."""
        ...

    def fail(self, exc: BaseException) -> None:
        """Complete with the error ``exc`` (raised where the caller waits)."""
        ...

    def resolve_cancelled(self) -> None:
        """Complete as cancelled (the caller then gets ``LMStudioCancelledError``)."""
        ...


@runtime_checkable
class Sink(Settle, Protocol):
    """How the engine feeds and completes one ``Stream``: a :class:`Settle` with items."""

    def push(self, item: Any) -> None:
        """Append one item for the consumer (no wake-up: see :meth:`wake`)."""
        ...

    def push_many(self, items: list[Any]) -> None:
        """Append several items, in order (no wake-up)."""
        ...

    def wake(self) -> None:
        """Wake the consumer if it waits: once per batch of pushes (any thread)."""
        ...
