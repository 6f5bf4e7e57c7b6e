"""A protocol-faithful fake LM Studio server for tests and CI.

``FakeLMStudio`` speaks LM Studio's native WebSocket protocol (one socket per namespace,
the ``/lmstudio-greeting`` probe, authentication, rpcs and channels) well enough that
LM Studio's own official clients work against it unchanged. Every message a client
sends is checked against the protocol's generated strict types and recorded.

    from lmstudio.testing import FakeLMStudio

    with FakeLMStudio() as server:             # or: async with FakeLMStudio() as server
        client = lms.Client(server.api_host)
        ...
        assert not server.warnings             # the client broke no protocol rule

From the command line: ``python -m lmstudio.testing --port 1234 [--catalog FILE]``.
Predictions stream at a fast local model's pace (1000 tokens/s; ``tokens_per_second=None``
for unlimited). ``--record FILE --upstream HOST:PORT`` (``RecordingProxy``) records a real
LM Studio to a cassette, ``FakeLMStudio(replay=FILE)`` / ``--replay FILE`` serves it back.
With pytest: ``pytest_plugins = ["lmstudio.testing.pytest_plugin"]`` and the
``fake_lmstudio`` fixture. The fake models' behaviour (replies, tokenizer, embeddings,
structured output) is public and stable: see ``lmstudio/testing/README.md`` and the
functions exported here, which compute what the fake answers.

A catalog entry with ``"gguf": PATH`` is a real model run by llama.cpp (the ``llama``
extra): ``FakeLMStudio(catalog=real_model_catalog())`` serves SmolLM2-135M-Instruct.
"""

from lmstudio.testing._catalog import CatalogModel, default_catalog, load_catalog
from lmstudio.testing._core import ReceivedMessage, parse_api_token
from lmstudio.testing._embeddings import embed_text
from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._faults import Fault, Faults
from lmstudio.testing._gbnf import shortest_text
from lmstudio.testing._plugin_api import FakePlugins, FakeToolsSession, Pending
from lmstudio.testing._plugins import HookOutcome, PluginHookError, PluginRecord, ToolCallOutcome
from lmstudio.testing._prompt import render_prompt
from lmstudio.testing._real import (
    REAL_EMBEDDING_MODEL,
    REAL_LLM,
    SMOLLM2_GGUF,
    real_model_catalog,
    real_model_unavailable,
)
from lmstudio.testing._record import RecordingProxy
from lmstudio.testing._replies import (
    expected_reasoning,
    expected_reply,
    expected_tool_result_reply,
)
from lmstudio.testing._server import DEFAULT_TOKENS_PER_SECOND, Completion, FakeLMStudio, Override
from lmstudio.testing._session import Channel
from lmstudio.testing._structured import value_for_schema
from lmstudio.testing._tokenizer import (
    EMBEDDING_END_TOKEN,
    EMBEDDING_START_TOKEN,
    count_tokens,
    split_tokens,
    token_id,
    tokenize,
)
from lmstudio.testing._tools import expected_tool_preamble

__all__ = [
    "DEFAULT_TOKENS_PER_SECOND",
    "EMBEDDING_END_TOKEN",
    "EMBEDDING_START_TOKEN",
    "REAL_EMBEDDING_MODEL",
    "REAL_LLM",
    "SMOLLM2_GGUF",
    "CatalogModel",
    "Channel",
    "Completion",
    "FakeLMStudio",
    "FakePlugins",
    "FakeServerError",
    "FakeToolsSession",
    "Fault",
    "Faults",
    "HookOutcome",
    "Override",
    "Pending",
    "PluginHookError",
    "PluginRecord",
    "ReceivedMessage",
    "RecordingProxy",
    "ToolCallOutcome",
    "count_tokens",
    "default_catalog",
    "embed_text",
    "expected_reasoning",
    "expected_reply",
    "expected_tool_preamble",
    "expected_tool_result_reply",
    "load_catalog",
    "parse_api_token",
    "real_model_catalog",
    "real_model_unavailable",
    "render_prompt",
    "shortest_text",
    "split_tokens",
    "token_id",
    "tokenize",
    "value_for_schema",
]
