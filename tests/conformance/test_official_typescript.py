"""LM Studio's official TypeScript SDK (npm ``@lmstudio/sdk`` 2.0.0 and 1.5.0) against the fake.

Those clients validate every server message with zod: a mismatch makes them log a
warning, send the server a ``communicationWarning`` and leave the call hanging. Each
version runs ``node/official_client.cjs`` once against a fresh ``FakeLMStudio`` (every
step with its own timeout); every step is one test here, and a run passes only with no
warn/error logged by the client and no ``communicationWarning`` in either direction.
2.0.0 judges the current (2026) protocol, 1.5.0 the August 2025 one.
"""

from __future__ import annotations

import json
import re
import shutil
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
from .harness import NODE_SDK_VERSIONS, STEP_TIMEOUT, ConformanceRun, run_against_fake

# A cold first run installs the SDKs with npm ci inside the first test's setup.
pytestmark = pytest.mark.timeout(600)

SCRIPT = Path(__file__).resolve().parent / "node" / "official_client.cjs"
EXTRA_IDENTIFIER = "conformance-extra-ts"


@pytest.fixture(scope="module", params=NODE_SDK_VERSIONS)
def run(request: pytest.FixtureRequest, official_node_modules: Path) -> ConformanceRun:
    node = shutil.which("node")
    assert node is not None  # official_node_modules fails the test without Node.js
    sdk = official_node_modules / f"sdk-{request.param}"

    def command(host: str, report: Path) -> list[str]:
        arguments = ["--host", host, "--report", str(report), "--step-timeout", str(STEP_TIMEOUT)]
        return [node, str(SCRIPT), "--sdk", str(sdk), *arguments]

    result = run_against_fake(command)
    result.report.setdefault("expected_version", request.param)
    return result


def step(run: ConformanceRun, name: str) -> Any:
    outcome = run.report.get("steps", {}).get(name)
    assert outcome is not None, f"step {name} did not run\n{run.describe()}"
    assert outcome["ok"], f"step {name} failed: {outcome.get('error')}\n{outcome.get('stack', '')}"
    return outcome["result"]


def test_runs_the_official_sdk(run: ConformanceRun) -> None:
    assert run.returncode == 0, run.describe()
    assert "fatal" not in run.report, run.report.get("fatal")
    assert run.report.get("sdkVersion") == run.report.get("expected_version"), run.describe()


def test_official_client_reported_no_problem(run: ConformanceRun) -> None:
    assert run.report.get("problems") == [], json.dumps(run.report.get("problems"), indent=1)


def test_server_sent_no_communication_warning(run: ConformanceRun) -> None:
    assert run.server_warnings == []


def test_client_sent_no_communication_warning(run: ConformanceRun) -> None:
    assert run.client_warnings == []
    assert run.server_client_warnings == []


def check_version(result: Any) -> None:
    assert isinstance(result["version"], str) and result["version"]
    assert isinstance(result["build"], int)


def check_list_loaded(result: Any) -> None:
    assert result["llm"] == LOADED_LLMS
    assert result["embedding"] == LOADED_EMBEDDINGS


def check_list_downloaded(result: Any) -> None:
    assert result["all"] == ALL_KEYS
    assert result["llm"] == LLM_KEYS
    assert result["embedding"] == EMBEDDING_KEYS
    assert result["types"] == ["embedding", "llm"]


def check_model(result: Any) -> None:
    assert result["any"] in LOADED_LLMS
    assert result["chat"] == CHAT_MODEL
    assert result["chatInfo"]["modelKey"] == CHAT_MODEL
    assert result["chatInfo"]["identifier"] == CHAT_MODEL
    assert result["chatInfo"]["vision"] is False
    assert 1 <= result["chatInfo"]["contextLength"] <= BY_KEY[CHAT_MODEL]["maxContextLength"]
    assert result["embedding"] == EMBED_MODEL


def check_prediction(result: Any, model_key: str = CHAT_MODEL) -> None:
    assert result["content"] == expected_reply(result["prompt"])
    assert result["stopReason"] == "eosFound"
    assert result["modelKey"] == model_key


