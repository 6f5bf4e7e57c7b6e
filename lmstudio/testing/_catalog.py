"""The fake server's catalog: the models it has "downloaded", in LM Studio's wire shape.

A catalog is a JSON list of ``system/listDownloadedModels`` items (``llmInfo`` /
``embeddingModelInfo`` objects: ``type``, ``modelKey``, ``path``, ``format``, ``vision``,
``trainedForToolUse``, ``maxContextLength``...), each optionally with fake-only keys:

- ``"loaded": true``: loaded when the server starts, with the model key as identifier;
- ``"embeddingDimensions": N``: the length of an embedding model's vectors (default 384);
- ``"gguf": PATH`` (or ``"package:file"``): a real model, served by llama.cpp
  (``_llama_backend``); its file's header fills the info the entry leaves out.

Only ``type`` and ``modelKey`` are required; every other field LM Studio sends gets a
sensible default (``publisher`` from the key's prefix, ``path`` ``<key>/<name>.gguf``,
``deviceIdentifier`` null...), so the server always answers with the fields both
protocol generations require. Copy the output of a real LM Studio's
``listDownloadedModels`` to mirror it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["CatalogModel", "default_catalog", "load_catalog"]

DEFAULT_EMBEDDING_DIMENSIONS = 384

_DEFAULT_CATALOG: list[dict[str, Any]] = [
    {
        "type": "llm",
        "modelKey": "fake/chat",
        "displayName": "Fake Chat 7B",
        "publisher": "fake",
        "path": "fake/chat-7b-GGUF/chat-7b-Q4_K_M.gguf",
        "format": "gguf",
        "sizeBytes": 4_368_438_944,
        "paramsString": "7B",
        "architecture": "llama",
        "vision": False,
        "trainedForToolUse": False,
        "maxContextLength": 32768,
        "loaded": True,
    },
    {
        "type": "llm",
        "modelKey": "fake/reasoning",
        "displayName": "Fake Reasoning 8B",
        "publisher": "fake",
        "path": "fake/reasoning-8b-GGUF/reasoning-8b-Q4_K_M.gguf",
        "format": "gguf",
        "sizeBytes": 5_027_783_488,
        "paramsString": "8B",
        "architecture": "qwen3",
        "vision": False,
        "trainedForToolUse": False,
        "maxContextLength": 40960,
    },
    {
        "type": "llm",
        "modelKey": "fake/tools",
        "displayName": "Fake Tools 7B",
        "publisher": "fake",
        "path": "fake/tools-7b-GGUF/tools-7b-Q4_K_M.gguf",
        "format": "gguf",
        "sizeBytes": 4_683_073_952,
        "paramsString": "7B",
        "architecture": "qwen2",
        "vision": False,
        "trainedForToolUse": True,
        "maxContextLength": 32768,
    },
    {
        "type": "llm",
        "modelKey": "fake/vision",
        "displayName": "Fake Vision 4B",
        "publisher": "fake",
        "path": "fake/vision-4b/model.safetensors",
        "format": "safetensors",
        "sizeBytes": 3_218_759_680,
        "paramsString": "4B",
        "architecture": "gemma3",
        "vision": True,
        "trainedForToolUse": False,
        "maxContextLength": 131072,
    },
    {
        "type": "embedding",
        "modelKey": "fake/embed",
        "displayName": "Fake Embed",
        "publisher": "fake",
        "path": "fake/embed-GGUF/embed-Q8_0.gguf",
        "format": "gguf",
        "sizeBytes": 146_145_248,
        "architecture": "nomic-bert",
        "maxContextLength": 2048,
        "embeddingDimensions": DEFAULT_EMBEDDING_DIMENSIONS,
        "loaded": True,
    },
]

_FAKE_KEYS = ("loaded", "embeddingDimensions", "gguf")


def default_catalog() -> list[dict[str, Any]]:
    """The default catalog's entries (a fresh copy, in the catalog file format).

    ``fake/chat`` (loaded; the default model), ``fake/reasoning``, ``fake/tools``
    (trained for tool use), ``fake/vision`` (vision) and ``fake/embed`` (embedding,
    384 dimensions, loaded).
    """
    return copy.deepcopy(_DEFAULT_CATALOG)


@dataclass(frozen=True)
class CatalogModel:
    """One downloaded model: its complete wire info plus the fake-only settings."""

    info: Mapping[str, Any]
    loaded: bool
    embedding_dimensions: int
    gguf: Path | None = None  # served by the llama.cpp backend (``_gguf``), else the rules

    @property
    def domain(self) -> str:
        return str(self.info["type"])

    @property
    def key(self) -> str:
        return str(self.info["modelKey"])

    @property
    def path(self) -> str:
        return str(self.info["path"])

    @property
    def vision(self) -> bool:
        return bool(self.info.get("vision", False))

    @property
    def trained_for_tool_use(self) -> bool:
        return bool(self.info.get("trainedForToolUse", False))

    @property
    def max_context_length(self) -> int:
        return int(self.info["maxContextLength"])


def load_catalog(source: str | Path | Iterable[Mapping[str, Any]] | None) -> list[CatalogModel]:
    """Catalog models from a JSON file path, a list of entries, or ``None`` (the default).

    Raises ``ValueError`` naming the entry when one is not a valid model info.
    """
    if source is None:
        entries: Iterable[Mapping[str, Any]] = _DEFAULT_CATALOG
    elif isinstance(source, (str, Path)):
        try:
            entries = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read catalog {source}: {exc}") from exc
        if not isinstance(entries, list):
            raise ValueError(f"catalog {source} must hold a JSON list of model entries")
    else:
        entries = source
    models: list[CatalogModel] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries):
        model = catalog_model(entry, position)
        if model.key.lower() in seen:
            raise ValueError(f"catalog entry {position}: duplicate modelKey {model.key!r}")
        seen.add(model.key.lower())
        models.append(model)
    return models


def catalog_model(entry: Mapping[str, Any], position: int = 0) -> CatalogModel:
    """One catalog entry, completed with defaults and checked against the protocol."""
    from lmstudio._protocol import strict

    where = f"catalog entry {position}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a JSON object")
    kind = entry.get("type")
    key = entry.get("modelKey")
    if kind not in ("llm", "embedding"):
        raise ValueError(f"{where}: 'type' must be 'llm' or 'embedding', not {kind!r}")
    if not isinstance(key, str) or not key:
        raise ValueError(f"{where}: 'modelKey' must be a non-empty string")
    info = {k: v for k, v in entry.items() if k not in _FAKE_KEYS}
    gguf, gguf_dimensions = _gguf_defaults(where, entry.get("gguf"), info)
    publisher, _, name = key.rpartition("/")
    name = name or key
    info.setdefault("displayName", name)
    info.setdefault("publisher", publisher or "lmstudio-community")
    info.setdefault("format", "gguf")
    info.setdefault("path", f"{key}/{name}.gguf")
    info.setdefault("indexedModelIdentifier", info["path"])
    info.setdefault("deviceIdentifier", None)
    if kind == "llm":
        info.setdefault("sizeBytes", 4_000_000_000)
        info.setdefault("vision", False)
        info.setdefault("trainedForToolUse", False)
        info.setdefault("maxContextLength", 32768)
        target: type[Any] = strict.LlmInfo
    else:
        info.setdefault("sizeBytes", 150_000_000)
        info.setdefault("maxContextLength", 2048)
        target = strict.EmbeddingModelInfo
    try:
        msgspec.convert(info, target)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{where} ({key}): {exc}") from None
    dimensions = entry.get("embeddingDimensions", DEFAULT_EMBEDDING_DIMENSIONS)
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
        raise ValueError(f"{where} ({key}): 'embeddingDimensions' must be a positive integer")
    loaded = entry.get("loaded", False)
    if not isinstance(loaded, bool):
        raise ValueError(f"{where} ({key}): 'loaded' must be true or false")
    if gguf_dimensions is not None and "embeddingDimensions" not in entry:
        dimensions = gguf_dimensions  # a real model's vectors have its embedding length
    return CatalogModel(info=info, loaded=loaded, embedding_dimensions=dimensions, gguf=gguf)


def _gguf_defaults(where: str, spec: Any, info: dict[str, Any]) -> tuple[Path | None, int | None]:
    """The file of a ``"gguf"`` entry and its embedding length; its header fills the info
    fields the entry left out (architecture, parameters, size, context length, format)."""
    if spec is None:
        return None, None
    from lmstudio.testing._gguf import params_string, read_gguf, resolve_gguf

    if not isinstance(spec, str) or not spec:
        raise ValueError(f"{where}: 'gguf' must be a path or 'package:file'")
    try:
        path = resolve_gguf(spec)
        header = read_gguf(path)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    info.setdefault("format", "gguf")
    info.setdefault("architecture", header.architecture)
    info.setdefault("sizeBytes", header.size_bytes)
    if header.parameters:
        info.setdefault("paramsString", params_string(header.parameters))
    if header.context_length:
        info.setdefault("maxContextLength", header.context_length)
    return path, header.embedding_length
