"""A GBNF grammar (llama.cpp's format) and the shortest string it accepts.

Public, stable rule: structured output with a GBNF grammar is the shortest string the
grammar's ``root`` rule derives (ties go to the earliest alternative; a character class
gives its first character, a negated class the first character of ``a-z``, ``A-Z``,
``0-9``, then printable ASCII, that it does not exclude; ``*`` and ``?`` repeat zero
times, ``+`` once, ``{m,n}`` m times).

Supported syntax: ``name ::= ...`` rules, ``"literals"`` with ``\\n \\r \\t \\\\ \\"
\\xHH \\uHHHH \\UHHHHHHHH`` escapes, ``[...]`` / ``[^...]`` classes with ranges, ``.``,
``( ... )`` groups, ``|``, ``*``, ``+``, ``?``, ``{m}``, ``{m,}``, ``{m,n}`` and ``#``
comments. As in llama.cpp, a newline ends a rule except inside parentheses or after
``::=`` and ``|``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

__all__ = ["GrammarError", "shortest_text"]

_INF = float("inf")
_PREFERRED = string.ascii_lowercase + string.ascii_uppercase + string.digits


class GrammarError(ValueError):
    """The grammar cannot be parsed or has no finite derivation."""


@dataclass(frozen=True)
class _Literal:
    text: str


@dataclass(frozen=True)
class _Class:
    ranges: tuple[tuple[str, str], ...]
    negated: bool


@dataclass(frozen=True)
class _Ref:
    name: str


@dataclass(frozen=True)
class _Alt:
    options: tuple[tuple[_Node, ...], ...]


@dataclass(frozen=True)
class _Repeat:
    item: _Node
    low: int


_Node = _Literal | _Class | _Ref | _Alt | _Repeat


def shortest_text(grammar: str) -> str:
    """The shortest string ``grammar``'s ``root`` rule accepts (see the module rule)."""
    rules = _Parser(grammar).parse()
    if "root" not in rules:
        raise GrammarError("the grammar has no 'root' rule")
    for body in rules.values():
        _check_refs(body, rules)
    costs = _rule_costs(rules)
    if costs["root"] == _INF:
        raise GrammarError("the grammar's root rule derives no finite string")
    out: list[str] = []
    _emit(rules["root"], rules, costs, out)
    return "".join(out)


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0

    def fail(self, message: str) -> GrammarError:
        line = self.src.count("\n", 0, self.pos) + 1
        return GrammarError(f"GBNF parse error at line {line}: {message}")

    def peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else ""

    def skip(self, newline_ok: bool) -> None:
        while self.pos < len(self.src):
            c = self.src[self.pos]
            if c == "#":
                while self.pos < len(self.src) and self.src[self.pos] not in "\r\n":
                    self.pos += 1
            elif c in " \t" or (newline_ok and c in "\r\n"):
                self.pos += 1
            else:
                return

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.src) and (
            self.src[self.pos].isalnum() or self.src[self.pos] in "-_"
        ):
            self.pos += 1
        if start == self.pos:
            raise self.fail(f"expected a rule name, found {self.peek()!r}")
        return self.src[start : self.pos]

    def parse(self) -> dict[str, _Node]:
        rules: dict[str, _Node] = {}
        self.skip(True)
        while self.pos < len(self.src):
            name = self.name()
            self.skip(False)
            if not self.src.startswith("::=", self.pos):
                raise self.fail("expected '::='")
            self.pos += 3
            self.skip(True)
            rules[name] = self.alternatives(nested=False)
            if self.peek() not in ("", "\r", "\n"):
                raise self.fail(f"unexpected {self.peek()!r}")
            self.skip(True)
        return rules

    def alternatives(self, *, nested: bool) -> _Alt:
        options = [self.sequence(nested=nested)]
        while self.peek() == "|":
            self.pos += 1
            self.skip(True)
            options.append(self.sequence(nested=nested))
        return _Alt(tuple(options))

    def sequence(self, *, nested: bool) -> tuple[_Node, ...]:
        items: list[_Node] = []
        while True:
            c = self.peek()
            if c == '"':
                self.pos += 1
                chars: list[str] = []
                while self.peek() != '"':
                    if self.peek() == "":
                        raise self.fail("unterminated literal")
                    chars.append(self.char())
                self.pos += 1
                items.append(_Literal("".join(chars)))
            elif c == "[":
                items.append(self.char_class())
            elif c == ".":
                self.pos += 1
                items.append(_Class((), negated=True))
            elif c == "(":
                self.pos += 1
                self.skip(True)
                group = self.alternatives(nested=True)
                if self.peek() != ")":
                    raise self.fail("expected ')'")
                self.pos += 1
                items.append(group)
            elif c and (c.isalnum() or c in "-_"):
                items.append(_Ref(self.name()))
            elif c in ("*", "+", "?", "{"):
                if not items:
                    raise self.fail(f"{c!r} without anything to repeat")
                items[-1] = self.repetition(items[-1])
            else:
                return tuple(items)
            self.skip(nested)

    def repetition(self, item: _Node) -> _Node:
        c = self.peek()
        self.pos += 1
        if c in "*?":
            return _Repeat(item, 0)
        if c == "+":
            return _Repeat(item, 1)
        end = self.src.find("}", self.pos)
        if end < 0:
            raise self.fail("unterminated '{'")
        bounds = self.src[self.pos : end].split(",")[0].strip()
        self.pos = end + 1
        if not bounds.isdigit():
            raise self.fail("a repetition needs a minimum count")
        return _Repeat(item, int(bounds))

    def char_class(self) -> _Class:
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges: list[tuple[str, str]] = []
        while self.peek() != "]":
            if self.peek() == "":
                raise self.fail("unterminated character class")
            low = self.char()
            high = low
            if self.peek() == "-" and self.src[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self.char()
            ranges.append((low, high))
        self.pos += 1
        return _Class(tuple(ranges), negated)

    def char(self) -> str:
        c = self.src[self.pos]
        if c != "\\":
            self.pos += 1
            return c
        esc = self.src[self.pos + 1 : self.pos + 2]
        simple = {
            "n": "\n",
            "r": "\r",
            "t": "\t",
            "\\": "\\",
            '"': '"',
            "[": "[",
            "]": "]",
            "-": "-",
        }
        if esc in simple:
            self.pos += 2
            return simple[esc]
        width = {"x": 2, "u": 4, "U": 8}.get(esc)
        if width is None:
            raise self.fail(f"unknown escape '\\{esc}'")
        digits = self.src[self.pos + 2 : self.pos + 2 + width]
        try:
            value = int(digits, 16)
        except ValueError:
            raise self.fail(f"bad escape '\\{esc}{digits}'") from None
        self.pos += 2 + width
        return chr(value)


def _check_refs(node: _Node, rules: dict[str, _Node]) -> None:
    match node:
        case _Ref(name):
            if name not in rules:
                raise GrammarError(f"undefined rule {name!r}")
        case _Alt(options):
            for option in options:
                for item in option:
                    _check_refs(item, rules)
        case _Repeat(item, _):
            _check_refs(item, rules)
        case _:
            pass


def _cost(node: _Node, costs: dict[str, float]) -> float:
    match node:
        case _Literal(text):
            return len(text)
        case _Class():
            return 1
        case _Ref(name):
            return 1 + costs[name]
        case _Alt(options):
            return min(sum(_cost(item, costs) for item in option) for option in options)
        case _Repeat(item, low):
            return 0 if low == 0 else low * _cost(item, costs)
    raise AssertionError(node)


def _rule_costs(rules: dict[str, _Node]) -> dict[str, float]:
    costs = dict.fromkeys(rules, _INF)
    changed = True
    while changed:
        changed = False
        for name, body in rules.items():
            cost = _cost(body, costs)
            if cost < costs[name]:
                costs[name] = cost
                changed = True
    return costs


def _emit(node: _Node, rules: dict[str, _Node], costs: dict[str, float], out: list[str]) -> None:
    match node:
        case _Literal(text):
            out.append(text)
        case _Class(ranges, negated):
            out.append(_class_char(ranges, negated))
        case _Ref(name):
            _emit(rules[name], rules, costs, out)
        case _Alt(options):
            totals = [sum(_cost(item, costs) for item in option) for option in options]
            for item in options[totals.index(min(totals))]:
                _emit(item, rules, costs, out)
        case _Repeat(item, low):
            for _ in range(low):
                _emit(item, rules, costs, out)


def _class_char(ranges: tuple[tuple[str, str], ...], negated: bool) -> str:
    if not negated:
        if not ranges:
            raise GrammarError("empty character class")
        return ranges[0][0]
    candidates: list[str] = [*_PREFERRED, *(chr(c) for c in range(32, 127))]
    for candidate in candidates:
        if not any(low <= candidate <= high for low, high in ranges):
            return candidate
    raise GrammarError("a negated character class excludes every printable character")
