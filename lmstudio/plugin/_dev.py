"""``--dev``: register a development plugin, run it in a child process, reload on changes.

The parent connects with the ordinary identity (API token or guest), opens
``registerDevelopmentPlugin`` with the manifest and receives a ``clientIdentifier`` /
``clientPasskey``; it runs the plugin in a child process (``python -m lmstudio.plugin
FOLDER``) with those in LM Studio's environment variables. Every half second it compares
the folder's file times and sizes (no watcher dependency); on a change it stops the child
(Ctrl-C, then a kill after a grace period) and starts a new one. A child that fails waits
for the next change. Ctrl-C, or LM Studio closing the registration, ends it all: the
registration's ``end`` packet is sent and the child stopped.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

from .._constants import (
    DEFAULT_TIMEOUT,
    PLUGIN_ENV_CLIENT_IDENTIFIER,
    PLUGIN_ENV_CLIENT_PASSKEY,
    PLUGIN_POLL_INTERVAL,
    PLUGIN_STOP_TIMEOUT,
)
from .._engine.handler import ChannelHandler
from .._protocol.endpoints import plugins as plugins_api
from .._protocol.models import (
    PluginsChannelRegisterDevelopmentPluginCreationParameter as Registration,
    PluginsChannelRegisterDevelopmentPluginToClientPacketReady as Ready,
)
from ..errors import LMStudioTimeoutError
from ._manifest import PluginManifest, read_manifest

__all__ = ["run_dev_plugin", "snapshot"]

_log = logging.getLogger("lmstudio.plugin")
_SKIPPED_DIRS = {"__pycache__", ".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache"}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """``{path: (mtime_ns, size)}`` of the plugin's files (hidden and cache folders skipped)."""
    found: dict[str, tuple[int, int]] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".")]
        for name in files:
            path = os.path.join(root, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            found[path] = (info.st_mtime_ns, info.st_size)
    return found


def run_dev_plugin(
    folder: str | os.PathLike[str], *, api_host: str | None = None, debug: bool = False
) -> int:
    """Run a plugin in development mode until Ctrl-C or LM Studio ends it (exit code)."""
    from .._client import Client

    manifest = read_manifest(Path(folder))
    with Client(api_host) as client:
        stream = client._session.channel(
            plugins_api.REGISTER_DEVELOPMENT_PLUGIN,
            Registration(manifest=_manifest_struct(manifest)),
            handler=_Registration(),
            timeout=None,
        )
        try:
            ready = _first_packet(stream)
            print(f"Registered development plugin {manifest.identifier}", flush=True)
            return _supervise(manifest, stream, ready, client.api_host, debug)
        finally:
            stream.cancel()  # sends ``end``: LM Studio drops the registration


class _Registration(ChannelHandler[Any, None]):
    """Cancelling the registration sends its ``end`` packet (it has no ``cancel``)."""

    cancel_packet: ClassVar[Any] = {"type": "end"}


def _manifest_struct(manifest: PluginManifest) -> Any:
    import msgspec

    from .._protocol.models import PluginManifest as ManifestStruct

    return msgspec.convert(manifest.registration(), ManifestStruct)


def _first_packet(stream: Any) -> Ready:
    """The ``ready`` packet, waited for with the default timeout (the channel has none)."""
    iterator = iter(stream)
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="lmstudio-plugin-dev")
    future = pool.submit(next, iterator, None)
    try:
        packet = future.result(timeout=DEFAULT_TIMEOUT)
    except concurrent.futures.TimeoutError:
        raise LMStudioTimeoutError(
            f"LM Studio did not answer the development plugin registration in {DEFAULT_TIMEOUT:g}s"
        ) from None
    finally:
        if not future.done():
            stream.cancel()  # ends the waiting ``next`` promptly (Ctrl-C, timeout)
        pool.shutdown(wait=True)
    if not isinstance(packet, Ready):
        raise LMStudioTimeoutError("LM Studio ended the development plugin registration")
    return packet


def _supervise(
    manifest: PluginManifest, stream: Any, ready: Ready, host: str | None, debug: bool
) -> int:
    env = dict(os.environ)
    env[PLUGIN_ENV_CLIENT_IDENTIFIER] = ready.client_identifier
    env[PLUGIN_ENV_CLIENT_PASSKEY] = ready.client_passkey
    command = [sys.executable, "-m", "lmstudio.plugin", str(manifest.folder)]
    if host is not None:
        command += ["--api-host", host]
    if debug:
        command.append("--debug")
    files = snapshot(manifest.folder)
    child: subprocess.Popen[bytes] | None = subprocess.Popen(command, env=env)
    try:
        while not stream.done():
            time.sleep(PLUGIN_POLL_INTERVAL)
            now = snapshot(manifest.folder)
            if now != files:
                files = now
                print(f"Plugin files changed: reloading {manifest.identifier}", flush=True)
                if child is not None:
                    _stop(child)
                child = subprocess.Popen(command, env=env)
            elif child is not None and child.poll() is not None:
                code = child.returncode
                child = None
                if code == 0:
                    print("Plugin stopped", flush=True)
                    return 0
                print(
                    f"Plugin exited with code {code}; waiting for a change to its files "
                    "(Ctrl-C to stop)",
                    flush=True,
                )
        print("LM Studio ended the development plugin registration", flush=True)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if child is not None:
            _stop(child)


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    try:
        child.send_signal(getattr(signal, "CTRL_C_EVENT", signal.SIGINT))
        child.wait(PLUGIN_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(PLUGIN_STOP_TIMEOUT)
    except KeyboardInterrupt:
        child.kill()
        raise
