"""Drive LM Studio's official Python SDK (PyPI ``lmstudio``) against a server, step by step.

Run ONLY with the interpreter of a virtual environment holding the official SDK, from a
directory outside this repository and in isolated mode (``python -I``): the official SDK
shares the import name ``lmstudio`` with this project, and this script must load theirs.

    python -I official_client.py --host 127.0.0.1:PORT --report report.json

Each step runs with its own timeout and records its results; everything the official
client reports as a problem (log records at WARNING or above from any logger, and every
Python warning, ``LMStudioUnknownMessageWarning`` among them) is recorded too. The JSON
report is judged by ``tests/conformance/test_official_python.py``; this script asserts
nothing beyond what a step needs to go on.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import json
import logging
import os
import struct
import sys
import threading
import time
import traceback
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Loaded dynamically so that type checkers of this repository do not confuse the official
# SDK with ours: nothing here may resolve to this repository's ``lmstudio``.
lms: Any = importlib.import_module("lmstudio")

PROBLEMS: list[dict[str, Any]] = []
PROBLEMS_LOCK = threading.Lock()
CURRENT_STEP = "startup"


class _RecordProblems(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is still a problem worth seeing
            message = repr(record.msg)
        with PROBLEMS_LOCK:
            PROBLEMS.append(
                {
                    "kind": "log",
                    "step": CURRENT_STEP,
                    "logger": record.name,
                    "level": record.levelname,
                    "message": message[:2000],
                }
            )


def _record_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    with PROBLEMS_LOCK:
        PROBLEMS.append(
            {
                "kind": "warning",
                "step": CURRENT_STEP,
                "category": f"{category.__module__}.{category.__qualname__}",
                "message": str(message)[:2000],
                "where": f"{filename}:{lineno}",
            }
        )


def install_recorders() -> None:
    root = logging.getLogger()
    root.addHandler(_RecordProblems(level=logging.WARNING))
    root.setLevel(logging.WARNING)
    # Loggers of the SDK that stop propagation would hide their records from the root.
    for name in ("lmstudio", "httpx", "httpx_ws", "asyncio"):
        logger = logging.getLogger(name)
        if not logger.propagate:
            logger.addHandler(_RecordProblems(level=logging.WARNING))
    warnings.simplefilter("always")
    warnings.showwarning = _record_warning


def tiny_png() -> bytes:
    """A valid 2x2 red PNG, made here so the suite ships no binary file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


# -- steps: each takes the sync client and returns JSON-able results ------------------------

CHAT_MODEL = "fake/chat"
TOOLS_MODEL = "fake/tools"
VISION_MODEL = "fake/vision"
REASONING_MODEL = "fake/reasoning"
EMBED_MODEL = "fake/embed"
EXTRA_IDENTIFIER = "conformance-extra"


def step_list_downloaded(client: Any) -> dict[str, Any]:
    everything = client.list_downloaded_models()
    llms = client.llm.list_downloaded()
    embeddings = client.embedding.list_downloaded()
    return {
        "all": sorted(m.model_key for m in everything),
        "llm": sorted(m.model_key for m in llms),
        "embedding": sorted(m.model_key for m in embeddings),
        "types": sorted({m.type for m in everything}),
    }


def step_list_loaded(client: Any) -> dict[str, Any]:
    return {
        "llm": sorted(m.identifier for m in client.llm.list_loaded()),
        "embedding": sorted(m.identifier for m in client.embedding.list_loaded()),
        "all": sorted(m.identifier for m in client.list_loaded_models()),
    }


def step_model(client: Any) -> dict[str, Any]:
    any_model = client.llm.model()
    chat = client.llm.model(CHAT_MODEL)
    info = chat.get_info()
    embedding = client.embedding.model(EMBED_MODEL)
    return {
        "any": any_model.identifier,
        "chat": chat.identifier,
        "chat_info": {
            "model_key": info.model_key,
            "identifier": info.identifier,
            "vision": info.vision,
            "trained_for_tool_use": info.trained_for_tool_use,
            "context_length": info.context_length,
        },
        "embedding": embedding.identifier,
    }


PROMPTS = {
    "respond": "Say hello to the conformance suite",
    "respond_stream": "Stream these words one by one please",
    "complete": "Once upon a time",
    "structured": "Give me a book as JSON",
    "image": "What colour is this image?",
    "reasoning": "Why is the sky blue",
    "config": "Answer with a configured temperature",
    "callbacks": "Call me back for every fragment",
    "draft": "Speculate on these words for me",
}
GRAMMAR = 'root ::= "yes" | "no" | "maybe"'


