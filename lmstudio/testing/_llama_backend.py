"""The llama.cpp backend: a real GGUF model (llama-cpp-python) behind the fake server.

Rules:

- llama.cpp never runs on the server's event loop. Loading, tokenizing and embedding run
  in worker threads (``asyncio.to_thread``); each generation runs in a thread of its own
  that feeds its tokens back with ``loop.call_soon_threadsafe`` and stops, at the next
  token or prompt chunk, once its stop event is set (the client's cancel, an unload, a
  stop string or the token limit seen on the loop).
- A model file is loaded once per process for each (file, embedding or not, context
  length) and kept for later instances (at most ``_CACHE_SIZE`` of them, least recently
  used first out): unloading an instance ends its predictions, not the weights, so tests
  that load and unload pay for the file once. One lock per loaded model: its
  predictions and embeddings run one at a time, in order (LM Studio queues them too).
- The context's KV cache is reused across predictions: the whole 64-token chunks a prompt
  shares with the previous prompt are not processed again (``cachedTokenCount``). Only
  whole prompt chunks, so a prompt is always evaluated in the same batches and a greedy
  (temperature 0) answer is the same every time.
- Chat prompts are the GGUF's own chat template (``tokenizer.chat_template``, rendered
  with Jinja in a sandbox, as llama.cpp and Hugging Face do); a file without one falls
  back to the rule models' ChatML.
- Embedding entries are loaded with mean pooling and answer normalised vectors of the
  model's embedding length.
"""

from __future__ import annotations

import asyncio
import atexit
import codecs
import concurrent.futures
import contextlib
import ctypes
import functools
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lmstudio.testing._errors import FakeServerError
from lmstudio.testing._gguf import read_gguf
from lmstudio.testing._prompt import _part, render_prompt

if TYPE_CHECKING:
    from lmstudio.testing._backends import Predict
    from lmstudio.testing._catalog import CatalogModel

__all__ = ["Generation", "LlamaBackend", "Sampling"]

_llama_log = logging.getLogger("lmstudio.testing.llama")
_CACHE_SIZE = 4
_PROMPT_CHUNK = 64  # prompt tokens per eval between two progress packets
_LOCK_POLL = 0.05  # seconds between checks of a waiting generation's stop event


@dataclass
class _Loaded:
    llm: Any  # llama_cpp.Llama
    lock: threading.Lock = field(default_factory=threading.Lock)
    aligned: int = 0  # the context's leading tokens evaluated in whole prompt chunks
    bos: str = ""
    eos: str = ""


_LOADER = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="lmstudio-fake-llama-load")
_cache: OrderedDict[tuple[Path, bool, int], _Loaded] = OrderedDict()
_cache_lock = threading.Lock()
_load_locks: dict[tuple[Path, bool, int], threading.Lock] = {}


@atexit.register
def _close_all() -> None:
    """Free the models while llama_cpp is still whole (its ``__del__`` fails at exit)."""
    with _cache_lock:
        loaded = list(_cache.values())
        _cache.clear()
    for model in loaded:
        with contextlib.suppress(Exception):
            model.llm.close()


def _load(path: Path, embedding: bool, n_ctx: int) -> _Loaded:
    """The loaded model (from the cache, or loaded now: runs in a worker thread)."""
    key = (path, embedding, n_ctx)
    with _cache_lock:
        load_lock = _load_locks.setdefault(key, threading.Lock())
    with load_lock:  # one load per key, however many instances ask at once
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        import llama_cpp

        _quiet_llama_logs(llama_cpp)
        options: dict[str, Any] = {}
        if embedding:
            options = {"embedding": True, "pooling_type": llama_cpp.LLAMA_POOLING_TYPE_MEAN}
        try:
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=512,
                verbose=False,
                **options,
            )
        except (ValueError, RuntimeError) as exc:
            raise FakeServerError(f"Failed to load model {path.name}", cause=str(exc)) from None
        loaded = _Loaded(llm)
        vocab = llm._model.vocab
        special = {"special": True}
        if llama_cpp.llama_vocab_bos(vocab) >= 0:
            loaded.bos = llm.detokenize([llm.token_bos()], **special).decode("utf-8", "replace")
        if llama_cpp.llama_vocab_eos(vocab) >= 0:
            loaded.eos = llm.detokenize([llm.token_eos()], **special).decode("utf-8", "replace")
        with _cache_lock:
            _cache[key] = loaded
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        return loaded


