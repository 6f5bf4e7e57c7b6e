"""Chat histories: ``Chat``, built on the protocol's chat history types.

A ``Chat`` is an ordered list of messages, each one of the protocol's message structs:
``SystemPrompt``, ``UserMessage``, ``AssistantResponse`` and ``ToolResultMessage`` (parts:
``TextData``, ``FileHandle``, ``ToolCallRequestData``, ``ToolCallResultData``). Each
``add_*`` call appends one message (a user message after a user message replaces it with
the two merged); a message once held never changes, so :meth:`Chat.to_wire` can hand a
snapshot to a request without copying them.

``from_history`` and ``append`` also take dicts, in the wire shape (``{"role": "user",
"content": [{"type": "text", "text": "hi"}]}``, snake_case keys accepted) or in the
OpenAI chat shape (``{"role": "user", "content": "hi"}``, assistant ``tool_calls``,
``{"role": "tool", "tool_call_id": ..., "content": ...}``).

Images and files are ``FileHandle`` parts of a user message (from ``prepare_image()``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, TypeVar, runtime_checkable

import msgspec
from typing_extensions import Self

from .._exports import publish
from .._protocol.models import (
    AssistantResponse,
    ChatHistoryData,
    ChatMessageData,
    FileHandle,
    SystemPrompt,
    TextData,
    ToolCallRequest,
    ToolCallRequestData,
    ToolCallResultData,
    ToolResultMessage,
    UserMessage,
)
from ..errors import LMStudioValueError
from .history_repr import describe_message

__all__ = [
    "AssistantResponse",
    "Chat",
    "ChatHistoryData",
    "ChatMessage",
    "FileHandle",
    "FileType",
    "SystemPrompt",
    "TextData",
    "ToolCallRequest",
    "ToolCallRequestData",
    "ToolCallResultData",
    "ToolResultMessage",
    "UserMessage",
]

# The protocol's chat types are generated under the official SDK's public names.
ChatMessage: TypeAlias = ChatMessageData
FileType: TypeAlias = str
"""``"image"``, ``"text/plain"``, ``"application/pdf"``, ``"application/word"``,
``"text/other"`` or ``"unknown"`` (newer servers may add values)."""


@runtime_checkable
class _HasHistoryContent(Protocol):
    """A prediction result, added to a chat as the assistant's text."""

    def _to_history_content(self) -> str: ...


UserContentInput: TypeAlias = str | TextData | FileHandle | Mapping[str, Any]
AssistantContentInput: TypeAlias = (
    str | TextData | FileHandle | Mapping[str, Any] | _HasHistoryContent
)
ToolCallRequestInput: TypeAlias = ToolCallRequest | ToolCallRequestData | Mapping[str, Any]
ToolCallResultInput: TypeAlias = ToolCallResultData | Mapping[str, Any]
MessageInput: TypeAlias = ChatMessage | Mapping[str, Any]

# snake_case spellings accepted for the camelCase wire keys of message parts
_PART_KEYS = {
    "size_bytes": "sizeBytes",
    "file_type": "fileType",
    "tool_call_request": "toolCallRequest",
    "tool_call_id": "toolCallId",
}
_ROLES = {"system", "user", "assistant", "tool"}


