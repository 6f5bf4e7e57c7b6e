"""Tool definitions: functions, ToolFunctionDef, dicts and raw definitions (no I/O)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Any, Literal, TypedDict

import msgspec
import pytest

from lmstudio._data.tools import ToolFunctionDef, encode_tool_result, tool_set
from lmstudio.errors import LMStudioValueError


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Place(msgspec.Struct):
    city: str
    country: str = "FR"


@dataclasses.dataclass
class Window:
    start: int
    end: int


class Options(TypedDict):
    verbose: bool


def get_weather(
    place: Place,
    days: Annotated[int, "How many days to forecast"] = 1,
    unit: Unit = Unit.CELSIUS,
    style: Literal["short", "long"] = "short",
) -> str:
    """Get the weather forecast for a place.

    Args:
        place: Where to forecast.
        unit: The temperature unit,
            celsius or fahrenheit.

    Returns:
        The forecast.
    """
    return f"sunny in {place.city}"


def schema(fn: Any) -> dict[str, Any]:
    tool = tool_set([fn]).tools[fn.__name__ if callable(fn) else fn["name"]]
    return msgspec.to_builtins(tool.definition)  # type: ignore[no-any-return]


def test_a_function_becomes_name_description_and_schema() -> None:
    wire = schema(get_weather)
    assert wire["type"] == "function"
    function = wire["function"]
    assert function["name"] == "get_weather"
    assert function["description"] == "Get the weather forecast for a place."
    parameters = function["parameters"]
    assert parameters["type"] == "object"
    assert parameters["required"] == ["place"]
    props = parameters["properties"]
    assert props["place"]["description"] == "Where to forecast."
    assert props["days"] == {
        "description": "How many days to forecast",
        "type": "integer",
        "default": 1,
    }
    assert props["unit"]["description"] == "The temperature unit, celsius or fahrenheit."
    assert props["unit"]["default"] == "celsius"
    assert set(props["style"]["enum"]) == {"short", "long"}
    defs = parameters["$defs"]
    assert defs["Place"]["required"] == ["city"]
    assert defs["Unit"]["enum"] == ["celsius", "fahrenheit"]


def test_every_supported_parameter_type() -> None:
    def everything(
        text: str,
        count: int,
        ratio: float,
        flag: bool,
        tags: list[str],
        scores: dict[str, float],
        maybe: int | None,
        window: Window,
        options: Options,
    ) -> None:
        """Take one of each."""

    props = schema(everything)["function"]["parameters"]["properties"]
    assert props["text"] == {"type": "string"}
    assert props["count"] == {"type": "integer"}
    assert props["ratio"] == {"type": "number"}
    assert props["flag"] == {"type": "boolean"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["scores"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert props["maybe"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert props["window"] == {"$ref": "#/$defs/Window"}
    assert props["options"] == {"$ref": "#/$defs/Options"}


def test_arguments_are_converted_to_the_declared_types() -> None:
    tool = tool_set([get_weather]).tools["get_weather"]
    arguments = tool.arguments({"place": {"city": "Oslo"}, "unit": "fahrenheit", "days": 3})
    assert arguments == {
        "place": Place(city="Oslo"),
        "days": 3,
        "unit": Unit.FAHRENHEIT,
        "style": "short",
    }
    assert tool.implementation is not None
    assert tool.implementation(**arguments) == "sunny in Oslo"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "missing required field `place`"),
        ({"place": {"city": 3}}, r"Expected `str`, got `int` - at `\$.place.city`"),
        ({"place": {"city": "x"}, "style": "medium"}, "Invalid enum value 'medium'"),
    ],
)
def test_arguments_that_do_not_fit_raise(arguments: dict[str, Any], message: str) -> None:
    tool = tool_set([get_weather]).tools["get_weather"]
    with pytest.raises(LMStudioValueError, match=message) as info:
        tool.arguments(arguments)
    assert "get_weather" in str(info.value)


def test_docstring_styles_describe_parameters() -> None:
    def numpy_style(a: int, b: str) -> None:
        """Numpy style.

        Parameters
        ----------
        a : int
            The first one.
        b : str
            The second
            one.
        """

    def sphinx_style(a: int, b: str) -> None:
        """Sphinx style.

        :param a: The first one.
        :param str b: The second one.
        :returns: nothing
        """

    for fn in (numpy_style, sphinx_style):
        function = schema(fn)["function"]
        assert function["description"].endswith("style.")
        props = function["parameters"]["properties"]
        assert props["a"]["description"] == "The first one."
        assert props["b"]["description"] in ("The second one.", "The second one.")


def test_annotated_description_wins_over_the_docstring() -> None:
    def tool(a: Annotated[int, msgspec.Meta(description="from Meta", ge=0)]) -> None:
        """Tool.

        Args:
            a: from the docstring
        """

    props = schema(tool)["function"]["parameters"]["properties"]
    assert props["a"] == {"description": "from Meta", "type": "integer", "minimum": 0}


async def an_async_tool(x: int) -> int:
    """Double x."""
    return 2 * x


def test_async_tools_and_tool_function_defs() -> None:
    explicit = ToolFunctionDef(
        name="multiply",
        description="Multiply two numbers",
        parameters={"a": float, "b": {"type": float, "default": 2.0}},
        implementation=lambda a, b: a * b,
    )
    as_dict = {
        "name": "divide",
        "description": "Divide",
        "parameters": {"a": float, "b": float},
        "implementation": lambda a, b: a / b,
    }
    tools = tool_set([an_async_tool, explicit, as_dict])
    assert list(tools.tools) == ["an_async_tool", "multiply", "divide"]
    assert tools.tools["an_async_tool"].is_async
    assert not tools.tools["multiply"].is_async
    multiply = msgspec.to_builtins(tools.tools["multiply"].definition)["function"]
    assert multiply["parameters"]["required"] == ["a"]
    assert multiply["parameters"]["properties"]["b"] == {"type": "number", "default": 2.0}
    assert tools.tools["multiply"].arguments({"a": 3}) == {"a": 3.0, "b": 2.0}
    assert [t.function.name for t in tools.setting.tools] == ["an_async_tool", "multiply", "divide"]


def test_a_raw_definition_has_no_implementation() -> None:
    raw = {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look something up",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    tool = tool_set([raw]).tools["lookup"]
    assert tool.implementation is None and tool.arguments_type is None
    assert msgspec.to_builtins(tool.definition) == raw
    assert tool.arguments({"q": "x"}) == {"q": "x"}


class NotJson:
    pass


def no_doc(a: int) -> None:
    pass


def unannotated(a) -> None:  # type: ignore[no-untyped-def]
    """Doc."""


def custom_type(a: NotJson) -> None:
    """Doc."""


def any_type(a: Any) -> None:
    """Doc."""


def variadic(*numbers: int) -> None:
    """Doc."""


def bad_default(a: int = NotJson()) -> None:  # type: ignore[assignment]
    """Doc."""


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        (no_doc, "'no_doc' has no description"),
        (unannotated, "'unannotated': parameter 'a' has no type annotation"),
        (custom_type, "'custom_type': parameter 'a' has a type the model cannot be given"),
        (any_type, "'any_type': parameter 'a' is typed"),
        (variadic, "'variadic': parameter 'numbers' is variadic"),
        (bad_default, "'bad_default': the default of parameter 'a'"),
        (lambda a: a, "Cannot name a tool"),
        ({"type": "function"}, "Invalid raw tool definition"),
        ({"name": "x", "implementation": print}, "Invalid tool definition"),
        (42, "A tool is a function"),
        (
            ToolFunctionDef(name="bad name", description="d", parameters={}, implementation=print),
            "Invalid tool name 'bad name'",
        ),
    ],
)
def test_bad_definitions_raise_naming_the_tool(tool: Any, message: str) -> None:
    with pytest.raises(LMStudioValueError, match=message):
        tool_set([tool])


def test_duplicate_names_and_no_tools() -> None:
    with pytest.raises(LMStudioValueError, match="Two tools are named 'get_weather'"):
        tool_set([get_weather, get_weather])
    with pytest.raises(LMStudioValueError, match="No tools given"):
        tool_set([])
    assert list(tool_set(get_weather).tools) == ["get_weather"]  # one tool on its own


def test_tool_results_are_text_for_the_model() -> None:
    assert encode_tool_result("plain") == "plain"
    assert encode_tool_result(42) == "42"
    assert encode_tool_result({"a": [1, 2]}) == '{"a":[1,2]}'
    assert encode_tool_result(Place(city="Oslo")) == '{"city":"Oslo","country":"FR"}'
    assert encode_tool_result(Window(1, 2)) == '{"start":1,"end":2}'
    assert encode_tool_result(None) == "null"
    assert encode_tool_result(NotJson()).startswith("<")
