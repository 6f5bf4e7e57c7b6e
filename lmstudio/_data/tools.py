"""Tool definitions: Python functions (and raw definitions) as the tools a model may call.

A tool is given as one of:

- a plain function or an ``async def`` function: its ``__name__`` is the tool's name, its
  docstring the description (without an ``Args:`` / ``Parameters`` section, whose entries
  describe the parameters), its annotated parameters the JSON schema of the arguments
  (a parameter with a default is optional); ``Annotated[T, "description"]`` describes a
  parameter too;
- a :class:`ToolFunctionDef` (name, description, parameters as ``{name: type}`` or
  ``{name: {"type": type, "default": value}}``, implementation), or the same as a dict;
- a raw tool definition in LM Studio's wire shape (``{"type": "function", "function":
  {"name": ..., "description": ..., "parameters": {JSON schema}}}``): offered to the
  model with no implementation, so ``act()`` ends when the model calls it and returns the
  request to the caller.

Parameter types: ``str``, ``int``, ``float``, ``bool``, ``Literal[...]`` and enums, lists,
dicts, optionals and unions of these, msgspec ``Struct`` types, dataclasses and
``TypedDict`` types (anything msgspec describes as JSON). :func:`tool_set` checks every
definition before anything is sent and raises :class:`~lmstudio.LMStudioValueError`
naming the tool (and the parameter) that cannot be used.

No I/O here: running a tool is the act driver's job (``_resources/``).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Annotated, Any, TypeAlias

import msgspec

from .._exports import publish
from .._protocol.models import (
    LlmToolFunction,
    LlmToolFunctionFunction,
    LlmToolParametersObject,
    LlmToolUseSettingToolArray,
)
from ..errors import LMStudioValueError
from .structured import json_schema_of

__all__ = [
    "RemoteTool",
    "Tool",
    "ToolDefinition",
    "ToolFunctionDef",
    "ToolFunctionDefDict",
    "ToolSet",
    "encode_tool_result",
    "tool_set",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_NO_DEFAULT: Any = object()


class ToolFunctionDefDict(typing.TypedDict):
    """A :class:`ToolFunctionDef` as a dict (the official SDK's dict form)."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    implementation: Callable[..., Any]


class ToolFunctionDef(msgspec.Struct, frozen=True, kw_only=True):
    """A tool given explicitly: its name, description, parameters and implementation.

    ``parameters`` maps each parameter name to its type, or to ``{"type": T, "default":
    value}`` for an optional one. The implementation is called with the arguments as
    keyword arguments; it may be an ``async def`` function.

    ``ToolFunctionDef.from_callable(f)`` reads all four from a function (what passing the
    function itself as a tool does).
    """

    name: str
    description: str
    parameters: Mapping[str, Any]
    implementation: Callable[..., Any]

    @classmethod
    def from_callable(
        cls, f: Callable[..., Any], *, name: str | None = None, description: str | None = None
    ) -> ToolFunctionDef:
        """The definition of function ``f`` (name, docstring and annotated parameters).

        Args:
            f: a function or an ``async def`` function (a bound method works too).
            name: the tool's name; ``None`` (default): ``f.__name__``.
            description: the tool's description; ``None`` (default): ``f``'s docstring,
                without its ``Args:`` section (whose entries describe the parameters).

        Raises:
            LMStudioValueError: ``f`` has no name, no description, an unannotated or
                variadic parameter, or annotations that cannot be resolved.
        """
        tool_name = name if name is not None else getattr(f, "__name__", None)
        if not isinstance(tool_name, str) or tool_name == "<lambda>":
            raise LMStudioValueError(
                f"Cannot name a tool after {f!r}: pass name=... (ToolFunctionDef.from_callable)"
            )
        doc = inspect.getdoc(f) or ""
        summary, documented = _split_docstring(doc)
        tool_description = description if description is not None else summary
        if not tool_description:
            raise LMStudioValueError(
                f"Tool {tool_name!r} has no description: give the function a docstring "
                "(or pass description=...)"
            )
        try:
            signature = inspect.signature(f)
        except (TypeError, ValueError) as exc:
            raise LMStudioValueError(
                f"Tool {tool_name!r}: cannot read its signature: {exc}"
            ) from None
        try:
            hints = typing.get_type_hints(f, include_extras=True)
        except Exception as exc:
            raise LMStudioValueError(
                f"Tool {tool_name!r}: cannot resolve its annotations: {exc}"
            ) from None
        parameters: dict[str, Any] = {}
        for param in signature.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise LMStudioValueError(
                    f"Tool {tool_name!r}: parameter {param.name!r} is variadic; a tool takes "
                    "named parameters only"
                )
            if param.kind is param.POSITIONAL_ONLY:
                raise LMStudioValueError(
                    f"Tool {tool_name!r}: parameter {param.name!r} is positional-only; a tool "
                    "is called with keyword arguments"
                )
            if param.name not in hints:
                raise LMStudioValueError(
                    f"Tool {tool_name!r}: parameter {param.name!r} has no type annotation "
                    "(the model needs its type)"
                )
            tp = hints[param.name]
            if param.name in documented and not _described(tp):
                tp = Annotated[tp, documented[param.name]]
            if param.default is param.empty:
                parameters[param.name] = tp
            else:
                parameters[param.name] = {"type": tp, "default": param.default}
        return cls(
            name=tool_name,
            description=tool_description,
            parameters=parameters,
            implementation=f,
        )


class RemoteTool(msgspec.Struct, frozen=True):
    """A tool that runs elsewhere, such as a plugin's (``client.plugins.plugin_tools()``).

    ``definition`` is its wire definition as the provider listed it (a JSON schema of its
    arguments); ``implementation`` an ``async`` callable taking the arguments as keyword
    arguments. ``act()`` passes them on as the model wrote them (the provider checks them).
    """

    definition: LlmToolFunction
    implementation: Callable[..., Awaitable[Any]]

    @property
    def name(self) -> str:
        """The tool's name."""
        return self.definition.function.name


ToolDefinition: TypeAlias = (
    ToolFunctionDef | ToolFunctionDefDict | RemoteTool | Callable[..., Any] | Mapping[str, Any]
)
"""What ``tools=`` accepts (see the module docstring)."""


class Tool(msgspec.Struct, frozen=True):
    """One checked tool: its wire definition, and how to call it (internal)."""

    name: str
    definition: LlmToolFunction
    implementation: Callable[..., Any] | None
    """``None`` for a raw definition: the caller handles its requests."""
    arguments_type: type[msgspec.Struct] | None
    """Validates and converts a request's arguments (``None``: raw definition)."""
    is_async: bool

    def arguments(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        """The keyword arguments for the implementation, converted to the declared types.

        Raises:
            LMStudioValueError: the arguments do not match the tool's parameters.
        """
        if self.arguments_type is None:
            return dict(raw or {})
        try:
            value = msgspec.convert(dict(raw or {}), self.arguments_type, strict=False)
        except msgspec.ValidationError as exc:
            raise LMStudioValueError(f"Invalid arguments for tool {self.name!r}: {exc}") from None
        return {name: getattr(value, name) for name in value.__struct_fields__}


class ToolSet(msgspec.Struct, frozen=True):
    """Checked tools by name, and the ``rawTools`` setting that offers them to the model."""

    tools: Mapping[str, Tool]
    setting: LlmToolUseSettingToolArray

    def __contains__(self, name: object) -> bool:
        return name in self.tools

    def get(self, name: str) -> Tool | None:
        """The tool of that name, ``None`` if the model asked for one that is not offered."""
        return self.tools.get(name)


def tool_set(tools: Iterable[ToolDefinition]) -> ToolSet:
    """Check and convert tool definitions (see the module docstring).

    Raises:
        LMStudioValueError: no tool, a duplicate name, or a definition that cannot be used
            (the message names the tool and the parameter).
    """
    if isinstance(tools, (str, bytes, Mapping, RemoteTool)) or callable(tools):
        tools = [tools]  # one tool given on its own
    checked: dict[str, Tool] = {}
    for given in tools:
        tool = _tool(given)
        if tool.name in checked:
            raise LMStudioValueError(f"Two tools are named {tool.name!r}: tool names must differ")
        checked[tool.name] = tool
    if not checked:
        raise LMStudioValueError("No tools given: pass at least one tool")
    setting = LlmToolUseSettingToolArray(tools=[t.definition for t in checked.values()])
    return ToolSet(checked, setting)


def encode_tool_result(value: object) -> str:
    """A tool's return value as the text sent back to the model.

    A string is sent as it is; anything else is JSON-encoded (msgspec Structs,
    dataclasses, dicts, lists, numbers...), falling back to ``str()`` for what JSON
    cannot hold.
    """
    if isinstance(value, str):
        return value
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, ValueError, OverflowError):
        return str(value)


# --- conversion ---------------------------------------------------------------------------


def _tool(given: object) -> Tool:
    if isinstance(given, RemoteTool):
        return Tool(_check_name(given.name), given.definition, given.implementation, None, True)
    if isinstance(given, ToolFunctionDef):
        return _from_def(given)
    if isinstance(given, Mapping):
        if "implementation" in given:
            try:
                return _from_def(ToolFunctionDef(**given))
            except TypeError as exc:
                raise LMStudioValueError(
                    f"Invalid tool definition {dict(given)!r}: {exc}"
                ) from None
        return _from_raw(given)
    if callable(given):
        return _from_def(ToolFunctionDef.from_callable(given))
    raise LMStudioValueError(
        f"A tool is a function, a ToolFunctionDef or a tool definition dict, not {given!r}"
    )


def _from_def(spec: ToolFunctionDef) -> Tool:
    name = _check_name(spec.name)
    if not isinstance(spec.description, str):
        raise LMStudioValueError(f"Tool {name!r}: the description must be a string")
    if not callable(spec.implementation):
        raise LMStudioValueError(f"Tool {name!r}: the implementation must be callable")
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for param_name, param in spec.parameters.items():
        if not isinstance(param_name, str) or not param_name.isidentifier():
            raise LMStudioValueError(f"Tool {name!r}: invalid parameter name {param_name!r}")
        tp, default = _type_and_default(name, param_name, param)
        tp = _with_description(tp)
        _check_type(name, param_name, tp)
        if default is _NO_DEFAULT:
            fields.append((param_name, tp))
        else:
            _check_default(name, param_name, default)
            fields.append((param_name, tp, default))
    try:
        arguments = msgspec.defstruct(f"{name}_arguments", fields, kw_only=True)
        schema = json_schema_of(arguments)
    except (TypeError, ValueError, LMStudioValueError) as exc:
        raise LMStudioValueError(f"Tool {name!r}: cannot describe its parameters: {exc}") from None
    schema.pop("title", None)
    definition = LlmToolFunction(
        function=LlmToolFunctionFunction(
            name=name,
            description=spec.description,
            parameters=_parameters_object(name, schema),
        )
    )
    is_async = inspect.iscoroutinefunction(spec.implementation) or inspect.iscoroutinefunction(
        getattr(spec.implementation, "__call__", None)  # noqa: B004 - an async __call__
    )
    return Tool(name, definition, spec.implementation, arguments, is_async)


def _from_raw(raw: Mapping[str, Any]) -> Tool:
    try:
        definition = msgspec.convert(dict(raw), LlmToolFunction)
    except msgspec.ValidationError as exc:
        raise LMStudioValueError(
            f"Invalid raw tool definition {dict(raw)!r}: {exc} (expected "
            '{"type": "function", "function": {"name": ..., "parameters": {...}}})'
        ) from None
    name = _check_name(definition.function.name)
    return Tool(name, definition, None, None, False)


def _parameters_object(name: str, schema: dict[str, Any]) -> LlmToolParametersObject:
    try:
        return msgspec.convert(schema, LlmToolParametersObject)
    except msgspec.ValidationError as exc:  # pragma: no cover - msgspec always gives an object
        raise LMStudioValueError(f"Tool {name!r}: unexpected parameter schema: {exc}") from None


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise LMStudioValueError(
            f"Invalid tool name {name!r}: use letters, digits, '_', '-' or '.' "
            "(starting with a letter or '_', at most 64 characters)"
        )
    return name


def _type_and_default(tool: str, param: str, value: Any) -> tuple[Any, Any]:
    if isinstance(value, Mapping):
        if "type" not in value:
            raise LMStudioValueError(
                f"Tool {tool!r}: parameter {param!r} needs a 'type' ({dict(value)!r} given)"
            )
        return value["type"], value.get("default", _NO_DEFAULT)
    return value, _NO_DEFAULT


def _with_description(tp: Any) -> Any:
    """``Annotated[T, "text"]`` as msgspec understands it: ``Annotated[T, Meta(description=...)]``."""
    if typing.get_origin(tp) is not Annotated:
        return tp
    base, *extras = typing.get_args(tp)
    texts = [extra for extra in extras if isinstance(extra, str)]
    metas = [extra for extra in extras if isinstance(extra, msgspec.Meta)]
    if not texts:
        return tp
    if not any(meta.description is not None for meta in metas):
        metas.append(msgspec.Meta(description=" ".join(texts)))
    params = (base, *metas)
    return Annotated[params]


def _described(tp: Any) -> bool:
    if typing.get_origin(tp) is not Annotated:
        return False
    return any(
        isinstance(extra, str) or (isinstance(extra, msgspec.Meta) and extra.description)
        for extra in typing.get_args(tp)[1:]
    )


def _check_type(tool: str, param: str, tp: Any) -> None:
    if tp is Any or tp is object:
        raise LMStudioValueError(
            f"Tool {tool!r}: parameter {param!r} is typed {tp!r}: give it a JSON type "
            "(str, int, float, bool, a list, a dict, a Struct, a dataclass...)"
        )
    try:
        msgspec.json.schema(tp)
    except (TypeError, ValueError) as exc:
        raise LMStudioValueError(
            f"Tool {tool!r}: parameter {param!r} has a type the model cannot be given "
            f"({_type_name(tp)}): {exc}"
        ) from None


def _check_default(tool: str, param: str, default: Any) -> None:
    try:
        msgspec.json.encode(default)
    except (TypeError, ValueError, OverflowError):
        raise LMStudioValueError(
            f"Tool {tool!r}: the default of parameter {param!r} ({default!r}) is not JSON"
        ) from None


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)


