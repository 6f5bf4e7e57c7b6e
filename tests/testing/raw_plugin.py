"""A plugin written on a raw websocket (no SDK code), for the fake host's tests.

``RawPlugin.register(server, violations, "owner/name")`` registers a development plugin
(``registerDevelopmentPlugin``) and connects a second socket with the identity it was
handed. ``open_hook("setToolsProvider")`` opens a hook channel; ``next_request`` reads
what the host sends on it; ``reply`` answers. ``serve(...)`` answers in a thread with
canned behaviour (a tools provider with ``add``, a generator streaming ``"Hello"`` and
optionally one tool call, an upper-casing preprocessor), for the client-side tests.
Every message the fake sends is judged against both protocol schemas (``wire.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lmstudio.testing import FakeLMStudio

from .wire import TIMEOUT, WireClient

MANIFEST = {"type": "plugin", "runner": "node", "owner": "tests", "name": "raw"}


class RawPlugin:
    """A registered development plugin: its registration socket and its plugin socket."""

    def __init__(self, registration: WireClient, channel: int, ready: dict[str, Any]) -> None:
        self.registration = registration
        self.registration_channel = channel
        self.ready = ready
        self.socket: WireClient | None = None
        self.hooks: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @classmethod
    def register(
        cls, server: FakeLMStudio, violations: list[str], identifier: str = "tests/raw"
    ) -> RawPlugin:
        owner, name = identifier.split("/")
        registration = WireClient(server.api_host, "plugins", violations)
        channel = registration.open(
            "registerDevelopmentPlugin", {"manifest": {**MANIFEST, "owner": owner, "name": name}}
        )
        ready = registration.next_on(channel)["message"]
        plugin = cls(registration, channel, ready)
        plugin.socket = WireClient(
            server.api_host,
            "plugins",
            violations,
            identifier=ready["clientIdentifier"],
            passkey=ready["clientPasskey"],
        )
        return plugin

    @property
    def ws(self) -> WireClient:
        assert self.socket is not None
        return self.socket

    def open_hook(self, endpoint: str) -> int:
        self.hooks[endpoint] = self.ws.open(endpoint)
        return self.hooks[endpoint]

    def init_completed(self) -> None:
        assert self.ws.result("pluginInitCompleted") is not None

    def next_request(self, endpoint: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        envelope = self.ws.next_on(self.hooks[endpoint], timeout)
        assert envelope["type"] == "channelSend", envelope
        return envelope["message"]

    def reply(self, endpoint: str, packet: dict[str, Any]) -> None:
        self.ws.channel_send(self.hooks[endpoint], packet)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(TIMEOUT)
        if self.socket is not None:
            self.socket.close()
        self.registration.close()

    # -- canned behaviour, served in a thread --------------------------------------------

    def serve(
        self,
        *,
        tools: bool = False,
        generator: bool = False,
        preprocessor: bool = False,
        generator_tool_call: bool = False,
    ) -> None:
        """Open the hooks asked for, send ``pluginInitCompleted``, answer in a thread."""
        handlers: dict[int, Callable[[dict[str, Any]], None]] = {}
        if tools:
            handlers[self.open_hook("setToolsProvider")] = self._tools
        if generator:
            self._generator_tool_call = generator_tool_call
            handlers[self.open_hook("setGenerator")] = self._generate
        if preprocessor:
            handlers[self.open_hook("setPromptPreprocessor")] = self._preprocess
        self.init_completed()
        ws = self.ws

        def run() -> None:
            while not self._stop.is_set():
                try:
                    message = ws.wait_for(
                        lambda m: m.get("type") == "channelSend" and m["channelId"] in handlers,
                        0.05,
                    )
                except TimeoutError:
                    continue
                except Exception:
                    return
                handlers[message["channelId"]](message["message"])

        self._thread = threading.Thread(target=run, name="raw-plugin", daemon=True)
        self._thread.start()

    def _tools(self, packet: dict[str, Any]) -> None:
        hook = "setToolsProvider"
        if packet["type"] == "initSession":
            definition = {
                "type": "function",
                "function": {
                    "name": "add",
                    "description": "Add two integers.",
                    "parameters": {
                        "type": "object",
                        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                        "required": ["a", "b"],
                    },
                },
            }
            self.reply(
                hook,
                {
                    "type": "sessionInitialized",
                    "sessionId": packet["sessionId"],
                    "toolDefinitions": [definition],
                },
            )
        elif packet["type"] == "callTool":
            ids = {"sessionId": packet["sessionId"], "callId": packet["callId"]}
            args = packet["parameters"]
            self.reply(hook, {"type": "toolCallStatus", **ids, "statusText": "adding"})
            if not isinstance(args.get("a"), int) or not isinstance(args.get("b"), int):
                error = {"title": "add needs two integers", "rootTitle": "add needs two integers"}
                self.reply(hook, {"type": "toolCallError", **ids, "error": error})
            else:
                self.reply(
                    hook, {"type": "toolCallComplete", **ids, "result": args["a"] + args["b"]}
                )

    def _generate(self, packet: dict[str, Any]) -> None:
        hook = "setGenerator"
        task = packet["taskId"]
        if packet["type"] == "abort":
            self.reply(hook, {"type": "aborted", "taskId": task})
            return
        offered = {t["function"]["name"] for t in packet["toolDefinitions"]}
        has_result = any(m["role"] == "tool" for m in packet["input"]["messages"])
        if self._generator_tool_call and "add" in offered and not has_result:
            request = {
                "type": "function",
                "id": "call-1",
                "name": "add",
                "arguments": {"a": 2, "b": 3},
            }
            self.reply(
                hook, {"type": "toolCallGenerationStarted", "taskId": task, "toolCallId": "call-1"}
            )
            self.reply(
                hook, {"type": "toolCallGenerationNameReceived", "taskId": task, "toolName": "add"}
            )
            self.reply(
                hook,
                {
                    "type": "toolCallGenerationArgumentFragmentGenerated",
                    "taskId": task,
                    "content": '{"a": 2, "b": 3}',
                },
            )
            self.reply(
                hook,
                {"type": "toolCallGenerationEnded", "taskId": task, "toolCallRequest": request},
            )
        else:
            text = "The answer is 5." if has_result else "Hello"
            for word in text.split(" "):
                self.reply(
                    hook,
                    {
                        "type": "fragmentGenerated",
                        "taskId": task,
                        "content": word + " ",
                        "opts": {},
                    },
                )
        self.reply(hook, {"type": "complete", "taskId": task})

    def _preprocess(self, packet: dict[str, Any]) -> None:
        hook = "setPromptPreprocessor"
        if packet["type"] == "abort":
            self.reply(hook, {"type": "aborted", "taskId": packet["taskId"]})
            return
        message = packet["input"]
        content = [
            {**part, "text": part["text"].upper()} if part.get("type") == "text" else part
            for part in message["content"]
        ]
        self.reply(
            hook,
            {
                "type": "complete",
                "taskId": packet["taskId"],
                "processed": {**message, "content": content},
            },
        )
