"""``repository``: a fake model hub to search, and downloads that add to the catalog.

The hub lists two models that are not downloaded (``fake/hub-chat-3b``, an LLM, and
``fake/hub-embed-small``, an embedding model) and then every catalog model.

A search matches what a user types: the search term is split into words, and a model
matches when every word occurs (case-insensitively) in its model key, display name,
publisher or architecture (``"llama"`` finds the llama-architecture models, ``"llama
3b"`` only ``fake/hub-chat-3b``); an empty term matches everything. Exact matches (the
whole term is the model key) come first, then hub order; ``compatibilityTypes`` filters
by the model's format and ``limit`` (default 10) cuts the list.

Each model has two download options with every field LM Studio sends (quantization,
file name, size, fit estimation, recommended, download identifier
``<modelKey>@<quantization>``, indexed model identifier, compatibility type): a GGUF model
``Q4_K_M`` (recommended, full GPU offload) and ``Q8_0``; a safetensors (MLX) model
``4bit`` and ``8bit``. Downloading streams progress, then ``startFinalizing``,
adds the model to the downloaded models (it survives ``restart()``) and succeeds with
the model key to load.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lmstudio._protocol import models
from lmstudio.testing._catalog import catalog_model
from lmstudio.testing._endpoints._registry import channel, rpc
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._session import CallContext, Channel

HUB_ONLY: list[dict[str, Any]] = [
    {
        "type": "llm",
        "modelKey": "fake/hub-chat-3b",
        "displayName": "Fake Hub Chat 3B",
        "publisher": "fake",
        "architecture": "llama",
        "paramsString": "3B",
        "sizeBytes": 2_019_377_696,
        "vision": False,
        "trainedForToolUse": False,
        "maxContextLength": 8192,
    },
    {
        "type": "embedding",
        "modelKey": "fake/hub-embed-small",
        "displayName": "Fake Hub Embed Small",
        "publisher": "fake",
        "architecture": "bert",
        "sizeBytes": 45_949_216,
        "maxContextLength": 512,
        "embeddingDimensions": 256,
    },
]
_QUANTIZATIONS = {
    "gguf": (("Q4_K_M", 1.0, "fullGPUOffload"), ("Q8_0", 1.9, "partialGPUOffload")),
    "safetensors": (("4bit", 1.0, "fullGPUOffload"), ("8bit", 1.9, "partialGPUOffload")),
}
_SEARCHED_FIELDS = ("modelKey", "displayName", "publisher", "architecture")
_DEFAULT_LIMIT = 10


def hub_entries(ctx: CallContext) -> list[dict[str, Any]]:
    downloaded = {m.key.lower() for m in ctx.state.downloaded}
    extras = [entry for entry in HUB_ONLY if entry["modelKey"].lower() not in downloaded]
    return [
        *extras,
        *({**m.info, "embeddingDimensions": m.embedding_dimensions} for m in ctx.state.downloaded),
    ]


def find_entry(ctx: CallContext, key: str) -> dict[str, Any]:
    for entry in hub_entries(ctx):
        if entry["modelKey"].lower() == key.lower():
            return entry
    raise FakeServerError(f'Model "{key}" not found in the model catalog')


def options_of(entry: dict[str, Any]) -> list[Any]:
    key = entry["modelKey"]
    name = key.rpartition("/")[2]
    publisher = entry.get("publisher") or key.partition("/")[0] or "lmstudio-community"
    size = int(entry.get("sizeBytes", 1_000_000_000))
    kind = "safetensors" if entry.get("format") == "safetensors" else "gguf"
    options = []
    for index, (quant, factor, fit) in enumerate(_QUANTIZATIONS[kind]):
        if kind == "gguf":
            file_name = f"{name}-{quant}.gguf"
            indexed = f"{publisher}/{name}-GGUF/{file_name}"
        else:
            file_name = f"{name}-MLX-{quant}"
            indexed = f"{publisher}/{file_name}"
        options.append(
            models.ModelSearchResultDownloadOptionData(
                quantization=quant,
                name=file_name,
                size_bytes=int(size * factor),
                fit_estimation=fit,
                recommended=index == 0,
                download_identifier=f"{key}@{quant}",
                indexed_model_identifier=indexed,
                compatibility_type=kind,
            )
        )
    return options


def _matches(entry: dict[str, Any], words: list[str]) -> bool:
    """Every word occurs in the key, display name, publisher or architecture."""
    haystack = " ".join(str(entry.get(field) or "") for field in _SEARCHED_FIELDS).lower()
    return all(word in haystack for word in words)


@rpc("searchModels", "repository")
async def search_models(ctx: CallContext, param: Any) -> Any:
    opts = param.opts
    term = opts.search_term.strip().lower() if isinstance(opts.search_term, str) else ""
    words = term.split()
    limit = opts.limit if isinstance(opts.limit, int) else _DEFAULT_LIMIT
    formats = set(opts.compatibility_types) if isinstance(opts.compatibility_types, list) else None
    results = []
    for entry in hub_entries(ctx):
        if not _matches(entry, words):
            continue
        if formats is not None and entry.get("format", "gguf") not in formats:
            continue
        key = entry["modelKey"]
        results.append(
            models.ModelSearchResultEntryData(
                name=key,
                identifier=models.ModelSearchResultIdentifierCatalog(identifier=key),
                exact=key.lower() == term,
                staff_pick=False,
            )
        )
    results.sort(key=lambda r: not r.exact)  # stable: exact matches first, then hub order
    return models.RepositoryRpcSearchModelsReturns(results=results[:limit])


@rpc("getModelDownloadOptions", "repository")
async def get_model_download_options(ctx: CallContext, param: Any) -> Any:
    entry = find_entry(ctx, param.model_search_result_identifier.identifier)
    return models.RepositoryRpcGetModelDownloadOptionsReturns(results=options_of(entry))


@channel("downloadModel", "repository")
async def download_model(ch: Channel, creation: Any) -> None:
    key, _, quant = creation.download_identifier.rpartition("@")
    entry = find_entry(ch, key) if key else None
    option = (
        next((o for o in options_of(entry) if o.quantization == quant), None) if entry else None
    )
    if entry is None or option is None:
        raise FakeServerError(f'Unknown download identifier "{creation.download_identifier}"')
    await download_option(ch, entry, option)
    await ch.send(
        models.RepositoryChannelDownloadModelToClientPacketSuccess(
            default_identifier=entry["modelKey"]
        )
    )


async def download_progress(ch: Channel, total: int, steps: int = 4) -> None:
    """A download's ``downloadProgress`` packets over the load time, then
    ``startFinalizing`` (models, plans and runtime extensions download alike)."""
    pause = ch.core.load_time / steps
    for step in range(1, steps + 1):
        if pause:
            await asyncio.sleep(pause)
        if ch.cancelled.is_set():
            raise FakeServerError("Download cancelled")
        await ch.send(
            models.RepositoryChannelDownloadModelToClientPacketDownloadProgress(
                update=models.DownloadProgressUpdate(
                    downloaded_bytes=total * step // steps,
                    total_bytes=total,
                    speed_bytes_per_second=float(total // steps),
                )
            )
        )
    await ch.send(models.RepositoryChannelDownloadModelToClientPacketStartFinalizing())


async def download_option(ch: Channel, entry: dict[str, Any], option: Any) -> None:
    """Stream a download's progress and ``startFinalizing``, then add the model to the
    downloaded models (as ``downloadModel`` and a committed download plan do)."""
    await download_progress(ch, option.size_bytes)
    key = entry["modelKey"]
    if all(m.key.lower() != key.lower() for m in ch.state.downloaded):
        model = catalog_model(
            {**entry, "path": option.indexed_model_identifier}, len(ch.core.catalog)
        )
        ch.core.catalog.append(model)
        ch.state.downloaded.append(model)
