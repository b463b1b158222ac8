"""@tool schemas and arguments, one test per family of types: the schema, the conversion of
the model's JSON into real Python values, and the refusal of wrong or out-of-range values.

Every strict schema a test builds goes through :func:`check_strict`, an independent check of
OpenAI's strict-mode rules (closed objects, every property required, supported keywords and
formats only, ``$ref`` alone and resolvable, size limits); it is itself tested on bad schemas.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import subprocess
import sys
import typing
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

import annotated_types
import attrs
import pydantic
import pytest
import typing_extensions

from realtime_agents.agent import RealtimeAgent
from realtime_agents.errors import UserError
from realtime_agents.handoff import realtime_handoff
from realtime_agents.run_context import RunContextWrapper, ToolContext
from realtime_agents.tools import FunctionTool, ToolArgumentsError, tool

# -- the strict-mode rules, checked independently of the code that builds the schemas ----------

ALLOWED = {
    "type", "description", "enum", "anyOf", "$ref", "properties", "required",
    "additionalProperties", "items", "minItems", "maxItems", "pattern", "format",
    "multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
}  # fmt: skip
FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
MAX_DEPTH, MAX_PROPERTIES, MAX_ENUM = 10, 5000, 1000


def strict_problems(schema: dict[str, Any]) -> list[str]:
    """Every way ``schema`` breaks OpenAI's strict function-schema rules (empty when none)."""
    problems: list[str] = []
    defs = schema.get("$defs", {})
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("root: must be an object, not anyOf")
    count = 0

    def visit(node: Any, path: str, depth: int) -> None:
        nonlocal count
        if not isinstance(node, dict):
            problems.append(f"{path}: not a schema object")
            return
        unknown = set(node) - ALLOWED - ({"$defs"} if path == "$" else set())
        if unknown:
            problems.append(f"{path}: unsupported keywords {sorted(unknown)}")
        if "$ref" in node:
            name = str(node["$ref"]).removeprefix("#/$defs/")
            if len(node) != 1:
                problems.append(f"{path}: $ref with siblings {sorted(set(node) - {'$ref'})}")
            if not str(node["$ref"]).startswith("#/$defs/") or name not in defs:
                problems.append(f"{path}: unresolvable $ref {node['$ref']}")
            return
        if not node.keys() & {"type", "anyOf", "enum"}:
            problems.append(f"{path}: no type")
        if "format" in node and node["format"] not in FORMATS:
            problems.append(f"{path}: unsupported format {node['format']}")
        if len(node.get("enum", ())) > MAX_ENUM:
            problems.append(f"{path}: too many enum values")
        kinds = node.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "object" in kinds or "properties" in node:
            if depth > MAX_DEPTH:
                problems.append(f"{path}: nested deeper than {MAX_DEPTH}")
            if node.get("additionalProperties") is not False:
                problems.append(f"{path}: additionalProperties must be false")
            properties = node.get("properties", {})
            if sorted(node.get("required", [])) != sorted(properties):
                problems.append(f"{path}: required must list every property")
            count += len(properties)
            for name, sub in properties.items():
                visit(sub, f"{path}.{name}", depth + 1)
        if "array" in kinds:
            visit(node.get("items"), f"{path}[]", depth)
        for index, branch in enumerate(node.get("anyOf", ())):
            visit(branch, f"{path}|{index}", depth)

    visit(schema, "$", 1)
    for name, sub in defs.items():
        visit(sub, f"$defs.{name}", 1)
    if count > MAX_PROPERTIES:
        problems.append(f"more than {MAX_PROPERTIES} properties")
    return problems


def check_strict(schema: dict[str, Any]) -> dict[str, Any]:
    problems = strict_problems(schema)
    assert not problems, problems
    json.dumps(schema)  # plain JSON all the way down
    return schema


def define(fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """``@tool`` whose strict schema (the default) must pass :func:`check_strict`."""

    def build(fn: Callable[..., Any]) -> FunctionTool:
        made = tool(**options)(fn)
        if made.strict:
            check_strict(made.params_json_schema)
        return made

    return build if fn is None else build(fn)


def ctx() -> ToolContext[Any]:
    return ToolContext(context=None, tool_name="t", call_id="call_1")


async def call(t: FunctionTool, arguments: dict[str, Any]) -> Any:
    return await t.invoke(ctx(), arguments)


async def refusal(t: FunctionTool, arguments: dict[str, Any]) -> str:
    with pytest.raises(ToolArgumentsError) as info:
        await call(t, arguments)
    return str(info.value)


NULL = {"type": "null"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, NULL]}


