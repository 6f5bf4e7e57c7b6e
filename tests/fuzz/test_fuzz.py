"""Fuzzing the client with mutated recorded exchanges and garbage (issue 15, point 11).

Each example: a bystander call is started, then a victim call of a recorded exchange's
kind; the server answers the victim with a mutated script and then the bystander intact.
Invariants: the victim settles within its (inactivity) timeout plus a generous margin,
with a value or a typed :class:`~lmstudio.LMStudioError`; the bystander gets its answer;
the engine thread lives; nothing is logged at ERROR (an exception escaping the engine or
asyncio's "Fatal error" handler), and no connection is dropped.

``make test`` runs :data:`EXAMPLES` examples (``LMSTUDIO_FUZZ_EXAMPLES``, 150 by default)
with a fixed seed (``LMSTUDIO_FUZZ_SEED``, 15); ``make fuzz`` runs many more.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings, strategies as st

from lmstudio import Client, LMStudioError

from .mutations import exchanges, scripts
from .scripted import EXCHANGES, FuzzServer, fuzz_server

EXAMPLES = int(os.environ.get("LMSTUDIO_FUZZ_EXAMPLES", "150"))
SEED = int(os.environ.get("LMSTUDIO_FUZZ_SEED", "15"))
MS = 0.001 * float(os.environ.get("LMSTUDIO_TESTS_TIMEOUT_FACTOR", "1"))
VICTIM_TIMEOUT = 0.1
MARGIN = 3000 * MS


class Errors(logging.Handler):
    """Every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Target:
    """A connected client of the fuzz server, with the handles the victims need."""

    def __init__(self, server: FuzzServer, client: Client) -> None:
        self.server = server
        self.client = client
        self.model = client.llm.model("fake/tools").result(10)
        (self.found,) = client.repository.search_models("hub-chat").result(10)
        self.option = self.found.get_download_options().result(10)[0]
        self.baseline = {
            namespace: bystander(self, namespace).result(10) for namespace in BYSTANDERS
        }


BYSTANDERS: dict[str, Callable[[Target], Any]] = {
    "llm": lambda t: t.client.llm.list_loaded(timeout=10),
    "system": lambda t: t.client.system.version(timeout=10),
    "repository": lambda t: t.client.repository.search_models("hub-chat", timeout=10),
}
T = VICTIM_TIMEOUT
VICTIMS: dict[tuple[str, str], Callable[[Target], Any]] = {
    ("llm", "listLoaded"): lambda t: t.client.llm.list_loaded(timeout=T),
    ("system", "version"): lambda t: t.client.system.version(timeout=T),
    ("llm", "unloadModel"): lambda t: t.client.llm.unload("fake/chat", timeout=T),
    ("repository", "searchModels"): lambda t: t.client.repository.search_models("x", timeout=T),
    ("repository", "getModelDownloadOptions"): lambda t: t.found.get_download_options(timeout=T),
    ("llm", "loadModel"): lambda t: t.client.llm.load_new_instance("fake/chat", timeout=T),
    ("llm", "getOrLoad"): lambda t: t.client.llm.model("fake/tools", timeout=T),
    ("llm", "predict"): lambda t: t.model.respond("count to 3", timeout=T),
    ("repository", "downloadModel"): lambda t: t.option.download(timeout=T),
}


def bystander(target: Target, namespace: str) -> Any:
    return BYSTANDERS[namespace](target)


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    errors = Errors()
    logging.getLogger().addHandler(errors)
    try:
        with fuzz_server() as (server, host), Client(host, timeout=10) as client:
            target = Target(server, client)
            target.errors = errors  # type: ignore[attr-defined]
            yield target
    finally:
        logging.getLogger().removeHandler(errors)


def check_one(target: Target, index: int, script: Any, described: str) -> None:
    exchange = EXCHANGES[index]
    namespace = exchange["namespace"]
    target.errors.records.clear()  # type: ignore[attr-defined]
    target.server.arm(script)
    other = bystander(target, namespace)
    started = time.monotonic()
    victim = VICTIMS[namespace, exchange["endpoint"]](target)
    concurrent.futures.wait([victim], VICTIM_TIMEOUT + MARGIN)
    waited = time.monotonic() - started
    described += f"; frames (id 0): {script(0)!r:.1500}"
    assert victim.done(), f"the victim waited {waited:.2f} s, past its timeout: {described}"
    error = victim.exception(0)
    OUTCOMES[type(error).__name__ if error else "value"] += 1
    assert error is None or isinstance(error, LMStudioError), f"{error!r}: {described}"
    assert other.result(MARGIN) == target.baseline[namespace], described
    assert target.server.done.is_set(), described  # the victim got its script first
    engine, _ = target.client._session._use()
    assert engine.thread.is_alive()
    errors = target.errors.records  # type: ignore[attr-defined]
    assert not errors, [
        (
            r.getMessage(),
            r.exc_text or logging.Formatter().formatException(r.exc_info) if r.exc_info else "",
        )
        for r in errors
    ]


COUNTS = {"examples": 0}
OUTCOMES: Counter[str] = Counter()


@pytest.mark.timeout(600)
def test_mutated_exchanges_and_garbage_fail_only_their_call(target: Target) -> None:
    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        index = data.draw(exchanges)
        script, described = data.draw(scripts(index))
        COUNTS["examples"] += 1
        check_one(target, index, script, described)

    check()
    assert target.server.connections == 3  # llm, system, repository: none was dropped
    print(f"fuzz: {COUNTS['examples']} examples; victims: {dict(OUTCOMES)}")
