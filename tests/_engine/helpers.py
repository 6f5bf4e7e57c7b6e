"""Helpers of the engine tests: a recording sink and a fake clock for the multiplexer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from lmstudio._engine.multiplexer import Multiplexer


class Recorder:
    """A recording implementation of ``settle.py``'s ``Settle`` / ``Sink``.

    What the multiplexer did to one call or stream, in order, in ``log``: ``("push",
    item)``, ``("push_many", items)``, ``("wake",)``, ``("resolve", value)``, ``("fail",
    exc)``, ``("cancelled",)``. Unlike a real ``Call``, it keeps a second settling too,
    so that :attr:`outcome` can check that there was at most one.
    """

    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.route: Any = None

    def wanted(self) -> bool:
        return self.outcome is None

    def push(self, item: Any) -> None:
        self.log.append(("push", item))

    def push_many(self, items: list[Any]) -> None:
        self.log.append(("push_many", list(items)))

    def wake(self) -> None:
        self.log.append(("wake",))

    def resolve(self, value: Any) -> None:
        self.log.append(("resolve", value))

    def fail(self, exc: BaseException) -> None:
        self.log.append(("fail", exc))

    def resolve_cancelled(self) -> None:
        self.log.append(("cancelled",))

    # --- reading the record ------------------------------------------------------------

    @property
    def items(self) -> list[Any]:
        """Every item pushed, in order."""
        out: list[Any] = []
        for entry in self.log:
            if entry[0] == "push":
                out.append(entry[1])
            elif entry[0] == "push_many":
                out.extend(entry[1])
        return out

    @property
    def outcome(self) -> tuple[Any, ...] | None:
        """The one settling entry, ``None`` if not settled (fails if settled twice)."""
        settled = [e for e in self.log if e[0] in ("resolve", "fail", "cancelled")]
        assert len(settled) <= 1, f"settled more than once: {settled}"
        return settled[0] if settled else None

    @property
    def value(self) -> Any:
        """The resolved value (fails if it was not resolved)."""
        outcome = self.outcome
        assert outcome is not None and outcome[0] == "resolve", outcome
        return outcome[1]

    def error(self, kind: type[BaseException] = BaseException, match: str = "") -> BaseException:
        """The error it failed with, checked against ``kind`` and the regex ``match``."""
        outcome = self.outcome
        assert outcome is not None and outcome[0] == "fail", outcome
        exc: BaseException = outcome[1]
        assert isinstance(exc, kind), repr(exc)
        assert re.search(match, str(exc)), str(exc)
        return exc

    @property
    def was_cancelled(self) -> bool:
        return self.outcome == ("cancelled",)


class FakeTimer:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock and scheduler the test advances by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[FakeTimer] = []

    def time(self) -> float:
        return self.now

    def schedule(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    @property
    def pending(self) -> list[FakeTimer]:
        return [t for t in self.timers if not t.cancelled]

    def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while True:
            due = [t for t in self.pending if t.when <= target]
            if not due:
                break
            timer = min(due, key=lambda t: t.when)
            self.now = timer.when
            timer.cancelled = True
            timer.callback()
        self.now = target


def new_mux(namespace: str = "llm") -> tuple[Multiplexer, FakeClock]:
    clock = FakeClock()
    return Multiplexer(namespace, clock=clock.time, schedule=clock.schedule), clock


def feed(mux: Multiplexer, *messages: dict[str, Any]) -> None:
    """The server sends ``messages`` (one batch)."""
    for message in messages:
        mux.receive(json.dumps(message).encode())
    mux.wake_consumers()


def sent(mux: Multiplexer) -> list[dict[str, Any]]:
    """What the client would send now, decoded."""
    return [json.loads(data) for data in mux.data_to_send()]


# --- scripted servers for transport edge cases ------------------------------------------------

import contextlib  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from websockets.sync.server import ServerConnection, serve  # noqa: E402
from websockets.utils import accept_key  # noqa: E402


@contextlib.contextmanager
def scripted_server(handler: Callable[[ServerConnection], None]) -> Iterator[str]:
    """A WebSocket server running ``handler(connection)`` per client; yields host:port."""
    with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"127.0.0.1:{server.socket.getsockname()[1]}"
        finally:
            server.shutdown()
            thread.join(10)


@contextlib.contextmanager
def raw_server(handler: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server running ``handler(sock)`` for the first client; yields host:port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def run() -> None:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        with sock:
            handler(sock)
            stop.wait(30)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(10)


def accept_websocket(sock: socket.socket) -> None:
    """Answer the client's WebSocket handshake by hand (no library behind the socket)."""
    request = b""
    while b"\r\n\r\n" not in request:
        request += sock.recv(4096)
    key = next(
        line.split(b":", 1)[1].strip().decode()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key")
    )
    sock.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n".encode()
    )


def text_frame(payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes([0x81, len(payload)]) + payload


def recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_client_frame(sock: socket.socket) -> tuple[int, bytes]:
    """(opcode, unmasked payload) of one small client frame."""
    first, second = recv_exact(sock, 2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(recv_exact(sock, 2), "big")
    mask = recv_exact(sock, 4)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(recv_exact(sock, length)))
    return first & 0x0F, payload