# -- types used below ----------------------------------------------------------------------------


class Color(enum.Enum):
    """A paint colour."""

    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 3


@dataclasses.dataclass
class Line:
    sku: str
    quantity: int = 1


@dataclasses.dataclass
class Order:
    """An order of several lines."""

    lines: list[Line]
    note: str = "none"
    rush: bool = False


@attrs.define
class Room:
    name: str
    floor: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    seats: list[str] = attrs.Factory(list)


@attrs.frozen
class Booking:
    room: Room
    guests: int = 1


class Address(pydantic.BaseModel):
    street: str
    number: int = pydantic.Field(default=1, ge=1)
    unit: str | None = None


class Customer(pydantic.BaseModel):
    name: str
    address: Address


class Filters(typing.TypedDict):
    color: str
    size: int


class Options(typing_extensions.TypedDict, total=False):
    limit: int
    verbose: bool


class Tree(pydantic.BaseModel):
    value: int
    children: list[Tree] = []


class Cat(pydantic.BaseModel):
    kind: Literal["cat"]
    lives: int = 9


class Dog(pydantic.BaseModel):
    kind: Literal["dog"]
    good: bool = True


# -- dates, times, UUIDs, decimals ----------------------------------------------------------------


async def test_dates_and_times() -> None:
    @define
    def book(
        day: datetime.date,
        at: datetime.time,
        since: datetime.datetime,
        length: datetime.timedelta = datetime.timedelta(minutes=30),
    ) -> tuple[Any, ...]:
        return day, at, since, length

    props = book.params_json_schema["properties"]
    assert props["day"] == {"type": "string", "format": "date"}
    assert props["at"] == {"type": "string", "format": "time"}
    assert props["since"] == {"type": "string", "format": "date-time"}
    assert props["length"] == nullable({"type": "string", "format": "duration"})
    got = await call(
        book,
        {"day": "2024-05-06", "at": "07:30", "since": "2024-05-06T07:30:00Z", "length": None},
    )
    assert got == (
        datetime.date(2024, 5, 6),
        datetime.time(7, 30),
        datetime.datetime(2024, 5, 6, 7, 30, tzinfo=datetime.UTC),
        datetime.timedelta(minutes=30),
    )
    arguments = {"day": "2024-02-30", "at": "07:30", "since": "2024-05-06T07:30:00Z"}
    assert (await refusal(book, arguments)).startswith("'day': Input should be a valid date")
    arguments = {"day": "2024-05-06", "at": "25:00", "since": "yesterday"}
    message = await refusal(book, arguments)
    assert "'at': Input should be in a valid time format" in message
    assert "'since': Input should be a valid datetime" in message


async def test_uuids() -> None:
    @define
    def find(order_id: uuid.UUID) -> uuid.UUID:
        return order_id

    assert find.params_json_schema["properties"] == {
        "order_id": {"type": "string", "format": "uuid"}
    }
    value = uuid.uuid4()
    assert await call(find, {"order_id": str(value)}) == value
    assert (await refusal(find, {"order_id": "order-7"})).startswith(
        "'order_id': Input should be a valid UUID"
    )


async def test_decimals_keep_their_exact_value_and_limits() -> None:
    @define
    def pay(
        amount: Annotated[Decimal, pydantic.Field(gt=0, max_digits=6, decimal_places=2)],
    ) -> Decimal:
        return amount

    schema = pay.params_json_schema["properties"]["amount"]
    assert {branch["type"] for branch in schema["anyOf"]} == {"number", "string"}
    assert await call(pay, {"amount": "19.99"}) == Decimal("19.99")
    assert await call(pay, {"amount": 5}) == Decimal(5)
    assert await refusal(pay, {"amount": "ten"}) == "'amount': Input should be a valid decimal"
    assert "'amount': Input should be greater than 0" in await refusal(pay, {"amount": "-1"})
    assert "decimal places" in await refusal(pay, {"amount": "1.005"})


# -- enums and literals ---------------------------------------------------------------------------


