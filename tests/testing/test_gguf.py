"""GGUF catalog entries without llama.cpp: the header reader and the catalog's defaults."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from lmstudio.testing import load_catalog
from lmstudio.testing._gguf import params_string, read_gguf, resolve_gguf


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, *, context: int = 1024, width: int = 64) -> Path:
    """A GGUF v3 header: a few metadata keys (a vocabulary array too) and two tensors."""
    kvs = [
        _string("general.architecture") + struct.pack("<I", 8) + _string("llama"),
        _string("general.name") + struct.pack("<I", 8) + _string("Tiny"),
        _string("llama.context_length") + struct.pack("<II", 4, context),
        _string("llama.embedding_length") + struct.pack("<II", 4, width),
        _string("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, 3)
        + b"".join(_string(t) for t in ("a", "b", "c")),
        _string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 3) + b"\0" * 12,
        _string("tokenizer.chat_template") + struct.pack("<I", 8) + _string("{{ messages }}"),
    ]
    tensors = [
        _string("token_embd.weight")
        + struct.pack("<I", 2)
        + struct.pack("<QQ", width, 1000)
        + struct.pack("<IQ", 0, 0),
        _string("output_norm.weight")
        + struct.pack("<I", 1)
        + struct.pack("<Q", width)
        + struct.pack("<IQ", 0, 0),
    ]
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    path.write_bytes(header + b"".join(kvs) + b"".join(tensors))
    return path


def test_read_gguf(tmp_path: Path) -> None:
    info = read_gguf(write_gguf(tmp_path / "tiny.gguf"))
    assert info.architecture == "llama" and info.name == "Tiny"
    assert (info.context_length, info.embedding_length) == (1024, 64)
    assert info.parameters == 64 * 1000 + 64
    assert info.chat_template == "{{ messages }}"
    assert params_string(info.parameters) == "64K"
    assert [params_string(n) for n in (134_515_008, 1_540_000_000, 7_000_000_000)] == [
        "135M",
        "1.5B",
        "7B",
    ]


def test_a_gguf_entry_fills_the_info_from_the_file(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    llm, embed, kept = load_catalog(
        [
            {"type": "llm", "modelKey": "me/tiny", "gguf": str(path)},
            {"type": "embedding", "modelKey": "me/tiny-embed", "gguf": str(path)},
            {"type": "llm", "modelKey": "me/set", "gguf": str(path), "maxContextLength": 512},
        ]
    )
    assert llm.gguf == path and llm.info["architecture"] == "llama"
    assert llm.info["maxContextLength"] == 1024 and llm.info["paramsString"] == "64K"
    assert llm.info["sizeBytes"] == path.stat().st_size and "gguf" not in llm.info
    assert embed.embedding_dimensions == 64  # the model's embedding length
    assert kept.info["maxContextLength"] == 512  # what the entry says wins


def test_bad_gguf_entries_fail_with_a_clear_error(tmp_path: Path) -> None:
    def entry(gguf: object) -> list[dict[str, object]]:
        return [{"type": "llm", "modelKey": "x", "gguf": gguf}]

    with pytest.raises(ValueError, match=r"catalog entry 0: gguf .*: no such file"):
        load_catalog(entry(str(tmp_path / "missing.gguf")))
    with pytest.raises(ValueError, match=r"the package .no_such_pkg. is not installed"):
        load_catalog(entry("no_such_pkg:a.gguf"))
    with pytest.raises(ValueError, match=r"has no file 'missing\.gguf'"):
        load_catalog(entry("lmstudio:missing.gguf"))
    (tmp_path / "bad.gguf").write_bytes(b"not a gguf")
    with pytest.raises(ValueError, match="not a GGUF file"):
        load_catalog(entry(str(tmp_path / "bad.gguf")))
    with pytest.raises(ValueError, match="'gguf' must be a path"):
        load_catalog(entry(3))


def test_a_package_resource_is_found_without_importing_it(tmp_path: Path) -> None:
    package = tmp_path / "pkg_with_model"
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('never imported')\n")
    write_gguf(package / "m.gguf")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        assert resolve_gguf("pkg_with_model:m.gguf") == package / "m.gguf"
    finally:
        sys.path.remove(str(tmp_path))