# --- docstrings -----------------------------------------------------------------------------

_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Returns|Return|Yields|Raises|Examples?|Notes?)"
    r"\s*:?\s*$"
)
_ARG_SECTIONS = {"Args", "Arguments", "Parameters", "Params"}
_ARG = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_ARG = re.compile(r"^(\w+)\s*:\s*.*$")
_SPHINX_ARG = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


def _split_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The description part of a docstring, and the parameter descriptions it gives.

    Understands Google style (``Args:`` then ``name: text`` lines), numpy style
    (``Parameters`` underlined, then ``name : type`` and indented text) and Sphinx style
    (``:param name: text``).
    """
    lines = doc.splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    numpy_style = False  # the section header was underlined
    current: str | None = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        sphinx = _SPHINX_ARG.match(stripped)
        if sphinx:
            current, section = sphinx.group(1), "sphinx"
            params[current] = sphinx.group(2).strip()
            continue
        if stripped.startswith(":") and section in (None, "sphinx"):
            section, current = "sphinx", None  # :returns: and the like
            continue
        header = _SECTION.match(stripped)
        underline = index + 1 < len(lines) and set(lines[index + 1].strip()) == {"-"}
        if header and (stripped.endswith(":") or underline):
            section, current, numpy_style = header.group(1), None, underline
            continue
        if set(stripped) == {"-"} and section is not None:
            continue  # numpy underline
        if section is None:
            summary.append(line)
            continue
        if section == "sphinx":
            if current is not None and stripped:
                params[current] = f"{params[current]} {stripped}".strip()
            continue
        if section not in _ARG_SECTIONS:
            continue
        indent = len(line) - len(line.lstrip())
        match = _ARG.match(stripped)
        numpy = _NUMPY_ARG.match(stripped)
        if numpy_style:
            if numpy and indent <= _base_indent(lines, index):
                current = numpy.group(1)
                params[current] = ""
            elif current is not None and stripped:
                params[current] = f"{params[current]} {stripped}".strip()
        elif match and indent <= _base_indent(lines, index):
            current = match.group(1).lstrip("*")
            params[current] = match.group(3).strip()
        elif current is not None and stripped:
            params[current] = f"{params[current]} {stripped}".strip()
    description = "\n".join(summary).strip()
    return description, {name: text for name, text in params.items() if text}


def _base_indent(lines: list[str], index: int) -> int:
    """The indentation of the first entry of the section that line ``index`` is in."""
    for back in range(index - 1, -1, -1):
        if _SECTION.match(lines[back].strip()):
            for line in lines[back + 1 : index + 1]:
                if line.strip():
                    return len(line) - len(line.lstrip())
    return 0


publish(__name__, globals())
