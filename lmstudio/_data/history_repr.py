"""How ``Chat.__repr__`` shows messages: a line each, long texts cut."""

from __future__ import annotations

from .._protocol.models import (
    ChatMessageData,
    FileHandle,
    TextData,
    ToolCallRequestData,
    ToolCallResultData,
)

__all__ = ["describe_message"]

_MAX_REPR_TEXT = 60


def _short(text: str) -> str:
    if len(text) > _MAX_REPR_TEXT:
        text = text[: _MAX_REPR_TEXT - 3] + "..."
    return repr(text)


def _describe_part(part: object) -> str:
    if isinstance(part, TextData):
        return _short(part.text)
    if isinstance(part, FileHandle):
        return f"<{part.file_type} {part.name!r}>"
    if isinstance(part, ToolCallRequestData):
        request = part.tool_call_request
        args = request.arguments if isinstance(request.arguments, dict) else {}
        call = ", ".join(f"{k}={v!r}" for k, v in args.items())
        ident = f" [{request.id}]" if isinstance(request.id, str) else ""
        return f"<call {request.name}({call}){ident}>"
    if isinstance(part, ToolCallResultData):
        ident = f"[{part.tool_call_id}] " if isinstance(part.tool_call_id, str) else ""
        return f"<result {ident}{_short(part.content)}>"
    return repr(part)


def describe_message(message: ChatMessageData) -> str:
    """One line for ``Chat.__repr__``: the role, then each part, long texts cut."""
    role = type(message).__struct_config__.tag
    parts = " + ".join(_describe_part(p) for p in message.content)
    return f"{role}: {parts}"