_log_callback: Any = None


class _NoRedirect:
    """Stands in for llama-cpp-python's ``suppress_stdout_stderr`` (see below)."""

    def __init__(self, disable: bool = True) -> None:
        pass

    def __enter__(self) -> _NoRedirect:
        return self

    def __exit__(self, *_: object) -> None:
        pass


def _without_fd_redirection(modules: Iterable[Any]) -> list[str]:
    """Replace llama-cpp-python's private ``suppress_stdout_stderr`` where a module has it
    (the version bound is ``<0.4``); the names of the modules changed. The fallback, for a
    version without that name: nothing is replaced, and llama-cpp-python redirects as it
    always did (loading works; only output printed meanwhile by other threads is lost)."""
    changed = []
    for module in modules:
        if module is not None and hasattr(module, "suppress_stdout_stderr"):
            setattr(module, "suppress_stdout_stderr", _NoRedirect)  # noqa: B010
            changed.append(module.__name__)
    return changed


def _quiet_llama_logs(llama_cpp: Any) -> None:
    """llama.cpp's own log lines go to the ``lmstudio.testing.llama`` logger (DEBUG),
    never to stderr (it prints some even with ``verbose=False``).

    With ``verbose=False`` llama-cpp-python also points the *process's* stdout and stderr
    file descriptors at /dev/null while it loads a model: that loses what other threads
    print meanwhile, and two loads at once can leave stdout pointing there for good. The
    log callback makes that unnecessary, so it is replaced by a no-op.
    """
    global _log_callback
    if _log_callback is not None:
        return
    _without_fd_redirection(
        sys.modules.get(name)
        for name in ("llama_cpp.llama", "llama_cpp._internals", "llama_cpp.llama_chat_format")
    )

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def callback(level: int, text: bytes, user_data: Any) -> None:
        _llama_log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = callback  # referenced for as long as llama.cpp may call it
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


@dataclass(frozen=True)
class Sampling:
    """What a generation samples with (LM Studio's defaults where the client set none)."""

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    seed: int = -1  # -1: a random seed per prediction (llama.cpp's default)
    max_tokens: int | None = None


@dataclass(eq=False)
class Generation:
    """One generation's thread side: its stop event and the events it sends back.

    Events: ``("progress", processed, total, cached)``, ``("token", text, tokens)``,
    ``("end", stop_reason or None)``, ``("error", message)``.
    """

    prompt: Sequence[int]
    sampling: Sampling
    grammar: Any
    stop: threading.Event = field(default_factory=threading.Event)