async def test_enums_by_value() -> None:
    @define
    def paint(color: Color, level: Level = Level.LOW) -> tuple[Color, Level]:
        return color, level

    schema = paint.params_json_schema
    assert schema["properties"] == {
        "color": {"$ref": "#/$defs/Color"},
        "level": nullable({"$ref": "#/$defs/Level"}),
    }
    assert schema["$defs"] == {
        "Color": {"enum": ["red", "green"], "type": "string", "description": "A paint colour."},
        "Level": {"enum": [1, 3], "type": "integer"},
    }
    assert await call(paint, {"color": "green", "level": 3}) == (Color.GREEN, Level.HIGH)
    assert await call(paint, {"color": "red", "level": None}) == (Color.RED, Level.LOW)
    assert await refusal(paint, {"color": "blue"}) == "'color': Input should be 'red' or 'green'"
    assert await refusal(paint, {"color": "red", "level": 2}) == "'level': Input should be 1 or 3"


async def test_literals() -> None:
    @define
    def move(
        direction: Literal["up", "down"], steps: Literal[1, 2, 3], mode: Literal["walk"]
    ) -> Any:
        return direction, steps, mode

    assert move.params_json_schema["properties"] == {
        "direction": {"enum": ["up", "down"], "type": "string"},
        "steps": {"enum": [1, 2, 3], "type": "integer"},
        "mode": {"enum": ["walk"], "type": "string"},  # pydantic's "const", as strict wants it
    }
    assert await call(move, {"direction": "up", "steps": 2, "mode": "walk"}) == ("up", 2, "walk")
    message = await refusal(move, {"direction": "left", "steps": 4, "mode": "run"})
    assert message == (
        "'direction': Input should be 'up' or 'down'; 'steps': Input should be 1, 2 or 3; "
        "'mode': Input should be 'walk'"
    )


# -- objects: dataclasses, attrs classes, pydantic models, TypedDicts -----------------------------


async def test_nested_dataclasses_with_defaults() -> None:
    @define
    def place(order: Order) -> Order:
        return order

    defs = place.params_json_schema["$defs"]
    assert defs["Order"] == {
        "type": "object",
        "description": "An order of several lines.",
        "properties": {
            "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
            "note": nullable({"type": "string"}),
            "rush": nullable({"type": "boolean"}),
        },
        "required": ["lines", "note", "rush"],
        "additionalProperties": False,
    }
    assert defs["Line"]["properties"]["quantity"] == nullable({"type": "integer"})
    # Left out or null: the dataclass's own default, at every depth.
    got = await call(place, {"order": {"lines": [{"sku": "a"}, {"sku": "b", "quantity": None}]}})
    assert got == Order([Line("a", 1), Line("b", 1)], "none", False)
    got = await call(place, {"order": {"lines": [{"sku": "c", "quantity": 4}], "rush": True}})
    assert got == Order([Line("c", 4)], "none", True)
    bad = {"order": {"lines": [{"sku": "a", "quantity": "many"}, {"quantity": 1}], "x": 1}}
    assert await refusal(place, bad) == (
        "'order.lines[0].quantity': Input should be a valid integer, unable to parse string "
        "as an integer; 'order.lines[1].sku': Field required; "
        "'order.x': Unexpected keyword argument"
    )


async def test_attrs_classes_with_defaults_factories_and_validators() -> None:
    @define
    def reserve(booking: Booking) -> Booking:
        return booking

    defs = reserve.params_json_schema["$defs"]
    assert defs["Room"] == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "floor": nullable({"type": "integer"}),
            "seats": nullable({"type": "array", "items": {"type": "string"}}),
        },
        "required": ["name", "floor", "seats"],
        "additionalProperties": False,
    }
    got = await call(reserve, {"booking": {"room": {"name": "Ada", "seats": None}}})
    assert got == Booking(Room("Ada", 0, []), 1)
    assert isinstance(got.room, Room)
    got = await call(reserve, {"booking": {"room": {"name": "Bo", "floor": 2}, "guests": 3}})
    assert got == Booking(Room("Bo", 2, []), 3)
    # attrs runs its own validators; their message reaches the model.
    message = await refusal(reserve, {"booking": {"room": {"name": "Cy", "floor": -1}}})
    assert message.startswith("'booking.room': Value error, Room: 'floor' must be >= 0")
    message = await refusal(reserve, {"booking": {"room": {"name": "Cy", "wing": "B"}}})
    assert message == "'booking.room.wing': Extra inputs are not permitted"


