"""The one place where lower-layer errors become ``lmstudio`` errors.

Like httpx's ``map_httpcore_exceptions``: the WebSocket library, the OS and msgspec
raise their own exceptions; the engine catches them where they happen and passes
them through :func:`translate`, which picks the :class:`~lmstudio.LMStudioError` and
keeps the original as ``__cause__`` (without its engine traceback, so that a printed
traceback stays short).
"""

from __future__ import annotations

import msgspec

from ..errors import (
    LMStudioError,
    LMStudioProtocolError,
    LMStudioTimeoutError,
    LMStudioWebsocketError,
)

__all__ = ["is_tls_failure", "translate"]


def translate(
    exc: BaseException,
    context: str,
    *,
    fallback: type[LMStudioError] = LMStudioWebsocketError,
) -> LMStudioError:
    """The ``lmstudio`` error for a lower-layer ``exc``: ``"<context> (<reason>)"``.

    msgspec decoding errors become :class:`~lmstudio.LMStudioProtocolError`, timeouts
    :class:`~lmstudio.LMStudioTimeoutError`, WebSocket and OS errors
    :class:`~lmstudio.LMStudioWebsocketError`; anything else ``fallback`` (the
    encoding of a caller's parameter passes :class:`~lmstudio.LMStudioValueError`).
    """
    if isinstance(exc, LMStudioError):
        return exc
    error: LMStudioError
    if isinstance(exc, (msgspec.ValidationError, msgspec.DecodeError)):
        error = LMStudioProtocolError(f"{context} ({exc})")
    elif _is_websockets_error(exc):
        error = _websockets_error(exc, context)
    elif isinstance(exc, TimeoutError):
        error = LMStudioTimeoutError(f"{context} ({exc})" if str(exc) else context)
    elif isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        error = LMStudioWebsocketError(f"{context} ({reason})")
    else:
        error = fallback(f"{context} ({exc or type(exc).__name__})")
    error.__cause__ = exc.with_traceback(None)
    return error


def _is_websockets_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("websockets")


def _websockets_error(exc: BaseException, context: str) -> LMStudioError:
    from websockets.exceptions import InvalidStatus, ProtocolError

    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        return LMStudioWebsocketError(
            f"{context} (the server refused the WebSocket upgrade with HTTP {status}; "
            "is this LM Studio's API port?)"
        )
    if isinstance(exc, ProtocolError):
        return LMStudioProtocolError(f"{context} (WebSocket protocol error: {exc})")
    return LMStudioWebsocketError(f"{context} ({exc})")


def is_tls_failure(exc: BaseException) -> bool:
    """Whether a failed ``wss://`` open failed in TLS (not: refused, no such host)."""
    import socket
    import ssl

    if isinstance(exc, ssl.SSLError):
        return True
    return isinstance(exc, OSError) and not isinstance(
        exc, (ConnectionRefusedError, socket.gaierror, TimeoutError)
    )
