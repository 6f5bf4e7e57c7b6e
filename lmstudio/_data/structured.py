"""Structured output: turn a ``response_format=`` into a wire setting and a parser.

A response format is one of:

- a JSON schema (a ``dict``): ``parsed`` is the decoded JSON value (a ``dict`` for an
  object schema);
- a msgspec ``Struct``, a dataclass, a ``TypedDict`` (or any other type msgspec can
  describe, such as ``list[Book]``): the schema comes from ``msgspec.json.schema`` and
  ``parsed`` is decoded into that type (a ``dict`` for a ``TypedDict``);
- a pydantic model class (or any class with ``model_json_schema()``): the schema comes
  from the class and ``parsed`` from ``model_validate_json()`` when it has one. pydantic is
  never imported here: classes are recognised by those methods;
- an ``LlmStructuredPredictionSetting`` or its dict form (``{"type": "json", "jsonSchema":
  ...}`` or ``{"type": "gbnf", "gbnfGrammar": ...}``), as LM Studio's config takes it.

The server constrains generation with the schema; nothing is parsed server-side. The
prediction layer calls :meth:`ResponseFormat.parse` on the final answer text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import msgspec

from .._exports import publish
from .._protocol.models import LlmStructuredPredictionSetting
from ..errors import LMStudioValueError
from .config import to_struct

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "BaseModel",
    "ModelSchema",
    "ResponseFormat",
    "ResponseFormatInput",
    "json_schema_of",
    "to_response_format",
]

# A JSON-schema dict, an LlmStructuredPredictionSetting (or its dict), or a type (msgspec
# Struct, dataclass, TypedDict, pydantic model...): types such as TypedDicts and generic
# aliases have no common static type, hence Any.
ResponseFormatInput: TypeAlias = Any
"""What ``response_format=`` accepts (see the module docstring)."""


class ModelSchema(Protocol):
    """A class that describes itself with ``model_json_schema()`` (pydantic's models do).

    The official SDK's name. A ``response_format`` of such a class is sent with that schema;
    with a ``model_validate_json()`` too, ``parsed`` is what it returns.
    """

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        """The JSON schema of the class."""
        ...


class BaseModel(msgspec.Struct, omit_defaults=True, kw_only=True):
    """A base for structured output classes in pydantic's style, without pydantic.

    The official SDK's name: ``class Book(lms.BaseModel): title: str`` then
    ``respond(..., response_format=Book)``; ``parsed`` is a ``Book``. Any msgspec
    ``Struct`` works the same; this one adds pydantic's two class methods.
    """

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        """The JSON schema of this class (as ``response_format`` sends it).

        Returns:
            The schema, root definition first.
        """
        return json_schema_of(cls)

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        """An instance from JSON text.

        Args:
            data: the JSON.

        Returns:
            The instance.

        Raises:
            msgspec.ValidationError: the JSON does not fit the class.
            msgspec.DecodeError: the text is not JSON.
        """
        return msgspec.json.decode(data, type=cls)


_SETTING_KEYS = {"jsonSchema", "json_schema", "gbnfGrammar", "gbnf_grammar"}


class ResponseFormat(msgspec.Struct, frozen=True):
    """A normalised response format: the wire setting plus the parser for the answer."""

    setting: LlmStructuredPredictionSetting
    """The value of the ``llm.prediction.structured`` KV field."""
    parser: Callable[[str], Any]
    """Turns the final answer text into ``PredictionResult.parsed``; raises if it cannot.
    It may run user code (validators, ``__post_init__``): never call it on the engine loop."""
    source: Any = None
    """What the caller passed (the type, schema or setting), for messages and ``repr``."""

    @property
    def json_schema(self) -> Any:
        """The JSON schema sent to the server, or ``None`` for a GBNF grammar."""
        schema = self.setting.json_schema
        return None if schema is msgspec.UNSET else schema

    def parse(self, content: str) -> Any:
        """Parse the answer text; raises (``ValueError`` or the type's own error) on failure."""
        return self.parser(content)


def to_response_format(spec: ResponseFormatInput) -> ResponseFormat:
    """Normalise a ``response_format=`` argument; raises ``LMStudioValueError`` if unusable."""
    if isinstance(spec, ResponseFormat):
        return spec
    if isinstance(spec, LlmStructuredPredictionSetting):
        return _from_setting(spec, spec)
    if isinstance(spec, Mapping):
        if spec.get("type") in ("json", "gbnf", "none") and _SETTING_KEYS & spec.keys():
            return _from_setting(_setting_from_dict(spec), spec)
        schema = dict(spec)
        return ResponseFormat(
            LlmStructuredPredictionSetting(type_="json", json_schema=schema), _decode_json, spec
        )
    if isinstance(spec, (str, bytes)):
        raise LMStudioValueError(
            f"response_format must be a JSON schema dict or a type, not {type(spec).__name__}"
        )
    model_json_schema = getattr(spec, "model_json_schema", None)
    if isinstance(spec, type) and callable(model_json_schema):
        # pydantic (or a compatible "ModelSchema" class)
        schema = model_json_schema()
        validate = getattr(spec, "model_validate_json", None)
        parser = validate if callable(validate) else _decode_json
        return ResponseFormat(
            LlmStructuredPredictionSetting(type_="json", json_schema=schema), parser, spec
        )
    schema = json_schema_of(spec)
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(spec)
    return ResponseFormat(
        LlmStructuredPredictionSetting(type_="json", json_schema=schema), decoder.decode, spec
    )


def json_schema_of(tp: Any) -> dict[str, Any]:
    """The JSON schema of a type msgspec understands, with the root definition inlined.

    ``msgspec.json.schema`` puts a class behind ``{"$ref": ..., "$defs": ...}``; LM Studio
    (like pydantic's output) gets the root schema at the top, other definitions in
    ``$defs``.
    """
    try:
        schema: dict[str, Any] = msgspec.json.schema(tp)
    except (TypeError, ValueError) as exc:
        raise LMStudioValueError(
            f"Cannot build a JSON schema for response_format {tp!r}: {exc}"
        ) from None
    ref = schema.get("$ref")
    defs = schema.get("$defs")
    if set(schema) != {"$ref", "$defs"} or not isinstance(ref, str) or not isinstance(defs, dict):
        return schema
    prefix = "#/$defs/"
    name = ref[len(prefix) :] if ref.startswith(prefix) else None
    if name is None or name not in defs:
        return schema
    root = dict(defs[name])
    others = {k: v for k, v in defs.items() if k != name}
    if json.dumps(defs, sort_keys=True).count(f'"{ref}"'):
        others[name] = defs[name]  # recursive type: keep the root reachable
    if others:
        root["$defs"] = others
    return root


def _setting_from_dict(spec: Mapping[str, Any]) -> LlmStructuredPredictionSetting:
    return to_struct(spec, LlmStructuredPredictionSetting, "structured output")


def _from_setting(setting: LlmStructuredPredictionSetting, source: Any) -> ResponseFormat:
    if setting.type_ == "json":
        if setting.json_schema is msgspec.UNSET:
            raise LMStudioValueError("A 'json' structured output setting needs a jsonSchema")
        return ResponseFormat(setting, _decode_json, source)
    if setting.type_ == "gbnf":
        if setting.gbnf_grammar is msgspec.UNSET:
            raise LMStudioValueError("A 'gbnf' structured output setting needs a gbnfGrammar")
        return ResponseFormat(setting, _decode_json_object, source)
    raise LMStudioValueError(
        f"Structured output type {setting.type_!r} is not a response format (use 'json' or 'gbnf')"
    )


def _decode_json(content: str) -> Any:
    return msgspec.json.decode(content)


def _decode_json_object(content: str) -> Any:
    # A GBNF grammar need not produce JSON: only a JSON object counts as structured.
    value = msgspec.json.decode(content)
    if not isinstance(value, dict):
        raise ValueError("the answer is not a JSON object")
    return value


publish(__name__, globals())