async def test_attrs_defaults_are_shown_without_strict() -> None:
    @define(strict=False)
    def reserve(room: Room) -> Room:
        return room

    properties = reserve.params_json_schema["$defs"]["Room"]["properties"]
    assert properties["floor"] == {"type": "integer", "default": 0}
    assert properties["seats"] == {"type": "array", "items": {"type": "string"}}  # a factory


async def test_pydantic_models_with_defaults_and_constraints() -> None:
    @define
    def register(customer: Customer) -> Customer:
        return customer

    defs = register.params_json_schema["$defs"]
    assert defs["Address"]["properties"] == {
        "street": {"type": "string"},
        "number": nullable({"type": "integer", "minimum": 1}),
        "unit": nullable({"type": "string"}),
    }
    got = await call(register, {"customer": {"name": "Ada", "address": {"street": "Main"}}})
    assert got == Customer(name="Ada", address=Address(street="Main", number=1))
    address = {"street": "Main", "number": None, "unit": "4B"}
    got = await call(register, {"customer": {"name": "Ada", "address": address}})
    assert got.address == Address(street="Main", number=1, unit="4B")
    bad = {"customer": {"name": "Ada", "address": {"street": "Main", "number": 0}}}
    assert await refusal(register, bad) == (
        "'customer.address.number': Input should be greater than or equal to 1"
    )


async def test_recursive_models_and_discriminated_unions() -> None:
    @define
    def grow(tree: Tree, pet: Annotated[Cat | Dog, pydantic.Field(discriminator="kind")]) -> Any:
        return tree, pet

    schema = grow.params_json_schema
    assert schema["$defs"]["Tree"]["properties"]["children"] == nullable(
        {"type": "array", "items": {"$ref": "#/$defs/Tree"}}
    )
    assert schema["properties"]["pet"] == {
        "anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]
    }
    assert schema["$defs"]["Cat"]["properties"]["kind"] == {"enum": ["cat"], "type": "string"}
    tree = {"value": 1, "children": [{"value": 2, "children": None}]}
    got = await call(grow, {"tree": tree, "pet": {"kind": "dog"}})
    assert got == (Tree(value=1, children=[Tree(value=2)]), Dog(kind="dog"))
    # null means the default inside the member the discriminator picks, too.
    got = await call(grow, {"tree": {"value": 3}, "pet": {"kind": "cat", "lives": None}})
    assert got == (Tree(value=3), Cat(kind="cat", lives=9))
    message = await refusal(grow, {"tree": {"value": 1}, "pet": {"kind": "cow"}})
    assert message.startswith("'pet': Input tag 'cow' found using 'kind' does not match")


async def test_typeddicts_from_typing_and_typing_extensions() -> None:
    @define
    def search(filters: Filters, options: Options) -> Any:
        return filters, options

    defs = search.params_json_schema["$defs"]
    assert defs["Filters"]["properties"] == {
        "color": {"type": "string"},
        "size": {"type": "integer"},
    }
    assert defs["Options"]["properties"] == {
        "limit": nullable({"type": "integer"}),
        "verbose": nullable({"type": "boolean"}),
    }
    # A key left out, or null where null is no value of its type, stays out of the dict.
    arguments = {"filters": {"color": "red", "size": 2}, "options": {"limit": 5, "verbose": None}}
    assert await call(search, arguments) == ({"color": "red", "size": 2}, {"limit": 5})
    bad = {"filters": {"color": "red"}, "options": {"limit": "lots"}}
    assert await refusal(search, bad) == (
        "'filters.size': Field required; "
        "'options.limit': Input should be a valid integer, unable to parse string as an integer"
    )


# -- constraints ----------------------------------------------------------------------------------


async def test_field_constraints_are_in_the_schema_and_enforced() -> None:
    @define
    def rate(
        stars: Annotated[int, pydantic.Field(ge=1, le=5, description="How many stars.")],
        comment: Annotated[str, pydantic.Field(min_length=3, max_length=200)] = "fine",
        weight: Annotated[float, pydantic.Field(gt=0, lt=1, multiple_of=0.25)] = 0.5,
    ) -> tuple[int, str, float]:
        return stars, comment, weight

    props = rate.params_json_schema["properties"]
    assert props["stars"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
        "description": "How many stars.",
    }
    # Strict mode has no string lengths: left out of the schema, still enforced.
    assert props["comment"] == nullable({"type": "string"})
    assert props["weight"] == nullable(
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "multipleOf": 0.25}
    )
    assert await call(rate, {"stars": 5, "weight": 0.75}) == (5, "fine", 0.75)
    assert await refusal(rate, {"stars": 6}) == "'stars': Input should be less than or equal to 5"
    assert await refusal(rate, {"stars": 0}) == (
        "'stars': Input should be greater than or equal to 1"
    )
    message = await refusal(rate, {"stars": 3, "comment": "ok", "weight": 0.3})
    assert message == (
        "'comment': String should have at least 3 characters; "
        "'weight': Input should be a multiple of 0.25"
    )