def check_stream(result: Any) -> None:
    check_prediction(result)
    assert result["fragments"] == split_tokens(expected_reply(result["prompt"]))


def check_structured(result: Any) -> None:
    assert result["parsed"] == expected_structured(result["schema"])
    assert result["stopReason"] == "eosFound"


def check_act(result: Any) -> None:
    assert result["toolCalls"] == [{"a": 1, "b": 2}]
    assert result["rounds"] == 2


def check_act_agent(result: Any) -> None:
    assert result["rounds"] == 3
    events = result["events"]
    kinds = [e[0] for e in events]
    assert kinds.count("round_start") == kinds.count("round_end") == 3
    assert [e[1:] for e in events if e[0] == "request_end"] == [
        [0, {"a": 1, "b": 2}],
        [1, {"a": 3, "b": 4}],
    ]
    assert [e[1:] for e in events if e[0] == "name"] == [[0, "add"], [1, "multiply"]]
    assert [e[1] for e in events if e[0] == "message"] == [
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    completed = [e[1] for e in events if e[0] == "prediction_completed"]
    assert completed[-1] == expected_tool_result_reply(["12"])
    if not result["sdkVersion"].startswith("1."):  # 2.0: guardToolCall, onToolCallResult
        assert result["guarded"] == ["add", "multiply"]
        assert [e[1:] for e in events if e[0] == "result"] == [[0, "3"], [1, "12"]]
    # The TypeScript SDK fails the act when a tool throws (ours tells the model).
    assert result["thrown"] is not None and "division by zero" in result["thrown"]


def check_embed(result: Any) -> None:
    assert result["dimension"] == EMBEDDING_DIMENSIONS
    assert result["manyDimensions"] == [EMBEDDING_DIMENSIONS] * 2
    assert result["distinct"] and result["allNumbers"]
    assert_close_vector(result["vector"], embed_text(result["text"], EMBEDDING_DIMENSIONS))


def check_tokenize(result: Any) -> None:
    assert result["tokens"] == tokenize(result["text"])
    assert result["count"] == count_tokens(result["text"])
    # An embedding model adds its start and end markers: two tokens more than countTokens.
    assert result["embeddingTokens"] == tokenize("hello embedding", embedding=True)
    assert len(result["embeddingTokens"]) == result["embeddingCount"] + 2


def check_context_length(result: Any) -> None:
    assert 1 <= result["llm"] <= BY_KEY[CHAT_MODEL]["maxContextLength"]
    assert 1 <= result["embedding"] <= BY_KEY[EMBED_MODEL]["maxContextLength"]


def check_load_unload(result: Any) -> None:
    assert result["identifier"] == EXTRA_IDENTIFIER
    assert result["modelKey"] == CHAT_MODEL
    assert result["progress"] and result["progress"][-1] == 1
    assert EXTRA_IDENTIFIER not in result["before"]
    assert result["during"] == sorted([*result["before"], EXTRA_IDENTIFIER])
    assert result["after"] == result["before"]


def check_prepare_image(result: Any) -> None:
    assert result["handle"]["type"] == "image"
    assert result["handle"]["name"] == "red.png"
    assert result["handle"]["identifier"]
    assert result["content"] == expected_reply(result["prompt"], images=["red.png"])
    assert result["modelKey"] == "fake/vision"


def check_repository(result: Any) -> None:
    assert result["search"], "searchModels found nothing for 'fake'"
    assert result["options"], "no download options"
    assert result["downloadedKey"] in result["after"]


def check_cancel(result: Any) -> None:
    assert result["stopReason"] == "userStopped"
    full = expected_reply(result["prompt"])
    assert 1 <= result["fragmentsSeen"] < len(split_tokens(full))
    assert result["content"] and full.startswith(result["content"])


def check_concurrent(result: Any) -> None:
    assert result["contents"] == [expected_reply(p) for p in result["prompts"]]


def check_reasoning(result: Any) -> None:
    prompt = result["prompt"]
    assert result["reasoningContent"] == expected_reasoning(prompt)
    assert result["nonReasoningContent"] == expected_reply(prompt)
    assert (
        result["content"] == f"<think>{expected_reasoning(prompt)}</think>{expected_reply(prompt)}"
    )
    assert result["stopReason"] == "eosFound"
    assert result["modelKey"] == "fake/reasoning"


def check_config(result: Any) -> None:
    reply = expected_reply(result["prompt"], temperature=result["temperature"])
    assert result["content"] == "".join(split_tokens(reply)[: result["maxTokens"]])
    assert result["stopReason"] == "maxPredictedTokensReached"
    assert result["echoedTemperature"] == result["temperature"]
    assert result["echoedMaxTokens"] == {"checked": True, "value": result["maxTokens"]}
    assert 1 <= result["loadedContextLength"] <= BY_KEY[CHAT_MODEL]["maxContextLength"]


def check_prompt_template(result: Any) -> None:
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "You are terse."}]},
        {"role": "user", "content": [{"type": "text", "text": "Format me"}]},
    ]
    assert result["formatted"] == render_prompt(messages)