def _run_generation(
    loaded: _Loaded, job: Generation, emit: Callable[[tuple[Any, ...]], None]
) -> None:
    """The body of a generation thread."""
    while not loaded.lock.acquire(timeout=_LOCK_POLL):
        if job.stop.is_set():
            emit(("end", "userStopped"))
            return
    try:
        emit(("end", _generate(loaded, job, emit)))
    except Exception as exc:  # llama.cpp's failure ends the prediction with an error
        emit(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        loaded.lock.release()


def _generate(
    loaded: _Loaded, job: Generation, emit: Callable[[tuple[Any, ...]], None]
) -> str | None:
    import llama_cpp

    llm = loaded.llm
    tokens = list(job.prompt)
    total = len(tokens)
    # The KV cache holds the previous prompt and reply: keep the whole prompt chunks this
    # prompt shares. Only whole chunks, evaluated as such: llama.cpp's numbers depend on
    # the batch a token was evaluated in, so the same prompt is then evaluated in the same
    # batches whatever came before, and a greedy answer is the same every time.
    common, limit, ids = 0, min(llm.n_tokens, loaded.aligned, total - 1), llm.input_ids
    while common < limit and ids[common] == tokens[common]:
        common += 1
    cached = common // _PROMPT_CHUNK * _PROMPT_CHUNK
    llm.n_tokens = loaded.aligned = cached
    emit(("progress", cached, total, cached))
    for start in range(cached, total, _PROMPT_CHUNK):
        if job.stop.is_set():
            return "userStopped"
        chunk = tokens[start : start + _PROMPT_CHUNK]
        llm.eval(chunk)
        if len(chunk) == _PROMPT_CHUNK:
            loaded.aligned = start + _PROMPT_CHUNK
        emit(("progress", start + len(chunk), total, cached))
    sampling = job.sampling
    llm.set_seed(sampling.seed)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    vocab, n_ctx = llm._model.vocab, llm.n_ctx()
    pending = 0
    reason: str | None = None
    tokens_out = llm.generate(
        tokens,
        temp=sampling.temperature,
        top_k=sampling.top_k,
        top_p=sampling.top_p,
        min_p=sampling.min_p,
        repeat_penalty=sampling.repeat_penalty,
        grammar=job.grammar,
    )
    for produced, token in enumerate(tokens_out, start=1):
        if job.stop.is_set():
            reason = "userStopped"
            break
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            reason = "eosFound"
            break
        pending += 1
        text = decoder.decode(llm.detokenize([token]))
        if text:  # a character split over tokens waits for its last byte
            emit(("token", text, pending))
            pending = 0
        if sampling.max_tokens is not None and produced >= sampling.max_tokens:
            reason = "maxPredictedTokensReached"
            break
        if llm.n_tokens + 1 >= n_ctx:
            reason = "contextLengthReached"
            break
    tail = decoder.decode(b"", final=True)
    if tail or pending:
        emit(("token", tail, pending))
    return reason


def _emitter(
    loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any], job: Generation
) -> Callable[[tuple[Any, ...]], None]:
    def emit(event: tuple[Any, ...]) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, event)
        except RuntimeError:  # the server's loop is gone: stop generating
            job.stop.set()

    return emit


