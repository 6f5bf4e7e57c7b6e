"""The fake embedding rule: deterministic, normalised, similar texts give close vectors.

Public, stable rule (tests may depend on it):

- Features of a text: each lowercased word (``\\w+``) with weight 1.0, and each character
  trigram of ``"#" + word + "#"`` with weight 0.5.
- A feature is hashed with ``h = zlib.crc32(feature.encode("utf-8"))``; it adds its weight
  to component ``h % dimensions``, negated when ``(h // dimensions)`` is odd.
- The vector is then scaled to unit length (L2 norm 1). A text without any word maps to
  the unit vector ``[1.0, 0.0, ...]``.

Texts that share words and spellings share components, so their cosine similarity is
higher than that of unrelated texts; identical texts give identical vectors.
"""

from __future__ import annotations

import math
import re
import zlib

__all__ = ["embed_text"]

_WORD = re.compile(r"\w+")


def embed_text(text: str, dimensions: int) -> list[float]:
    """The embedding of ``text`` with ``dimensions`` components (see the module rule)."""
    if dimensions < 1:
        raise ValueError("an embedding needs at least one dimension")
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        _add(vector, word, 1.0)
        padded = f"#{word}#"
        for start in range(len(padded) - 2):
            _add(vector, padded[start : start + 3], 0.5)
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return [value / norm for value in vector]


def _add(vector: list[float], feature: str, weight: float) -> None:
    dimensions = len(vector)
    hashed = zlib.crc32(feature.encode("utf-8"))
    sign = -1.0 if (hashed // dimensions) % 2 else 1.0
    vector[hashed % dimensions] += sign * weight
