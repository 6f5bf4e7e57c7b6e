"""Plugin config schemas: typed fields, sent to LM Studio as KV config schematics.

::

    class ConfigSchema(BaseConfigSchema):
        prefix: str = config_field(label="Prefix", hint="Added to prompts", default="> ")
        sides: int = config_field(label="Die sides", default=6, min=2, max=100)
        mood: str = config_field(label="Mood", default="calm", options=["calm", "wild"])
        heat: float = config_field(label="Heat", default=0.5, min=0, max=1, slider=True)
        words: list[str] = config_field(label="Stop words", default=["stop"])

A field's kind follows its default: ``bool`` -> ``boolean``, ``int`` / ``float`` ->
``numeric`` (``min`` / ``max`` / ``step``; ``slider=True`` shows a slider over min..max),
``str`` -> ``string`` (or ``select`` with ``options=``), a list of ``str`` ->
``stringArray`` (``max_items``). LM Studio shows the fields and sends their values back
with each request; a hook sees them as an instance of the schema class (a dataclass).
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar, cast

from typing_extensions import Self, dataclass_transform

from .._protocol.models import (
    UNSET,
    KvConfig,
    SerializedKVConfigSchematics,
    SerializedKVConfigSchematicsField,
)
from ._errors import LMStudioPluginInitError

__all__ = ["BaseConfigSchema", "config_field"]

_log = logging.getLogger("lmstudio.plugin")
_T = TypeVar("_T")


class ConfigField:
    """One field's UI description and default (``config_field`` makes these)."""

    __slots__ = ("default", "hint", "label", "name", "params", "type_key")

    def __init__(self, type_key: str, label: str, hint: str, default: Any, params: dict[str, Any]):
        self.type_key = type_key
        self.label = label
        self.hint = hint
        self.default = default
        self.params = params
        self.name = ""

    def schematic(self) -> SerializedKVConfigSchematicsField:
        """The field as LM Studio's ``serializedKVConfigSchematicsField``."""
        params: dict[str, Any] = {"displayName": self.label}
        if self.hint:
            params["hint"] = self.hint
        params.update(self.params)
        return SerializedKVConfigSchematicsField(
            short_key=self.name,
            full_key=self.name,
            type_key=self.type_key,
            type_params=params,
            default_value=list(self.default) if isinstance(self.default, list) else self.default,
        )

    def decode(self, value: Any) -> Any:
        """The typed value for what LM Studio sent (the default for a malformed one)."""
        ok = False
        match self.type_key:
            case "boolean":
                ok = isinstance(value, bool)
            case "numeric":
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                if ok and self.params.get("int"):
                    ok = float(value).is_integer()
                    value = int(value) if ok else value
                elif ok:
                    value = float(value)
            case "string":
                ok = isinstance(value, str)
            case "select":
                ok = value in _option_values(self.params["options"])
            case "stringArray":
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
                value = list(value) if ok else value
        if not ok:
            _log.warning(
                "plugin config field %r: ignoring malformed value %r (using the default)",
                self.name,
                value,
            )
            return self.fresh_default()
        return value

    def fresh_default(self) -> Any:
        return list(self.default) if isinstance(self.default, list) else self.default


def _option_values(options: list[Any]) -> list[str]:
    return [o if isinstance(o, str) else o["value"] for o in options]


