"""Fault injection: per-endpoint delays, failures, dropped sockets and silence.

Every fault is registered as soon as it is created and removed when its ``with`` block
ends (or by ``.remove()``), so both forms work::

    with server.faults.fail("llm/predict", title="Boom"):
        ...                       # every predict fails while inside the block
    server.faults.delay("listLoaded", 2.0, times=1)   # the next listLoaded only

An endpoint is ``"name"`` (any namespace), ``"namespace/name"``, or ``"*"`` (every
endpoint). ``times`` limits how many calls a fault affects (``None``: all of them).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from lmstudio.testing._errors import FakeServerError

__all__ = ["Fault", "FaultPlan", "Faults"]

FaultKind = Literal["delay", "fail", "drop", "silence"]


class Fault:
    """One active fault; a context manager that removes it on exit."""

    def __init__(
        self,
        owner: Faults,
        kind: FaultKind,
        endpoint: str,
        *,
        times: int | None,
        seconds: float = 0.0,
        error: dict[str, Any] | None = None,
        packets: int = 0,
    ) -> None:
        namespace, _, name = endpoint.rpartition("/")
        self.kind = kind
        self.endpoint = endpoint
        self.namespace = namespace or None
        self.name = name
        self.remaining = times
        self.seconds = seconds
        self.error = error
        self.packets = packets
        self.hits = 0
        self._owner = owner

    def matches(self, namespace: str, name: str) -> bool:
        if self.name == "*":
            return True
        return self.name == name and self.namespace in (None, namespace)

    def remove(self) -> None:
        """Deactivate this fault (idempotent)."""
        self._owner._remove(self)

    def __enter__(self) -> Fault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<Fault {self.kind} {self.endpoint} remaining={self.remaining}>"


@dataclass(frozen=True)
class FaultPlan:
    """What the faults say about one call (taken once per call)."""

    delay: float = 0.0
    error: dict[str, Any] | None = None
    drop_after: int | None = None
    silence: bool = False


_NO_FAULT = FaultPlan()


class Faults:
    """The fault registry of one server (``server.faults``); thread-safe."""

    def __init__(self, validate: Any = None) -> None:
        self._lock = threading.Lock()
        self._active: list[Fault] = []
        self._validate = validate

    def _add(self, fault: Fault) -> Fault:
        if self._validate is not None:
            self._validate(fault.namespace, fault.name)
        with self._lock:
            self._active.append(fault)
        return fault

    def _remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._active:
                self._active.remove(fault)

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._active)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._active.clear()

    def delay(self, endpoint: str, seconds: float, *, times: int | None = None) -> Fault:
        """Delay the reply of an rpc, or the first packet of a channel, by ``seconds``."""
        return self._add(Fault(self, "delay", endpoint, times=times, seconds=seconds))

    def fail(
        self,
        endpoint: str,
        title: str = "Injected failure",
        *,
        cause: str | None = None,
        suggestion: str | None = None,
        error_data: dict[str, Any] | None = None,
        display_data: dict[str, Any] | None = None,
        times: int | None = None,
    ) -> Fault:
        """Answer ``rpcError`` / ``channelError`` with this ``serializedLMSExtendedError``."""
        error = FakeServerError(
            title,
            cause=cause,
            suggestion=suggestion,
            error_data=error_data,
            display_data=display_data,
        ).to_wire()
        return self._add(Fault(self, "fail", endpoint, times=times, error=error))

    def drop_connection_after(
        self, endpoint: str, packets: int = 0, *, times: int | None = None
    ) -> Fault:
        """Abort the socket after ``packets`` channel packets (0: instead of answering).

        For an rpc, ``packets=0`` aborts instead of answering and any other value right
        after the answer. A channel that ends before its ``packets``-th packet has its
        socket aborted instead of being closed.
        """
        if packets < 0:
            raise ValueError("packets must be >= 0")
        return self._add(Fault(self, "drop", endpoint, times=times, packets=packets))

    def silence(self, endpoint: str, *, times: int | None = None) -> Fault:
        """Receive the call and never answer it (no result, no packet, no close)."""
        return self._add(Fault(self, "silence", endpoint, times=times))

    def take(self, namespace: str, name: str) -> FaultPlan:
        """The plan for one call of ``namespace/name``; uses up one of each fault's ``times``."""
        with self._lock:
            if not self._active:
                return _NO_FAULT
            chosen: dict[str, Fault] = {}
            for fault in self._active:
                if fault.kind not in chosen and fault.matches(namespace, name):
                    chosen[fault.kind] = fault
            for fault in chosen.values():
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._active.remove(fault)
        if not chosen:
            return _NO_FAULT
        return FaultPlan(
            delay=chosen["delay"].seconds if "delay" in chosen else 0.0,
            error=chosen["fail"].error if "fail" in chosen else None,
            drop_after=chosen["drop"].packets if "drop" in chosen else None,
            silence="silence" in chosen,
        )
