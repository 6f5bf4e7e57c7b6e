"""Server-wide state shared by every connection: downloaded and loaded models, files.

Rules (as LM Studio):

- A model query (``modelQuery``) resolves, among *loaded* instances of the namespace's
  domain, case-insensitively, by (1) instance identifier, (2) model key, (3) model path,
  (4) a model path that starts with the query (``hugging-quants/llama-3.2-1b-instruct``
  finds ``hugging-quants/Llama-3.2-1B-Instruct-Q8_0-GGUF/...``); the first step that
  matches wins, and within a step the earliest loaded instance. ``path`` matches the
  model path (exactly, else as a prefix: ``{"path": "publisher/Model-GGUF"}``), ``vision``
  filters; an empty query matches the first loaded instance.
  ``instanceReference`` specifiers match exactly.
- A key or query naming a *downloaded* model (``loadModel``, ``getOrLoad`` when nothing
  loaded matches, ``estimateModelUsage``, draft models) resolves the same way without the
  identifier step: (1) model key, (2) path, (3) path prefix, in catalog order.
- Loading without an identifier uses the model key, then ``key:2``, ``key:3``...; an
  explicit identifier already in use is an error.
- ``getOrLoad`` loads just-in-time (JIT): loading a JIT model first unloads every other
  JIT-loaded model, whatever its domain (a JIT LLM evicts a JIT embedding model: LM
  Studio's "only keep the last JIT model").
- Unloading an identifier that is not loaded fails with ``generic.noModelMatchingQuery``
  (the code both official SDKs map to model-not-found).
- A TTL unloads an instance after that long without use (``ttlMs`` in its info).
- Every upload gets a fresh file identifier.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from lmstudio.testing._backends import backend_for
from lmstudio.testing._catalog import CatalogModel
from lmstudio.testing._errors import (
    FakeServerError,
    no_model_matching_query,
    path_not_found,
)

__all__ = ["Instance", "ServerState", "UploadedFile"]

_T = TypeVar("_T")

_log = logging.getLogger("lmstudio.testing")


def _now_ms() -> float:
    return float(int(time.time() * 1000))


class Instance:
    """One loaded model instance."""

    def __init__(
        self,
        model: CatalogModel,
        identifier: str,
        reference: str,
        *,
        ttl_ms: int | None,
        jit: bool,
        load_fields: dict[str, Any],
        context_length: int,
    ) -> None:
        self.model = model
        self.identifier = identifier
        self.reference = reference
        self.ttl_ms = ttl_ms
        self.jit = jit
        self.load_fields = load_fields
        self.context_length = context_length
        self.last_used_ms: float | None = None
        self.active = 0
        self.unloaded = False
        self.draft_model: str | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.device: str | None = None  # an LM Link peer's identifier; None: this device
        self.backend = backend_for(model, context_length, load_fields)  # rules or llama.cpp

    @property
    def domain(self) -> str:
        return self.model.domain

    def info_dict(self) -> dict[str, Any]:
        """The instance info (``llmInstanceInfo`` / ``embeddingModelInstanceInfo``)."""
        return {
            **self.model.info,
            "identifier": self.identifier,
            "instanceReference": self.reference,
            "ttlMs": self.ttl_ms,
            "lastUsedTime": self.last_used_ms,
            "contextLength": self.context_length,
            "deviceIdentifier": self.device,
        }

    def info(self) -> Any:
        """The instance info as a generated model struct."""
        from lmstudio._protocol import models

        target = (
            models.LlmInstanceInfo if self.domain == "llm" else models.EmbeddingModelInstanceInfo
        )
        return msgspec.convert(self.info_dict(), target)


def _first_match(
    items: Sequence[_T], query: str, model_of: Callable[[_T], CatalogModel]
) -> _T | None:
    """The first item whose model has ``query`` as key, else as path, else as path prefix
    (case-insensitive; steps in that order, items in their order within a step)."""
    wanted = query.lower()
    if not wanted:
        return None
    steps: tuple[Callable[[CatalogModel], bool], ...] = (
        lambda m: m.key.lower() == wanted,
        lambda m: m.path.lower() == wanted,
        lambda m: m.path.lower().startswith(wanted),
    )
    for step in steps:
        for item in items:
            if step(model_of(item)):
                return item
    return None


def model_info(model: CatalogModel) -> Any:
    """A downloaded model's info as a generated model struct."""
    from lmstudio._protocol import models

    target = models.LlmInfo if model.domain == "llm" else models.EmbeddingModelInfo
    return msgspec.convert(dict(model.info), target)