async def test_constraints_from_the_field_default_of_the_signature_are_kept() -> None:
    @define(strict=False)
    def rate(stars: Annotated[int, pydantic.Field(ge=1, le=10)] = 5) -> int:
        return stars

    assert rate.params_json_schema["properties"]["stars"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
        "default": 5,
    }
    assert await call(rate, {}) == 5
    assert await refusal(rate, {"stars": 11}) == (
        "'stars': Input should be less than or equal to 10"
    )


async def test_annotated_types_constraints() -> None:
    @define
    def pick(
        count: Annotated[int, annotated_types.Ge(1)],
        ratio: Annotated[float, annotated_types.Interval(ge=0, le=1)],
        names: Annotated[list[str], annotated_types.MaxLen(2)],
    ) -> Any:
        return count, ratio, names

    props = pick.params_json_schema["properties"]
    assert props["count"] == {"type": "integer", "minimum": 1}
    assert props["ratio"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert props["names"] == {"type": "array", "items": {"type": "string"}, "maxItems": 2}
    assert await call(pick, {"count": 1, "ratio": 1, "names": ["a"]}) == (1, 1.0, ["a"])
    message = await refusal(pick, {"count": 0, "ratio": 1.5, "names": ["a", "b", "c"]})
    assert message == (
        "'count': Input should be greater than or equal to 1; "
        "'ratio': Input should be less than or equal to 1; "
        "'names': List should have at most 2 items after validation, not 3"
    )


# -- containers -----------------------------------------------------------------------------------


async def test_lists_tuples_and_sets() -> None:
    @define
    def collect(
        numbers: list[int],
        pair: tuple[int, str],
        point: tuple[float, float],
        rest: tuple[str, ...],
        tags: set[str],
        frozen: frozenset[int],
    ) -> Any:
        return numbers, pair, point, rest, tags, frozen

    props = collect.params_json_schema["properties"]
    assert props["numbers"] == {"type": "array", "items": {"type": "integer"}}
    # Strict mode has no prefixItems: a fixed length, the item types as a union.
    assert props["pair"] == {
        "type": "array",
        "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "minItems": 2,
        "maxItems": 2,
    }
    assert props["point"] == {
        "type": "array",
        "items": {"type": "number"},
        "minItems": 2,
        "maxItems": 2,
    }
    assert props["rest"] == {"type": "array", "items": {"type": "string"}}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}  # no uniqueItems
    arguments = {
        "numbers": [1, 2],
        "pair": [1, "a"],
        "point": [0, 1.5],
        "rest": [],
        "tags": ["x", "x", "y"],
        "frozen": [3],
    }
    got = await call(collect, arguments)
    assert got == ([1, 2], (1, "a"), (0.0, 1.5), (), {"x", "y"}, frozenset({3}))
    assert [type(value) for value in got] == [list, tuple, tuple, tuple, set, frozenset]
    bad = {**arguments, "numbers": [1, "two"], "pair": ["a", 1], "point": [1]}
    assert await refusal(collect, bad) == (
        "'numbers[1]': Input should be a valid integer, unable to parse string as an integer; "
        "'pair[0]': Input should be a valid integer, unable to parse string as an integer; "
        "'pair[1]': Input should be a valid string; "
        "'point[1]': Field required"
    )


