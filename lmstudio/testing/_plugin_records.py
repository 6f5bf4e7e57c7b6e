"""The plugin host's records: registered plugins, hook outcomes, request state."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lmstudio.testing._session import Channel

__all__ = [
    "HOOK_ENDPOINTS",
    "HOOK_TEXT",
    "HookOutcome",
    "PluginHookError",
    "PluginRecord",
    "Task",
    "ToolCallOutcome",
    "ToolsSession",
    "absorb",
    "error_text",
    "gone",
    "kv_config",
]

HOOK_ENDPOINTS = {
    "setToolsProvider": "toolsProvider",
    "setPromptPreprocessor": "promptPreprocessor",
    "setGenerator": "generator",
    "setPredictionLoopHandler": "predictionLoopHandler",
}
"""Hook channel endpoint -> the hook's name (``PluginRecord.hooks`` keys)."""


class PluginHookError(Exception):
    """A plugin answered a hook request with an error, or went away before answering.

    ``error`` is the plugin's ``serializedLMSExtendedError`` (``None`` when it went away).
    """

    def __init__(self, message: str, error: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error = dict(error) if error is not None else None


def kv_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A KV config (``{"fields": [...]}``) from one or from a plain ``{key: value}`` mapping."""
    if config is None:
        return {"fields": []}
    if set(config) == {"fields"} and isinstance(config["fields"], list):
        return {"fields": [dict(f) for f in config["fields"]]}
    return {"fields": [{"key": key, "value": value} for key, value in config.items()]}


@dataclass
class PluginRecord:
    """A registered plugin as the host sees it."""

    identifier: str
    """``owner/name``."""
    manifest: dict[str, Any]
    client_identifier: str
    client_passkey: str = field(repr=False)
    dev: bool
    hooks: dict[str, Channel] = field(default_factory=dict, repr=False)
    """Open hook channels by hook name (``toolsProvider``, ``promptPreprocessor``...)."""
    config_schematics: dict[str, Any] | None = None
    global_config_schematics: dict[str, Any] | None = None
    init_completed: bool = False
    registered: bool = True

    def info(self) -> dict[str, Any]:
        """Its ``availablePluginInfo``."""
        return {
            "identifier": self.identifier,
            "isDev": self.dev,
            "isTrusted": True,
            "hasPromptPreprocessor": "promptPreprocessor" in self.hooks,
            "hasPredictionLoopHandler": "predictionLoopHandler" in self.hooks,
            "hasToolsProvider": "toolsProvider" in self.hooks,
            "hasGenerator": "generator" in self.hooks,
        }


@dataclass
class HookOutcome:
    """What a plugin answered to one preprocess, generate or prediction-loop request.

    ``packets``: every packet it sent for the request, in order. ``processed``: the
    preprocessed message (preprocess). ``content`` / ``tool_calls``: the generated text
    and ``toolCallRequest``s (generate). ``updates``: the ``processingHandleUpdate``
    updates, ``sender_names`` / ``suggested_names`` / ``requests``: the other
    ``processing*`` calls made with the request's ``pci``. ``error``: its error packet's
    error; ``aborted``: it answered an abort.
    """

    hook: str
    task_id: str
    packets: list[dict[str, Any]] = field(default_factory=list)
    processed: dict[str, Any] | None = None
    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    sender_names: list[str] = field(default_factory=list)
    suggested_names: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    aborted: bool = False


@dataclass
class ToolCallOutcome:
    """What a tools provider answered to one tool call: ``result`` (``toolCallComplete``)
    or ``error`` (``toolCallError``), with the status and warning texts sent before."""

    name: str
    call_id: str
    result: Any = None
    error: dict[str, Any] | None = None
    statuses: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    packets: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)
class Task:
    plugin: PluginRecord
    hook: str
    outcome: HookOutcome
    queue: asyncio.Queue[dict[str, Any] | None]
    history: list[dict[str, Any]]
    current: dict[str, Any] | None
    pci: str | None = None
    token: str | None = None


@dataclass(eq=False)
class ToolsSession:
    """A tools provider session: its tool definitions and its calls by id."""

    plugin: PluginRecord
    session_id: str
    tools: list[dict[str, Any]] = field(default_factory=list)
    ready: asyncio.Future[None] | None = None
    calls: dict[str, asyncio.Queue[dict[str, Any] | None]] = field(default_factory=dict)
    ended: bool = False


HOOK_TEXT = {
    "toolsProvider": "tools provider",
    "promptPreprocessor": "prompt preprocessor",
    "generator": "generator",
    "predictionLoopHandler": "prediction loop handler",
}


def absorb(outcome: HookOutcome, packet: dict[str, Any]) -> bool:
    """Fold one plugin packet into the outcome; ``True`` when it ends the request."""
    match packet["type"]:
        case "complete":
            if "processed" in packet:
                outcome.processed = packet["processed"]
            return True
        case "error":
            outcome.error = packet["error"]
            return True
        case "aborted":
            outcome.aborted = True
            return True
        case "fragmentGenerated":
            outcome.content += packet["content"]
        case "toolCallGenerationEnded":
            outcome.tool_calls.append(packet["toolCallRequest"])
    return False


def error_text(error: Mapping[str, Any]) -> str:
    return str(error.get("title") or error.get("cause") or "the plugin reported an error")


def gone(record: PluginRecord) -> PluginHookError:
    return PluginHookError(f"plugin {record.identifier!r} closed its hook channel")
