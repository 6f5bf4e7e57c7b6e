"""Running a plugin: connect as the plugin, send its config schematics, serve its hooks.

``run_plugin(folder)`` is the production runner: LM Studio starts the plugin with its
client identity in ``LMS_PLUGIN_CLIENT_IDENTIFIER`` / ``LMS_PLUGIN_CLIENT_PASSKEY``.
``python -m lmstudio.plugin FOLDER --dev`` first registers a development plugin and runs
this in a child process with the identity it is handed (see ``_dev.py``).

The runner's own event loop (``asyncio.run`` in the main thread) reads every hook's
channel; hooks run as tasks on it or in worker threads, never on the engine loop. It
stops when LM Studio closes a hook's channel or the connection, or on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._constants import PLUGIN_ENV_CLIENT_IDENTIFIER, PLUGIN_ENV_CLIENT_PASSKEY
from .._protocol.endpoints import plugins as plugins_api
from .._protocol.models import PluginsRpcSetConfigSchematicsParameter
from ._discovery import LoadedPlugin, load_plugin
from ._errors import LMStudioPluginInitError
from ._manifest import read_manifest
from ._serving import HookServer
from ._tasks import GeneratorServer, PredictionLoopServer, PromptPreprocessorServer
from ._tools import ToolsProviderServer

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["plugin_identity_from_env", "run_plugin", "run_plugin_async", "serve_plugin"]

_log = logging.getLogger("lmstudio.plugin")

SERVERS: dict[str, type[HookServer]] = {
    "list_provided_tools": ToolsProviderServer,
    "preprocess_prompt": PromptPreprocessorServer,
    "generate": GeneratorServer,
    "prediction_loop_handler": PredictionLoopServer,
}


async def serve_plugin(
    plugin: LoadedPlugin, client: Client, *, on_ready: Callable[[], Any] | None = None
) -> None:
    """Serve ``plugin``'s hooks on ``client`` until LM Studio closes them (or cancelled)."""
    session = client._session
    schemas = (
        (plugin.config_schema, plugins_api.SET_CONFIG_SCHEMATICS),
        (plugin.global_config_schema, plugins_api.SET_GLOBAL_CONFIG_SCHEMATICS),
    )
    for schema, endpoint in schemas:
        schematics = schema._schematics()
        if schematics is not None:
            await session.rpc(
                endpoint, PluginsRpcSetConfigSchematicsParameter(schematics=schematics)
            )
    servers = [SERVERS[name](plugin, client) for name in plugin.hooks]
    readers: list[asyncio.Task[None]] = []
    try:
        for server in servers:
            server.open()
        await session.rpc(plugins_api.PLUGIN_INIT_COMPLETED)
        _log.info("plugin %r serving %s", plugin.name, ", ".join(plugin.hooks))
        if on_ready is not None:
            on_ready()
        readers = [asyncio.ensure_future(server.serve()) for server in servers]
        done, _ = await asyncio.wait(readers, return_when=asyncio.FIRST_COMPLETED)
        for reader in done:
            error = reader.exception()
            if error is not None:
                _log.info("plugin %r: LM Studio went away (%s)", plugin.name, error)
            else:
                _log.info("plugin %r: LM Studio closed a hook channel", plugin.name)
    finally:
        for reader in readers:
            reader.cancel()
        for server in servers:
            await server.shutdown()


def plugin_identity_from_env(
    environ: os._Environ[str] | dict[str, str] | None = None,
) -> tuple[str, str]:
    """The ``(clientIdentifier, clientPasskey)`` LM Studio gave a production plugin.

    Raises:
        LMStudioPluginInitError: either variable is unset or empty.
    """
    env = os.environ if environ is None else environ
    identifier = env.get(PLUGIN_ENV_CLIENT_IDENTIFIER, "")
    passkey = env.get(PLUGIN_ENV_CLIENT_PASSKEY, "")
    if not identifier or not passkey:
        raise LMStudioPluginInitError(
            f"{PLUGIN_ENV_CLIENT_IDENTIFIER} and {PLUGIN_ENV_CLIENT_PASSKEY} must both be set "
            "(LM Studio sets them when it runs a plugin; use --dev to run one yourself)"
        )
    return identifier, passkey


async def run_plugin_async(
    plugin_dir: str | os.PathLike[str],
    *,
    api_host: str | None = None,
    identity: tuple[str, str] | None = None,
    on_ready: Callable[[], Any] | None = None,
) -> None:
    """Run a plugin until LM Studio stops it (see :func:`run_plugin`)."""
    from .._client import client_with_identity

    identifier, passkey = identity if identity is not None else plugin_identity_from_env()
    plugin = load_plugin(read_manifest(Path(plugin_dir)))
    client = client_with_identity(api_host, identifier, passkey)
    try:
        await serve_plugin(plugin, client, on_ready=on_ready)
    finally:
        await client.aclose()


def run_plugin(
    plugin_dir: str | os.PathLike[str],
    *,
    api_host: str | None = None,
    identity: tuple[str, str] | None = None,
) -> None:
    """Run a plugin as LM Studio does (blocking; Ctrl-C stops it).

    Args:
        plugin_dir: the plugin folder (``manifest.json`` and ``src/plugin.py``).
        api_host: LM Studio's ``host:port`` (``None``: find it on this machine).
        identity: ``(clientIdentifier, clientPasskey)``; ``None``: from LM Studio's
            environment variables.

    Raises:
        LMStudioPluginInitError: a bad manifest, no hook, no identity...
        LMStudioError: LM Studio cannot be reached or rejects the plugin.
    """
    try:
        asyncio.run(
            run_plugin_async(plugin_dir, api_host=api_host, identity=identity, on_ready=_ready)
        )
    except KeyboardInterrupt:
        print("Plugin stopped (Ctrl-C)", flush=True)


def _ready() -> None:
    print("Plugin running, press Ctrl-C to stop...", flush=True)


def describe_failure(exc: BaseException) -> str:
    """One line for a runner failure (our messages never hold a passkey)."""
    if isinstance(exc, LMStudioPluginInitError):
        return f"ERROR: {exc}"
    return f"ERROR: {type(exc).__name__}: {exc}"