@dataclass(frozen=True)
class UploadedFile:
    identifier: str
    name: str
    file_type: str
    size_bytes: int
    data: bytes


class ServerState:
    """Models and files; used only from the server's event loop."""

    def __init__(
        self,
        catalog: Sequence[CatalogModel],
        *,
        jit_auto_evict: bool = True,
        on_unload: Callable[[Instance], None] | None = None,
    ) -> None:
        self.downloaded: list[CatalogModel] = list(catalog)
        self.instances: list[Instance] = []
        self.files: dict[str, UploadedFile] = {}
        self.jit_auto_evict = jit_auto_evict
        self._on_unload = on_unload
        self._references = itertools.count(1)
        self._uploads = itertools.count(1)
        for model in self.downloaded:
            if model.loaded:
                self.load(model, identifier=model.key)

    def close(self) -> None:
        for instance in self.instances:
            if instance.timer is not None:
                instance.timer.cancel()

    # -- lookup --------------------------------------------------------------------

    def loaded(self, domain: str | None = None) -> list[Instance]:
        return [i for i in self.instances if domain is None or i.domain == domain]

    def identifiers(self, domain: str | None = None) -> list[str]:
        return [i.identifier for i in self.loaded(domain)]

    def find_downloaded(self, key_or_path: str, domain: str | None = None) -> CatalogModel | None:
        """The downloaded model a key, path or path prefix names (see the module rules)."""
        candidates = [m for m in self.downloaded if domain is None or m.domain == domain]
        return _first_match(candidates, key_or_path, lambda m: m)

    def find_instance(self, query: Mapping[str, Any], domain: str) -> Instance | None:
        """The first loaded instance matching a ``modelQuery`` (wire dict)."""
        if query.get("domain") not in (None, domain):
            return None
        candidates = self.loaded(domain)
        if isinstance(query.get("vision"), bool):
            candidates = [i for i in candidates if i.model.vision == query["vision"]]
        identifier = query.get("identifier")
        if isinstance(identifier, str):
            wanted = identifier.lower()
            found = next((i for i in candidates if i.identifier.lower() == wanted), None)
            if found is None:
                found = _first_match(candidates, identifier, lambda i: i.model)
            if found is None:
                return None
            candidates = [found]
        path = query.get("path")
        if isinstance(path, str):
            wanted = path.lower()
            exact = [i for i in candidates if i.model.path.lower() == wanted]
            candidates = exact or [
                i for i in candidates if wanted and i.model.path.lower().startswith(wanted)
            ]
        return candidates[0] if candidates else None

    def resolve(self, specifier: Mapping[str, Any], domain: str) -> Instance:
        """The instance a ``modelSpecifier`` (wire dict) names, or LM Studio's error."""
        if specifier.get("type") == "instanceReference":
            reference = specifier.get("instanceReference")
            found = next((i for i in self.loaded(domain) if i.reference == reference), None)
            if found is None:
                raise FakeServerError(
                    "The model this handle refers to has been unloaded",
                    display_data={"code": "generic.specificModelUnloaded"},
                )
            return found
        query = specifier.get("query") or {}
        found = self.find_instance(query, domain)
        if found is None:
            raise no_model_matching_query(query, self.identifiers(domain))
        return found

    def require_downloaded(self, key_or_path: str, domain: str) -> CatalogModel:
        model = self.find_downloaded(key_or_path, domain)
        if model is None:
            raise path_not_found(
                key_or_path, [m.key for m in self.downloaded if m.domain == domain]
            )
        return model

    # -- loading -------------------------------------------------------------------

    def next_identifier(self, model: CatalogModel) -> str:
        taken = {i.identifier.lower() for i in self.instances}
        if model.key.lower() not in taken:
            return model.key
        for n in itertools.count(2):
            candidate = f"{model.key}:{n}"
            if candidate.lower() not in taken:
                return candidate
        raise AssertionError("unreachable")

    def check_identifier_free(self, identifier: str) -> None:
        if any(i.identifier.lower() == identifier.lower() for i in self.instances):
            raise FakeServerError(f'A model with the identifier "{identifier}" already exists')

    def load(
        self,
        model: CatalogModel,
        *,
        identifier: str | None = None,
        ttl_ms: int | None = None,
        jit: bool = False,
        load_fields: Mapping[str, Any] | None = None,
        device: str | None = None,
    ) -> Instance:
        from lmstudio.testing._kvconfig import load_config

        if identifier is None:
            identifier = self.next_identifier(model)
        else:
            self.check_identifier_free(identifier)
        effective, context_length = load_config(
            model.domain, load_fields or {}, model.max_context_length
        )
        instance = Instance(
            model,
            identifier,
            f"{next(self._references):08x}-fake-instance",
            ttl_ms=ttl_ms,
            jit=jit,
            load_fields=effective,
            context_length=context_length,
        )
        instance.device = device
        self.instances.append(instance)
        self._schedule_ttl(instance)
        return instance

    def jit_to_evict(self) -> list[Instance]:
        """The JIT-loaded instances a new JIT load unloads (every domain, as LM Studio)."""
        if not self.jit_auto_evict:
            return []
        return [i for i in self.instances if i.jit]

    def unload(self, instance: Instance) -> None:
        if instance in self.instances:
            self.instances.remove(instance)
        instance.unloaded = True
        instance.backend.release()
        if instance.timer is not None:
            instance.timer.cancel()
            instance.timer = None
        if self._on_unload is not None:
            self._on_unload(instance)

    def unload_identifier(self, identifier: str, domain: str) -> Instance:
        found = next(
            (i for i in self.loaded(domain) if i.identifier.lower() == identifier.lower()), None
        )
        if found is None:
            # LM Studio answers model-not-found here, the code the official SDKs map.
            raise no_model_matching_query({"identifier": identifier}, self.identifiers(domain))
        self.unload(found)
        return found

    # -- use and TTL -----------------------------------------------------------------

    def touch(self, instance: Instance) -> None:
        instance.last_used_ms = _now_ms()
        self._schedule_ttl(instance)

    def _schedule_ttl(self, instance: Instance) -> None:
        if instance.timer is not None:
            instance.timer.cancel()
            instance.timer = None
        if instance.ttl_ms is None or instance.unloaded:
            return
        loop = asyncio.get_running_loop()
        instance.timer = loop.call_later(instance.ttl_ms / 1000, self._expire, instance)

    def _expire(self, instance: Instance) -> None:
        instance.timer = None
        if instance.unloaded:
            return
        if instance.active:
            self._schedule_ttl(instance)  # busy: idle time starts after the prediction
            return
        _log.info("TTL expired: unloading %s", instance.identifier)
        self.unload(instance)

    # -- files -----------------------------------------------------------------------

    def add_file(self, name: str, file_type: str, data: bytes) -> UploadedFile:
        safe = name.replace("/", "_").replace("\\", "_") or "file"
        uploaded = UploadedFile(f"{next(self._uploads)}-{safe}", name, file_type, len(data), data)
        self.files[uploaded.identifier] = uploaded
        return uploaded
