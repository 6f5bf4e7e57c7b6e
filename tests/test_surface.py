"""Issue 14's "done when": every endpoint of the protocol outside ``plugins`` is either
called by the client or listed below, with a reason, as not exposed yet; and the fake
server answers every endpoint the client calls.

"Called by the client" is read from the package's source: a typed descriptor used as
``<namespace>_api.<NAME>`` (``system_api.VERSION``), or ``_api.<NAME>`` in the model code
that ``client.llm`` and ``client.embedding`` share (each namespace's ``_api`` is its own
descriptor module). Exposing an endpoint therefore fails this test until its line below
is removed, and removing a line without exposing the endpoint fails it too.
"""

from __future__ import annotations

import re
from pathlib import Path

from lmstudio._protocol import endpoints as descriptors
from lmstudio._protocol.endpoints import endpoints
from lmstudio.testing._endpoints import CHANNEL_HANDLERS, RPC_HANDLERS

PACKAGE = Path(__file__).resolve().parents[1] / "lmstudio"

# Every non-plugin endpoint is exposed; one the client leaves out is listed here as
# "namespace/name": "the reason".
NOT_EXPOSED: dict[str, str] = {}

_USE = re.compile(r"\b([a-z]*)_api\.([A-Z][A-Z0-9_]*)\b")
_MODEL_NAMESPACES = ("llm", "embedding")  # the namespaces whose code is shared (_api.NAME)


def _schema_endpoints() -> set[str]:
    return {
        f"{namespace}/{name}"
        for namespace, table in endpoints(strict=True).items()
        if namespace != "plugins"
        for name in table
    }


def _called() -> set[str]:
    import importlib

    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).parts
        if relative[0] in ("testing", "_protocol", "plugin"):
            continue
        for namespace, constant in _USE.findall(path.read_text(encoding="utf-8")):
            for ns in (namespace,) if namespace else _MODEL_NAMESPACES:
                module = importlib.import_module(f"{descriptors.__name__}.{ns}")
                descriptor = getattr(module, constant, None)
                if descriptor is not None:
                    found.add(f"{descriptor.namespace}/{descriptor.name}")
    return found


def test_every_endpoint_is_called_or_listed_with_a_reason() -> None:
    schema = _schema_endpoints()
    called = _called()
    assert len(schema) == 73  # the 2026 protocol, less its plugins namespace
    assert called <= schema | {f"plugins/{n}" for n in endpoints(strict=True)["plugins"]}
    assert sorted(schema - called - set(NOT_EXPOSED)) == [], "neither called nor listed"
    assert sorted(called & set(NOT_EXPOSED)) == [], "called: remove it from NOT_EXPOSED"
    assert sorted(set(NOT_EXPOSED) - schema) == [], "listed but not in the protocol"
    assert all(reason.strip() for reason in NOT_EXPOSED.values())


def test_the_fake_answers_every_endpoint_the_client_calls() -> None:
    kinds = {
        f"{ns}/{name}": entry.kind
        for ns, table in endpoints(strict=True).items()
        for name, entry in table.items()
    }
    missing = [
        endpoint
        for endpoint in sorted(_called())
        if tuple(endpoint.split("/"))
        not in (RPC_HANDLERS if kinds[endpoint] == "rpc" else CHANNEL_HANDLERS)
    ]
    assert missing == []


def test_the_scan_sees_the_shared_model_code() -> None:
    called = _called()
    # models.py calls these through each namespace's _api; llm.py and embedding.py directly
    for endpoint in ("llm/tokenize", "embedding/tokenize", "llm/predict", "embedding/embedString"):
        assert endpoint in called


def test_the_fake_answers_every_plugins_endpoint() -> None:
    table = endpoints(strict=True)["plugins"]
    answered = sorted(
        name
        for name, entry in table.items()
        if ("plugins", name) in (RPC_HANDLERS if entry.kind == "rpc" else CHANNEL_HANDLERS)
    )
    assert answered == sorted(table)
    assert len(answered) == 20
