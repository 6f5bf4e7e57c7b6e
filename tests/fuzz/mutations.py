"""Hypothesis strategies: mutations of recorded exchanges, and garbage (issue 15, point 11).

A script is drawn as a list of envelopes (a recorded answer, its id left as
:data:`~tests.fuzz.scripted.ID`) changed by a few mutations: messages dropped, duplicated
or swapped; a value anywhere replaced by random JSON or a key deleted; an envelope's or a
packet's ``type`` changed to another known one or to a made-up one; the id made a string,
a float, null, negative, huge or another call's that does not exist. Then the frames' text
itself: truncated, interleaved with garbage text or with a deeply nested message. The
recorded ending may follow (``terminate``), unchanged, as a server that recovers would send.

Mutated ids never name the bystander (the call held while the victim is answered): a
server that answers the wrong call is not what this checks.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from .scripted import EXCHANGES, ID, Script, answer_envelopes

__all__ = ["exchanges", "scripts"]

ID_STRING = "\x00id-string\x00"
ID_FAR = "\x00id-far\x00"

ENVELOPE_TYPES = [
    "rpcResult",
    "rpcError",
    "channelSend",
    "channelClose",
    "channelError",
    "signalUpdate",
    "communicationWarning",
    "keepAliveAck",
    "channelAck",
]
PACKET_TYPES = sorted(
    {
        event["toClient"]["type"]
        for exchange in EXCHANGES
        for event in exchange.get("events", [])
        if "toClient" in event
    }
    | {"success", "error", "reasoningFragment", "yuzuPacket"}
)
NEWER_VALUES = ["yuzu", "imageGen", "modelTooLarge", "", "\u2603", "null"]

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(NEWER_VALUES),
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
exchanges = st.sampled_from(range(len(EXCHANGES)))
"""The index of a recorded exchange (the victim's kind of call)."""


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            if len(prefix) == 0 and key in ("callId", "channelId", "type"):
                continue  # the id and the type have their own mutations
            out += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out += _paths(inner, (*prefix, index))
    return out


def _parent(envelope: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        envelope = envelope[step]
    return envelope


@st.composite
def _mutate(draw: st.DrawFn, envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    envelopes = json.loads(json.dumps(envelopes))
    for _ in range(draw(st.integers(0, 4))):
        if not envelopes:
            break
        index = draw(st.integers(0, len(envelopes) - 1))
        envelope = envelopes[index]
        op = draw(
            st.sampled_from(["drop", "dup", "swap", "value", "delete", "type", "packet", "id"])
        )
        if op == "drop":
            del envelopes[index]
        elif op == "dup":
            envelopes.insert(index, json.loads(json.dumps(envelope)))
        elif op == "swap":
            other = draw(st.integers(0, len(envelopes) - 1))
            envelopes[index], envelopes[other] = envelopes[other], envelope
        elif op in ("value", "delete"):
            paths = _paths(envelope)
            if not paths:
                continue
            path = draw(st.sampled_from(paths))
            parent = _parent(envelope, path)
            if op == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_values)
        elif op == "type":
            envelope["type"] = draw(st.sampled_from(ENVELOPE_TYPES) | st.text(max_size=8))
        elif op == "packet" and isinstance(envelope.get("message"), dict):
            envelope["message"]["type"] = draw(st.sampled_from(PACKET_TYPES))
        elif op == "id":
            key = "callId" if "callId" in envelope else "channelId"
            envelope[key] = draw(
                st.sampled_from([ID_STRING, ID_FAR, -1, 1.5, None, 2**70, True, [], {}])
            )
    return envelopes


def _substitute(value: Any, ident: int) -> Any:
    if value == ID:
        return ident
    if value == ID_STRING:
        return str(ident)
    if value == ID_FAR:
        return ident + 100_000
    if isinstance(value, dict):
        return {k: _substitute(v, ident) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ident) for v in value]
    return value


_garbage = st.one_of(
    st.text(max_size=40),
    json_values.map(json.dumps),
    st.just("[" * 1000 + "]" * 1000),
    st.just('{"type": "rpcResult", "callId": ' + "[" * 1000 + "]" * 1000 + "}"),
    st.just('{"type": "channelSend", "channelId": 7, "message": ' + "{}" * 3 + "}"),
)


@st.composite
def scripts(draw: st.DrawFn, index: int) -> tuple[Script, str]:
    """A victim's script drawn from recorded exchange ``index``.

    Args:
        draw: hypothesis' draw.
        index: which recorded exchange.

    Returns:
        The script and a one-line description of it (for failure reports).
    """
    recorded = answer_envelopes(EXCHANGES[index])
    envelopes = draw(_mutate(recorded))
    edits: list[tuple[str, int, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["truncate", "garbage"]))
        at = draw(st.integers(0, max(len(envelopes) - 1, 0)))
        edits.append((op, at, draw(st.integers(0, 200)) if op == "truncate" else draw(_garbage)))
    if draw(st.booleans()):
        envelopes.append(recorded[-1])

    def script(ident: int) -> list[str]:
        frames = [json.dumps(_substitute(e, ident)) for e in envelopes]
        for op, at, arg in edits:
            if op == "truncate" and frames:
                frames[min(at, len(frames) - 1)] = frames[min(at, len(frames) - 1)][:arg]
            elif op == "garbage":
                frames.insert(min(at, len(frames)), arg)
        return frames

    ends = "terminated" if envelopes and envelopes[-1] == recorded[-1] else "open"
    described = (
        f"{EXCHANGES[index]['endpoint']}: {len(envelopes)} envelopes, {edits!r:.200}, {ends}"
    )
    return script, described
