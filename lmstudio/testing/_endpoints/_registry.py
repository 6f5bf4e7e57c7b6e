"""The built-in handlers of the fake server, by (namespace, endpoint name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from lmstudio.testing._session import ChannelHandler, RpcHandler

__all__ = ["CHANNEL_HANDLERS", "RPC_HANDLERS", "channel", "rpc"]

RPC_HANDLERS: dict[tuple[str, str], RpcHandler] = {}
CHANNEL_HANDLERS: dict[tuple[str, str], ChannelHandler] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def rpc(name: str, *namespaces: str) -> Callable[[_F], _F]:
    """Register an rpc handler ``async (ctx, parameter) -> result`` (``None``: no result)."""

    def register(handler: _F) -> _F:
        for namespace in namespaces:
            RPC_HANDLERS[(namespace, name)] = handler
        return handler

    return register


def channel(name: str, *namespaces: str) -> Callable[[_F], _F]:
    """Register a channel handler ``async (channel, creation_parameter) -> None``."""

    def register(handler: _F) -> _F:
        for namespace in namespaces:
            CHANNEL_HANDLERS[(namespace, name)] = handler
        return handler

    return register
