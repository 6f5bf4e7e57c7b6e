"""Exceptions raised by ``lmstudio``.

Every exception the SDK raises on purpose is an :class:`LMStudioError`::

    LMStudioError
    ├── LMStudioServerError            LM Studio answered with an error
    │   ├── LMStudioModelNotFoundError   no model matches the key, path or identifier
    │   ├── LMStudioPresetNotFoundError  no preset matches the identifier
    │   └── LMStudioPredictionError      a prediction failed (e.g. an unparsable tool call)
    ├── LMStudioClientError            the call could not be completed on this side
    │   ├── LMStudioWebsocketError       unreachable, connection dropped, handshake failed
    │   │   └── LMStudioProtocolError      the server sent something this SDK cannot understand
    │   │       └── LMStudioChannelClosedError  a channel ended without its final value
    │   ├── LMStudioCancelledError       the call was cancelled (also a CancelledError)
    │   └── LMStudioUnknownMessageWarning  a warning category: a server message this SDK
    │                                      could not read (also a UserWarning)
    ├── LMStudioTimeoutError           no answer in time (also a TimeoutError)
    ├── LMStudioOSError                a local file cannot be used (also an OSError)
    ├── LMStudioRuntimeError           the API was used in a way that cannot work (also a RuntimeError)
    └── LMStudioValueError             an invalid argument (also a ValueError)

As in h11, the distinction between "you misused the API" (:class:`LMStudioRuntimeError`,
:class:`LMStudioValueError`) and "the other side broke the protocol"
(:class:`LMStudioProtocolError`) is kept apart. Errors from lower layers (the WebSocket
library, ``OSError``, msgspec) never escape: they are converted at one boundary in the
engine and kept as ``__cause__``.
"""

from __future__ import annotations

import concurrent.futures
import sys
from collections.abc import Mapping
from typing import Any

from ._exports import publish

__all__ = [
    "LMStudioCancelledError",
    "LMStudioChannelClosedError",
    "LMStudioClientError",
    "LMStudioError",
    "LMStudioModelNotFoundError",
    "LMStudioOSError",
    "LMStudioPredictionError",
    "LMStudioPresetNotFoundError",
    "LMStudioProtocolError",
    "LMStudioRuntimeError",
    "LMStudioServerError",
    "LMStudioTimeoutError",
    "LMStudioUnknownMessageWarning",
    "LMStudioValueError",
    "LMStudioWebsocketError",
    "server_error_from_payload",
]


class LMStudioError(Exception):
    """Base class of every error raised by ``lmstudio``."""


class LMStudioServerError(LMStudioError):
    """LM Studio reported an error (its ``serializedLMSExtendedError``).

    ``str(error)`` renders the title, then the cause, the suggested remedy and any
    structured details on indented lines. The fields are also attributes; absent ones
    are ``None``.
    """

    title: str
    cause: str | None
    suggestion: str | None
    error_data: Mapping[str, Any] | None
    display_data: Mapping[str, Any] | None
    root_title: str | None
    stack: str | None

    def __init__(
        self,
        title: str,
        *,
        cause: str | None = None,
        suggestion: str | None = None,
        error_data: Mapping[str, Any] | None = None,
        display_data: Mapping[str, Any] | None = None,
        root_title: str | None = None,
        stack: str | None = None,
    ) -> None:
        self.title = title
        self.cause = cause
        self.suggestion = suggestion
        self.error_data = error_data
        self.display_data = display_data
        self.root_title = root_title
        self.stack = stack
        super().__init__(_render(self))

    @property
    def code(self) -> str | None:
        """``display_data["code"]`` (e.g. ``"generic.noModelMatchingQuery"``), if any."""
        code = (self.display_data or {}).get("code")
        return code if isinstance(code, str) else None

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {
            "cause": self.cause,
            "suggestion": self.suggestion,
            "error_data": self.error_data,
            "display_data": self.display_data,
            "root_title": self.root_title,
            "stack": self.stack,
        }
        return (_rebuild_server_error, (type(self), self.title, fields))


def _rebuild_server_error(
    cls: type[LMStudioServerError], title: str, fields: dict[str, Any]
) -> LMStudioServerError:
    return cls(title, **fields)


class LMStudioModelNotFoundError(LMStudioServerError):
    """No model matches the requested key, path or identifier."""


class LMStudioPresetNotFoundError(LMStudioServerError):
    """No preset matches the requested identifier."""


class LMStudioPredictionError(LMStudioServerError):
    """A prediction failed (for example, the model produced an unparsable tool call)."""


class LMStudioClientError(LMStudioError):
    """The call could not be completed on this side of the connection."""


class LMStudioWebsocketError(LMStudioClientError):
    """LM Studio is unreachable, the connection dropped, or the handshake failed."""


class LMStudioProtocolError(LMStudioWebsocketError):
    """The server sent something this SDK cannot understand."""


class LMStudioChannelClosedError(LMStudioProtocolError):
    """LM Studio ended a streaming channel without its final value (a result, a handle)."""


class LMStudioUnknownMessageWarning(LMStudioClientError, UserWarning):
    """A warnings category: LM Studio sent a message this SDK could not read.

    The official SDK's name. This SDK skips such a message (a packet kind, a listed item
    of a kind a newer LM Studio added...), logs it (``lmstudio.engine``) and issues this
    warning once per kind; ``warnings.filterwarnings("ignore",
    category=lms.LMStudioUnknownMessageWarning)`` silences it.
    """


