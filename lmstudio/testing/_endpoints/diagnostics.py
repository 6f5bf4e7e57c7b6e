"""``diagnostics/streamLogs``: one ``log`` packet per prediction input while subscribed.

Only ``llm.prediction.input`` events are sent: the one event type both protocol
generations know. ``stop`` ends the channel.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import channel
from lmstudio.testing._session import Channel


@channel("streamLogs", "diagnostics")
async def stream_logs(ch: Channel, _: None) -> None:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    ch.core.log_listeners.add(queue)
    stopped: asyncio.Future[Any] = asyncio.ensure_future(ch.cancelled.wait())
    try:
        while True:
            event: asyncio.Future[Any] = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait((event, stopped), return_when=asyncio.FIRST_COMPLETED)
            if event not in done:
                event.cancel()
                return
            data = event.result()
            await ch.send(
                models.DiagnosticsChannelStreamLogsToClientPacketLog(
                    log=models.DiagnosticsLogEvent(
                        timestamp=float(int(time.time() * 1000)),
                        data=models.PredictionInputLogData(
                            input=data["input"],
                            model_path=data["modelPath"],
                            model_identifier=data["modelIdentifier"],
                        ),
                    )
                )
            )
    finally:
        stopped.cancel()
        ch.core.log_listeners.discard(queue)
