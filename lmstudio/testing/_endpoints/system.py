"""``system``: version, downloaded models, notifications, experiment flags."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import msgspec

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._session import CallContext, Channel
from lmstudio.testing._state import model_info

FAKE_VERSION = "0.3.31"
FAKE_BUILD = 1


@rpc("version", "system")
async def version(ctx: CallContext, _: None) -> Any:
    return models.SystemRpcVersionReturns(version=FAKE_VERSION, build=FAKE_BUILD)


@rpc("info", "system")
async def info(ctx: CallContext, _: None) -> Any:
    return models.SystemRpcInfoReturns(pid=os.getpid(), is_daemon=False, version=FAKE_VERSION)


@rpc("listDownloadedModels", "system")
async def list_downloaded_models(ctx: CallContext, _: None) -> Any:
    return [model_info(m) for m in ctx.state.downloaded]


@rpc("listDownloadedModelVariants", "system")
async def list_downloaded_model_variants(ctx: CallContext, param: Any) -> Any:
    model = ctx.state.find_downloaded(param.model_key)
    if model is None:
        from lmstudio.testing._errors import path_not_found

        raise path_not_found(param.model_key, [m.key for m in ctx.state.downloaded])
    return [model_info(model)]


@rpc("notify", "system")
async def notify(ctx: CallContext, param: Any) -> None:
    ctx.core.notifications.append(msgspec.to_builtins(param))


@rpc("getExperimentFlags", "system")
async def get_experiment_flags(ctx: CallContext, _: None) -> Any:
    return sorted(ctx.core.experiment_flags)


@rpc("setExperimentFlag", "system")
async def set_experiment_flag(ctx: CallContext, param: Any) -> None:
    if param.value:
        ctx.core.experiment_flags.add(param.code)
    else:
        ctx.core.experiment_flags.discard(param.code)


@channel("alive", "system")
async def alive(ch: Channel, _: None) -> None:
    # Never sends anything: the client watches it to learn when the connection ends.
    await asyncio.Event().wait()
