"""From the JSON Schema export to the generator's intermediate representation.

Naming (stable, documented in ``codegen/README.md``):

- a definition becomes the PascalCase of its name split on ``/``:
  ``llm/channel/predict/creationParameter`` -> ``LlmChannelPredictCreationParameter``,
  ``llmPredictionFragment`` -> ``LlmPredictionFragment``;
- a branch of a tagged union appends its tag value in PascalCase:
  ``LlmChannelPredictToClientPacketFragment``;
- an inline object appends its property name (``<Parent><Property>``), ``Item`` for
  array items and ``Value`` for record values;
- two objects with the same fields and tag are generated once: the shared
  definition's name wins, other definition names become aliases of it;
- then names are settled once (:func:`naming.settle_names`): a class that several namespaces
  share, each at the endpoint part it is named after, drops the namespace
  (``llm/rpc/tokenize/parameter`` and ``embedding/rpc/tokenize/parameter`` ->
  ``RpcTokenizeParameter``), and a class in
  :data:`~codegen.names.PUBLIC_NAMES` takes its public name (``FileHandle``). A renamed
  definition keeps its own name as an alias.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from typing import Any

import msgspec

from .ir import (
    AliasDef,
    ClassDef,
    DictOf,
    EndpointDef,
    Field,
    ListOf,
    Lit,
    Module,
    Named,
    Prim,
    TupleOf,
    TypeExpr,
    UnionOf,
)
from .names import SUPERJSON_RESULTS
from .naming import pascal, settle_names
from .schema import REF_PREFIX, Node, Schema

TAG_CANDIDATES = ("type", "role", "code")
ANY = Prim("Any")
NONE = Prim("None")
Step = tuple[Any, ...]

_SCALAR = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_CONSTRAINT_KEYS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_length",
    "maxItems": "max_length",
}


def snake(text: str) -> str:
    """camelCase wire name -> snake_case attribute name (a valid identifier)."""
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "field"
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()
    if text[0].isdigit():
        text = "f_" + text
    if keyword.iskeyword(text) or text in {"type", "self"}:
        text += "_"
    return text


def camel_encoding(attr: str) -> str:
    """The wire name msgspec's ``rename="camel"`` gives an attribute."""
    probe = msgspec.defstruct("Probe", [(attr, int)], rename="camel")
    return msgspec.structs.fields(probe)[0].encode_name


def _constraints(node: Node) -> tuple[tuple[str, object], ...]:
    found: list[tuple[str, object]] = []
    for key, meta in _CONSTRAINT_KEYS.items():
        if key in node:
            found.append((meta, node[key]))
    pattern = node.get("pattern")
    if isinstance(pattern, str) and "\\p" not in pattern:
        try:
            re.compile(pattern)
        except re.error:
            pass
        else:
            found.append(("pattern", pattern))
    return tuple(found)