class Chat:
    """A chat history to send to ``respond()`` / ``act()``.

    Usage::

        chat = Chat("You are a terse assistant.")
        chat.add_user_message("What is in this picture?", images=[image_handle])
        result = model.respond(chat).result()
        chat.add_assistant_response(result)
    """

    __slots__ = ("_messages",)
    __hash__ = None  # type: ignore[assignment]  # mutable, compares by content

    def __init__(self, initial_prompt: str | TextData | Mapping[str, Any] | None = None) -> None:
        """Start a chat, with a system prompt if ``initial_prompt`` is given.

        Args:
            initial_prompt: the system prompt (text, a ``TextData`` or its dict).
                ``None`` (default): no system prompt.
        """
        self._messages: list[ChatMessage] = []
        if initial_prompt is not None:
            self.add_system_prompt(initial_prompt)

    # --- construction and conversion ---------------------------------------------------

    @classmethod
    def from_history(cls, history: HistoryInput) -> Self:
        """A new chat from existing history (never shared with the source).

        ``chat = Chat.from_history([{"role": "user", "content": "Hi"}])``

        Args:
            history: a string (one user message), a ``Chat``, a ``ChatHistoryData``, a
                dict ``{"messages": [...]}`` or a list of messages, each a message struct
                or a dict in the wire or OpenAI shape.

        Returns:
            The new chat.

        Raises:
            LMStudioValueError: ``history`` or one of its messages cannot be read.
        """
        chat = cls()
        if isinstance(history, str):
            chat.add_user_message(history)
        elif isinstance(history, Chat):
            chat._messages = _copy_messages(history._messages)
        elif isinstance(history, ChatHistoryData):
            chat._messages = _copy_messages(history.messages)
        elif isinstance(history, Mapping):
            messages = history.get("messages")
            if not isinstance(messages, Sequence) or isinstance(messages, str):
                raise LMStudioValueError(
                    "Expected a Chat, a ChatHistoryData, a list of messages "
                    "or a dict with a 'messages' list"
                )
            chat._extend(messages)
        elif isinstance(history, Sequence) and not isinstance(history, str):
            chat._extend(history)
        else:
            raise LMStudioValueError(f"Cannot make a chat history from {type(history).__name__}")
        return chat

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        """A chat from the JSON of :meth:`to_json` (the wire ``chatHistoryData``).

        Args:
            data: the JSON text or bytes.

        Returns:
            The chat.

        Raises:
            LMStudioValueError: the JSON is invalid or is not a chat history.
        """
        try:
            history = _history_decoder().decode(data)
        except msgspec.DecodeError as exc:
            raise LMStudioValueError(f"Invalid chat history JSON: {exc}") from None
        chat = cls()
        chat._messages = list(history.messages)
        return chat

    def to_wire(self) -> ChatHistoryData:
        """The history as the protocol's ``ChatHistoryData`` (a snapshot of this chat)."""
        return ChatHistoryData(messages=list(self._messages))

    def to_dict(self) -> dict[str, Any]:
        """The history as a JSON-ready dict in the wire shape (``{"messages": [...]}``)."""
        result: dict[str, Any] = msgspec.to_builtins(self.to_wire())
        return result

    def to_json(self) -> str:
        """The history as JSON in the wire shape; :meth:`from_json` reads it back."""
        return msgspec.json.encode(self.to_wire()).decode()

    def copy(self) -> Self:
        """An independent copy of this chat."""
        return type(self).from_history(self)

    __copy__ = copy

    def __deepcopy__(self, memo: object) -> Self:
        return self.copy()

    # --- reading ------------------------------------------------------------------------

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        """The messages, oldest first (treat them as read-only)."""
        return tuple(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[ChatMessage]:
        return iter(tuple(self._messages))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Chat):
            return NotImplemented
        return self._messages == other._messages

    def __repr__(self) -> str:
        if not self._messages:
            return f"{type(self).__name__}([])"
        lines = [f"    {describe_message(m)}," for m in self._messages]
        return "\n".join([f"{type(self).__name__}([", *lines, "])"])

    # --- adding messages ----------------------------------------------------------------

    def add_system_prompt(self, prompt: str | TextData | Mapping[str, Any]) -> SystemPrompt:
        """Append a system prompt.

        Args:
            prompt: the text (or a ``TextData`` or its dict).

        Returns:
            The ``SystemPrompt`` message appended.

        Raises:
            LMStudioValueError: ``prompt`` is not text.
        """
        message = SystemPrompt(content=[_text_part(prompt, "system prompt")])
        self._messages.append(message)
        return message

    def add_user_message(
        self,
        content: UserContentInput | Iterable[UserContentInput] = (),
        *,
        images: Iterable[FileHandle | Mapping[str, Any]] = (),
        files: Iterable[FileHandle | Mapping[str, Any]] = (),
    ) -> UserMessage:
        """Append a user message: text and/or file handles, then ``images`` and ``files``.

        ``chat.add_user_message("What is in this picture?", images=[image])``

        Args:
            content: the text, a ``FileHandle``, or several of them (an iterable).
            images: handles from ``client.files.prepare_image``, added after the text as
                LM Studio expects.
            files: handles from ``client.files.prepare_file``, added after the images.

        Returns:
            The ``UserMessage`` appended, or the last message if it is a user message: as in
            the official SDK, consecutive user messages merge into one (prompt templates
            that require alternating roles reject two in a row).

        Raises:
            LMStudioValueError: nothing to send, or a part that is neither text nor a file.
        """
        items: list[Any] = [content] if _is_single(content) else list(content)  # type: ignore[arg-type]
        parts: list[TextData | FileHandle] = [_user_part(item) for item in items]
        parts += [_file_part(handle) for handle in images]
        parts += [_file_part(handle) for handle in files]
        if not parts:
            raise LMStudioValueError("A user message needs some text or a file")
        last = self._messages[-1] if self._messages else None
        if isinstance(last, UserMessage):
            # As the official SDK's Chat: prompt templates that require alternating roles
            # reject two user messages in a row, so the parts join the last one (in a new
            # message: one handed out before never changes).
            merged = UserMessage(content=[*last.content, *parts])
            self._messages[-1] = merged
            return merged
        message = UserMessage(content=parts)
        self._messages.append(message)
        return message

    def add_assistant_response(
        self,
        response: AssistantContentInput,
        tool_call_requests: Iterable[ToolCallRequestInput] = (),
    ) -> AssistantResponse:
        """Append the assistant's answer (text or a ``PredictionResult``) and tool requests.

        ``chat.add_assistant_response(model.respond(chat).result())``

        Args:
            response: the answer: text, a ``PredictionResult`` (its ``content``), or a
                file handle.
            tool_call_requests: the tool calls the assistant asked for. Empty (default):
                a ``PredictionResult``'s own ``tool_call_requests`` are kept.

        Returns:
            The ``AssistantResponse`` message appended.

        Raises:
            LMStudioValueError: a response or request that cannot be read.
        """
        first: TextData | FileHandle
        if isinstance(response, _HasHistoryContent):
            first = TextData(text=response._to_history_content())
            if not tool_call_requests:
                tool_call_requests = getattr(response, "tool_call_requests", ())
        elif isinstance(response, FileHandle) or (
            isinstance(response, Mapping) and "identifier" in response
        ):
            first = _file_part(response)
        else:
            first = _text_part(response, "assistant response")
        requests = [_tool_request_part(request) for request in tool_call_requests]
        message = AssistantResponse(content=[first, *requests])
        self._messages.append(message)
        return message

    def add_tool_call_requests(
        self, tool_call_requests: Iterable[ToolCallRequestInput], text: str = ""
    ) -> AssistantResponse:
        """Append an assistant message requesting tool calls (with optional text first).

        Args:
            tool_call_requests: ``ToolCallRequest`` structs or their dicts.
            text: text before the requests (default: none).

        Returns:
            The ``AssistantResponse`` message appended.
        """
        return self.add_assistant_response(text, tool_call_requests)

    def add_tool_results(self, results: Iterable[ToolCallResultInput]) -> ToolResultMessage:
        """Append one tool message holding several tool call results.

        ``chat.add_tool_results([{"tool_call_id": "call_1", "content": "3"}])``

        Args:
            results: ``ToolCallResultData`` structs or dicts (``content``,
                ``tool_call_id``).

        Returns:
            The ``ToolResultMessage`` appended.

        Raises:
            LMStudioValueError: no result, or one that cannot be read.
        """
        parts = [_tool_result_part(result) for result in results]
        if not parts:
            raise LMStudioValueError("A tool message needs at least one result")
        message = ToolResultMessage(content=parts)
        self._messages.append(message)
        return message

    def add_tool_result(self, result: ToolCallResultInput) -> ToolResultMessage:
        """Append a tool message holding one tool call result.

        Args:
            result: a ``ToolCallResultData`` or its dict.

        Returns:
            The ``ToolResultMessage`` appended.
        """
        return self.add_tool_results([result])

    def add_entry(self, role: str, content: Any) -> ChatMessage:
        """Append a message for ``role`` (``system``/``user``/``assistant``/``tool``).

        Args:
            role: the message's role.
            content: its content, as the wire or OpenAI shape writes it.

        Returns:
            The message appended.

        Raises:
            LMStudioValueError: an unknown role or content that cannot be read.
        """
        return self.append({"role": role, "content": content})

    def append(self, message: MessageInput) -> ChatMessage:
        """Append a copy of a message: a message struct, or a wire- or OpenAI-shaped dict.

        Args:
            message: the message.

        Returns:
            The message appended (a copy).

        Raises:
            LMStudioValueError: the message cannot be read.
        """
        parsed = _parse_message(message)
        self._messages.append(parsed)
        return parsed

    def _extend(self, messages: Iterable[MessageInput]) -> None:
        for message in messages:
            self.append(message)


