"""Each layer imports only the layers below it (see shared/design.md, "Layers").

1. ``lmstudio._protocol`` (generated)      imports nothing of ours
2. ``lmstudio._engine`` (+ ``errors``)     imports the protocol layer
3. feature modules (``lmstudio/*.py``)     import the engine and the protocol layer
4. ``lmstudio.client`` / ``__init__``      import the features
5. ``lmstudio.testing``                    may import anything above, and nothing imports it

The runtime never imports pytest: only the opt-in plugin module does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lmstudio"


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
    """The layer of one of our modules, ``None`` for anything else."""
    if module != "lmstudio" and not module.startswith("lmstudio."):
        return None
    if module.startswith("lmstudio._protocol"):
        return 1
    if module.startswith("lmstudio._engine") or module == "lmstudio.errors":
        return 2
    if module.startswith("lmstudio.testing"):
        return 5
    if module in {"lmstudio", "lmstudio.client"}:
        return 4
    return 3


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_classified() -> None:
    assert len(SOURCES) > 20
    assert all(layer(module_name(p)) is not None for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_only_lower_layers(path: Path) -> None:
    own = layer(module_name(path))
    assert own is not None
    for imported in imports_of(path):
        other = layer(imported)
        if other is None or imported.startswith(module_name(path)):
            continue
        if own == 5:
            continue  # the fake server may build on any layer
        assert other <= own, f"{module_name(path)} (layer {own}) imports {imported} (layer {other})"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_runtime_never_imports_pytest_or_the_fake_server(path: Path) -> None:
    name = module_name(path)
    imported = set(imports_of(path))
    if name != "lmstudio.testing.pytest_plugin":
        assert not {i for i in imported if i.split(".")[0] in {"pytest", "_pytest"}}, name
    if not name.startswith("lmstudio.testing"):
        assert not {i for i in imported if i.startswith("lmstudio.testing")}, name


def test_the_protocol_layer_imports_nothing_of_ours() -> None:
    for path in (PACKAGE / "_protocol").glob("*.py"):
        ours = {i for i in imports_of(path) if layer(i) is not None}
        assert ours <= {i for i in ours if i.startswith("lmstudio._protocol")}, path
