"""Built-in endpoint handlers; importing this package registers them all."""

from lmstudio.testing._endpoints import (
    diagnostics,
    documents,
    embedding,
    files,
    hub,
    hub_account,
    hub_artifacts,
    lm_link,
    models,
    plugins,
    predict,
    repository,
    runtime,
    system,
    system_admin,
)
from lmstudio.testing._endpoints._registry import CHANNEL_HANDLERS, RPC_HANDLERS

__all__ = [
    "CHANNEL_HANDLERS",
    "RPC_HANDLERS",
    "diagnostics",
    "documents",
    "embedding",
    "files",
    "hub",
    "hub_account",
    "hub_artifacts",
    "lm_link",
    "models",
    "plugins",
    "predict",
    "repository",
    "runtime",
    "system",
    "system_admin",
]