HistoryInput: TypeAlias = (
    str | Chat | ChatHistoryData | Mapping[str, Any] | Sequence[ChatMessage | Mapping[str, Any]]
)
"""What ``Chat.from_history`` (and ``respond()``) accept as a history."""


# --- parsing helpers ---------------------------------------------------------------------

_S = TypeVar("_S", bound=msgspec.Struct)


def _deep_copy(value: _S) -> _S:
    return msgspec.convert(msgspec.to_builtins(value), type(value))


@functools.cache
def _history_decoder() -> msgspec.json.Decoder[ChatHistoryData]:
    return msgspec.json.Decoder(ChatHistoryData)


def _copy_messages(messages: Iterable[ChatMessage]) -> list[ChatMessage]:
    encoded = msgspec.json.encode(ChatHistoryData(messages=list(messages)))
    return _history_decoder().decode(encoded).messages


def _is_single(content: object) -> bool:
    return isinstance(content, str | Mapping | msgspec.Struct) or not isinstance(content, Iterable)


def _text_part(value: object, what: str) -> TextData:
    if isinstance(value, str):
        return TextData(text=value)
    if isinstance(value, TextData):
        return TextData(text=value.text)
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        return TextData(text=value["text"])
    raise LMStudioValueError(f"Cannot use {value!r} as {what} text")