async def test_dicts_need_strict_false() -> None:
    def scores(by_name: dict[str, float]) -> dict[str, float]:
        return by_name

    with pytest.raises(UserError) as info:
        tool(scores)
    assert str(info.value) == (
        "tool 'scores': parameter 'by_name' (dict[str, float]) is a dict with free-form keys, "
        "which a strict JSON schema cannot describe; give it a concrete type (a dataclass, "
        "TypedDict or pydantic model for objects) or use @tool(strict=False)"
    )
    lenient = define(scores, strict=False)
    assert lenient.params_json_schema["properties"] == {
        "by_name": {"type": "object", "additionalProperties": {"type": "number"}}
    }
    assert await call(lenient, {"by_name": {"ada": 1, "bo": 2.5}}) == {"ada": 1.0, "bo": 2.5}
    assert await refusal(lenient, {"by_name": {"ada": "high"}}) == (
        "'by_name.ada': Input should be a valid number, unable to parse string as a number"
    )


async def test_a_dict_nested_in_an_object_is_named_with_its_path() -> None:
    @dataclasses.dataclass
    class Inventory:
        counts: dict[str, int]

    def count(stock: Inventory) -> Inventory:
        return stock

    with pytest.raises(UserError, match=r"'stock' \(Inventory\) at 'stock.counts' is a dict "):
        tool(count)


# -- optional values and unions -------------------------------------------------------------------


async def test_optional_and_union_parameters() -> None:
    @define
    def configure(
        required_or_null: int | None,
        nullable_default: int | None = 7,
        plain_default: int = 3,
        either: int | str = 0,
    ) -> Any:
        return required_or_null, nullable_default, plain_default, either

    schema = configure.params_json_schema
    assert schema["required"] == ["required_or_null", "nullable_default", "plain_default", "either"]
    assert schema["properties"] == {
        "required_or_null": {"anyOf": [{"type": "integer"}, NULL]},
        "nullable_default": {"anyOf": [{"type": "integer"}, NULL]},
        "plain_default": nullable({"type": "integer"}),
        "either": {"anyOf": [{"type": "integer"}, {"type": "string"}, NULL]},
    }
    # null is a value where the type has it, and "the default" where it does not.
    all_null = dict.fromkeys(schema["required"])
    assert await call(configure, all_null) == (None, None, 3, 0)
    assert await call(configure, {"required_or_null": 1, "either": "x"}) == (1, 7, 3, "x")
    assert await refusal(configure, {}) == "'required_or_null': Field required"
    message = await refusal(configure, {"required_or_null": None, "either": [1]})
    assert message == (
        "'either.int': Input should be a valid integer; "
        "'either.str': Input should be a valid string"
    )


async def test_non_strict_schemas_keep_defaults_and_optional_properties() -> None:
    @define(strict=False)
    def configure(
        when: datetime.date = datetime.date(2024, 1, 1),
        color: Color = Color.RED,
        limit: int | None = None,
        order: Order | None = None,
        anything: Any = None,
    ) -> Any:
        return when, color, limit, order, anything

    schema = configure.params_json_schema
    assert schema["required"] == []
    assert schema["properties"] == {
        "when": {"type": "string", "format": "date", "default": "2024-01-01"},
        "color": {"$ref": "#/$defs/Color", "default": "red"},
        "limit": {"anyOf": [{"type": "integer"}, NULL], "default": None},
        "order": {"anyOf": [{"$ref": "#/$defs/Order"}, NULL], "default": None},
        "anything": {"default": None},
    }
    assert schema["$defs"]["Order"]["properties"]["note"] == {"type": "string", "default": "none"}
    assert await call(configure, {}) == (datetime.date(2024, 1, 1), Color.RED, None, None, None)
    got = await call(configure, {"order": {"lines": []}, "anything": {"any": ["thing"]}})
    assert got[3:] == (Order([]), {"any": ["thing"]})


# -- descriptions ---------------------------------------------------------------------------------


def test_descriptions_from_annotations_and_docstrings() -> None:
    @define
    def note(
        text: Annotated[str, "What to remember."],
        when: Annotated[datetime.date, pydantic.Field(description="The day.")],
        room: Room,
        tags: list[Annotated[str, "One tag."]],
        level: int = 1,
    ) -> None:
        """Remember something.

        Args:
            text: Ignored: the annotation says it.
            room: Where.
            level: How important.
        """

    props = note.params_json_schema["properties"]
    assert props["text"] == {"type": "string", "description": "What to remember."}
    assert props["when"] == {"type": "string", "format": "date", "description": "The day."}
    # A $ref cannot have a description next to it in strict mode: the object is inlined.
    assert props["room"]["description"] == "Where."
    assert props["room"]["properties"]["name"] == {"type": "string"}
    assert props["tags"]["items"] == {"type": "string", "description": "One tag."}
    assert props["level"] == {"anyOf": [{"type": "integer"}, NULL], "description": "How important."}
    assert note.description == "Remember something."