def check_load_config(result: Any) -> None:
    if not result["supported"]:
        pytest.skip("getLoadConfig is public API since @lmstudio/sdk 2.0.0")
    assert result["llmContextLength"] == result["llmContextLengthRpc"]
    assert 1 <= result["embeddingContextLength"] <= BY_KEY[EMBED_MODEL]["maxContextLength"]


def check_errors(result: Any) -> None:
    # The SDK builds these friendly messages only from a displayData that its zod schema
    # accepts: the loaded-model list and the query come from there, not from the title.
    unknown = result["unknownModel"]
    assert unknown["rejected"] and unknown["title"], unknown
    assert "no/such-model" in unknown["message"] and "fake/chat" in unknown["message"]
    unload = result["unloadUnknown"]
    assert unload["rejected"] and "no-such-instance" in unload["message"], unload
    assert "fake/chat" in unload["message"]
    preset = result["unknownPreset"]
    assert preset["rejected"] and "no-such-preset" in preset["message"], preset
    assert "presets" in preset["message"]
    image = result["imageToTextModel"]
    assert image["rejected"] and "vision" in image["message"], image
    assert result["stillWorks"] == expected_reply("still there?")


def check_callbacks(result: Any) -> None:
    check_prediction(result)
    assert result["progress"][0] == 0 and result["progress"][-1] == 1
    assert result["progress"] == sorted(result["progress"])
    assert result["firstTokenCalls"] == 1
    assert result["fragments"] == split_tokens(expected_reply(result["prompt"]))


def check_gbnf(result: Any) -> None:
    assert result["content"] == shortest_text(result["grammar"])
    assert result["stopReason"] == "eosFound"


def check_embedding_load_unload(result: Any) -> None:
    assert result["identifier"] == "conformance-embed-ts"
    assert result["dimension"] == EMBEDDING_DIMENSIONS
    assert result["during"] == sorted([*result["before"], "conformance-embed-ts"])
    assert result["after"] == result["before"] == LOADED_EMBEDDINGS


def check_draft(result: Any) -> None:
    check_prediction(result)
    drafted = result["drafted"]
    assert len(drafted) == len(split_tokens(expected_reply(result["prompt"])))
    assert any(drafted) and not all(drafted)
    assert result["usedDraftModelKey"] == "fake/reasoning"
    assert result["acceptedDraftTokensCount"] == sum(drafted)


def check_system(result: Any) -> None:
    assert "conformance-flag" in result["flags"]
    assert "llm.prediction.input" in result["logTypes"]
    if "variants" in result:  # the 2.0.0 API
        assert result["variants"] == [CHAT_MODEL]
        assert isinstance(result["processingState"]["status"], str)
        assert "temperature" in result["basePredictionConfigKeys"]


def check_query_jit(result: Any) -> None:
    # A publisher/name query (a path prefix) loads the model under its key.
    assert result["toolsIdentifier"] == "fake/tools"
    assert result["toolsModelKey"] == "fake/tools"
    assert result["embedIdentifier"] == EMBED_MODEL
    # An embedding model's tokenize adds start and end markers.
    assert result["tokens"] == tokenize(result["text"], embedding=True)
    assert len(result["tokens"]) == result["count"] + 2
    # The JIT LLM evicted the JIT embedding model: queries to it find no model.
    assert result["embeddingsWhileJit"] == [EMBED_MODEL]
    assert result["embeddingsAfter"] == []
    assert result["llmsAfter"] == sorted([CHAT_MODEL, "fake/reasoning"])
    evicted = result["evicted"]
    assert evicted["rejected"] and EMBED_MODEL in evicted["message"], evicted
    assert result["restored"] == LOADED_EMBEDDINGS


