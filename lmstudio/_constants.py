"""Every default in one place: ports, timeouts, keepalive, buffers, model TTL.

Imports nothing (cheap): every layer may read it."""

from __future__ import annotations

from typing import Final

__all__ = [
    "CLOSE_TIMEOUT",
    "DEFAULT_MAX_PARALLEL_TOOL_CALLS",
    "DEFAULT_PORTS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TTL",
    "EMBEDDING_EVAL_BATCH_SIZE",
    "ENGINE_START_TIMEOUT",
    "EXIT_TIMEOUT",
    "GREETING_MAX_BYTES",
    "GREETING_PATH",
    "MASKING_KEY_BATCH",
    "MAX_MESSAGE_SIZE",
    "MAX_UPLOAD_SIZE",
    "OPEN_TIMEOUT",
    "PING_INTERVAL",
    "PING_TIMEOUT",
    "PLUGIN_ENV_CLIENT_IDENTIFIER",
    "PLUGIN_ENV_CLIENT_PASSKEY",
    "PLUGIN_MAX_HOOK_THREADS",
    "PLUGIN_POLL_INTERVAL",
    "PLUGIN_STOP_TIMEOUT",
    "PROBE_TIMEOUT",
    "STREAM_HIGH_WATER",
    "TOKEN_ENV_VARS",
]

DEFAULT_TIMEOUT: Final = 60.0
"""Inactivity timeout of a call, in seconds: no message for that call for this long."""

DEFAULT_PORTS: Final = (41343, 52993, 16141, 39414, 22931)
"""Ports probed, in order, when no host is given (LM Studio's ``apiServerPorts.ts``)."""

GREETING_PATH: Final = "/lmstudio-greeting"
"""HTTP path a LM Studio answers with ``{"lmstudio": true}``."""

PROBE_TIMEOUT: Final = 1.0
"""Seconds to wait for one greeting probe."""

OPEN_TIMEOUT: Final = 10.0
"""Seconds for TCP connect, WebSocket handshake and authentication together."""

CLOSE_TIMEOUT: Final = 2.0
"""Seconds to wait for the server's closing handshake before dropping the socket."""

EXIT_TIMEOUT: Final = 1.0
"""Seconds the interpreter-exit hook waits for connections to close."""

PING_INTERVAL: Final = 20.0
"""Seconds between WebSocket pings (liveness)."""

PING_TIMEOUT: Final = 20.0
"""Seconds to wait for the pong before the connection is declared dead."""

STREAM_HIGH_WATER: Final = 10_000
"""Unconsumed items in one stream past which the engine logs (once) that nobody reads it."""

MAX_MESSAGE_SIZE: Final = 256 * 1024 * 1024
"""Bytes one incoming message may have at most (generous: long histories, images); a
frame that claims more fails its connection at once, before it is buffered."""

MAX_UPLOAD_SIZE: Final = 200 * 1024 * 1024
"""Bytes an upload (``client.files``) may have at most; past it, ``LMStudioValueError``
before anything is read. A file goes out base64-encoded in one message (a third larger)."""

TOKEN_ENV_VARS: Final = ("LMSTUDIO_API_TOKEN", "LM_API_TOKEN")
"""Environment variables read, in order, when no API token is passed."""

USER_AGENT: Final = "lmstudio-futures-python"

DEFAULT_TTL: Final = 3600
"""Seconds an instance loaded by this SDK may stay idle before LM Studio unloads it
(one hour, as in the official SDKs)."""

ENGINE_START_TIMEOUT: Final = 30.0
"""Seconds to wait for the engine thread's loop to start (only a starved machine waits)."""

GREETING_MAX_BYTES: Final = 64 * 1024
"""The most of a greeting probe's HTTP answer that is read."""

MASKING_KEY_BATCH: Final = 512
"""Random bytes drawn at a time for WebSocket masking keys (128 frames' worth)."""

DEFAULT_MAX_PARALLEL_TOOL_CALLS: Final = 1
"""Tools ``act()`` runs at once by default, as in the official Python SDK."""

EMBEDDING_EVAL_BATCH_SIZE: Final = 2048
"""An embedding model's eval batch size when LM Studio's load config leaves it out (the
default of LM Studio's config schema, ``embedding.load.llama.evalBatchSize``)."""

PLUGIN_ENV_CLIENT_IDENTIFIER: Final = "LMS_PLUGIN_CLIENT_IDENTIFIER"
PLUGIN_ENV_CLIENT_PASSKEY: Final = "LMS_PLUGIN_CLIENT_PASSKEY"
"""Where LM Studio hands a production plugin its client identity (the official SDK's names)."""

PLUGIN_POLL_INTERVAL: Final = 0.5
"""Seconds between ``--dev`` checks of a plugin's files for changes (then it reloads)."""

PLUGIN_STOP_TIMEOUT: Final = 5.0
"""Seconds a plugin process gets to stop after Ctrl-C before it is killed (``--dev``)."""

PLUGIN_MAX_HOOK_THREADS: Final = 32
"""Plain-function plugin hooks and tools running at once (each in its own thread)."""
