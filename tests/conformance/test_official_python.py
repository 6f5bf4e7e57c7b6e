"""LM Studio's official Python SDK (PyPI ``lmstudio`` 1.5.0 and 1.6.0b1) against the fake server.

Each SDK version runs ``python/official_client.py`` once, in its own virtual environment
(it shares our import name), against a fresh ``FakeLMStudio``; every step of that run is
one test here. A run passes only with zero problems reported by the official client
(logged warnings/errors, ``LMStudioUnknownMessageWarning``) and zero
``communicationWarning`` frames in either direction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .expectations import (
    ALL_KEYS,
    BY_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    EMBEDDING_DIMENSIONS,
    EMBEDDING_KEYS,
    LLM_KEYS,
    LOADED_EMBEDDINGS,
    LOADED_LLMS,
    assert_close_vector,
    count_tokens,
    embed_text,
    expected_reasoning,
    expected_reply,
    expected_structured,
    expected_tool_result_reply,
    render_prompt,
    shortest_text,
    split_tokens,
    tokenize,
)
from .harness import CACHE, PYTHON_SDK_VERSIONS, STEP_TIMEOUT, ConformanceRun, run_against_fake

# A cold first run installs the SDK from PyPI inside the first test's setup.
pytestmark = pytest.mark.timeout(600)

SCRIPT = Path(__file__).resolve().parent / "python" / "official_client.py"
EXTRA_IDENTIFIER = "conformance-extra"


@pytest.fixture(scope="module", params=PYTHON_SDK_VERSIONS)
def run(
    request: pytest.FixtureRequest, official_python_sdks: Callable[[str], Path]
) -> ConformanceRun:
    python = official_python_sdks(request.param)

    def command(host: str, report: Path) -> list[str]:
        # -I: isolated mode, so nothing of this repository (PYTHONPATH, cwd) is importable.
        arguments = ["--host", host, "--report", str(report), "--step-timeout", str(STEP_TIMEOUT)]
        return [str(python), "-I", str(SCRIPT), *arguments]

    result = run_against_fake(command)
    result.report.setdefault("expected_version", request.param)
    return result


def step(run: ConformanceRun, name: str) -> Any:
    outcome = run.report.get("steps", {}).get(name)
    assert outcome is not None, f"step {name} did not run\n{run.describe()}"
    assert outcome["ok"], (
        f"step {name} failed: {outcome.get('error')}\n{outcome.get('traceback', '')}"
    )
    return outcome["result"]


def test_runs_the_official_sdk(run: ConformanceRun) -> None:
    version = run.report.get("expected_version")
    assert run.returncode == 0, run.describe()
    assert run.report.get("sdk_version") == version, run.describe()
    sdk_file = Path(run.report["sdk_file"]).resolve()
    assert sdk_file.is_relative_to(CACHE.resolve() / f"python-{version}"), sdk_file
    assert run.report.get("close", {}).get("ok"), run.report.get("close")


def test_official_client_reported_no_problem(run: ConformanceRun) -> None:
    assert run.report.get("problems") == [], json.dumps(run.report.get("problems"), indent=1)


def test_server_sent_no_communication_warning(run: ConformanceRun) -> None:
    assert run.server_warnings == []


def test_client_sent_no_communication_warning(run: ConformanceRun) -> None:
    assert run.client_warnings == []
    assert run.server_client_warnings == []


def check_list_downloaded(result: Any) -> None:
    assert result["all"] == ALL_KEYS
    assert result["llm"] == LLM_KEYS
    assert result["embedding"] == EMBEDDING_KEYS
    assert result["types"] == ["embedding", "llm"]


def check_list_loaded(result: Any) -> None:
    assert result["llm"] == LOADED_LLMS
    assert result["embedding"] == LOADED_EMBEDDINGS
    assert result["all"] == sorted(LOADED_LLMS + LOADED_EMBEDDINGS)


def check_model(result: Any) -> None:
    assert result["any"] in LOADED_LLMS
    assert result["chat"] == CHAT_MODEL
    info = result["chat_info"]
    assert info["model_key"] == CHAT_MODEL
    assert info["identifier"] == CHAT_MODEL
    assert info["vision"] is False
    assert info["trained_for_tool_use"] is False
    assert 1 <= info["context_length"] <= BY_KEY[CHAT_MODEL]["maxContextLength"]
    assert result["embedding"] == EMBED_MODEL


def check_prediction(result: Any, model_key: str = CHAT_MODEL) -> None:
    assert result["content"] == expected_reply(result["prompt"])
    assert result["stop_reason"] == "eosFound"
    assert result["model_key"] == model_key
    assert result["structured"] is False


def check_respond_stream(result: Any) -> None:
    check_prediction(result)
    assert result["fragments"] == split_tokens(expected_reply(result["prompt"]))


def check_structured(result: Any) -> None:
    expected = expected_structured(result["schema"])
    assert result["structured"] is True
    assert result["parsed"] == expected
    assert json.loads(result["content"]) == expected
    assert isinstance(expected["title"], str) and isinstance(expected["year"], int)


def check_act(result: Any) -> None:
    assert result["tool_calls"] == [{"a": 1, "b": 2}]
    assert result["rounds"] == 2
    roles = [m["role"] for m in result["messages"]]
    assert roles == ["assistant", "tool", "assistant"]
    final = result["messages"][-1]["content"]
    texts = [part.get("text") for part in final if part.get("type") == "text"]
    assert texts == [expected_tool_result_reply(["3"])]


def check_act_agent(result: Any) -> None:
    assert result["rounds"] == 4
    events = result["events"]
    kinds = [e[0] for e in events]
    compact = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    tool_round = ["round_start", "progress", "prediction_completed", "message", "round_end"]
    answer_round = [
        "round_start",
        "progress",
        "first_token",
        "fragment",
        "prediction_completed",
        "message",
        "round_end",
    ]
    assert compact == tool_round * 3 + answer_round
    assert [e[1] for e in events if e[0] == "round_start"] == [0, 1, 2, 3]
    assert [e[1] for e in events if e[0] == "message"] == ["assistant", "tool"] * 3 + ["assistant"]
    error = json.dumps("Unhandled Python exception: ZeroDivisionError('division by zero')")
    final = [e for e in events if e[0] == "prediction_completed"][-1]
    assert final[1:] == [3, expected_tool_result_reply([error])]
    fragments = [e for e in events if e[0] == "fragment"]
    assert {e[2] for e in fragments} == {3}
    assert "".join(e[1] for e in fragments) == final[2]


def check_embed(result: Any) -> None:
    assert result["dimension"] == EMBEDDING_DIMENSIONS
    assert result["many_dimensions"] == [EMBEDDING_DIMENSIONS] * 2
    assert result["deterministic"] and result["distinct"] and result["all_numbers"]
    assert_close_vector(result["vector"], embed_text(result["text"], EMBEDDING_DIMENSIONS))


def check_tokenize(result: Any) -> None:
    assert result["tokens"] == tokenize(result["text"])
    assert result["many"] == [tokenize("one"), tokenize("two words")]
    # An embedding model adds its start and end markers: two tokens more than countTokens.
    assert result["embedding_tokens"] == tokenize("hello embedding", embedding=True)
    assert len(result["embedding_tokens"]) == count_tokens("hello embedding") + 2


def check_count_tokens(result: Any) -> None:
    assert result["count"] == count_tokens(result["text"]) == result["tokenize_length"]
    assert result["embedding_count"] == count_tokens(result["text"])


def check_context_length(result: Any) -> None:
    assert result["llm"] == result["llm_info"]
    assert 1 <= result["llm"] <= BY_KEY[CHAT_MODEL]["maxContextLength"]
    assert 1 <= result["embedding"] <= BY_KEY[EMBED_MODEL]["maxContextLength"]


def check_load_unload(result: Any) -> None:
    assert result["identifier"] == EXTRA_IDENTIFIER
    assert result["model_key"] == CHAT_MODEL
    assert result["progress"] and result["progress"][-1] == 1.0
    assert EXTRA_IDENTIFIER not in result["before"]
    assert result["during"] == sorted([*result["before"], EXTRA_IDENTIFIER])
    assert result["after"] == result["before"]


def check_prepare_image(result: Any) -> None:
    handle = result["handle"]
    assert handle["file_type"] == "image"
    assert handle["name"] == "red.png"
    assert handle["size_bytes"] == result["image_bytes"]
    assert handle["identifier"]
    assert result["content"] == expected_reply(result["prompt"], images=["red.png"])
    assert result["model_key"] == "fake/vision"


def check_repository(result: Any) -> None:
    assert result["search"], "searchModels found nothing for 'fake'"
    assert result["options"], "no download options"
    assert result["finalized"]
    assert result["progress_updates"] >= 1
    assert result["downloaded_key"] in result["after"]


def check_cancel(result: Any) -> None:
    assert result["stop_reason"] == "userStopped"
    full = expected_reply(result["prompt"])
    assert 1 <= result["fragments_seen"] < len(split_tokens(full))
    assert result["content"] and full.startswith(result["content"])


def check_async_concurrent(result: Any) -> None:
    expected = [expected_reply(p) for p in result["prompts"]]
    assert result["contents"] == expected
    assert result["streamed"] == expected
    # Earlier steps loaded models just in time, so only the start-up ones are certain.
    assert set(LOADED_LLMS) <= set(result["loaded"]) <= set(LLM_KEYS)
    assert result["embedding_dimensions"] == [EMBEDDING_DIMENSIONS] * 2


def check_reasoning(result: Any) -> None:
    prompt = result["prompt"]
    reasoning = f"<think>{expected_reasoning(prompt)}</think>"
    assert result["content"] == reasoning + expected_reply(prompt)
    assert result["stop_reason"] == "eosFound"
    assert result["model_key"] == "fake/reasoning"


def check_config(result: Any) -> None:
    reply = expected_reply(result["prompt"], temperature=result["temperature"])
    assert result["content"] == "".join(split_tokens(reply)[: result["max_tokens"]])
    assert result["stop_reason"] == "maxPredictedTokensReached"
    assert result["echoed_temperature"] == result["temperature"]
    assert result["echoed_max_tokens"] == result["max_tokens"]
    assert 1 <= result["loaded_context_length"] <= BY_KEY[CHAT_MODEL]["maxContextLength"]


def check_prompt_template(result: Any) -> None:
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "You are terse."}]},
        {"role": "user", "content": [{"type": "text", "text": "Format me"}]},
    ]
    assert result["formatted"] == render_prompt(messages)


def check_load_config(result: Any) -> None:
    assert result["llm_context_length"] == result["llm_context_length_rpc"]
    assert 1 <= result["embedding_context_length"] <= BY_KEY[EMBED_MODEL]["maxContextLength"]
    assert result["embedding_info_key"] == EMBED_MODEL


def check_errors(result: Any) -> None:
    raised = {name: outcome["raised"] for name, outcome in result.items() if name != "still_works"}
    assert raised == {
        "unknown_model": "LMStudioModelNotFoundError",
        "unknown_instance_info": "LMStudioModelNotFoundError",
        "unload_unknown": "LMStudioModelNotFoundError",
        "unknown_preset": "LMStudioPresetNotFoundError",
        "image_to_text_model": "LMStudioServerError",
    }
    assert "generic.noModelMatchingQuery" in result["unknown_model"]["message"]
    assert "generic.noModelMatchingQuery" in result["unload_unknown"]["message"]
    assert "no-such-instance" in result["unload_unknown"]["message"]
    assert result["still_works"] == expected_reply("still there?")


def check_callbacks(result: Any) -> None:
    check_prediction(result)
    assert result["progress"][0] == 0.0 and result["progress"][-1] == 1.0
    assert result["progress"] == sorted(result["progress"])
    assert result["first_token_calls"] == 1
    assert result["fragments"] == split_tokens(expected_reply(result["prompt"]))
    assert result["messages"] == ["assistant"]


def check_gbnf(result: Any) -> None:
    assert result["content"] == shortest_text(result["grammar"])
    assert result["stop_reason"] == "eosFound"


def check_embedding_load_unload(result: Any) -> None:
    assert result["identifier"] == "conformance-embed"
    assert result["dimension"] == EMBEDDING_DIMENSIONS
    assert result["during"] == sorted([*result["before"], "conformance-embed"])
    assert result["after"] == result["before"] == LOADED_EMBEDDINGS


def check_draft(result: Any) -> None:
    check_prediction(result)
    drafted = result["drafted"]
    assert len(drafted) == len(split_tokens(expected_reply(result["prompt"])))
    assert any(drafted) and not all(drafted)
    assert result["used_draft_model_key"] == "fake/reasoning"
    assert result["accepted_draft_tokens_count"] == sum(drafted)


def check_query_jit(result: Any) -> None:
    # A publisher/name query (a path prefix) loads the model under its key.
    assert result["tools_identifier"] == "fake/tools"
    assert result["tools_model_key"] == "fake/tools"
    assert result["embed_identifier"] == EMBED_MODEL
    # An embedding model's tokenize adds start and end markers.
    assert result["tokens"] == tokenize(result["text"], embedding=True)
    assert len(result["tokens"]) == result["count"] + 2
    # The JIT LLM evicted the JIT embedding model: queries to it find no model.
    assert result["embeddings_while_jit"] == [EMBED_MODEL]
    assert result["embeddings_after"] == []
    assert result["llms_after"] == sorted([CHAT_MODEL, "fake/reasoning"])
    assert result["evicted"]["raised"] == "LMStudioModelNotFoundError", result["evicted"]
    assert result["restored"] == LOADED_EMBEDDINGS


CHECKS: dict[str, Callable[[Any], None]] = {
    "list_downloaded": check_list_downloaded,
    "list_loaded": check_list_loaded,
    "model": check_model,
    "respond": check_prediction,
    "respond_stream": check_respond_stream,
    "complete": check_prediction,
    "structured": check_structured,
    "act": check_act,
    "act_agent": check_act_agent,
    "embed": check_embed,
    "tokenize": check_tokenize,
    "count_tokens": check_count_tokens,
    "context_length": check_context_length,
    "load_unload": check_load_unload,
    "prepare_image": check_prepare_image,
    "repository": check_repository,
    "cancel": check_cancel,
    "reasoning": check_reasoning,
    "config": check_config,
    "prompt_template": check_prompt_template,
    "load_config": check_load_config,
    "errors": check_errors,
    "callbacks": check_callbacks,
    "gbnf": check_gbnf,
    "embedding_load_unload": check_embedding_load_unload,
    "draft": check_draft,
    "query_jit": check_query_jit,
    "async_concurrent": check_async_concurrent,
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_step(run: ConformanceRun, name: str) -> None:
    CHECKS[name](step(run, name))


def test_cancel_went_over_the_wire(run: ConformanceRun) -> None:
    cancels = [
        message
        for namespace, message in run.received
        if namespace == "llm"
        and message.get("type") == "channelSend"
        and message.get("message", {}).get("type") == "cancel"
    ]
    assert len(cancels) == 1, cancels