class LlamaBackend:
    """A loaded instance of a GGUF model, run by llama.cpp (see the module rules)."""

    name = "llama.cpp"

    def __init__(
        self, model: CatalogModel, context_length: int, load_fields: Mapping[str, Any]
    ) -> None:
        assert model.gguf is not None
        self.model = model
        self.path = model.gguf
        self.embedding = model.domain == "embedding"
        self.context_length = context_length
        self.seed = _seed(load_fields, f"{model.domain}.load.seed")
        self.jobs: set[Generation] = set()
        # Loading starts now, in a loader thread; a failure is raised to whoever uses it.
        self._loading = _LOADER.submit(_load, self.path, self.embedding, self.context_length)

    async def loaded(self) -> _Loaded:
        """The loaded model (waiting for its loader thread)."""
        return await asyncio.wrap_future(self._loading)

    # -- Backend ---------------------------------------------------------------------

    @property
    def predict(self) -> Predict:
        from lmstudio.testing._llama_stream import predict

        return predict

    def release(self) -> None:
        for job in list(self.jobs):
            job.stop.set()

    async def tokenize(self, text: str, *, embedding: bool) -> list[int]:
        llm = (await self.loaded()).llm
        tokens = await asyncio.to_thread(
            llm.tokenize, text.encode("utf-8"), add_bos=embedding, special=True
        )
        return list(tokens)

    async def count_tokens(self, text: str) -> int:
        return len(await self.tokenize(text, embedding=False))

    async def render_prompt(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any]
    ) -> str:
        template = read_gguf(self.path).chat_template
        if template is None:
            return render_prompt(messages, tools)
        loaded = await self.loaded()
        chat = [
            {
                "role": message.get("role", "user"),
                "content": "".join(_part(part) for part in message.get("content", [])),
            }
            for message in messages
        ]
        options: dict[str, Any] = {"tools": list(tools)} if tools else {}
        try:
            formatted: str = _compiled(template).render(
                messages=chat,
                add_generation_prompt=True,
                bos_token=loaded.bos,
                eos_token=loaded.eos,
                **options,
            )
        except Exception as exc:  # the template's own raise_exception, or a broken template
            raise FakeServerError(
                "Error rendering prompt with jinja template", cause=str(exc)
            ) from None
        return formatted

    async def embed(self, text: str, dimensions: int) -> list[float]:
        loaded = await self.loaded()

        def run() -> list[float]:
            with loaded.lock:
                vector = loaded.llm.embed(text, normalize=True, truncate=True)
            return [float(x) for x in vector]

        return await asyncio.to_thread(run)

    # -- predictions -------------------------------------------------------------------

    async def prompt_tokens(self, prompt: str) -> list[int]:
        """A formatted prompt's tokens (its special tokens parsed, the model's BOS added)."""
        llm = (await self.loaded()).llm
        return list(await asyncio.to_thread(llm.tokenize, prompt.encode("utf-8"), True, True))

    async def grammar(self, kind: str, source: str) -> Any:
        """A llama.cpp grammar from a GBNF text or a JSON schema (``kind`` "gbnf" or "json";
        an empty schema: any JSON value)."""
        try:
            return await asyncio.to_thread(_grammar, kind, source)
        except ValueError as exc:
            raise FakeServerError("Invalid structured output setting", cause=str(exc)) from None

    @contextlib.asynccontextmanager
    async def generation(
        self, prompt: Sequence[int], sampling: Sampling, grammar: Any
    ) -> AsyncIterator[tuple[Generation, asyncio.Queue[tuple[Any, ...]]]]:
        """Run a generation in its own thread; the job and its event queue. On exit the
        job is stopped and its thread waited for."""
        loaded = await self.loaded()
        loop = asyncio.get_running_loop()
        job = Generation(prompt, sampling, grammar)
        queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        done: asyncio.Future[None] = loop.create_future()

        def body() -> None:
            try:
                _run_generation(loaded, job, _emitter(loop, queue, job))
            finally:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_resolve, done)

        self.jobs.add(job)
        thread = threading.Thread(target=body, name="lmstudio-fake-llama", daemon=True)
        thread.start()
        try:
            yield job, queue
        finally:
            job.stop.set()
            self.jobs.discard(job)
            await asyncio.shield(done)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _seed(fields: Mapping[str, Any], key: str) -> int:
    value = fields.get(key)
    if isinstance(value, Mapping):
        value = value.get("value") if value.get("checked") else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return -1


@functools.lru_cache(maxsize=8)
def _compiled(template: str) -> Any:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.globals["raise_exception"] = raise_exception
    return environment.from_string(template)


_LOOSE_CHAR = r'char ::= [^"\\] |'
_JSON_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] |'


@functools.lru_cache(maxsize=32)
def _grammar(kind: str, source: str) -> Any:
    from llama_cpp import llama_grammar

    if kind == "json" and not source:  # any JSON value
        return llama_grammar.LlamaGrammar.from_string(llama_grammar.JSON_GBNF, verbose=False)
    if kind == "json":
        # llama-cpp-python's string characters admit raw control characters (a newline in
        # a string is not JSON); llama.cpp's own converter excludes them, as here.
        gbnf = llama_grammar.json_schema_to_gbnf(source)
        gbnf = gbnf.replace(_LOOSE_CHAR, _JSON_CHAR)
        return llama_grammar.LlamaGrammar.from_string(gbnf, verbose=False)
    return llama_grammar.LlamaGrammar.from_string(source, verbose=False)
