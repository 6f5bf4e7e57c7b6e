"""The SDK's share of a real model's latency: SmolLM2-135M through this SDK vs llama_cpp.

    python -m benchmarks.real [--runs N] [--tokens N]    (also `make bench`'s "real" section)

Both sides run the same greedy predictions of ``--tokens`` tokens on the same prompts
(each run's question differs; both process the whole prompt, under 64 tokens, every
time), interleaved, one at a time, with llama-cpp-python's default threads (half the
cores generating, all of them processing the prompt):

- **direct**: ``llama_cpp.Llama`` in this process, the prompt formatted with the GGUF's
  chat template and tokenized by the model, ``Llama.generate``: the model's own cost.
- **sdk**: ``model.respond_stream()`` of this SDK against ``python -m lmstudio.testing``
  serving the same file (the llama.cpp backend) in its own process: the same work plus
  the server's protocol side, the WebSocket and the SDK.

Time to first token (from the call to the first token or fragment) and tokens per
second (after the first token) are medians over the runs; the ratios say what share of a
real prediction's latency the SDK and the fake's protocol side add, and the server's own
``timeToFirstTokenSec`` splits the first: what the SDK and the socket add, what the
server (template, tokenizer, llama.cpp) took.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["measure", "print_real", "unavailable"]

SYSTEM = "You are a helpful assistant."
QUESTION = "Question {n}: describe the city number {n} of an imaginary country in detail."


def unavailable() -> str | None:
    from lmstudio.testing import real_model_unavailable

    return real_model_unavailable()


def _direct(
    llm: Any, template: Any, bos: str, eos: str, n: int, tokens: int
) -> tuple[float, float]:
    import llama_cpp

    started = time.perf_counter()
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": QUESTION.format(n=n)},
    ]
    prompt = template.render(
        messages=messages, add_generation_prompt=True, bos_token=bos, eos_token=eos
    )
    ids = llm.tokenize(prompt.encode(), add_bos=True, special=True)
    llm.reset()  # the whole prompt is processed, as the fake does for prompts under 64 tokens
    first = last = 0.0
    count = 0
    for token in llm.generate(ids, temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.1):
        if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
            break
        llm.detokenize([token])
        count += 1
        last = time.perf_counter()
        if count == 1:
            first = last
        if count >= tokens:
            break
    return first - started, (count - 1) / (last - first) if count > 1 else 0.0


def _sdk(model: Any, n: int, tokens: int) -> tuple[float, float, float]:
    import lmstudio as lms

    chat = lms.Chat(SYSTEM)
    chat.add_user_message(QUESTION.format(n=n))
    started = time.perf_counter()
    first = last = 0.0
    count = 0
    stream = model.respond_stream(chat, config={"temperature": 0, "maxTokens": tokens})
    for fragment in stream:
        count += fragment.tokens_count
        last = time.perf_counter()
        if not first:
            first = last
    server_ttft = stream.result().stats.time_to_first_token_sec or 0.0
    return first - started, (count - 1) / (last - first) if count > 1 else 0.0, server_ttft


def measure(runs: int = 5, tokens: int = 64) -> dict[str, Any]:
    """Interleaved direct and SDK predictions; medians and ratios (see the module doc)."""
    import llama_cpp

    import lmstudio as lms
    from benchmarks._procs import Server
    from lmstudio.testing import REAL_LLM, real_model_catalog
    from lmstudio.testing._gguf import read_gguf, resolve_gguf
    from lmstudio.testing._llama_backend import _compiled

    path = resolve_gguf(real_model_catalog()[0]["gguf"])
    llm = llama_cpp.Llama(str(path), n_ctx=4096, n_batch=512, verbose=False)
    bos = llm.detokenize([llm.token_bos()], special=True).decode()
    eos = llm.detokenize([llm.token_eos()], special=True).decode()
    template = _compiled(read_gguf(path).chat_template or "")
    direct: list[tuple[float, float]] = []
    sdk: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "real.json"
        catalog.write_text(json.dumps(real_model_catalog(rule_models=False)))
        with Server(catalog=catalog) as server, lms.Client(server.host) as client:
            model = client.llm.model(REAL_LLM).result()
            _sdk(model, 0, 4)  # warm up both: weights paged in, system prompt cached
            _direct(llm, template, bos, eos, 0, 4)
            for n in range(1, runs + 1):
                direct.append(_direct(llm, template, bos, eos, n, tokens))
                sdk.append(_sdk(model, n, tokens))
    d_ttft = statistics.median(r[0] for r in direct)
    s_ttft = statistics.median(r[0] for r in sdk)
    d_rate = statistics.median(r[1] for r in direct)
    s_rate = statistics.median(r[1] for r in sdk)
    return {
        "model": f"{REAL_LLM} ({path.name})",
        "runs": runs,
        "tokens": tokens,
        "direct": {"ttft_ms": d_ttft * 1000, "tokens_per_second": d_rate},
        "sdk": {
            "ttft_ms": s_ttft * 1000,
            "tokens_per_second": s_rate,
            "server_ttft_ms": statistics.median(r[2] for r in sdk) * 1000,
        },
        "ttft_ratio": s_ttft / d_ttft if d_ttft else None,
        "rate_ratio": s_rate / d_rate if d_rate else None,
    }


def print_real(r: dict[str, Any]) -> None:
    if "skipped" in r:
        print(f"\nreal model: skipped ({r['skipped']})")
        return
    print(
        f"\nreal model: {r['model']}, {r['runs']} greedy predictions of {r['tokens']} tokens "
        "per side, interleaved (medians)"
    )
    print(f"  {'':<34}{'first token':>14}{'tokens/s':>12}")
    d, s = r["direct"], r["sdk"]
    print(
        f"  {'llama_cpp directly (one process)':<34}{d['ttft_ms']:>11.1f} ms{d['tokens_per_second']:>12.1f}"
    )
    print(
        f"  {'this SDK -> fake server (llama.cpp)':<34}{s['ttft_ms']:>11.1f} ms{s['tokens_per_second']:>12.1f}"
    )
    print(
        f"  ratio sdk / direct: first token x{r['ttft_ratio']:.3f}, tokens/s x{r['rate_ratio']:.3f}"
    )
    print(
        f"  of the SDK's {s['ttft_ms']:.1f} ms to the first token, the server's llama.cpp "
        f"backend took {s['server_ttft_ms']:.1f} ms: this SDK and the socket "
        f"{s['ttft_ms'] - s['server_ttft_ms']:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.real", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"skipped: {reason}", file=sys.stderr)
        return 2
    results = measure(args.runs, args.tokens)
    print_real(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
