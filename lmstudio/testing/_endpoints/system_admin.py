"""``system``: the HTTP server switch and the shutdown request, as LM Studio answers them.

The fake keeps the HTTP server's state (``server.http_server``: ``None`` while stopped,
else the settings it was started with; LM Studio's defaults fill what the client left
out) and counts shutdown requests (``server.shutdown_requests``) without stopping: a
test decides what happens next (``server.stop()``, ``server.restart()``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from lmstudio.testing._endpoints._registry import rpc
from lmstudio.testing._session import CallContext

HTTP_SERVER_DEFAULTS: dict[str, Any] = {
    "port": 1234,
    "cors": False,
    "networkInterface": "127.0.0.1",
}


@rpc("startHttpServer", "system")
async def start_http_server(ctx: CallContext, param: Any) -> None:
    settings = dict(HTTP_SERVER_DEFAULTS)
    for key, attribute in (
        ("port", "port"),
        ("cors", "cors"),
        ("networkInterface", "network_interface"),
    ):
        value = getattr(param, attribute, msgspec.UNSET)
        if value is not msgspec.UNSET:
            settings[key] = value
    ctx.core.http_server = settings


@rpc("stopHttpServer", "system")
async def stop_http_server(ctx: CallContext, _: None) -> None:
    ctx.core.http_server = None


@rpc("requestShutdown", "system")
async def request_shutdown(ctx: CallContext, _: None) -> None:
    ctx.core.shutdown_requests += 1