class LMStudioOSError(LMStudioError, OSError):
    """A local file cannot be used (missing, unreadable, not a regular file...)."""


class LMStudioCancelledError(LMStudioClientError, concurrent.futures.CancelledError):
    """The call was cancelled (by ``.cancel()``, a cancelled await, or closing the client)."""


if sys.version_info >= (3, 11):

    class LMStudioTimeoutError(LMStudioError, TimeoutError):
        """No answer in time: a call's inactivity timeout, or ``.result(timeout)``."""

else:  # pragma: no cover - Python 3.10 has a separate concurrent.futures.TimeoutError

    class LMStudioTimeoutError(LMStudioError, TimeoutError, concurrent.futures.TimeoutError):
        """No answer in time: a call's inactivity timeout, or ``.result(timeout)``."""


class LMStudioRuntimeError(LMStudioError, RuntimeError):
    """The API was used in a way that cannot work (e.g. a closed client)."""


class LMStudioValueError(LMStudioError, ValueError):
    """An invalid argument (e.g. a malformed API token)."""


# --- server errors ------------------------------------------------------------------

_MODEL_NOT_FOUND_CODES = frozenset(
    {"generic.noModelMatchingQuery", "generic.pathNotFound", "generic.identifierNotFound"}
)
_PRESET_NOT_FOUND_CODES = frozenset({"generic.presetNotFound"})


def server_error_from_payload(
    payload: object, *, default_class: type[LMStudioServerError] = LMStudioServerError
) -> LMStudioServerError:
    """Build the typed exception for a ``serializedLMSExtendedError`` (decoded JSON).

    ``displayData.code`` picks the class: model or preset not found, else
    ``default_class``. Malformed fields are dropped rather than failing, as the
    official clients do; a bare string becomes the title.
    """
    if isinstance(payload, str):
        return default_class(payload or "Unknown error")
    if not isinstance(payload, Mapping):
        return default_class("Unknown error")

    def text(key: str) -> str | None:
        value = payload.get(key)
        return value if isinstance(value, str) and value else None

    def mapping(key: str) -> Mapping[str, Any] | None:
        value = payload.get(key)
        return value if isinstance(value, Mapping) else None

    display_data = mapping("displayData")
    code = display_data.get("code") if display_data is not None else None
    if not isinstance(code, str):  # a code of another type (unhashable too) picks no class
        code = None
    cls = default_class
    if code in _MODEL_NOT_FOUND_CODES:
        cls = LMStudioModelNotFoundError
    elif code in _PRESET_NOT_FOUND_CODES:
        cls = LMStudioPresetNotFoundError
    return cls(
        text("title") or text("rootTitle") or "Unknown error",
        cause=text("cause"),
        suggestion=text("suggestion"),
        error_data=mapping("errorData"),
        display_data=display_data,
        root_title=text("rootTitle"),
        stack=text("stack"),
    )


def _render(error: LMStudioServerError) -> str:
    lines = [error.title]
    friendly = _describe_display_data(error.display_data)
    if friendly:
        lines.append(_indent(friendly))
    if error.cause:
        lines.append(_indent(f"Cause: {error.cause}"))
    if error.suggestion:
        lines.append(_indent(f"Suggestion: {error.suggestion}"))
    if error.display_data and not friendly:
        lines.append(_indent(f"Details: {_json(error.display_data)}"))
    if error.error_data:
        lines.append(_indent(f"Error data: {_json(error.error_data)}"))
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _json(value: object) -> str:
    import json

    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):  # pragma: no cover - decoded JSON always dumps
        return repr(value)


def _sample(names: object, total: object) -> str:
    if not isinstance(names, list) or not names:
        return "none"
    shown = ", ".join(str(name) for name in names)
    if isinstance(total, int) and total > len(names):
        shown += f" ({total} in total)"
    return shown


def _describe_display_data(data: Mapping[str, Any] | None) -> str | None:
    """A sentence for the display data codes LM Studio documents, else ``None``."""
    if not data:
        return None
    code = data.get("code")
    if code == "generic.noModelMatchingQuery":
        query = data.get("query")
        wanted = _json(query) if query else "the query"
        loaded = _sample(data.get("loadedModelsSample"), data.get("totalLoadedModels"))
        return f"No loaded model matches {wanted}. Loaded models: {loaded}."
    if code == "generic.identifierNotFound":
        loaded = _sample(data.get("loadedModelsSample"), data.get("totalLoadedModels"))
        return (
            f"No loaded model has identifier {data.get('identifier')!r}. Loaded models: {loaded}."
        )
    if code == "generic.pathNotFound":
        available = _sample(data.get("availablePathsSample"), data.get("totalModels"))
        return f"No downloaded model matches {data.get('path')!r}. Available models: {available}."
    if code == "generic.presetNotFound":
        sample = data.get("availablePresetsSample")
        names = (
            [p.get("identifier") for p in sample if isinstance(p, Mapping)]
            if isinstance(sample, list)
            else None
        )
        available = _sample(names, data.get("totalAvailablePresets"))
        preset = data.get("specifiedFuzzyPresetIdentifier")
        return f"No preset matches {preset!r}. Available presets: {available}."
    if code == "generic.specificModelUnloaded":
        return "The model was unloaded."
    if code == "generic.domainMismatch":
        return (
            f"The model at {data.get('path')!r} is a {data.get('actualDomain')} model, "
            f"not a {data.get('expectedDomain')} model."
        )
    return None


publish(__name__, globals())
