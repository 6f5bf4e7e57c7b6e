"""Each layer imports only the layers below it (see shared/design.md, "Layers").

0. ``errors``, ``_constants``, ``_exports``   the base: import nothing of ours
1. ``_protocol/`` (generated)                imports nothing of ours
2. ``_types``                                shared aliases (protocol types for checkers)
3. ``_engine/``                              the I/O core
4. ``_data/``                                pure values and codecs
5. ``_prediction/``                          request building, prediction state (no I/O)
6. ``_resources/``                           namespaces and handles
7. ``_client``, ``_api``, ``_aliases``       ``Client``, the default client, official names
8. ``lmstudio`` (``__init__``)               the public face
9. ``lmstudio.plugin``                        writing plugins, on top of the client
``testing/`` stands apart: it may build on any layer, and nothing in the package imports it.

Imports under ``TYPE_CHECKING`` count too, and the module graph has no cycle. The runtime
never imports pytest: only the opt-in plugin module does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lmstudio"

LAYERS: list[tuple[str, ...]] = [
    ("lmstudio.errors", "lmstudio._constants", "lmstudio._exports"),
    ("lmstudio._protocol",),
    ("lmstudio._types",),
    ("lmstudio._engine",),
    ("lmstudio._data",),
    ("lmstudio._prediction",),
    ("lmstudio._resources",),
    ("lmstudio._client", "lmstudio._api", "lmstudio._aliases"),
    ("lmstudio",),
    ("lmstudio.plugin",),
]
TESTING = "lmstudio.testing"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[str]:
    """Absolute names of every module ``path`` imports (``TYPE_CHECKING`` ones too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            for alias in node.names:  # `from pkg import module` imports a module too
                if is_module(f"{target}.{alias.name}"):
                    yield f"{target}.{alias.name}"


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(module: str) -> int | None:
    """The layer of one of our modules (``None`` for others and for ``testing``)."""
    if module == TESTING or module.startswith(TESTING + "."):
        return None
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != "lmstudio" and module.startswith(prefix + ".")):
                return number
    return None


def ours(module: str) -> bool:
    return module == "lmstudio" or module.startswith("lmstudio.")


SOURCES = sorted(PACKAGE.rglob("*.py"))
RUNTIME = [p for p in SOURCES if not module_name(p).startswith(TESTING)]


def test_every_module_is_in_a_layer_or_in_testing() -> None:
    assert len(SOURCES) > 20
    for path in RUNTIME:
        assert layer(module_name(path)) is not None, module_name(path)


def test_each_layer_is_one_folder_or_module() -> None:
    top = {p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    named = {prefix.removeprefix("lmstudio.") for prefixes in LAYERS for prefix in prefixes}
    expected = {f"{n}.py" if (PACKAGE / f"{n}.py").exists() else n for n in named - {"lmstudio"}}
    assert top - {"__init__.py", "py.typed", "testing"} == expected


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: module_name(p))
def test_imports_only_lower_layers(path: Path) -> None:
    own = layer(module_name(path))
    assert own is not None
    for imported in imports_of(path):
        if not ours(imported):
            continue
        other = layer(imported)
        assert other is not None, f"{module_name(path)} imports the fake server ({imported})"
        assert other <= own, f"{module_name(path)} (layer {own}) imports {imported} (layer {other})"


def test_no_import_cycle() -> None:
    graph = {
        module_name(p): {i for i in imports_of(p) if ours(i) and i != module_name(p)}
        for p in RUNTIME
    }
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if state.get(nxt) is None:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if state.get(node) is None:
            visit(node, [node])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_runtime_never_imports_pytest_or_the_fake_server(path: Path) -> None:
    name = module_name(path)
    imported = set(imports_of(path))
    if name != "lmstudio.testing.pytest_plugin":
        assert not {i for i in imported if i.split(".")[0] in {"pytest", "_pytest"}}, name
    if not name.startswith(TESTING):
        assert not {i for i in imported if i.startswith(TESTING)}, name


def test_the_base_and_the_protocol_layer_import_nothing_of_ours() -> None:
    for path in SOURCES:
        name = module_name(path)
        if layer(name) in (0, 1):
            imported = {i for i in imports_of(path) if ours(i)}
            assert {i for i in imported if layer(i) != layer(name)} == set(), name


@pytest.mark.parametrize(
    "path",
    [p for p in SOURCES if "_protocol" not in p.parts]
    + sorted((PACKAGE.parent / "codegen").glob("*.py")),
    ids=lambda p: str(p.relative_to(PACKAGE.parent)),
)
def test_no_hand_written_module_over_600_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= 600, f"{path.name} has {lines} lines: split it by what its parts do"
