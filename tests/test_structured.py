"""Response formats: the JSON schema sent, and how the answer is parsed."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any, TypedDict

import msgspec
import pytest

from lmstudio._data.structured import ResponseFormat, json_schema_of, to_response_format
from lmstudio._protocol import models, strict
from lmstudio.errors import LMStudioValueError

BOOK_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
    "required": ["title", "year"],
}


class Book(msgspec.Struct):
    title: str
    year: int


class Author(msgspec.Struct):
    name: str
    books: list[Book]


class Node(msgspec.Struct):
    value: int
    children: list[Node] = []


@dataclasses.dataclass
class Point:
    x: float
    y: float


class Movie(TypedDict):
    title: str
    minutes: int


def setting_wire(fmt: ResponseFormat) -> Any:
    data = msgspec.to_builtins(fmt.setting)
    msgspec.convert(data, strict.LlmStructuredPredictionSetting)  # what the server accepts
    return data


def test_a_json_schema_dict_is_sent_as_is_and_parsed_to_json() -> None:
    fmt = to_response_format(BOOK_SCHEMA)
    assert setting_wire(fmt) == {"type": "json", "jsonSchema": BOOK_SCHEMA}
    assert fmt.json_schema == BOOK_SCHEMA
    assert fmt.parse('{"title": "Dune", "year": 1965}') == {"title": "Dune", "year": 1965}
    assert to_response_format({"type": "array", "items": {"type": "integer"}}).parse("[1, 2]") == [
        1,
        2,
    ]


def test_invalid_json_does_not_parse() -> None:
    with pytest.raises(msgspec.DecodeError):
        to_response_format(BOOK_SCHEMA).parse('{"title": "Du')


@pytest.mark.parametrize("key", ["jsonSchema", "json_schema"])
def test_a_structured_setting_dict_is_accepted(key: str) -> None:
    fmt = to_response_format({"type": "json", key: BOOK_SCHEMA})
    assert setting_wire(fmt) == {"type": "json", "jsonSchema": BOOK_SCHEMA}


def test_a_structured_setting_struct_is_accepted() -> None:
    setting = models.LlmStructuredPredictionSetting(type_="json", json_schema=BOOK_SCHEMA)
    fmt = to_response_format(setting)
    assert fmt.setting == setting
    assert fmt.parse('{"title": "x", "year": 1}') == {"title": "x", "year": 1}


def test_a_gbnf_grammar_parses_only_json_objects() -> None:
    fmt = to_response_format({"type": "gbnf", "gbnfGrammar": 'root ::= "yes" | "no"'})
    assert setting_wire(fmt) == {"type": "gbnf", "gbnfGrammar": 'root ::= "yes" | "no"'}
    assert fmt.json_schema is None
    assert fmt.parse('{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError):
        fmt.parse("yes")
    with pytest.raises(ValueError):
        fmt.parse("[1]")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "none", "jsonSchema": {}}, "not a response format"),
        ({"type": "json", "json_schema": {}, "strict": True}, "Unknown structured output settings"),
        ({"type": "gbnf", "jsonSchema": {}}, "needs a gbnfGrammar"),
        ("{}", "not str"),
        (object(), "Cannot build a JSON schema"),
    ],
)
def test_unusable_response_formats_are_rejected(spec: Any, message: str) -> None:
    with pytest.raises(LMStudioValueError, match=message):
        to_response_format(spec)


def test_a_struct_gives_its_schema_at_the_root_and_parses_to_an_instance() -> None:
    fmt = to_response_format(Book)
    schema = fmt.json_schema
    assert schema == {
        "title": "Book",
        "type": "object",
        "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
        "required": ["title", "year"],
    }
    assert fmt.parse('{"title": "Dune", "year": 1965}') == Book("Dune", 1965)
    with pytest.raises(msgspec.ValidationError):
        fmt.parse('{"title": "Dune"}')


def test_nested_types_keep_their_definitions() -> None:
    schema = json_schema_of(Author)
    assert "$ref" not in schema
    assert schema["properties"]["books"] == {"type": "array", "items": {"$ref": "#/$defs/Book"}}
    assert set(schema["$defs"]) == {"Book"}
    parsed = to_response_format(Author).parse('{"name": "F", "books": [{"title": "D", "year": 1}]}')
    assert parsed == Author("F", [Book("D", 1)])


def test_a_recursive_type_keeps_its_root_definition() -> None:
    schema = json_schema_of(Node)
    assert schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert "Node" in schema["$defs"]
    assert to_response_format(Node).parse('{"value": 1, "children": [{"value": 2}]}') == Node(
        1, [Node(2)]
    )


def test_a_dataclass_parses_to_an_instance() -> None:
    fmt = to_response_format(Point)
    assert fmt.json_schema is not None and fmt.json_schema["required"] == ["x", "y"]
    assert fmt.parse('{"x": 1, "y": 2.5}') == Point(1.0, 2.5)


def test_a_typed_dict_parses_to_a_dict() -> None:
    fmt = to_response_format(Movie)
    assert fmt.json_schema is not None and fmt.json_schema["properties"]["minutes"] == {
        "type": "integer"
    }
    parsed = fmt.parse('{"title": "Up", "minutes": 96}')
    assert parsed == {"title": "Up", "minutes": 96} and type(parsed) is dict


def test_a_generic_alias_works() -> None:
    fmt = to_response_format(list[Book])
    assert fmt.json_schema is not None and fmt.json_schema["type"] == "array"
    assert fmt.parse('[{"title": "a", "year": 1}]') == [Book("a", 1)]


class FakeModel:
    """Shaped like a pydantic model class (pydantic is not installed in the test venv)."""

    def __init__(self, **data: Any) -> None:
        self.data = data

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        return {"title": "FakeModel", **BOOK_SCHEMA}

    @classmethod
    def model_validate_json(cls, content: str) -> FakeModel:
        return cls(**msgspec.json.decode(content))


class SchemaOnly:
    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        return BOOK_SCHEMA


def test_a_model_schema_class_uses_its_own_schema_and_validator() -> None:
    fmt = to_response_format(FakeModel)
    assert fmt.json_schema == {"title": "FakeModel", **BOOK_SCHEMA}
    parsed = fmt.parse('{"title": "x", "year": 2}')
    assert isinstance(parsed, FakeModel) and parsed.data == {"title": "x", "year": 2}
    assert to_response_format(SchemaOnly).parse('{"title": "x", "year": 2}') == {
        "title": "x",
        "year": 2,
    }


def test_pydantic_models_work_when_installed() -> None:
    pydantic = pytest.importorskip("pydantic")

    class PBook(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        title: str
        year: int

    fmt = to_response_format(PBook)
    assert fmt.json_schema == PBook.model_json_schema()
    assert fmt.parse('{"title": "a", "year": 3}') == PBook(title="a", year=3)


def test_importing_structured_output_never_imports_pydantic() -> None:
    code = "import sys, lmstudio._data.structured; assert 'pydantic' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_response_format_is_returned_as_is() -> None:
    fmt = to_response_format(Book)
    assert to_response_format(fmt) is fmt
