"""The official Python SDK's conformance steps against the real-model backend.

The same script (``python/official_client.py``) and the same judges (no problem logged by
the official client, no ``communicationWarning`` either way) as ``test_official_python``,
with ``fake/chat`` and ``fake/embed`` served by llama.cpp (SmolLM2-135M-Instruct). The
steps on those models are checked for real text, the model's own tokenizer and
template, and plausible stats; the steps on the rule models (tools, vision, reasoning,
hub) keep their rule checks. Marked ``real_model``: skipped without the ``llama`` extra.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lmstudio.testing import SMOLLM2_GGUF, default_catalog

from .expectations import CHAT_MODEL, LOADED_EMBEDDINGS
from .harness import PYTHON_SDK_VERSIONS, STEP_TIMEOUT, ConformanceRun, run_against_fake
from .test_official_python import CHECKS, SCRIPT, step

pytestmark = [pytest.mark.real_model, pytest.mark.timeout(900)]

DIMENSIONS = 576  # SmolLM2-135M's embedding length
STOPS = ("eosFound", "maxPredictedTokensReached", "contextLengthReached")
REAL_KEYS = ("fake/chat", "fake/embed")


def real_catalog() -> list[dict[str, Any]]:
    """The default catalog, with fake/chat and fake/embed real (their info from the GGUF).

    fake/chat's context is 512 tokens, so an open-ended completion ("Once upon a time")
    ends within a step's timeout (``contextLengthReached``) on a slow machine too.
    """
    entries = []
    for entry in default_catalog():
        if entry["modelKey"] in REAL_KEYS:
            drop = ("architecture", "paramsString", "sizeBytes", "embeddingDimensions")
            entry = {k: v for k, v in entry.items() if k not in drop}
            entry["gguf"] = SMOLLM2_GGUF
            entry["maxContextLength"] = 512 if entry["type"] == "llm" else 2048
        entries.append(entry)
    return entries


@pytest.fixture(scope="module", params=PYTHON_SDK_VERSIONS)
def run(
    request: pytest.FixtureRequest, official_python_sdks: Callable[[str], Path]
) -> ConformanceRun:
    python = official_python_sdks(request.param)

    def command(host: str, report: Path) -> list[str]:
        arguments = ["--host", host, "--report", str(report), "--step-timeout", str(STEP_TIMEOUT)]
        return [str(python), "-I", str(SCRIPT), *arguments]

    return run_against_fake(command, catalog=real_catalog())


def llama_tokens(text: str, *, embedding: bool = False) -> list[int]:
    """The model's own tokens (its vocabulary opened by llama_cpp directly)."""
    import llama_cpp

    from lmstudio.testing._gguf import resolve_gguf

    model = llama_cpp.Llama(str(resolve_gguf(SMOLLM2_GGUF)), vocab_only=True, verbose=False)
    try:
        return list(model.tokenize(text.encode(), add_bos=embedding, special=True))
    finally:
        model.close()


def check_prediction(result: Any) -> None:
    assert isinstance(result["content"], str) and result["content"].strip(), result
    assert "You said" not in result["content"]
    assert result["stop_reason"] in STOPS
    assert result["model_key"] == CHAT_MODEL
    assert result["structured"] is False


def check_respond_stream(result: Any) -> None:
    check_prediction(result)
    assert "".join(result["fragments"]) == result["content"]


def check_structured(result: Any) -> None:
    assert result["structured"] is True, result["content"]
    assert json.loads(result["content"]) == result["parsed"]
    assert isinstance(result["parsed"]["title"], str)
    assert isinstance(result["parsed"]["year"], int)


def check_embed(result: Any) -> None:
    assert result["dimension"] == DIMENSIONS
    assert result["many_dimensions"] == [DIMENSIONS] * 2
    assert result["deterministic"] and result["distinct"] and result["all_numbers"]
    assert math.isclose(sum(x * x for x in result["vector"]), 1.0, rel_tol=1e-4)


def check_tokenize(result: Any) -> None:
    assert result["tokens"] == llama_tokens(result["text"])
    assert result["many"] == [llama_tokens("one"), llama_tokens("two words")]
    assert result["embedding_tokens"] == llama_tokens("hello embedding", embedding=True)