def _result(result: Any) -> dict[str, Any]:
    return {
        "content": result.content,
        "stop_reason": result.stats.stop_reason,
        "model_key": result.model_info.model_key,
        "structured": result.structured,
    }


def step_respond(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    return {"prompt": PROMPTS["respond"], **_result(model.respond(PROMPTS["respond"]))}


def step_respond_stream(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    stream = model.respond_stream(PROMPTS["respond_stream"])
    fragments = [fragment.content for fragment in stream]
    return {
        "prompt": PROMPTS["respond_stream"],
        "fragments": fragments,
        **_result(stream.result()),
    }


def step_complete(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    return {"prompt": PROMPTS["complete"], **_result(model.complete(PROMPTS["complete"]))}


BOOK_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
    "required": ["title", "year"],
}


def step_structured(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    result = model.respond(PROMPTS["structured"], response_format=BOOK_SCHEMA)
    return {
        "prompt": PROMPTS["structured"],
        "schema": BOOK_SCHEMA,
        "parsed": result.parsed,
        **_result(result),
    }


def step_act(client: Any) -> dict[str, Any]:
    model = client.llm.model(TOOLS_MODEL)
    chat = lms.Chat("You are a calculator.")
    chat.add_user_message("What is 1 + 2? Use the add tool.")
    messages: list[Any] = []
    calls: list[dict[str, Any]] = []

    def on_message(message: Any) -> None:
        messages.append(message)
        chat.append(message)

    def traced_add(a: int, b: int) -> int:
        """Add two integers."""
        calls.append({"a": a, "b": b})
        return add(a, b)

    traced_add.__name__ = "add"
    result = model.act(chat, [traced_add], on_message=on_message, max_prediction_rounds=5)
    return {
        "rounds": result.rounds,
        "tool_calls": calls,
        "messages": [
            {"role": m.role, "content": json.loads(json.dumps(m.to_dict()["content"], default=str))}
            for m in messages
        ],
    }


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def divide(a: int, b: int) -> float:
    """Divide a by b."""
    return a / b


def step_act_agent(client: Any) -> dict[str, Any]:
    """Several rounds, every act callback, and a tool that raises."""
    model = client.llm.model(TOOLS_MODEL)
    events: list[list[Any]] = []

    def record(name: str) -> Callable[..., None]:
        def callback(*args: Any) -> None:
            events.append([name, *(a if isinstance(a, int | float | str) else None for a in args)])

        return callback

    def on_message(message: Any) -> None:
        events.append(["message", message.role])

    def on_prediction_completed(result: Any) -> None:
        events.append(["prediction_completed", result.round_index, result.content])

    def on_fragment(fragment: Any, round_index: int) -> None:
        events.append(["fragment", fragment.content, round_index])

    result = model.act(
        "Add 1 and 2. Then multiply 3 and 4. Then divide 1 by 0.",
        [add, multiply, divide],
        max_prediction_rounds=6,
        on_message=on_message,
        on_first_token=record("first_token"),
        on_prediction_fragment=on_fragment,
        on_round_start=record("round_start"),
        on_round_end=record("round_end"),
        on_prediction_completed=on_prediction_completed,
        on_prompt_processing_progress=record("progress"),
    )
    return {"rounds": result.rounds, "events": events}


def step_embed(client: Any) -> dict[str, Any]:
    model = client.embedding.model(EMBED_MODEL)
    one = model.embed("hello world")
    many = model.embed(["first text", "second text"])
    again = model.embed("hello world")
    return {
        "text": "hello world",
        "vector": list(one),
        "dimension": len(one),
        "many_dimensions": [len(v) for v in many],
        "deterministic": list(one) == list(again),
        "distinct": list(many[0]) != list(many[1]),
        "all_numbers": all(isinstance(x, float) for x in one),
    }


def step_tokenize(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    tokens = model.tokenize("hello tokenizer world")
    many = model.tokenize(["one", "two words"])
    embed_tokens = client.embedding.model(EMBED_MODEL).tokenize("hello embedding")
    return {
        "text": "hello tokenizer world",
        "tokens": list(tokens),
        "many": [list(t) for t in many],
        "embedding_tokens": list(embed_tokens),
    }


def step_count_tokens(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    text = "hello tokenizer world"
    return {
        "text": text,
        "count": model.count_tokens(text),
        "tokenize_length": len(model.tokenize(text)),
        "embedding_count": client.embedding.model(EMBED_MODEL).count_tokens(text),
    }


def step_context_length(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    return {
        "llm": model.get_context_length(),
        "llm_info": model.get_info().context_length,
        "embedding": client.embedding.model(EMBED_MODEL).get_context_length(),
    }


def step_load_unload(client: Any) -> dict[str, Any]:
    before = sorted(m.identifier for m in client.llm.list_loaded())
    progress: list[float] = []
    handle = client.llm.load_new_instance(
        CHAT_MODEL, EXTRA_IDENTIFIER, on_load_progress=lambda p: progress.append(p)
    )
    during = sorted(m.identifier for m in client.llm.list_loaded())
    info = handle.get_info()
    client.llm.unload(EXTRA_IDENTIFIER)
    after = sorted(m.identifier for m in client.llm.list_loaded())
    return {
        "identifier": handle.identifier,
        "model_key": info.model_key,
        "progress": progress,
        "before": before,
        "during": during,
        "after": after,
    }


def step_prepare_image(client: Any) -> dict[str, Any]:
    image = tiny_png()
    handle = client.prepare_image(image, name="red.png")
    chat = lms.Chat()
    chat.add_user_message(PROMPTS["image"], images=[handle])
    result = client.llm.model(VISION_MODEL).respond(chat)
    return {
        "handle": {
            "identifier": handle.identifier,
            "name": handle.name,
            "size_bytes": handle.size_bytes,
            "file_type": handle.file_type,
        },
        "image_bytes": len(image),
        "prompt": PROMPTS["image"],
        **_result(result),
    }


def step_repository(client: Any) -> dict[str, Any]:
    before = sorted(m.model_key for m in client.list_downloaded_models())
    results = client.repository.search_models("fake", limit=5)
    if not results:
        return {"search": [], "before": before}
    found = results[0]
    options = found.get_download_options()
    progress: list[Any] = []
    finalized: list[bool] = []
    key = options[0].download(
        on_progress=lambda update: progress.append(update.downloaded_bytes),
        on_finalize=lambda: finalized.append(True),
    )
    after = sorted(m.model_key for m in client.list_downloaded_models())
    return {
        "search": [r.search_result.name for r in results],
        "options": [o.info.name for o in options],
        "downloaded_key": key,
        "progress_updates": len(progress),
        "finalized": bool(finalized),
        "before": before,
        "after": after,
    }


def step_reasoning(client: Any) -> dict[str, Any]:
    result = client.llm.model(REASONING_MODEL).respond(PROMPTS["reasoning"])
    return {"prompt": PROMPTS["reasoning"], **_result(result)}


def step_config(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    config = {"temperature": 0.5, "maxTokens": 3}
    result = model.respond(PROMPTS["config"], config=config)
    return {
        "prompt": PROMPTS["config"],
        "temperature": config["temperature"],
        "max_tokens": config["maxTokens"],
        "echoed_temperature": result.prediction_config.temperature,
        "echoed_max_tokens": result.prediction_config.max_tokens,
        "loaded_context_length": result.load_config.context_length,
        **_result(result),
    }


def step_prompt_template(client: Any) -> dict[str, Any]:
    chat = lms.Chat("You are terse.")
    chat.add_user_message("Format me")
    formatted = client.llm.model(CHAT_MODEL).apply_prompt_template(chat)
    return {"formatted": formatted}


def step_load_config(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    embedding = client.embedding.model(EMBED_MODEL)
    return {
        "llm_context_length": model.get_load_config().context_length,
        "llm_context_length_rpc": model.get_context_length(),
        "embedding_context_length": embedding.get_load_config().context_length,
        "embedding_info_key": embedding.get_info().model_key,
    }


def _error_of(fn: Callable[[], Any]) -> dict[str, Any]:
    try:
        fn()
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc)[:1000]}
    return {"raised": None}


def step_errors(client: Any) -> dict[str, Any]:
    chat_model = client.llm.model(CHAT_MODEL)

    def image_to_text_model() -> Any:
        chat = lms.Chat()
        chat.add_user_message("Describe", images=[client.prepare_image(tiny_png(), name="x.png")])
        return chat_model.respond(chat)

    return {
        "unknown_model": _error_of(lambda: client.llm.model("no/such-model")),
        "unknown_instance_info": _error_of(lambda: client.llm.get_model_info("no-such-instance")),
        "unload_unknown": _error_of(lambda: client.llm.unload("no-such-instance")),
        "unknown_preset": _error_of(lambda: chat_model.respond("hi", preset="no-such-preset")),
        "image_to_text_model": _error_of(image_to_text_model),
        "still_works": chat_model.respond("still there?").content,
    }


def step_callbacks(client: Any) -> dict[str, Any]:
    progress: list[float] = []
    first_token: list[bool] = []
    fragments: list[str] = []
    messages: list[str] = []
    result = client.llm.model(CHAT_MODEL).respond(
        PROMPTS["callbacks"],
        on_prompt_processing_progress=progress.append,
        on_first_token=lambda: first_token.append(True),
        on_prediction_fragment=lambda fragment: fragments.append(fragment.content),
        on_message=lambda message: messages.append(message.role),
    )
    return {
        "prompt": PROMPTS["callbacks"],
        "progress": progress,
        "first_token_calls": len(first_token),
        "fragments": fragments,
        "messages": messages,
        **_result(result),
    }


def step_gbnf(client: Any) -> dict[str, Any]:
    config = {"structured": {"type": "gbnf", "gbnfGrammar": GRAMMAR}}
    result = client.llm.model(CHAT_MODEL).respond("Yes or no?", config=config)
    return {"grammar": GRAMMAR, **_result(result)}


def step_embedding_load_unload(client: Any) -> dict[str, Any]:
    before = sorted(m.identifier for m in client.embedding.list_loaded())
    handle = client.embedding.load_new_instance(EMBED_MODEL, "conformance-embed")
    during = sorted(m.identifier for m in client.embedding.list_loaded())
    dimension = len(handle.embed("loaded twice"))
    handle.unload()
    after = sorted(m.identifier for m in client.embedding.list_loaded())
    return {
        "identifier": handle.identifier,
        "dimension": dimension,
        "before": before,
        "during": during,
        "after": after,
    }


def step_draft(client: Any) -> dict[str, Any]:
    drafted: list[bool] = []
    result = client.llm.model(CHAT_MODEL).respond(
        PROMPTS["draft"],
        config={"draftModel": REASONING_MODEL},
        on_prediction_fragment=lambda fragment: drafted.append(fragment.contains_drafted),
    )
    return {
        "prompt": PROMPTS["draft"],
        "drafted": drafted,
        "used_draft_model_key": result.stats.used_draft_model_key,
        "accepted_draft_tokens_count": result.stats.accepted_draft_tokens_count,
        **_result(result),
    }


CANCEL_PROMPT = "count to 100000"


def step_cancel(client: Any) -> dict[str, Any]:
    model = client.llm.model(CHAT_MODEL)
    stream = model.respond_stream(CANCEL_PROMPT)
    seen: list[str] = []
    for fragment in stream:
        seen.append(fragment.content)
        if len(seen) == 1:
            stream.cancel()
    result = stream.result()
    return {
        "prompt": CANCEL_PROMPT,
        "fragments_seen": len(seen),
        "content": result.content,
        "stop_reason": result.stats.stop_reason,
    }


TOOLS_QUERY = "FAKE/Tools-7B"  # fake/tools' path starts with it
EMBED_QUERY = "fake/embed-gguf"  # fake/embed's path starts with it
JIT_TEXT = "tokens of a just-in-time embedding model"


def step_query_jit(client: Any) -> dict[str, Any]:
    """A publisher/name query, a JIT embedding model evicted by a JIT LLM, then restored."""
    tools = client.llm.model(TOOLS_QUERY)
    tools_model_key = tools.get_info().model_key
    client.embedding.unload(EMBED_MODEL)
    embed = client.embedding.model(EMBED_QUERY)
    tokens = list(embed.tokenize(JIT_TEXT))
    count = embed.count_tokens(JIT_TEXT)
    while_jit = sorted(m.identifier for m in client.embedding.list_loaded())
    client.llm.model(REASONING_MODEL)
    embeddings_after = sorted(m.identifier for m in client.embedding.list_loaded())
    llms_after = sorted(m.identifier for m in client.llm.list_loaded())
    evicted = _error_of(lambda: client.embedding.get_model_info(EMBED_MODEL))
    client.embedding.load_new_instance(EMBED_MODEL, EMBED_MODEL)
    client.llm.unload(REASONING_MODEL)
    return {
        "query": TOOLS_QUERY,
        "tools_identifier": tools.identifier,
        "tools_model_key": tools_model_key,
        "embed_identifier": embed.identifier,
        "text": JIT_TEXT,
        "tokens": tokens,
        "count": count,
        "embeddings_while_jit": while_jit,
        "embeddings_after": embeddings_after,
        "llms_after": llms_after,
        "evicted": evicted,
        "restored": sorted(m.identifier for m in client.embedding.list_loaded()),
    }


ASYNC_PROMPTS = [f"Concurrent request number {n} says hi" for n in range(4)]


async def _async_concurrent(host: str, timeout: float) -> dict[str, Any]:
    async with lms.AsyncClient(host) as client:
        model = await client.llm.model(CHAT_MODEL)

        async def one(prompt: str) -> str:
            result = await model.respond(prompt)
            return str(result.content)

        async def streamed(prompt: str) -> list[str]:
            stream = await model.respond_stream(prompt)
            return [fragment.content async for fragment in stream]

        contents = await asyncio.wait_for(asyncio.gather(*(one(p) for p in ASYNC_PROMPTS)), timeout)
        streams = await asyncio.wait_for(
            asyncio.gather(*(streamed(p) for p in ASYNC_PROMPTS)), timeout
        )
        loaded = [m.identifier for m in await client.llm.list_loaded()]
        embedding = await client.embedding.model(EMBED_MODEL)
        vectors = await embedding.embed(["async one", "async two"])
    return {
        "prompts": ASYNC_PROMPTS,
        "contents": contents,
        "streamed": ["".join(s) for s in streams],
        "loaded": sorted(loaded),
        "embedding_dimensions": [len(v) for v in vectors],
    }


def _run_async(host: str, timeout: float) -> dict[str, Any]:
    return asyncio.run(_async_concurrent(host, timeout))


STEPS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "list_downloaded": step_list_downloaded,
    "list_loaded": step_list_loaded,
    "model": step_model,
    "respond": step_respond,
    "respond_stream": step_respond_stream,
    "complete": step_complete,
    "structured": step_structured,
    "act": step_act,
    "act_agent": step_act_agent,
    "embed": step_embed,
    "tokenize": step_tokenize,
    "count_tokens": step_count_tokens,
    "context_length": step_context_length,
    "load_unload": step_load_unload,
    "prepare_image": step_prepare_image,
    "repository": step_repository,
    "cancel": step_cancel,
    "reasoning": step_reasoning,
    "config": step_config,
    "prompt_template": step_prompt_template,
    "load_config": step_load_config,
    "errors": step_errors,
    "callbacks": step_callbacks,
    "gbnf": step_gbnf,
    "embedding_load_unload": step_embedding_load_unload,
    "draft": step_draft,
    "query_jit": step_query_jit,  # late: it unloads and reloads the embedding model
}
ALL_STEPS = [*STEPS, "async_concurrent"]


def run_with_timeout(fn: Callable[[], dict[str, Any]], timeout: float) -> dict[str, Any]:
    """Run one step in its own thread so that a hung official call cannot stall the rest."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = fn()
        except BaseException as exc:
            outcome["error"] = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
            outcome["traceback"] = traceback.format_exc()[-4000:]

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(timeout)
    elapsed = round(time.monotonic() - started, 3)
    if thread.is_alive():
        return {"ok": False, "error": f"timed out after {timeout} s", "seconds": elapsed}
    if "error" in outcome:
        return {"ok": False, "seconds": elapsed, **outcome}
    return {"ok": True, "seconds": elapsed, "result": outcome.get("result")}


def main() -> int:
    global CURRENT_STEP
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", required=True, help="host:port of the server")
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--step-timeout", type=float, default=20.0)
    parser.add_argument("--steps", default=",".join(ALL_STEPS), help="comma-separated subset")
    args = parser.parse_args()

    install_recorders()
    report: dict[str, Any] = {
        "client": "python",
        "sdk_version": getattr(lms, "__version__", "unknown"),
        "sdk_file": lms.__file__,
        "python": sys.version.split()[0],
        "steps": {},
        "problems": PROBLEMS,
    }
    lms.set_sync_api_timeout(args.step_timeout)
    wanted = [s for s in args.steps.split(",") if s]
    unknown = sorted(set(wanted) - set(ALL_STEPS))
    if unknown:
        parser.error(f"unknown steps: {unknown}")

    client = lms.Client(args.host)
    try:
        for name in wanted:
            CURRENT_STEP = name
            if name == "async_concurrent":
                outcome = run_with_timeout(
                    functools.partial(_run_async, args.host, args.step_timeout),
                    args.step_timeout * 2,
                )
            else:
                outcome = run_with_timeout(
                    functools.partial(STEPS[name], client), args.step_timeout
                )
            report["steps"][name] = outcome
            # Written after every step, so a crash or a kill still leaves evidence.
            args.report.write_text(json.dumps(report, indent=1, default=repr), encoding="utf-8")
        CURRENT_STEP = "close"
        closing = run_with_timeout(lambda: {"closed": client.close() is None}, args.step_timeout)
        report["close"] = closing
    finally:
        CURRENT_STEP = "end"
        args.report.write_text(json.dumps(report, indent=1, default=repr), encoding="utf-8")
    sys.stdout.flush()
    # A hung official call may hold a non-daemon thread: leave without waiting for it.
    os._exit(0)


if __name__ == "__main__":
    main()