def _file_part(value: object) -> FileHandle:
    if isinstance(value, FileHandle):
        return msgspec.structs.replace(value)
    if isinstance(value, Mapping):
        data = {_PART_KEYS.get(k, k): v for k, v in value.items() if k != "type"}
        try:
            return msgspec.convert(data, FileHandle)
        except msgspec.ValidationError as exc:
            raise LMStudioValueError(f"Invalid file handle {dict(value)!r}: {exc}") from None
    raise LMStudioValueError(
        f"Expected a file handle (from prepare_image / prepare_file), got {value!r}"
    )


def _user_part(value: object) -> TextData | FileHandle:
    if isinstance(value, FileHandle):
        return _file_part(value)
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind in ("image_url", "input_image", "image", "input_file"):
            raise LMStudioValueError(
                f"{kind!r} content cannot be sent as is: upload the file with "
                "client.files.prepare_image() / prepare_file() and pass the handle"
            )
        if kind == "file" or (kind is None and "identifier" in value):
            return _file_part(value)
    return _text_part(value, "user message")


def _tool_request_part(value: object) -> ToolCallRequestData:
    if isinstance(value, ToolCallRequestData):
        return _deep_copy(value)
    if isinstance(value, ToolCallRequest):
        return ToolCallRequestData(tool_call_request=_deep_copy(value))
    if not isinstance(value, Mapping):
        raise LMStudioValueError(f"Cannot use {value!r} as a tool call request")
    if value.get("type") == "toolCallRequest" or "tool_call_request" in value:
        inner = value.get("toolCallRequest", value.get("tool_call_request"))
        return _tool_request_part(inner)
    function = value.get("function")
    if isinstance(function, Mapping):  # OpenAI: {"id", "type": "function", "function": {...}}
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError:
                raise LMStudioValueError(
                    f"Tool call arguments are not valid JSON: {arguments!r}"
                ) from None
        data: dict[str, Any] = {"type": "function", "name": function.get("name")}
        if value.get("id") is not None:
            data["id"] = value["id"]
        if arguments is not None:
            data["arguments"] = arguments
    else:
        data = {"type": "function", **value}
    try:
        request = msgspec.convert(data, ToolCallRequest)
    except msgspec.ValidationError as exc:
        raise LMStudioValueError(f"Invalid tool call request {dict(value)!r}: {exc}") from None
    return ToolCallRequestData(tool_call_request=request)


