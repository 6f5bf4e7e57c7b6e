"""The transport envelope of LM Studio's native WebSocket protocol.

The JSON Schema in ``shared/protocol`` describes endpoint payloads only; the
envelope around them (``rpcCall``, ``channelSend``...) and the authentication
packets are written here by hand. Payloads stay ``msgspec.Raw`` so each one is
decoded once, straight into its endpoint's generated type.

Absent and null differ on the wire: optional fields default to ``UNSET`` and are
omitted when encoding.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import UNSET, Raw, UnsetType

__all__ = [
    "AuthPacket",
    "AuthResult",
    "ChannelAck",
    "ChannelClose",
    "ChannelCreate",
    "ChannelError",
    "ChannelSend",
    "ClientMessage",
    "CommunicationWarning",
    "KeepAlive",
    "KeepAliveAck",
    "RpcCall",
    "RpcError",
    "RpcResult",
    "ServerMessage",
    "SignalError",
    "SignalSubscribe",
    "SignalUnsubscribe",
    "SignalUpdate",
    "WritableSignalError",
    "WritableSignalSubscribe",
    "WritableSignalUnsubscribe",
    "WritableSignalUpdate",
    "client_message_decoder",
    "encoder",
    "server_message_decoder",
]


class _Message(msgspec.Struct, tag_field="type", omit_defaults=True, rename="camel"):
    """Base of every envelope message: tagged by ``type``, camelCase on the wire."""


# --- authentication (first frame on every socket) -------------------------------


class AuthPacket(msgspec.Struct, rename="camel"):
    client_identifier: str
    client_passkey: str
    auth_version: Literal[1] = 1


class AuthResult(msgspec.Struct, omit_defaults=True):
    success: bool
    error: str | UnsetType = UNSET


# --- messages both directions share ----------------------------------------------


class ChannelSend(_Message, tag="channelSend"):
    channel_id: int
    message: Raw
    ack_id: int | UnsetType = UNSET


class ChannelAck(_Message, tag="channelAck"):
    channel_id: int
    ack_id: int


class CommunicationWarning(_Message, tag="communicationWarning"):
    warning: str
    kind: str | UnsetType = UNSET


class WritableSignalUpdate(_Message, tag="writableSignalUpdate"):
    subscribe_id: int
    patches: list[Raw]
    tags: list[str]


# --- client -> server -------------------------------------------------------------


class RpcCall(_Message, tag="rpcCall"):
    endpoint: str
    call_id: int
    parameter: Raw | UnsetType = UNSET


class ChannelCreate(_Message, tag="channelCreate"):
    endpoint: str
    channel_id: int
    creation_parameter: Raw | UnsetType = UNSET


class SignalSubscribe(_Message, tag="signalSubscribe"):
    endpoint: str
    subscribe_id: int
    creation_parameter: Raw | UnsetType = UNSET


class SignalUnsubscribe(_Message, tag="signalUnsubscribe"):
    subscribe_id: int


class WritableSignalSubscribe(_Message, tag="writableSignalSubscribe"):
    endpoint: str
    subscribe_id: int
    creation_parameter: Raw | UnsetType = UNSET


class WritableSignalUnsubscribe(_Message, tag="writableSignalUnsubscribe"):
    subscribe_id: int


class KeepAlive(_Message, tag="keepAlive"):
    pass


# --- server -> client -------------------------------------------------------------


class RpcResult(_Message, tag="rpcResult"):
    call_id: int
    result: Raw | UnsetType = UNSET


class RpcError(_Message, tag="rpcError"):
    call_id: int
    error: Raw


class ChannelClose(_Message, tag="channelClose"):
    channel_id: int


class ChannelError(_Message, tag="channelError"):
    channel_id: int
    error: Raw


class SignalUpdate(_Message, tag="signalUpdate"):
    subscribe_id: int
    patches: list[Raw]
    tags: list[str]


class SignalError(_Message, tag="signalError"):
    subscribe_id: int
    error: Raw


class WritableSignalError(_Message, tag="writableSignalError"):
    subscribe_id: int
    error: Raw


class KeepAliveAck(_Message, tag="keepAliveAck"):
    pass


ClientMessage = (
    RpcCall
    | ChannelCreate
    | ChannelSend
    | ChannelAck
    | SignalSubscribe
    | SignalUnsubscribe
    | WritableSignalSubscribe
    | WritableSignalUnsubscribe
    | WritableSignalUpdate
    | CommunicationWarning
    | KeepAlive
)

ServerMessage = (
    RpcResult
    | RpcError
    | ChannelSend
    | ChannelAck
    | ChannelClose
    | ChannelError
    | SignalUpdate
    | SignalError
    | WritableSignalUpdate
    | WritableSignalError
    | CommunicationWarning
    | KeepAliveAck
)

encoder = msgspec.json.Encoder()
server_message_decoder: msgspec.json.Decoder[ServerMessage] = msgspec.json.Decoder(ServerMessage)
client_message_decoder: msgspec.json.Decoder[ClientMessage] = msgspec.json.Decoder(ClientMessage)