class Builder:
    """Walks the current schema once, consulting the 2025 one for required-ness."""

    def __init__(self, schema: Schema, old: Schema | None) -> None:
        self.schema = schema
        self.old = old
        self.module = Module()
        self.names: set[str] = set()
        self.by_pointer: dict[str, TypeExpr] = {}
        self.by_key: dict[tuple[object, ...], str] = {}
        self.in_progress: dict[str, str] = {}
        self.recursive: set[str] = set()
        self.classes: dict[str, ClassDef] = {}
        self.aliases: dict[str, TypeExpr] = {}
        self.void: set[str] = set()
        self.sharers: dict[str, list[str]] = {}  # class -> other schema places it stands for
        self.own_names: dict[str, str] = {}  # definition -> its own name (class or alias)

    # --- entry point -----------------------------------------------------------

    def build(self) -> Module:
        names = list(self.schema.definitions)
        endpoint_prefixes = tuple(f"{ns}/" for ns in self.schema.namespaces)
        shared = sorted(n for n in names if not n.startswith(("pseudo/", *endpoint_prefixes)))
        per_endpoint = [n for n in names if n.startswith(endpoint_prefixes)]
        for name in shared + per_endpoint:
            self.definition(name)
        self._endpoints()
        self._superjson()
        settle_names(self.module, self.schema, self.aliases, self.sharers)
        return self.module

    # --- definitions -----------------------------------------------------------

    def definition(self, name: str) -> TypeExpr | None:
        """The type of a whole definition (``None`` for ``undefined``/void)."""
        pointer = REF_PREFIX + name
        if pointer in self.by_pointer:
            return self.by_pointer[pointer]
        if name in self.void:
            return None
        node = self.schema.definitions[name]
        if node == {"not": {}}:
            self.void.add(name)
            return None
        py_name = self._unique(pascal(name))
        self.own_names[name] = py_name
        loc: list[Step] = [("def", name)]
        if self._is_struct(node):
            result = self._struct(node, py_name, pointer, loc, tag_field=None, named=True)
        else:
            self.by_pointer[pointer] = Named(py_name)
            inner = self._type(node, py_name, pointer, loc)
            self.aliases[py_name] = inner
            self.module.aliases.append(AliasDef(py_name, name, inner, node.get("description")))
            result = Named(py_name)
        self.by_pointer[pointer] = result
        return result

    # --- types -----------------------------------------------------------------

    def _type(self, node: Node, hint: str, pointer: str, loc: list[Step]) -> TypeExpr:
        if "$ref" in node:
            return self._ref(node["$ref"])
        if not node:
            return ANY
        if node == {"not": {}}:
            return NONE
        if "anyOf" in node:
            return self._union(node["anyOf"], hint, pointer + "/anyOf", loc)
        kind = node.get("type")
        if isinstance(kind, list):
            members = [self._type({**node, "type": k}, hint, pointer, loc) for k in kind]
            return self._merge_union(members)
        if "const" in node:
            value = node["const"]
            return Lit((value,), _scalar_base(value))
        if "enum" in node:
            values = tuple(node["enum"])
            return Lit(values, _scalar_base(values[0]))
        if kind in _SCALAR:
            return Prim(_SCALAR[kind], _constraints(node))
        if kind == "null":
            return NONE
        if kind == "array":
            items = node.get("items")
            if isinstance(items, list):
                return TupleOf(
                    tuple(
                        self._type(item, f"{hint}Item{i}", f"{pointer}/items/{i}", loc)
                        for i, item in enumerate(items)
                    )
                )
            if isinstance(items, dict):
                item = self._type(items, hint + "Item", pointer + "/items", [*loc, ("items",)])
                return ListOf(item, _constraints(node))
            return ListOf(ANY, _constraints(node))
        if kind == "object" or "properties" in node:
            if self._is_struct(node):
                return self._struct(node, hint, pointer, loc, tag_field=None, named=False)
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                value = self._type(extra, hint + "Value", pointer + "/additionalProperties", loc)
                return DictOf(value)
            return DictOf(ANY)
        return ANY

    def _ref(self, ref: str) -> TypeExpr:
        name, rest = self.schema.split_ref(ref)
        if not rest:
            found = self.definition(name)
            return NONE if found is None else found
        if ref in self.by_pointer:
            return self.by_pointer[ref]
        node = self.schema.resolve(ref)
        hint = pascal(name) + "".join(
            pascal(seg) for seg in rest if seg not in {"properties", "anyOf", "items"}
        )
        loc: list[Step] = [("def", name)]
        i = 0
        while i < len(rest):
            seg = rest[i]
            if seg == "properties":
                loc.append(("prop", rest[i + 1]))
                i += 2
            elif seg == "anyOf":
                loc.append(("anyOf", int(rest[i + 1])))
                i += 2
            elif seg == "items":
                loc.append(("items",))
                i += 1
            else:
                loc.append(("other", seg))
                i += 1
        result = self._type(node, hint, ref, loc)
        self.by_pointer[ref] = result
        return result

    def _union(self, branches: list[Node], hint: str, pointer: str, loc: list[Step]) -> TypeExpr:
        concrete = [self.schema.deref(b) for b in branches]
        real = [(b, c) for b, c in zip(branches, concrete, strict=True) if c != {"not": {}}]
        has_undefined = len(real) < len(branches)
        tag_field = self._discriminator([c for _, c in real])
        members: list[TypeExpr] = []
        for index, (branch, resolved) in enumerate(real):
            if tag_field is not None and "$ref" not in branch:
                tag = resolved["properties"][tag_field]["const"]
                members.append(
                    self._struct(
                        resolved,
                        hint + pascal(str(tag)),
                        f"{pointer}/{index}",
                        [*loc, ("branch", tag_field, tag)],
                        tag_field=tag_field,
                        named=False,
                    )
                )
            else:
                branch_hint = hint if len(real) == 1 else f"{hint}Variant{index}"
                members.append(
                    self._type(branch, branch_hint, f"{pointer}/{index}", [*loc, ("anyOf", index)])
                )
        if has_undefined:
            members.append(NONE)
        return self._merge_union(members)

    def _discriminator(self, nodes: Sequence[Node]) -> str | None:
        if not nodes or not all(self._is_struct(n) for n in nodes):
            return None
        for candidate in TAG_CANDIDATES:
            values = [
                n["properties"].get(candidate, {}).get("const")
                for n in nodes
                if candidate in n.get("required", [])
            ]
            complete = len(values) == len(nodes) and all(isinstance(v, str) for v in values)
            if complete and len(set(values)) == len(values):
                return candidate
        return None

    def _merge_union(self, members: list[TypeExpr]) -> TypeExpr:
        """Flatten and make a union msgspec accepts (one member per JSON kind)."""
        flat: list[TypeExpr] = []
        for member in members:
            if isinstance(member, Named) and isinstance(self.aliases.get(member.name), UnionOf):
                member = self.aliases[member.name]
            flat.extend(member.members if isinstance(member, UnionOf) else [member])
        if any(m == ANY for m in flat):
            return ANY
        literals: dict[str, list[object]] = {}
        others: list[TypeExpr] = []
        for member in flat:
            if isinstance(member, Lit):
                literals.setdefault(member.base, []).extend(member.values)
            elif member not in others:
                others.append(member)
        for base, values in literals.items():
            if not any(isinstance(o, Prim) and o.name == base for o in others):
                others.append(Lit(tuple(dict.fromkeys(values)), base))
        kinds: dict[str, list[TypeExpr]] = {}
        for member in others:
            kinds.setdefault(self._json_kind(member), []).append(member)
        for kind, group in kinds.items():
            if len(group) > 1 and not kind.startswith("tagged:"):
                if kind == "object" and len(kinds) == 1:
                    return DictOf(ANY)
                return ANY
        tagged = [k for k in kinds if k.startswith("tagged:")]
        if tagged and (len(tagged) > 1 or "object" in kinds):
            return ANY
        ordered = sorted(others, key=lambda m: self._json_kind(m) == "null")
        return ordered[0] if len(ordered) == 1 else UnionOf(tuple(ordered))

    def _json_kind(self, member: TypeExpr) -> str:
        if isinstance(member, Named):
            if member.name in self.aliases:
                target = self.aliases[member.name]
                return self._json_kind(target) if not isinstance(target, UnionOf) else "union"
            cls = self.classes.get(member.name)
            if cls is not None and cls.tag_field is not None:
                return f"tagged:{cls.tag_field}"
            return "object"
        if isinstance(member, DictOf):
            return "object"
        if isinstance(member, ListOf | TupleOf):
            return "array"
        if isinstance(member, Lit):
            return member.base
        if isinstance(member, Prim):
            return "null" if member.name == "None" else member.name
        return "union"

    # --- structs ---------------------------------------------------------------

    @staticmethod
    def _is_struct(node: Node) -> bool:
        return node.get("type") == "object" and bool(node.get("properties"))

    def _struct(
        self,
        node: Node,
        hint: str,
        pointer: str,
        loc: list[Step],
        tag_field: str | None,
        named: bool,
    ) -> TypeExpr:
        if pointer in self.by_pointer:
            return self.by_pointer[pointer]
        if pointer in self.in_progress:
            self.recursive.add(pointer)
            return Named(self.in_progress[pointer])
        properties: dict[str, Node] = node["properties"]
        required = set(node.get("required", []))
        if tag_field is None:
            for candidate in TAG_CANDIDATES:
                prop = properties.get(candidate, {})
                if candidate in required and isinstance(prop.get("const"), str):
                    tag_field = candidate
                    break
        tag = properties[tag_field]["const"] if tag_field else None
        name = hint if named else self._unique(hint)
        self.in_progress[pointer] = name
        old_required = self._old_required(loc)
        fields: list[Field] = []
        attrs: set[str] = set()
        for wire, prop in properties.items():
            if wire == tag_field:
                continue
            attr = snake(wire)
            while attr in attrs:
                attr += "_"
            attrs.add(attr)
            ftype = self._type(
                prop, name + pascal(wire), f"{pointer}/properties/{wire}", [*loc, ("prop", wire)]
            )
            is_required = wire in required
            lenient_required = is_required and (old_required is None or wire in old_required)
            nullable = (isinstance(ftype, UnionOf) and NONE in ftype.members) or ftype == NONE
            fields.append(Field(wire, attr, ftype, nullable, is_required, lenient_required))
        del self.in_progress[pointer]
        cls = ClassDef(
            name, pointer[len(REF_PREFIX) :], fields, tag_field, tag, node.get("description")
        )
        key = cls.key()
        existing = self.by_key.get(key)
        if existing is not None and pointer not in self.recursive:
            self.sharers.setdefault(existing, []).append(pointer[len(REF_PREFIX) :])
            if named:
                self.aliases[name] = Named(existing)
                self.module.aliases.append(AliasDef(name, cls.location, Named(existing)))
            else:
                self.names.discard(name)
            result: TypeExpr = Named(existing)
        else:
            self.by_key.setdefault(key, name)
            self.classes[name] = cls
            self.module.classes.append(cls)
            result = Named(name)
        self.by_pointer[pointer] = result
        return result

    def _old_required(self, loc: list[Step]) -> set[str] | None:
        """Required properties of the same object in the 2025 schema, ``None`` if it has none."""
        if self.old is None:
            return None
        node: Node | None = None
        for step in loc:
            if step[0] == "def":
                node = self.old.definitions.get(step[1])
            elif node is None:
                return None
            else:
                node = self.old.deref(node)
                if step[0] == "prop":
                    node = node.get("properties", {}).get(step[1])
                elif step[0] == "items":
                    items = node.get("items")
                    node = items if isinstance(items, dict) else None
                elif step[0] == "anyOf":
                    options = node.get("anyOf", [])
                    node = options[step[1]] if step[1] < len(options) else None
                elif step[0] == "branch":
                    _, field_name, value = step
                    node = next(
                        (
                            b
                            for b in map(self.old.deref, node.get("anyOf", []))
                            if b.get("properties", {}).get(field_name, {}).get("const") == value
                        ),
                        None,
                    )
                else:
                    return None
            if node is None:
                return None
        if node is None:
            return None
        node = self.old.deref(node)
        if "properties" not in node:
            return None
        return set(node.get("required", []))

    def _unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.names:
            candidate, n = f"{name}{n}", n + 1
        self.names.add(candidate)
        return candidate

    # --- endpoint registry ----------------------------------------------------

    def _endpoints(self) -> None:
        old_endpoints = set()
        if self.old is not None:
            old_endpoints = {(ns, kind, n) for ns, kind, n, _ in self.old.endpoint_definitions()}
        for namespace, kind, name, pseudo in self.schema.endpoint_definitions():
            entry = EndpointDef(
                namespace, kind, name, in_2025=(namespace, kind, name) in old_endpoints
            )
            required = set(pseudo.get("required", []))
            optional = []
            for part, ref in pseudo.get("properties", {}).items():
                def_name, rest = self.schema.split_ref(ref["$ref"])
                assert not rest
                if part in ("parameter", "creationParameter") and _may_be_absent(
                    part in required, self.schema.definitions[def_name]
                ):
                    optional.append(part)
                found = self.definition(def_name)
                type_name = None if found is None else self._type_name(def_name, found)
                attr = snake(part)
                if not hasattr(entry, attr):
                    raise ValueError(f"unknown endpoint part {part!r} in {namespace}/{name}")
                setattr(entry, attr, type_name)
                if found is not None:
                    entry.declared[attr] = self.own_names[def_name]
            # A void part (z.void(), z.undefined()) has no type: the client sends nothing.
            entry.optional = tuple(p for p in optional if getattr(entry, snake(p)) is not None)
            self.module.endpoints.append(entry)

    def _superjson(self) -> None:
        """Superjson endpoints return an envelope ``{json, meta}``: the registry says so.

        LM Studio serializes a few endpoints with superjson (``SUPERJSON_RESULTS``; the
        schema cannot say which). Their result arrives as ``{"json": <the value the schema
        describes>, "meta": {...}}``, so the registry's (and the descriptor's) result type
        is a generated envelope class whose ``json`` is the schema's type; the client
        unwraps it. Parameters are unchanged: a void one is sent as superjson's
        ``undefined`` by the feature that calls the endpoint.
        """
        for entry in self.module.endpoints:
            key = (entry.namespace, entry.name)
            if key not in SUPERJSON_RESULTS or entry.returns is None:
                continue
            location = f"{entry.namespace}/{entry.kind}/{entry.name}/returns"
            value = entry.declared.get("returns", entry.returns)
            cls = ClassDef(
                name=self._unique(SUPERJSON_RESULTS[key]),
                location=location,
                fields=[
                    Field("json", "json", Named(value), False, True, True),
                    Field("meta", "meta", DictOf(Prim("Any")), False, False, False),
                ],
                doc="The superjson envelope LM Studio sends this endpoint's result in.",
            )
            self.module.classes.append(cls)
            entry.returns = cls.name
            entry.declared["returns"] = cls.name

    def _type_name(self, def_name: str, found: TypeExpr) -> str:
        if isinstance(found, Named):
            return found.name
        raise ValueError(f"definition {def_name} has no name")


def _may_be_absent(required: bool, node: Node) -> bool:
    """Whether a client may omit an endpoint part (zod's ``.optional()``, ``z.void()``).

    zod-to-json-schema leaves a ``z.void()`` part out of the endpoint's pseudo definition,
    renders ``z.undefined()`` as ``{"not": {}}`` and ``X.optional()`` as
    ``anyOf [{"not": {}}, X]`` without listing the part as required. None of them accepts
    ``null``, and no endpoint part of either schema generation is nullable.
    """
    if node == {"not": {}}:
        return True
    branches = node.get("anyOf", [])
    return not required or {"not": {}} in branches


def _scalar_base(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"
