"""The server core: what every connection shares (state, options, records, overrides).

Everything here runs on the server's event loop, except the records and the fault
registry, which tests read and change from their own thread.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from lmstudio.testing._cassette import Cassette
from lmstudio.testing._catalog import CatalogModel
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._faults import Faults
from lmstudio.testing._state import Instance, ServerState

if TYPE_CHECKING:
    from lmstudio._protocol.endpoints import Endpoint
    from lmstudio.testing._session import CallContext, Channel, Session

__all__ = ["ReceivedMessage", "ServerCore", "parse_api_token"]

_log = logging.getLogger("lmstudio.testing")
_TOKEN = re.compile(r"sk-lm-(?P<identifier>[A-Za-z0-9]{8}):(?P<passkey>[A-Za-z0-9]{20})")


class ReceivedMessage(NamedTuple):
    """One frame a client sent: its namespace and the decoded JSON object.

    A frame that is not a JSON object is recorded as ``{"_raw": "<text>"}``.
    """

    namespace: str
    message: dict[str, Any]


def parse_api_token(token: str) -> tuple[str, str]:
    """(clientIdentifier, clientPasskey) of an ``sk-lm-XXXXXXXX:YYYY...`` API token."""
    found = _TOKEN.fullmatch(token.strip())
    if found is None:
        raise ValueError(
            "an LM Studio API token looks like sk-lm-<8 letters/digits>:<20 letters/digits>"
        )
    return found["identifier"], found["passkey"]


RpcOverride = Callable[[Any], Any]
ChannelOverride = Callable[["Channel", Any], Any]


class ServerCore:
    def __init__(
        self,
        *,
        catalog: Sequence[CatalogModel],
        api_tokens: Sequence[str] | None,
        answer_invalid: bool,
        tokens_per_second: float | None,
        auth_timeout: float,
        jit_auto_evict: bool,
        presets: Mapping[str, Mapping[str, Any]],
        load_time: float,
        cassette: Cassette | None = None,
    ) -> None:
        self.catalog = list(catalog)
        self.tokens: dict[str, str] | None = None
        if api_tokens is not None:
            self.tokens = dict(parse_api_token(t) for t in api_tokens)
        self.answer_invalid = answer_invalid
        self.tokens_per_second = tokens_per_second  # None: unlimited
        self.auth_timeout = auth_timeout
        self.jit_auto_evict = jit_auto_evict
        self.presets = {name: dict(fields) for name, fields in presets.items()}
        self.load_time = load_time
        self.cassette = cassette  # replay: answers come from it, not from the fake models
        self.received: list[ReceivedMessage] = []
        self.warnings: list[str] = []
        self.client_warnings: list[str] = []
        self.notifications: list[dict[str, Any]] = []
        self.experiment_flags: set[str] = set()
        self.http_server: dict[str, Any] | None = None  # system/startHttpServer settings
        self.shutdown_requests = 0  # system/requestShutdown calls
        self.runtime: Any = None  # engines and selections (_endpoints/runtime.py), kept on restart
        self.lm_link: Any = None  # LM Link settings (_endpoints/lm_link.py), kept on restart
        self.hub_user: str | None = None  # the hub user logged in (_endpoints/hub.py)
        self.hub: Any = None  # the rest of the hub's state (_endpoints/hub_account.py)
        self.plugins: Any = None  # the plugin host (_plugins.py), made on first use
        self.faults = Faults(validate=self.check_endpoint_spec)
        self.rpc_overrides: dict[tuple[str | None, str], RpcOverride] = {}
        self.channel_overrides: dict[tuple[str | None, str], ChannelOverride] = {}
        self.sessions: set[Session] = set()
        self.log_listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._clients: dict[str, list[Any]] = {}  # identifier -> [passkey, connections]
        self._state: ServerState | None = None

    # -- state -------------------------------------------------------------------------

    @property
    def state(self) -> ServerState:
        if self._state is None:
            raise RuntimeError("the fake server is not running")
        return self._state

    def reset_state(self) -> None:
        """Fresh models and files, as a freshly started LM Studio has (loop thread only)."""
        if self._state is not None:
            self._state.close()
        self._state = ServerState(
            self.catalog, jit_auto_evict=self.jit_auto_evict, on_unload=self._unloaded
        )
        self._clients.clear()
        self.plugins = None  # a fresh LM Studio runs no plugin

    def close_state(self) -> None:
        if self._state is not None:
            self._state.close()

    def _unloaded(self, instance: Instance) -> None:
        _log.debug("unloaded %s", instance.identifier)

    # -- records -----------------------------------------------------------------------

    def record(self, namespace: str, message: dict[str, Any]) -> None:
        self.received.append(ReceivedMessage(namespace, message))

    def emit_log(self, data: dict[str, Any]) -> None:
        for queue in list(self.log_listeners):
            queue.put_nowait(data)

    # -- authentication ------------------------------------------------------------------

    def authenticate(self, identifier: str, passkey: str) -> str | None:
        """``None`` if the client may connect, else the error string to answer."""
        plugin = self.plugins is not None and self.plugins.accepts(identifier, passkey)
        if self.tokens is not None and not plugin:
            expected = self.tokens.get(identifier)
            if expected is None:
                if identifier.startswith("guest:") or not identifier:
                    return "Authentication required: this LM Studio server requires an API token"
                return "Invalid API token"
            if passkey != expected:
                return "Invalid API token"
        client = self._clients.get(identifier)
        if client is None:
            self._clients[identifier] = [passkey, 1]
            return None
        if client[0] != passkey:
            return f'Failed to validate client: Invalid client passkey for client "{identifier}"'
        client[1] += 1
        return None

    def release_client(self, identifier: str) -> None:
        client = self._clients.get(identifier)
        if client is not None:
            client[1] -= 1
            if client[1] <= 0:
                del self._clients[identifier]

    # -- endpoints -----------------------------------------------------------------------

    def endpoint(self, namespace: str, name: str) -> Endpoint | None:
        from lmstudio._protocol.endpoints import endpoints

        return endpoints(strict=True).get(namespace, {}).get(name)

    def check_endpoint_spec(self, namespace: str | None, name: str) -> None:
        """Reject fault and override targets that name no endpoint of the protocol."""
        from lmstudio._protocol.endpoints import NAMESPACES, endpoints

        if name == "*":
            return
        table = endpoints(strict=True)
        if namespace is not None and namespace not in NAMESPACES:
            raise ValueError(f"the LM Studio protocol has no namespace {namespace!r}")
        spaces = [namespace] if namespace is not None else list(NAMESPACES)
        if not any(name in table[ns] for ns in spaces):
            raise ValueError(f"the LM Studio protocol has no endpoint {namespace or '*'}/{name}")

    def _override(
        self, table: Mapping[tuple[str | None, str], Any], namespace: str, name: str
    ) -> Any:
        return table.get((namespace, name)) or table.get((None, name))

    async def call_rpc(self, ctx: CallContext, parameter: Any, raw: Any) -> Any:
        from lmstudio.testing._endpoints import RPC_HANDLERS

        override = self._override(self.rpc_overrides, ctx.namespace, ctx.name)
        if override is not None:
            result = override(raw)
            if inspect.isawaitable(result):
                result = await result
            return result
        if self.cassette is not None:
            return await self.cassette.answer_rpc(ctx, raw)
        handler = RPC_HANDLERS.get((ctx.namespace, ctx.name))
        if handler is None:
            raise _not_implemented(ctx.namespace, ctx.name)
        return await handler(ctx, parameter)

    async def run_channel(self, channel: Channel, creation: Any, raw: Any) -> None:
        from lmstudio.testing._endpoints import CHANNEL_HANDLERS

        override = self._override(self.channel_overrides, channel.namespace, channel.name)
        if override is not None:
            result = override(channel, raw)
            if inspect.isawaitable(result):
                await result
            return
        if self.cassette is not None:
            await self.cassette.run_channel(channel, raw)
            return
        handler = CHANNEL_HANDLERS.get((channel.namespace, channel.name))
        if handler is None:
            raise _not_implemented(channel.namespace, channel.name)
        await handler(channel, creation)


def _not_implemented(namespace: str, name: str) -> FakeServerError:
    return FakeServerError(
        f"{namespace}/{name} is not implemented by the fake server",
        suggestion="Install a per-test handler with server.handle_rpc() or server.handle_channel().",
    )