def _tool_result_part(value: object) -> ToolCallResultData:
    if isinstance(value, ToolCallResultData):
        return msgspec.structs.replace(value)
    if not isinstance(value, Mapping):
        raise LMStudioValueError(f"Cannot use {value!r} as a tool call result")
    data = {_PART_KEYS.get(k, k): v for k, v in value.items() if k != "type"}
    content = data.get("content")
    if isinstance(content, list):  # OpenAI: a list of text parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    elif not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)
    data["content"] = content
    if data.get("toolCallId") is None:
        data.pop("toolCallId", None)
    try:
        return msgspec.convert(data, ToolCallResultData)
    except msgspec.ValidationError as exc:
        raise LMStudioValueError(f"Invalid tool call result {dict(value)!r}: {exc}") from None


def _parse_message(message: object) -> ChatMessage:
    if isinstance(message, SystemPrompt | UserMessage | AssistantResponse | ToolResultMessage):
        return _deep_copy(message)
    if not isinstance(message, Mapping):
        raise LMStudioValueError(f"Cannot use {message!r} as a chat message")
    role = message.get("role")
    if role == "developer":  # OpenAI's newer name for the system role
        role = "system"
    if role not in _ROLES:
        raise LMStudioValueError(f"Unknown chat message role {role!r} in {dict(message)!r}")
    content = message.get("content")
    parts = [] if content is None else ([content] if _is_single(content) else list(content))
    if role == "system":
        if len(parts) != 1:
            raise LMStudioValueError("A system prompt takes exactly one text part")
        return SystemPrompt(content=[_text_part(parts[0], "system prompt")])
    if role == "user":
        if not parts:
            raise LMStudioValueError("A user message needs some content")
        return UserMessage(content=[_user_part(p) for p in parts])
    if role == "assistant":
        return _parse_assistant(parts, message.get("tool_calls") or ())
    if "tool_call_id" in message or "toolCallId" in message:  # OpenAI: one result per message
        return ToolResultMessage(content=[_tool_result_part(message)])
    return ToolResultMessage(content=[_tool_result_part(p) for p in parts])


def _parse_assistant(parts: list[Any], tool_calls: Iterable[Any]) -> AssistantResponse:
    content: list[TextData | FileHandle | ToolCallRequestData] = []
    for part in parts:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if isinstance(part, ToolCallRequestData) or kind == "toolCallRequest":
            content.append(_tool_request_part(part))
        elif isinstance(part, FileHandle) or kind == "file":
            content.append(_file_part(part))
        else:
            content.append(_text_part(part, "assistant response"))
    content += [_tool_request_part(call) for call in tool_calls]
    if not content:
        content.append(TextData(text=""))
    return AssistantResponse(content=content)


# --- repr --------------------------------------------------------------------------------


publish(__name__, globals())