def check_count_tokens(result: Any) -> None:
    assert result["count"] == len(llama_tokens(result["text"])) == result["tokenize_length"]
    assert result["embedding_count"] == result["count"]


def check_cancel(result: Any) -> None:
    assert result["stop_reason"] == "userStopped"
    assert result["fragments_seen"] >= 1 and result["content"]


def check_config(result: Any) -> None:
    assert result["content"]
    assert result["stop_reason"] == "maxPredictedTokensReached"
    assert result["echoed_temperature"] == result["temperature"]
    assert result["echoed_max_tokens"] == result["max_tokens"]


def check_prompt_template(result: Any) -> None:
    assert result["formatted"] == (
        "<|im_start|>system\nYou are terse.<|im_end|>\n"
        "<|im_start|>user\nFormat me<|im_end|>\n<|im_start|>assistant\n"
    )  # the GGUF's own template (SmolLM2's ChatML)


def check_errors(result: Any) -> None:
    raised = {name: outcome["raised"] for name, outcome in result.items() if name != "still_works"}
    assert raised["unknown_model"] == "LMStudioModelNotFoundError"
    assert raised["unknown_preset"] == "LMStudioPresetNotFoundError"
    assert isinstance(result["still_works"], str) and result["still_works"]


def check_callbacks(result: Any) -> None:
    check_prediction(result)
    assert result["progress"][0] == 0.0 and result["progress"][-1] == 1.0
    assert result["progress"] == sorted(result["progress"])
    assert result["first_token_calls"] == 1
    assert "".join(result["fragments"]) == result["content"]
    assert result["messages"] == ["assistant"]


def check_gbnf(result: Any) -> None:
    assert result["content"] in ("yes", "no", "maybe")
    assert result["stop_reason"] == "eosFound"


def check_embedding_load_unload(result: Any) -> None:
    assert result["identifier"] == "conformance-embed"
    assert result["dimension"] == DIMENSIONS
    assert result["during"] == sorted([*result["before"], "conformance-embed"])
    assert result["after"] == result["before"] == LOADED_EMBEDDINGS


def check_draft(result: Any) -> None:
    check_prediction(result)  # real models take no draft model: a plain prediction


def check_query_jit(result: Any) -> None:
    assert result["tools_identifier"] == "fake/tools"
    assert result["tokens"] == llama_tokens(result["text"], embedding=True)
    assert result["embeddings_while_jit"] == ["fake/embed"]
    assert result["embeddings_after"] == []
    assert result["evicted"]["raised"] == "LMStudioModelNotFoundError", result["evicted"]
    assert result["restored"] == LOADED_EMBEDDINGS


def check_async_concurrent(result: Any) -> None:
    assert len(result["contents"]) == len(result["prompts"])
    assert all(isinstance(c, str) and c.strip() for c in result["contents"])
    assert all(s.strip() for s in result["streamed"])
    assert result["embedding_dimensions"] == [DIMENSIONS] * 2


REAL_CHECKS: dict[str, Callable[[Any], None]] = {
    **CHECKS,  # the rule models' steps (tools, vision, reasoning, hub, listings) as before
    "respond": check_prediction,
    "respond_stream": check_respond_stream,
    "complete": check_prediction,
    "structured": check_structured,
    "embed": check_embed,
    "tokenize": check_tokenize,
    "count_tokens": check_count_tokens,
    "cancel": check_cancel,
    "config": check_config,
    "prompt_template": check_prompt_template,
    "errors": check_errors,
    "callbacks": check_callbacks,
    "gbnf": check_gbnf,
    "embedding_load_unload": check_embedding_load_unload,
    "draft": check_draft,
    "query_jit": check_query_jit,
    "async_concurrent": check_async_concurrent,
}


def test_real_run_is_clean(run: ConformanceRun) -> None:
    assert run.returncode == 0, run.describe()
    assert run.report.get("problems") == [], json.dumps(run.report.get("problems"), indent=1)
    assert run.server_warnings == []
    assert run.client_warnings == [] and run.server_client_warnings == []


@pytest.mark.parametrize("name", list(REAL_CHECKS))
def test_real_step(run: ConformanceRun, name: str) -> None:
    REAL_CHECKS[name](step(run, name))
