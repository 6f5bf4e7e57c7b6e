"""What a protocol-faithful fake server makes the official clients see.

Both suites judge the reports of their scripts with these: the fake's documented reply,
tokenizer and embedding rules (computed by ``lmstudio.testing``'s own helpers, never
restated here) and its default catalog.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lmstudio.testing import (
    count_tokens,
    default_catalog,
    embed_text,
    expected_reasoning,
    expected_reply,
    expected_tool_result_reply,
    render_prompt,
    shortest_text,
    split_tokens,
    tokenize,
    value_for_schema,
)

__all__ = [
    "CATALOG",
    "CHAT_MODEL",
    "EMBED_MODEL",
    "assert_close_vector",
    "count_tokens",
    "embed_text",
    "expected_reasoning",
    "expected_reply",
    "expected_structured",
    "expected_tool_result_reply",
    "render_prompt",
    "shortest_text",
    "split_tokens",
    "tokenize",
]

CATALOG: list[dict[str, Any]] = default_catalog()
CHAT_MODEL = "fake/chat"
EMBED_MODEL = "fake/embed"
BY_KEY = {entry["modelKey"]: entry for entry in CATALOG}
ALL_KEYS = sorted(BY_KEY)
LLM_KEYS = sorted(k for k, e in BY_KEY.items() if e["type"] == "llm")
EMBEDDING_KEYS = sorted(k for k, e in BY_KEY.items() if e["type"] == "embedding")
LOADED_LLMS = sorted(k for k, e in BY_KEY.items() if e["type"] == "llm" and e.get("loaded"))
LOADED_EMBEDDINGS = sorted(
    k for k, e in BY_KEY.items() if e["type"] == "embedding" and e.get("loaded")
)
EMBEDDING_DIMENSIONS = int(BY_KEY[EMBED_MODEL].get("embeddingDimensions", 384))


def expected_structured(schema: dict[str, Any]) -> Any:
    """The value the fake answers for a JSON-schema structured prediction (reply rule 8)."""
    return json.loads(json.dumps(value_for_schema(schema), ensure_ascii=False))


def assert_close_vector(got: list[float], want: list[float]) -> None:
    assert len(got) == len(want)
    worst = max((abs(a - b) for a, b in zip(got, want, strict=True)), default=0.0)
    assert worst < 1e-6, f"embedding differs from the fake's rule by {worst}"
    assert math.isclose(sum(x * x for x in got), 1.0, rel_tol=1e-5)