# -- names, positions and context ----------------------------------------------------------------


async def test_parameter_names_that_pydantic_reserves_and_positional_only_parameters() -> None:
    @define
    def odd(
        json: str, schema: int, model_config: bool, /, copy: str = "c", _hidden: int = 0
    ) -> Any:
        return json, schema, model_config, copy, _hidden

    assert list(odd.params_json_schema["properties"]) == [
        "json", "schema", "model_config", "copy", "_hidden"
    ]  # fmt: skip
    assert await call(odd, {"json": "j", "schema": 1, "model_config": True, "_hidden": 2}) == (
        "j",
        1,
        True,
        "c",
        2,
    )


async def test_context_parameter_with_rich_types() -> None:
    @define
    def whoami(context: RunContextWrapper[Any], day: datetime.date) -> str:
        return f"{context.context}@{day.isoformat()}"

    assert list(whoami.params_json_schema["properties"]) == ["day"]
    assert await whoami.invoke(
        ToolContext(context="ada", tool_name="t", call_id="c"), {"day": "2024-01-02"}
    ) == ("ada@2024-01-02")


async def test_classes_local_to_the_defining_function_resolve() -> None:
    @dataclasses.dataclass
    class Slot:
        start: datetime.time
        minutes: int = 30

    @tool  # directly: a helper between would be the scope it looks in
    def hold(slot: Slot) -> Slot:
        return slot

    check_strict(hold.params_json_schema)
    assert await call(hold, {"slot": {"start": "09:00"}}) == Slot(datetime.time(9), 30)


# -- types that cannot be used, refused when the tool is defined ----------------------------------


class Connection:
    """An arbitrary class pydantic knows nothing about."""


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (
            Connection,
            "tool 'use': parameter 'value' has type Connection, which cannot be used: pydantic "
            "cannot validate it: Unable to generate pydantic-core schema for <class "
            "'test_tool_schemas.Connection'>.",
        ),
        (
            Callable[[int], int],
            "tool 'use': parameter 'value' has type collections.abc.Callable[[int], int], which "
            "cannot be used: pydantic cannot validate it: Cannot generate a JsonSchema for "
            "core_schema.CallableSchema",
        ),
        (
            Any,
            "tool 'use': parameter 'value' (Any) accepts a value of any type, which a strict "
            "JSON schema cannot describe; give it a concrete type (a dataclass, TypedDict or "
            "pydantic model for objects) or use @tool(strict=False)",
        ),
        (
            list[Any],
            "tool 'use': parameter 'value' (list[Any]) at 'value[]' accepts a value of any type, "
            "which a strict JSON schema cannot describe; give it a concrete type (a dataclass, "
            "TypedDict or pydantic model for objects) or use @tool(strict=False)",
        ),
    ],
)
def test_unsupported_types_are_refused_naming_function_parameter_and_type(
    annotation: Any, message: str
) -> None:
    def use(value: Any) -> None:
        pass

    use.__annotations__["value"] = annotation
    with pytest.raises(UserError) as info:
        tool(use)
    assert str(info.value) == message


