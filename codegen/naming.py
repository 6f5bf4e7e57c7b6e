"""Settling the generated classes' names, once every class is built.

A class that several namespaces share, each at the same endpoint part, loses its
namespace prefix (``EmbeddingRpcTokenizeParameter`` -> ``RpcTokenizeParameter``), then
``names.PUBLIC_NAMES`` gives the chat classes the official SDK's names (``FileHandle``...).
A renamed definition keeps its own name as an alias of the renamed class.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from .ir import AliasDef, DictOf, ListOf, Module, Named, TupleOf, TypeExpr, UnionOf
from .names import PUBLIC_NAMES
from .schema import Schema

__all__ = ["ENDPOINT_PARTS", "pascal", "rename", "settle_names"]


def pascal(text: str) -> str:
    """``llm/channel/predict`` -> ``LlmChannelPredict``; ``generic.pathNotFound`` -> ``GenericPathNotFound``."""
    words = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(w[0].upper() + w[1:] for w in words if w)


def settle_names(
    module: Module,
    schema: Schema,
    aliases_of: Mapping[str, TypeExpr],
    sharers: Mapping[str, list[str]],
) -> None:
    """Neutral names for cross-namespace endpoint classes, then the public names."""
    mapping = _neutral_names(module, schema, sharers)
    classes = {c.name for c in module.classes}
    for old, new in PUBLIC_NAMES.items():
        if old not in classes:
            raise ValueError(f"PUBLIC_NAMES: no generated class {old!r}")
        mapping[old] = new
    taken = classes | {a.name for a in module.aliases}
    for old, new in mapping.items():
        # the one name a class may take over is an alias that stands for that class
        clash = new in taken and aliases_of.get(new) != Named(old)
        if clash or list(mapping.values()).count(new) > 1:
            raise ValueError(f"renaming {old} to {new} clashes with another name")
    definitions = schema.definitions
    aliases: list[AliasDef] = []
    for cls in module.classes:
        if cls.name in mapping and cls.location in definitions:
            # a definition keeps its own name, as an alias of the renamed class
            aliases.append(AliasDef(cls.name, cls.location, Named(mapping[cls.name])))
    for alias in module.aliases:
        target = rename(alias.type, mapping)
        if target != Named(alias.name):
            aliases.append(dataclasses.replace(alias, type=target))
    module.aliases = aliases
    for cls in module.classes:
        cls.name = mapping.get(cls.name, cls.name)
        for f in cls.fields:
            f.type = rename(f.type, mapping)
    for entry in module.endpoints:
        for attr in ENDPOINT_PARTS:
            value = getattr(entry, attr)
            if value is not None:
                setattr(entry, attr, mapping.get(value, value))
    # ``entry.declared`` stays valid: a renamed definition keeps its name as an alias


def _neutral_names(
    module: Module, schema: Schema, sharers: Mapping[str, list[str]]
) -> dict[str, str]:
    """Classes several namespaces share, each at the same endpoint part: no namespace.

    The cancel packet that many endpoints share keeps its first name: no namespace has
    all those endpoints, so no neutral name would fit.
    """
    namespaces = set(schema.namespaces)
    found: dict[str, str] = {}
    for cls in module.classes:
        places = [cls.location, *sharers.get(cls.name, [])]
        split = [place.split("/", 1) for place in places]
        if any(len(parts) < 2 or parts[0] not in namespaces for parts in split):
            continue
        spans = {parts[0] for parts in split}
        named_after = split[0][1]  # the place the class is named after, less its namespace
        if len(spans) < 2 or {ns for ns, rest in split if rest == named_after} != spans:
            continue
        prefix = pascal(split[0][0])
        if cls.name.startswith(prefix) and len(cls.name) > len(prefix):
            found[cls.name] = cls.name[len(prefix) :]
    return found


ENDPOINT_PARTS = (
    "parameter",
    "returns",
    "creation_parameter",
    "to_server_packet",
    "to_client_packet",
)


def rename(expr: TypeExpr, mapping: Mapping[str, str]) -> TypeExpr:
    """``expr`` with the class names in ``mapping`` replaced."""
    if isinstance(expr, Named):
        return Named(mapping.get(expr.name, expr.name))
    if isinstance(expr, ListOf):
        return dataclasses.replace(expr, item=rename(expr.item, mapping))
    if isinstance(expr, DictOf):
        return dataclasses.replace(expr, value=rename(expr.value, mapping))
    if isinstance(expr, TupleOf):
        return TupleOf(tuple(rename(item, mapping) for item in expr.items))
    if isinstance(expr, UnionOf):
        return UnionOf(tuple(rename(member, mapping) for member in expr.members))
    return expr
