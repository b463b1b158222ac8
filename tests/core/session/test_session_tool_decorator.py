"""The @tool decorator: schemas from signatures and docstrings, argument conversion, calls."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import threading
from typing import Annotated, Any, Literal, TypedDict

import attrs
import pydantic
import pytest

from realtime_agents.errors import UserError
from realtime_agents.run_context import RunContextWrapper, ToolContext
from realtime_agents.tools import (
    FunctionTool,
    ToolArgumentsError,
    ToolTimeoutError,
    background_result,
    stringify_output,
    tool,
    validate_tool_name,
)
from realtime_agents.tools._docstring import parse_docstring


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@attrs.define
class Point:
    x: int
    y: int = 0


@dataclasses.dataclass
class Box:
    width: float
    label: str = "box"


class Address(pydantic.BaseModel):
    street: str
    number: int


class Filters(TypedDict):
    color: str
    size: int


def ctx(call_id: str = "call_1") -> ToolContext[Any]:
    return ToolContext(context={"user": "ada"}, call_id=call_id, tool_name="t")


def test_plain_decorator_builds_schema_from_signature_and_google_docstring() -> None:
    @tool
    def get_weather(city: str, unit: Unit = Unit.C, days: int = 1) -> str:
        """Get the weather for a city.

        Uses a made-up service.

        Args:
            city: The city's name.
                Any spelling.
            unit (Unit): Temperature unit.
        """
        return city

    assert isinstance(get_weather, FunctionTool)
    assert get_weather.name == "get_weather"
    assert get_weather.description == "Get the weather for a city.\n\nUses a made-up service."
    assert get_weather.definition() == {
        "type": "function",
        "name": "get_weather",
        "description": "Get the weather for a city.\n\nUses a made-up service.",
        "parameters": {
            "type": "object",
            # Strict (the default): every property required, no "default" keyword; one with
            # a default is nullable instead (null means "use the default").
            "properties": {
                "city": {"type": "string", "description": "The city's name. Any spelling."},
                "unit": {
                    "anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}],
                    "description": "Temperature unit.",
                },
                "days": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            },
            "required": ["city", "unit", "days"],
            "additionalProperties": False,
            "$defs": {"Unit": {"enum": ["celsius", "fahrenheit"], "type": "string"}},
        },
    }


def test_non_strict_schema_keeps_defaults_and_optional_parameters() -> None:
    @tool(strict=False)
    def get_weather(city: str, unit: Unit = Unit.C, days: int = 1) -> str:
        return city

    assert get_weather.params_json_schema == {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"$ref": "#/$defs/Unit", "default": "celsius"},
            "days": {"type": "integer", "default": 1},
        },
        "required": ["city"],
        "additionalProperties": False,
        "$defs": {"Unit": {"enum": ["celsius", "fahrenheit"], "type": "string"}},
    }


def test_decorator_with_options_overrides_name_and_description() -> None:
    @tool(name="lookup", description="Look it up.", needs_approval=True, timeout=2.5)
    async def find(q: str) -> str:
        return q

    assert (find.name, find.description, find.needs_approval, find.timeout) == (
        "lookup",
        "Look it up.",
        True,
        2.5,
    )


def test_sphinx_and_numpy_docstrings() -> None:
    assert parse_docstring(
        """Add numbers.

        :param a: the first
        :param int b: the second
            continued
        :returns: the sum
        """
    ) == ("Add numbers.", {"a": "the first", "b": "the second continued"})
    assert parse_docstring(
        """Scale.

        Parameters
        ----------
        factor : float
            How much.
        clamp : bool
            Whether to clamp.

        Returns
        -------
        float
        """
    ) == ("Scale.", {"factor": "How much.", "clamp": "Whether to clamp."})
    assert parse_docstring(None) == ("", {})


def test_schema_of_rich_annotations() -> None:
    # strict=False: free-form dicts and Any have no strict form (see test_tool_schemas.py).
    @tool(strict=False)
    def rich(
        mode: Literal["fast", "slow"],
        tags: list[str] | None,
        scores: dict[str, float],
        pair: tuple[int, str],
        point: Point,
        box: Box,
        address: Address,
        filters: Filters,
        note: Annotated[str, "a free note"] = "",
        anything: Any = None,
    ) -> None:
        pass

    schema = rich.params_json_schema
    props, defs = schema["properties"], schema["$defs"]
    assert props["mode"] == {"enum": ["fast", "slow"], "type": "string"}
    assert props["tags"] == {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]
    }
    assert props["scores"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert props["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert defs["Point"]["required"] == ["x"]
    assert defs["Point"]["properties"]["y"] == {"type": "integer", "default": 0}
    assert defs["Box"]["properties"] == {
        "width": {"type": "number"},
        "label": {"type": "string", "default": "box"},
    }
    assert defs["Address"]["required"] == ["street", "number"]
    assert defs["Filters"]["required"] == ["color", "size"]
    assert props["note"] == {"type": "string", "description": "a free note", "default": ""}
    assert props["anything"] == {"default": None}
    assert schema["required"] == [
        "mode", "tags", "scores", "pair", "point", "box", "address", "filters"
    ]  # fmt: skip


async def test_arguments_are_converted_to_the_annotated_types() -> None:
    seen: dict[str, Any] = {}

    @tool
    def convert(
        unit: Unit,
        days: int,
        ratio: float,
        point: Point,
        box: Box,
        address: Address,
        pair: tuple[int, str],
        tags: set[str],
    ) -> str:
        seen.update(locals())
        return "ok"

    await convert.invoke(
        ctx(),
        {
            "unit": "fahrenheit",
            "days": 2.0,
            "ratio": 1,
            "point": {"x": 3},
            "box": {"width": 2},
            "address": {"street": "Main", "number": 1},
            "pair": [1, "a"],
            "tags": ["a", "a"],
        },
    )
    assert seen["unit"] is Unit.F
    assert seen["days"] == 2
    assert type(seen["days"]) is int
    assert seen["ratio"] == 1.0
    assert type(seen["ratio"]) is float
    assert seen["point"] == Point(3, 0)
    assert seen["box"] == Box(2.0)
    assert seen["address"] == Address(street="Main", number=1)
    assert seen["pair"] == (1, "a")
    assert seen["tags"] == {"a"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "'city': Field required"),
        ({"city": 3}, "'city': Input should be a valid string"),
        ({"city": "x", "days": "two"}, "'days': Input should be a valid integer"),
        ({"city": "x", "days": 2.5}, "'days': Input should be a valid integer"),
        ({"city": "x", "unit": "kelvin"}, "'unit': Input should be 'celsius' or 'fahrenheit'"),
        ({"city": "x", "extra": 1}, "'extra': Extra inputs are not permitted"),
        ({"city": "x", "point": {"x": "one"}}, "'point.x': Input should be a valid integer"),
        ({"city": "x", "point": {"x": 1, "z": 2}}, "'point.z': Extra inputs are not permitted"),
    ],
)
async def test_bad_arguments_raise_a_clear_error(arguments: dict[str, Any], message: str) -> None:
    @tool
    def weather(city: str, days: int = 1, unit: Unit = Unit.C, point: Point | None = None) -> str:
        return city

    with pytest.raises(ToolArgumentsError) as info:
        await weather.invoke(ctx(), arguments)
    assert message in str(info.value)


async def test_context_parameter_is_passed_and_left_out_of_the_schema() -> None:
    @tool
    def whoami(context: ToolContext[dict[str, str]], loud: bool = False) -> str:
        name = f"{context.context['user']}:{context.call_id}"
        return name.upper() if loud else name

    assert list(whoami.params_json_schema["properties"]) == ["loud"]
    assert await whoami.invoke(ctx("call_9"), {"loud": True}) == "ADA:CALL_9"

    @tool
    def plain_wrapper(ctx: RunContextWrapper[Any]) -> str:
        return str(ctx.context)

    assert plain_wrapper.params_json_schema["properties"] == {}


async def test_sync_tools_run_in_a_thread_and_async_tools_on_the_loop() -> None:
    threads: list[str] = []

    @tool
    def blocking() -> str:
        threads.append(threading.current_thread().name)
        return "done"

    @tool
    async def cooperative() -> str:
        threads.append(threading.current_thread().name)
        return "done"

    @tool(run_in_thread=False)
    def inline() -> str:
        threads.append(threading.current_thread().name)
        return "done"

    for each in (blocking, cooperative, inline):
        assert await each.invoke(ctx(), {}) == "done"
    main = threading.current_thread().name
    assert threads[0] != main
    assert threads[1:] == [main, main]


async def test_timeout_raises_tool_timeout_error() -> None:
    @tool(timeout=0.01)
    async def slow() -> str:
        await asyncio.sleep(1)
        return "late"

    with pytest.raises(ToolTimeoutError, match=r"Tool 'slow' timed out after 10ms\."):
        await slow.invoke(ctx(), {})


def test_invalid_options_are_rejected() -> None:
    def nothing() -> None:
        pass

    def variadic(*args: Any) -> None:
        pass

    with pytest.raises(UserError, match="Invalid tool name"):
        tool(name="has space")(nothing)
    with pytest.raises(UserError, match="Invalid tool name '<lambda>'"):
        tool(lambda: None)
    with pytest.raises(UserError, match="timeout"):
        tool(timeout=0)(nothing)
    with pytest.raises(UserError, match=r"\*args"):
        tool(variadic)
    with pytest.raises(ValueError, match="timeout_behavior"):
        tool(timeout_behavior="explode")(nothing)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["a", "get_weather", "x-1", "A" * 64])
def test_valid_tool_names(name: str) -> None:
    assert validate_tool_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "é", "A" * 65, "dot.name"])
def test_invalid_tool_names(name: str) -> None:
    with pytest.raises(UserError):
        validate_tool_name(name)


def test_tool_object_calls_the_wrapped_function_and_repr_is_short() -> None:
    @tool
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5
    assert "on_invoke" not in repr(add)


def test_top_level_tool_stays_the_decorator_after_the_module_was_imported() -> None:
    import realtime_agents.tools  # binds realtime_agents.tools, not .tool

    def one() -> int:
        return 1

    assert isinstance(realtime_agents.tool(one), FunctionTool)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        (None, ""),
        (3, "3"),
        ({"a": [1, 2]}, '{"a": [1, 2]}'),
        (Point(1, 2), '{"x": 1, "y": 2}'),
        (Box(1.0), '{"width": 1.0, "label": "box"}'),
        (Address(street="s", number=2), '{"street":"s","number":2}'),
        (object, str(object)),
    ],
)
def test_stringify_output(value: Any, text: str) -> None:
    assert stringify_output(value) == text


def test_background_result_wraps_a_value() -> None:
    assert background_result(5).value == 5