def test_a_missing_annotation_and_an_unresolvable_one_are_named() -> None:
    def untyped(value, count: int):  # type: ignore[no-untyped-def]
        return value

    with pytest.raises(UserError) as info:
        tool(untyped)
    assert str(info.value) == (
        "tool 'untyped': parameter 'value' has no type annotation, which a strict JSON schema "
        "cannot describe; give it a concrete type (a dataclass, TypedDict or pydantic model for "
        "objects) or use @tool(strict=False)"
    )
    assert tool(untyped, strict=False).params_json_schema["properties"]["value"] == {}

    def later(value: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(UserError) as info:
        tool(later)
    assert str(info.value) == (
        "tool 'later': the annotation of parameter 'value' (NotDefinedAnywhere) cannot be "
        "resolved: name 'NotDefinedAnywhere' is not defined"
    )

    def unresolved_return(value: int) -> OnlyForTypeCheckers:  # type: ignore[name-defined]  # noqa: F821
        return value

    # The return annotation is never needed, so it need not resolve.
    assert define(unresolved_return).params_json_schema["required"] == ["value"]


@attrs.define
class Node:
    child: Node | None = None


def test_recursive_attrs_classes_are_refused() -> None:
    def walk(node: Node) -> None:
        pass

    with pytest.raises(UserError) as info:
        tool(walk)
    assert str(info.value) == (
        "tool 'walk': parameter 'node' has type Node, which cannot be used: Node refers to "
        "itself; recursive attrs classes and TypedDicts are not supported here (a pydantic "
        "model or a dataclass can be recursive)"
    )


# -- what the model gets back ---------------------------------------------------------------------


async def test_error_messages_are_short_and_never_quote_the_input() -> None:
    @define
    def store(names: list[int], secret: int) -> None:
        pass

    long_input = "sk-live-" + "x" * 5000
    message = await refusal(store, {"names": [long_input] * 9, "secret": long_input})
    assert "sk-live" not in message
    assert len(message) < 600
    assert message.endswith("; and 5 more problem(s)")
    assert message.count("Input should be a valid integer") == 5


async def test_arguments_that_are_not_an_object_member_by_member() -> None:
    @define
    def store(item: Line) -> None:
        pass

    assert await refusal(store, {"item": "a line"}) == (
        "'item': Input should be a dictionary or an instance of Line"
    )


# -- handoff inputs use the same machinery ------------------------------------------------------


async def test_handoff_input_types_get_strict_schemas_and_conversion() -> None:
    received: list[Any] = []

    def on_handoff(ctx: RunContextWrapper[Any], order: Order) -> None:
        received.append(order)

    handoff = realtime_handoff(RealtimeAgent("Shop"), on_handoff=on_handoff, input_type=Order)
    schema = check_strict(handoff.input_json_schema)
    assert schema["required"] == ["lines", "note", "rush"]
    assert schema["$defs"] == {
        "Line": {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "quantity": nullable({"type": "integer"})},
            "required": ["sku", "quantity"],
            "additionalProperties": False,
        }
    }
    await handoff.invoke(RunContextWrapper(None), {"lines": [{"sku": "a"}], "note": None})
    assert received == [Order([Line("a")])]
    with pytest.raises(ToolArgumentsError, match=r"^'lines': Field required$"):
        await handoff.invoke(RunContextWrapper(None), {"note": "x"})
    with pytest.raises(UserError) as info:
        realtime_handoff(RealtimeAgent("Shop"), input_type=dict[str, int])
    assert str(info.value) == (
        "input type dict[str, int] is a dict with free-form keys, which a strict JSON schema "
        "cannot describe"
    )


# -- the checker itself can fail -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "object", "properties": {}, "required": []}, "additionalProperties"),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "required": [],
                "additionalProperties": False,
            },
            "required must list every property",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string", "default": "x"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "unsupported keywords ['default']",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/A", "description": "d"}},
                "required": ["a"],
                "additionalProperties": False,
                "$defs": {"A": {"type": "string"}},
            },
            "$ref with siblings",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/Missing"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "unresolvable $ref",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"description": "anything"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "no type",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string", "format": "uri"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "unsupported format uri",
        ),
        (
            {
                "type": "object",
                "properties": {
                    "a": {"type": "array", "items": {"type": "object", "properties": {}}}
                },
                "required": ["a"],
                "additionalProperties": False,
            },
            "$.a[]: additionalProperties must be false",
        ),
        ({"anyOf": [{"type": "object"}]}, "root: must be an object"),
    ],
)
def test_the_strict_checker_finds_each_broken_rule(schema: dict[str, Any], problem: str) -> None:
    assert any(problem in found for found in strict_problems(schema)), strict_problems(schema)


def test_the_strict_checker_finds_objects_nested_too_deep() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for level in range(MAX_DEPTH + 1):
        schema = {
            "type": "object",
            "properties": {f"l{level}": schema},
            "required": [f"l{level}"],
            "additionalProperties": False,
        }
    assert any("nested deeper" in problem for problem in strict_problems(schema))


# -- pydantic is imported by the first tool, not by the package ----------------------------------


def test_importing_the_package_does_not_import_pydantic() -> None:
    code = (
        "import sys, realtime_agents\n"
        "import realtime_agents.tools, realtime_agents.handoff, realtime_agents.session\n"
        "from realtime_agents import tool\n"
        "print('pydantic' in sys.modules)\n"
        "@tool\n"
        "def ping(n: int) -> int:\n"
        "    return n\n"
        "print('pydantic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