SURFACE_ERRORS: dict[str, str] = {}


def check_surface(result: Any) -> None:
    if not result["supported"]:
        pytest.skip("the 2026 endpoints are called by @lmstudio/sdk 2.0.0")
    unanswered = {
        name: outcome for name, outcome in result["outcomes"].items() if not outcome["answered"]
    }
    assert not unanswered, unanswered
    # A call reaches the fake, which answers a result or its "not implemented" error
    # (README: Strictness), never a judgement: the run's warning checks prove that.
    # Or the error LM Studio gives for the fake's state (logged out of the hub).
    for name, outcome in result["outcomes"].items():
        message = outcome.get("message", "")
        expected = SURFACE_ERRORS.get(name, "not implemented by the fake server")
        assert outcome["ok"] or expected in message, (name, message)
    # What LM Studio's own client made of the 2026 endpoints' answers.
    for name, check in SURFACE_VALUES.items():
        outcome = result["outcomes"][name]
        assert outcome["ok"], (name, outcome)
        check(outcome["value"])


def _check_info(info: Any) -> None:
    assert isinstance(info["pid"], int) and info["pid"] > 0
    assert isinstance(info["isDaemon"], bool)
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["version"]), info


def _check_estimate(key: str) -> Callable[[Any], None]:
    def check(usage: Any) -> None:
        memory = usage["memory"]
        assert usage["passesGuardrails"] is True
        assert memory["confidence"] in ("high", "medium", "low")
        assert memory["modelBytes"] == int(BY_KEY[key]["sizeBytes"])
        assert memory["totalBytes"] == memory["modelBytes"] + memory["contextBytes"]
        assert memory["totalVramBytes"] == memory["modelVramBytes"] + memory["contextVramBytes"]
        assert memory["contextBytes"] > 0

    return check


def _check_link(status: Any) -> None:
    assert status["status"] == "online" and status["issues"] == []
    peers = {p["deviceIdentifier"]: p for p in status["peers"]}
    assert "fake-device-1" in peers and status["deviceIdentifier"] not in peers
    assert {p["status"] for p in status["peers"]} <= {"connected", "disconnected"}


def _check_engines(engines: Any) -> None:
    pairs = {(e["name"], e["version"]) for e in engines}
    assert ("llama.cpp-linux-x86_64-avx2", "1.50.2") in pairs
    assert all("GGUF" in e["supportedModelFormatNames"] for e in engines if "llama" in e["name"])


def _check_survey(survey: Any) -> None:
    assert survey["status"] == "ok" and survey["engines"]
    for engine in survey["engines"]:
        assert engine["compatibility"]["status"] in ("compatible", "incompatible")
        assert "gpuSurveyResult" in engine["hardwareSurvey"]


def _check_plan(plan: Any) -> None:
    (node,) = plan["nodes"]  # a Hugging Face source: the model node alone
    assert node["type"] == "model" and node["state"] == "satisfied"
    options = node["downloadOptions"]
    assert [o["quantName"] for o in options] == ["Q4_K_M", "Q8_0"]
    assert node["recommendedDownloadOptionIndex"] == 0
    if "alreadyOwned" in node:  # the repository step downloaded it: nothing to download
        assert node["alreadyOwned"]["modelKey"] == "fake/hub-chat-3b"
        assert node["selectedDownloadOptionIndex"] is None
        assert (plan["downloadSizeBytes"], plan["downloadAction"]) == (0, "none")
    else:
        assert node["selectedDownloadOptionIndex"] == 0
        assert plan["downloadSizeBytes"] == options[0]["sizeBytes"]
        assert plan["downloadAction"] == "startNewDownload"


def _equals(expected: Any) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        assert value == expected

    return check


