"""``embedding/embedString``: the instance's backend embeds (the rule: ``_embeddings``)."""

from __future__ import annotations

from typing import Any

import msgspec

from lmstudio._protocol import models
from lmstudio.testing._endpoints._registry import rpc
from lmstudio.testing._session import CallContext


@rpc("embedString", "embedding")
async def embed_string(ctx: CallContext, param: Any) -> Any:
    instance = ctx.state.resolve(msgspec.to_builtins(param.model_specifier), "embedding")
    ctx.state.touch(instance)
    vector = await instance.backend.embed(param.input_string, instance.model.embedding_dimensions)
    return models.EmbeddingRpcEmbedStringReturns(embedding=vector)
