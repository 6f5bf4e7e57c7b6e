"""The fake models' tokenizer: words and punctuation, with stable integer ids.

Public, stable rule (tests may depend on it):

- A token is optional leading whitespace followed by either a run of word characters
  (``\\w+``: letters, digits, underscore) or one other non-space character; trailing
  whitespace at the very end is one more token. The regular expression is
  ``\\s*(?:\\w+|[^\\w\\s])|\\s+``.
- Splitting is lossless: ``"".join(split_tokens(text)) == text``. ``"Hello, world!"``
  splits into ``["Hello", ",", " world", "!"]``.
- A token's id is ``zlib.crc32(token.encode("utf-8")) % 100_000`` (leading whitespace
  included), so the same text always gives the same ids, on every platform.
- An LLM's ``tokenize`` and ``countTokens`` agree, and every fragment of a fake
  prediction is exactly one token (``tokensCount`` 1).
- An embedding model's ``tokenize`` adds the start and end markers embedding models put
  around a text (BERT's ``[CLS]`` / ``[SEP]``), ids ``EMBEDDING_START_TOKEN`` (100000) and
  ``EMBEDDING_END_TOKEN`` (100001), just past the vocabulary: two tokens more than
  ``countTokens`` gives for the same text, as in LM Studio.
"""

from __future__ import annotations

import re
import zlib

__all__ = [
    "EMBEDDING_END_TOKEN",
    "EMBEDDING_START_TOKEN",
    "TOKEN_PATTERN",
    "VOCABULARY_SIZE",
    "count_tokens",
    "split_tokens",
    "token_id",
    "tokenize",
]

TOKEN_PATTERN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
VOCABULARY_SIZE = 100_000
EMBEDDING_START_TOKEN = VOCABULARY_SIZE
EMBEDDING_END_TOKEN = VOCABULARY_SIZE + 1


def split_tokens(text: str) -> list[str]:
    """The tokens of ``text`` as strings; they concatenate back to ``text``."""
    return TOKEN_PATTERN.findall(text)


def token_id(token: str) -> int:
    """The stable id of one token."""
    return zlib.crc32(token.encode("utf-8")) % VOCABULARY_SIZE


def tokenize(text: str, *, embedding: bool = False) -> list[int]:
    """The token ids of ``text``, as ``tokenize`` answers them: for an LLM, or with
    ``embedding=True`` for an embedding model (start and end markers around them)."""
    ids = [token_id(token) for token in TOKEN_PATTERN.findall(text)]
    if embedding:
        return [EMBEDDING_START_TOKEN, *ids, EMBEDDING_END_TOKEN]
    return ids


def count_tokens(text: str) -> int:
    """How many tokens ``text`` has, as ``countTokens`` answers it."""
    return len(TOKEN_PATTERN.findall(text))
