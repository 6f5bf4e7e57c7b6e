"""The generator's intermediate representation: types that render in two modes.

``lenient`` renders what the client uses to decode what a server sends (enum
values as ``str``, no constraints); ``strict`` renders what the fake server uses to
check what a client sends, as LM Studio's zod does (``Literal`` enums, numeric and
length constraints).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["lenient", "strict"]


class TypeExpr:
    """A Python type expression for one schema node."""

    def render(self, mode: Mode) -> str:
        raise NotImplementedError

    def refs(self) -> set[str]:
        """Names of generated classes and aliases this expression mentions."""
        return set()


@dataclass(frozen=True)
class Prim(TypeExpr):
    name: str  # str, int, float, bool, None, Any
    constraints: tuple[tuple[str, object], ...] = ()

    def render(self, mode: Mode) -> str:
        if mode == "strict" and self.constraints:
            meta = ", ".join(f"{key}={value!r}" for key, value in self.constraints)
            return f"Annotated[{self.name}, Meta({meta})]"
        return self.name


@dataclass(frozen=True)
class Lit(TypeExpr):
    """String (or other scalar) literals: an enum or a constant."""

    values: tuple[object, ...]
    base: str  # str, int, float, bool

    def render(self, mode: Mode) -> str:
        if mode == "lenient" or self.base not in ("str", "int"):
            return self.base  # msgspec literals hold str and int values only
        return "Literal[" + ", ".join(json.dumps(v) for v in self.values) + "]"


@dataclass(frozen=True)
class ListOf(TypeExpr):
    item: TypeExpr
    constraints: tuple[tuple[str, object], ...] = ()

    def render(self, mode: Mode) -> str:
        inner = f"list[{self.item.render(mode)}]"
        if mode == "strict" and self.constraints:
            meta = ", ".join(f"{key}={value!r}" for key, value in self.constraints)
            return f"Annotated[{inner}, Meta({meta})]"
        return inner

    def refs(self) -> set[str]:
        return self.item.refs()


@dataclass(frozen=True)
class TupleOf(TypeExpr):
    items: tuple[TypeExpr, ...]

    def render(self, mode: Mode) -> str:
        return "tuple[" + ", ".join(item.render(mode) for item in self.items) + "]"

    def refs(self) -> set[str]:
        return set().union(*(item.refs() for item in self.items))


@dataclass(frozen=True)
class DictOf(TypeExpr):
    value: TypeExpr

    def render(self, mode: Mode) -> str:
        return f"dict[str, {self.value.render(mode)}]"

    def refs(self) -> set[str]:
        return self.value.refs()


@dataclass(frozen=True)
class Named(TypeExpr):
    """A reference to a generated class or type alias."""

    name: str

    def render(self, mode: Mode) -> str:
        return self.name

    def refs(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class UnionOf(TypeExpr):
    members: tuple[TypeExpr, ...]

    def render(self, mode: Mode) -> str:
        rendered: list[str] = []
        for member in self.members:
            text = member.render(mode)
            if text not in rendered:
                rendered.append(text)
        if mode == "lenient" and "str" in rendered:
            # msgspec allows one str-like member; lenient literals collapse to str
            rendered = [r for i, r in enumerate(rendered) if r != "str" or rendered.index(r) == i]
        return " | ".join(rendered)

    def refs(self) -> set[str]:
        return set().union(*(member.refs() for member in self.members))


@dataclass
class Field:
    wire_name: str
    attr: str
    type: TypeExpr
    nullable: bool
    required_strict: bool
    required_lenient: bool

    def key(self) -> tuple[object, ...]:
        return (
            self.wire_name,
            self.type.render("strict"),
            self.nullable,
            self.required_strict,
            self.required_lenient,
        )


@dataclass
class ClassDef:
    name: str
    location: str  # where the schema defines it, for the docstring
    fields: list[Field]
    tag_field: str | None = None
    tag: str | None = None
    doc: str | None = None

    def key(self) -> tuple[object, ...]:
        return (self.tag_field, self.tag, tuple(f.key() for f in self.fields))


@dataclass
class AliasDef:
    name: str
    location: str
    type: TypeExpr
    doc: str | None = None


@dataclass
class EndpointDef:
    namespace: str
    kind: str
    name: str
    parameter: str | None = None
    returns: str | None = None
    creation_parameter: str | None = None
    to_server_packet: str | None = None
    to_client_packet: str | None = None
    in_2025: bool = True
    optional: tuple[str, ...] = ()
    """Wire names of the parts (``parameter``, ``creationParameter``) a client may omit."""
    declared: dict[str, str] = field(default_factory=dict)
    """Part -> the name its own definition has (``LlmRpcTokenizeParameter``, maybe an alias)."""


@dataclass
class Module:
    classes: list[ClassDef] = field(default_factory=list)
    aliases: list[AliasDef] = field(default_factory=list)
    endpoints: list[EndpointDef] = field(default_factory=list)
