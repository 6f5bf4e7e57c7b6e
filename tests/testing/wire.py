"""A raw protocol client and a schema judge for the fake server's tests.

Tests talk to the fake server with a plain ``websockets`` client (no SDK code), and every
message the server sends them is validated against the JSON Schema of BOTH protocol
generations (``lms.json``, 2026, and ``lms-2025-08.json``), the way LM Studio's official
TypeScript clients 2.0 and 1.5 judge a server: required fields, types, enum values.
Any violation fails the test at teardown.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "protocol"
TIMEOUT = 10.0  # generous: "must happen"
QUIET = 0.3  # short: "must not happen"
UNSET: Any = object()


class SchemaJudge:
    """A small JSON-Schema validator for the keywords zod-to-json-schema emits."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            pytest.fail(f"the protocol schema is expected at {path} (shared/ beside the repo)")
        self.name = path.name
        self.root = json.loads(path.read_text(encoding="utf-8"))
        self.definitions = self.root["definitions"]

    def resolve(self, ref: str) -> Any:
        # Definition names contain unescaped "/" ("llm/rpc/x/returns"): take the longest
        # definition name the pointer starts with, then walk the rest.
        parts = ref.removeprefix("#/definitions/").split("/")
        for cut in range(len(parts), 0, -1):
            name = "/".join(parts[:cut])
            if name in self.definitions:
                node = self.definitions[name]
                for part in parts[cut:]:
                    key = part.replace("~1", "/").replace("~0", "~")
                    node = node[int(key)] if isinstance(node, list) else node[key]  # anyOf/0
                return node
        raise KeyError(ref)

    def has(self, name: str) -> bool:
        return name in self.definitions

    def check(self, definition: str, value: Any) -> list[str]:
        return [
            f"{self.name} {definition}: {e}"
            for e in self.errors(self.definitions[definition], value, "$")
        ]

    def errors(self, schema: Any, value: Any, path: str) -> list[str]:
        if schema is True or schema == {}:
            return []
        if "$ref" in schema:
            return self.errors(self.resolve(schema["$ref"]), value, path)
        if "anyOf" in schema:
            branches = [self.errors(b, value, path) for b in schema["anyOf"]]
            if all(branches):
                best = min(branches, key=len)
                return [f"{path}: matches no branch of anyOf (closest: {best[:3]})"]
            return []
        if "not" in schema:
            return (
                []
                if self.errors(schema["not"], value, path)
                else [f"{path}: must not match {schema['not']}"]
            )
        out: list[str] = []
        kind = schema.get("type")
        if kind is not None:
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(_is_type(value, k) for k in kinds):
                return [f"{path}: expected {kind}, got {value!r:.80}"]
        if "const" in schema and value != schema["const"]:
            out.append(f"{path}: expected const {schema['const']!r}, got {value!r:.80}")
        if "enum" in schema and value not in schema["enum"]:
            out.append(f"{path}: {value!r} not in enum {schema['enum']}")
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            for key in schema.get("required", []):
                if key not in value:
                    out.append(f"{path}: missing required {key!r}")
            for key, item in value.items():
                if key in properties:
                    out += self.errors(properties[key], item, f"{path}.{key}")
                elif not properties and isinstance(schema.get("additionalProperties"), dict):
                    out += self.errors(schema["additionalProperties"], item, f"{path}.{key}")
        if isinstance(value, list):
            if "items" in schema and isinstance(schema["items"], dict):
                for index, item in enumerate(value):
                    out += self.errors(schema["items"], item, f"{path}[{index}]")
            elif isinstance(schema.get("items"), list):
                for index, (sub, item) in enumerate(zip(schema["items"], value, strict=False)):
                    out += self.errors(sub, item, f"{path}[{index}]")
            if len(value) < schema.get("minItems", 0) or len(value) > schema.get(
                "maxItems", len(value)
            ):
                out.append(f"{path}: {len(value)} items outside the allowed count")
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0) or len(value) > schema.get(
                "maxLength", len(value)
            ):
                out.append(f"{path}: string length outside bounds")
            if "pattern" in schema and not re.search(schema["pattern"], value):
                out.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if _is_type(value, "number"):
            if "minimum" in schema and value < schema["minimum"]:
                out.append(f"{path}: {value} < minimum {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                out.append(f"{path}: {value} > maximum {schema['maximum']}")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                out.append(f"{path}: {value} <= exclusiveMinimum {schema['exclusiveMinimum']}")
        return out


def _is_type(value: Any, kind: str) -> bool:
    match kind:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            # Python clients decode integers strictly: 3.0 is not an int to msgspec.
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        case "null":
            return value is None
    return False


_JUDGES: list[SchemaJudge] = []


def judges() -> list[SchemaJudge]:
    if not _JUDGES:
        _JUDGES.extend([SchemaJudge(SHARED / "lms.json"), SchemaJudge(SHARED / "lms-2025-08.json")])
    return _JUDGES


class WireClient:
    """One raw namespace socket, with Python-SDK-style ids (rpc and channel counters from 1)."""

    def __init__(
        self,
        api_host: str,
        namespace: str,
        violations: list[str],
        *,
        identifier: str = "guest:tests",
        passkey: str = "tests-passkey",
        authenticate: bool = True,
        judge: bool = True,
    ) -> None:
        self.namespace = namespace
        self.judge = judge
        self.violations = violations
        self.ws: ClientConnection = connect(
            f"ws://{api_host}/{namespace}", max_size=None, compression=None, open_timeout=TIMEOUT
        ).__enter__()
        self.call_ids = 0
        self.channel_ids = 0
        self.call_endpoints: dict[int, str] = {}
        self.channel_endpoints: dict[int, str] = {}
        self.buffer: list[dict[str, Any]] = []
        self.auth_result: dict[str, Any] | None = None
        if authenticate:
            self.auth_result = self.authenticate(identifier, passkey)
            assert self.auth_result == {"success": True}, self.auth_result

    def close(self) -> None:
        self.ws.close()

    def authenticate(self, identifier: str, passkey: str) -> dict[str, Any]:
        self.send({"authVersion": 1, "clientIdentifier": identifier, "clientPasskey": passkey})
        return json.loads(self.ws.recv(timeout=TIMEOUT))

    def send(self, message: Any) -> None:
        self.ws.send(json.dumps(message))

    # -- receiving ------------------------------------------------------------------------

    def _read(self, timeout: float) -> dict[str, Any]:
        frame = self.ws.recv(timeout=timeout)
        assert isinstance(frame, str), "the server must send text frames"
        message = json.loads(frame)
        if self.judge:
            self._judge(message)
        return message

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        for index, message in enumerate(self.buffer):
            if predicate(message):
                return self.buffer.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(max(0.001, deadline - time.monotonic()))
            if predicate(message):
                return message
            self.buffer.append(message)

    def expect_silence(self, timeout: float = QUIET) -> None:
        assert not self.buffer, self.buffer
        with pytest.raises(TimeoutError):
            message = self._read(timeout)
            pytest.fail(f"expected nothing, received {message}")

    def warning(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("type") == "communicationWarning", timeout)

    # -- rpcs -----------------------------------------------------------------------------

    def call(self, endpoint: str, parameter: Any = UNSET) -> int:
        self.call_ids += 1
        message: dict[str, Any] = {"type": "rpcCall", "endpoint": endpoint, "callId": self.call_ids}
        if parameter is not UNSET:
            message["parameter"] = parameter
        self.call_endpoints[self.call_ids] = endpoint
        self.send(message)
        return self.call_ids

    def answer(self, call_id: int, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.wait_for(
            lambda m: m.get("type") in ("rpcResult", "rpcError") and m.get("callId") == call_id,
            timeout,
        )

    def rpc(
        self, endpoint: str, parameter: Any = UNSET, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """The ``rpcResult`` or ``rpcError`` message."""
        return self.answer(self.call(endpoint, parameter), timeout)

    def result(self, endpoint: str, parameter: Any = UNSET) -> Any:
        """An rpc's result; fails the test on an ``rpcError``."""
        message = self.rpc(endpoint, parameter)
        assert message["type"] == "rpcResult", message
        return message.get("result", UNSET)

    def error(self, endpoint: str, parameter: Any = UNSET) -> dict[str, Any]:
        message = self.rpc(endpoint, parameter)
        assert message["type"] == "rpcError", message
        return message["error"]

    # -- channels -------------------------------------------------------------------------

    def open(self, endpoint: str, creation: Any = UNSET) -> int:
        self.channel_ids += 1
        message: dict[str, Any] = {
            "type": "channelCreate",
            "endpoint": endpoint,
            "channelId": self.channel_ids,
        }
        if creation is not UNSET:
            message["creationParameter"] = creation
        self.channel_endpoints[self.channel_ids] = endpoint
        self.send(message)
        return self.channel_ids

    def channel_send(self, channel_id: int, packet: Any) -> None:
        self.send({"type": "channelSend", "channelId": channel_id, "message": packet})

    def next_on(self, channel_id: int, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.wait_for(
            lambda m: (
                m.get("type") in ("channelSend", "channelClose", "channelError")
                and m.get("channelId") == channel_id
            ),
            timeout,
        )

    def until_end(self, channel_id: int, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """Every envelope of a channel up to and including its close or error."""
        out = []
        while True:
            message = self.next_on(channel_id, timeout)
            out.append(message)
            if message["type"] != "channelSend":
                return out

    def stream(
        self, endpoint: str, creation: Any = UNSET
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """(packets, terminal envelope) of a whole channel."""
        envelopes = self.until_end(self.open(endpoint, creation))
        return [e["message"] for e in envelopes[:-1]], envelopes[-1]

    # -- judging --------------------------------------------------------------------------

    def _judge(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        problems: list[str] = []
        for judge in judges():
            if kind == "rpcResult":
                endpoint = self.call_endpoints.get(message.get("callId", -1))
                name = f"{self.namespace}/rpc/{endpoint}/returns"
                if endpoint is not None and judge.has(name) and "result" in message:
                    result = message["result"]
                    if (self.namespace, endpoint) == ("runtime", "getEngineSelections"):
                        # superjson: the schema describes the value inside the envelope
                        if not isinstance(result, dict) or "json" not in result:
                            problems.append(f"{name}: not a superjson envelope: {result}")
                        result = result.get("json") if isinstance(result, dict) else result
                    problems += judge.check(name, result)
            elif kind == "channelSend":
                endpoint = self.channel_endpoints.get(message.get("channelId", -1))
                name = f"{self.namespace}/channel/{endpoint}/toClientPacket"
                if endpoint is not None and judge.has(name):
                    problems += judge.check(name, message["message"])
            elif kind in ("rpcError", "channelError"):
                problems += judge.check("serializedLMSExtendedError", message.get("error"))
                display = message.get("error", {}).get("displayData")
                if display is not None:
                    problems += judge.check("errorDisplayData", display)
            elif kind in ("channelClose", "communicationWarning"):
                pass
            else:
                problems.append(f"unexpected server message type {kind!r}: {message}")
            id_key = {"rpcResult": "callId", "rpcError": "callId"}.get(str(kind), "channelId")
            if kind != "communicationWarning" and not isinstance(message.get(id_key), int):
                problems.append(f"{kind} without {id_key}: Python clients drop the socket")
        self.violations.extend(problems)


def stack(fields: dict[str, Any] | None = None, layer: str = "apiOverride") -> dict[str, Any]:
    """A one-layer KV config stack, as the official SDKs send."""
    return {
        "layers": [
            {
                "layerName": layer,
                "config": {"fields": [{"key": k, "value": v} for k, v in (fields or {}).items()]},
            }
        ]
    }


def query(identifier: str | None = None, **more: Any) -> dict[str, Any]:
    q = dict(more)
    if identifier is not None:
        q["identifier"] = identifier
    return {"type": "query", "query": q}


def user(text: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}, *extra]}


def predict_params(
    text_or_messages: str | list[dict[str, Any]],
    model: str = "fake/chat",
    fields: dict[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    messages = [user(text_or_messages)] if isinstance(text_or_messages, str) else text_or_messages
    return {
        "modelSpecifier": query(model),
        "history": {"messages": messages},
        "predictionConfigStack": stack(fields),
        **more,
    }


def content_of(packets: list[dict[str, Any]]) -> str:
    return "".join(p["fragment"]["content"] for p in packets if p["type"] == "fragment")