SURFACE_VALUES: dict[str, Callable[[Any], None]] = {
    "system/info": _check_info,
    "llm/estimateModelUsage": _check_estimate("fake/tools"),
    "embedding/estimateModelUsage": _check_estimate(EMBED_MODEL),
    "llm/getInstanceProcessingState": _equals({"status": "idle", "queued": 0}),
    "embedding/getInstanceProcessingState": _equals({"status": "idle", "queued": 0}),
    "embedding/getBasePredictionConfig": _equals(512),  # getEvalBatchSize() (a load config key)
    "repository/lmLinkStatus": _check_link,
    "runtime/listEngines": _check_engines,
    "runtime/getEngineSelections": lambda selections: _equals(
        {"GGUF": {"name": "llama.cpp-linux-x86_64-nvidia-cuda12-avx2", "version": "1.50.2"}}
    )({k: {"name": v["name"], "version": v["version"]} for k, v in selections.items()}),
    "runtime/surveyHardware": _check_survey,
    "runtime/surveyHardware(all)": _check_survey,
    "repository/getAuthenticationStatus": _equals({"type": "none"}),
    "repository/isAuthenticated": _equals(False),
    "repository/loginAsComputeDevice": _equals(
        {"type": "computeDevice", "ownerUsername": "org-conformance", "ownerIsOrganization": True}
    ),
    "repository/loginWithPreAuthenticatedKeys": _equals({"userName": "fake-user"}),
    "repository/getWritableArtifactOwners": _equals(["fake-user"]),
    "repository/pushArtifact": _equals(
        [
            "Packing 1 files",
            "Uploading fake-user/conformance-plugin",
            "Published fake-user/conformance-plugin revision 1",
        ]
    ),
    "repository/downloadArtifact": lambda got: (
        _equals(["manifest.json", "src"])(got["files"]),
        _equals(got["progress"][-1]["totalBytes"])(got["progress"][-1]["downloadedBytes"]),
    ),
    "repository/createDownloadPlan": _check_plan,
}


# Endpoints outside plugins that no public method of @lmstudio/sdk 2.0.0 calls, or that
# this suite does not call, and why.
NOT_CALLED = {
    "embedding/getBasePredictionConfig": "no public method of the TypeScript SDK calls it",
}


def test_every_endpoint_outside_plugins_was_called(run: ConformanceRun) -> None:
    if not str(run.report.get("sdkVersion", "")).startswith("2."):
        pytest.skip("@lmstudio/sdk 1.5.0 predates half of the 2026 endpoints")
    from lmstudio._protocol.endpoints import endpoints

    expected = {
        f"{namespace}/{name}"
        for namespace, table in endpoints(strict=True).items()
        if namespace != "plugins"
        for name in table
    }
    called = {
        f"{namespace}/{message.get('endpoint')}"
        for namespace, message in run.received
        if message.get("type") in ("rpcCall", "channelCreate")
    }
    assert sorted(expected - called - set(NOT_CALLED)) == []
    assert set(NOT_CALLED) <= expected


CHECKS: dict[str, Callable[[Any], None]] = {
    "version": check_version,
    "list_loaded": check_list_loaded,
    "list_downloaded": check_list_downloaded,
    "model": check_model,
    "respond": check_prediction,
    "stream": check_stream,
    "complete": check_prediction,
    "structured": check_structured,
    "act": check_act,
    "act_agent": check_act_agent,
    "embed": check_embed,
    "tokenize": check_tokenize,
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
    "system": check_system,
    "concurrent": check_concurrent,
    "surface": check_surface,
    "query_jit": check_query_jit,
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_step(run: ConformanceRun, name: str) -> None:
    CHECKS[name](step(run, name))


def test_notification_reached_the_server(run: ConformanceRun) -> None:
    titles = [n.get("title") for n in run.notifications]
    assert titles == ["Conformance"], run.notifications


def test_cancel_went_over_the_wire(run: ConformanceRun) -> None:
    cancels = [
        message
        for namespace, message in run.received
        if namespace == "llm"
        and message.get("type") == "channelSend"
        and message.get("message", {}).get("type") == "cancel"
    ]
    assert len(cancels) == 1, cancels