def config_field(
    *,
    label: str,
    hint: str = "",
    default: _T,
    options: Sequence[str | tuple[str, str]] | None = None,
    min: float | None = None,
    max: float | None = None,
    step: float | None = None,
    slider: bool = False,
    max_items: int | None = None,
) -> _T:
    """A plugin config field shown in LM Studio's UI (use it as a schema's class attribute).

    Args:
        label: the field's name in the UI.
        hint: the help text under it.
        default: the value until the user changes it; its type picks the field's kind
            (``bool``, ``int``, ``float``, ``str``, ``list[str]``).
        options: for a ``str`` field, the allowed values (a dropdown): each a value, or a
            ``(value, label)`` pair; the default must be one of them.
        min, max, step: bounds and step of a number.
        slider: show a number as a slider from ``min`` to ``max`` (both needed).
        max_items: the most items of a ``list[str]`` field.

    Returns:
        The field (typed as its value, so ``x: int = config_field(...)`` type-checks).

    Raises:
        LMStudioPluginInitError: an unsupported default type, or options that do not fit.
    """
    params: dict[str, Any] = {}
    type_key: str
    if isinstance(default, bool):
        type_key = "boolean"
    elif isinstance(default, (int, float)):
        type_key = "numeric"
        params["int"] = isinstance(default, int)
        for key, value in (("min", min), ("max", max), ("step", step)):
            if value is not None:
                params[key] = value
        if slider:
            if min is None or max is None:
                raise LMStudioPluginInitError(f"config field {label!r}: a slider needs min and max")
            params["slider"] = {
                "min": min,
                "max": max,
                "step": step or (1 if params["int"] else (max - min) / 100),
            }
    elif isinstance(default, str):
        type_key = "string"
        if options is not None:
            type_key = "select"
            choices = [
                o if isinstance(o, str) else {"value": o[0], "displayName": o[1]} for o in options
            ]
            values = _option_values(choices)
            if not values or len(set(values)) != len(values) or "" in values:
                raise LMStudioPluginInitError(
                    f"config field {label!r}: options must be distinct, non-empty strings"
                )
            if default not in values:
                raise LMStudioPluginInitError(
                    f"config field {label!r}: the default {default!r} is not one of the options {values}"
                )
            params["options"] = choices
    elif isinstance(default, (list, tuple)) and all(isinstance(v, str) for v in default):
        type_key = "stringArray"
        default = cast(_T, list(default))
        if max_items is not None:
            params["maxNumItems"] = max_items
    else:
        raise LMStudioPluginInitError(
            f"config field {label!r}: unsupported default {default!r} (a plugin config field "
            "is a bool, int, float, str or list of str)"
        )
    if options is not None and type_key != "select":
        raise LMStudioPluginInitError(f"config field {label!r}: options= needs a str default")
    return cast(_T, ConfigField(type_key, label, hint, default, params))


@dataclass_transform(field_specifiers=(config_field,))
class BaseConfigSchema:
    """Base of a plugin's ``ConfigSchema`` / ``GlobalConfigSchema`` (each field a
    :func:`config_field`). Subclasses become dataclasses; a schema with no field is fine
    (nothing is sent to LM Studio for it)."""

    __config_fields__: ClassVar[dict[str, ConfigField]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(cls.__config_fields__)
        annotations = inspect.get_annotations(cls)
        for name, value in list(cls.__dict__.items()):
            if not isinstance(value, ConfigField):
                continue
            if name not in annotations:
                raise LMStudioPluginInitError(
                    f"{cls.__name__}.{name}: a config field needs a type annotation "
                    f"({name}: {type(value.default).__name__} = config_field(...))"
                )
            value.name = name
            fields[name] = value
            setattr(cls, name, dataclasses.field(default_factory=value.fresh_default))
        for name in annotations:
            if name not in fields and not name.startswith("_"):
                raise LMStudioPluginInitError(
                    f"{cls.__name__}.{name}: every field of a config schema is a config_field(...)"
                )
        cls.__config_fields__ = fields
        dataclasses.dataclass(cls)

    @classmethod
    def _schematics(cls) -> SerializedKVConfigSchematics | None:
        """The schema as KV config schematics (``None``: no field, nothing to send)."""
        if not cls.__config_fields__:
            return None
        return SerializedKVConfigSchematics(
            fields=[f.schematic() for f in cls.__config_fields__.values()]
        )

    @classmethod
    def _parse(cls, config: KvConfig | None) -> Self:
        """An instance from the values LM Studio sent (defaults for what is missing)."""
        sent = {f.key: f.value for f in config.fields if f.value is not UNSET} if config else {}
        values = {
            name: field.decode(sent[name]) if name in sent else field.fresh_default()
            for name, field in cls.__config_fields__.items()
        }
        return cls(**values)


BaseConfigSchema.__module__ = "lmstudio.plugin"
