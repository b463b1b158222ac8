"""A small declarative validator that answers like the real API.

The SDK's pydantic models accept unknown fields silently and check few bounds, so the emulator
cannot borrow them (and must not depend on them at run time). These schema nodes check JSON values
and raise :class:`RealtimeError` with the real codes: ``unknown_parameter``,
``missing_required_parameter``, ``invalid_type``, ``invalid_value``, ``integer_below_min_value``…,
with ``param`` set to the dotted path (``session.audio.input.format.rate``).

``check`` returns the validated value (objects are copied), so callers never alias client data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import RealtimeError

__all__ = [
    "Any",
    "Arr",
    "Bool",
    "ByType",
    "Int",
    "Map",
    "Nullable",
    "Num",
    "Obj",
    "Schema",
    "Str",
    "Tagged",
    "join",
    "obj",
]


def join(path: str, key: str) -> str:
    """Child path of ``key`` under ``path`` (the root path is ``""``)."""
    return f"{path}.{key}" if path else key


class Schema:
    """A node that validates one JSON value."""

    expected = "a value"
    """How the node describes what it accepts in ``invalid_type`` messages."""

    def check(self, value: object, path: str) -> object:
        """Return the validated (copied) value or raise :class:`RealtimeError`."""
        raise NotImplementedError


@dataclass(frozen=True)
class Any(Schema):
    """Any JSON value (free-form payloads such as a tool's JSON Schema)."""

    def check(self, value: object, path: str) -> object:
        return value


@dataclass(frozen=True)
class Str(Schema):
    """A string, optionally one of ``enum``."""

    enum: tuple[str, ...] | None = None
    expected = "a string"

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, str):
            raise RealtimeError.invalid_type(path, self.expected, value)
        if self.enum is not None and value not in self.enum:
            raise RealtimeError.invalid_value(path, value, self.enum)
        return value


@dataclass(frozen=True)
class Bool(Schema):
    expected = "a boolean"

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, bool):
            raise RealtimeError.invalid_type(path, self.expected, value)
        return value


@dataclass(frozen=True)
class Int(Schema):
    """An integer (booleans are not integers here) within optional bounds."""

    minimum: int | None = None
    maximum: int | None = None
    expected = "an integer"

    def check(self, value: object, path: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RealtimeError.invalid_type(path, self.expected, value)
        _bounds(path, value, self.minimum, self.maximum, integer=True)
        return value


@dataclass(frozen=True)
class Num(Schema):
    """A number (integer or decimal) within optional bounds."""

    minimum: float | None = None
    maximum: float | None = None
    expected = "a number"

    def check(self, value: object, path: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RealtimeError.invalid_type(path, self.expected, value)
        if not math.isfinite(value):  # NaN compares false with any bound: check it first
            raise RealtimeError.not_finite(path, value)
        _bounds(path, value, self.minimum, self.maximum, integer=False)
        return value


def _bounds(
    path: str, value: float, minimum: float | None, maximum: float | None, *, integer: bool
) -> None:
    if minimum is not None and value < minimum:
        raise RealtimeError.below_min(path, minimum, value, integer)
    if maximum is not None and value > maximum:
        raise RealtimeError.above_max(path, maximum, value, integer)


@dataclass(frozen=True)
class Nullable(Schema):
    """``null`` or whatever ``inner`` accepts."""

    inner: Schema

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"{self.inner.expected} or null"

    def check(self, value: object, path: str) -> object:
        return None if value is None else self.inner.check(value, path)


@dataclass(frozen=True)
class Arr(Schema):
    """An array of ``item`` values, at most ``max_items`` long."""

    item: Schema
    max_items: int | None = None
    expected = "an array"

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, list):
            raise RealtimeError.invalid_type(path, self.expected, value)
        if self.max_items is not None and len(value) > self.max_items:
            raise RealtimeError.array_too_long(path, self.max_items, len(value))
        return [self.item.check(element, f"{path}[{index}]") for index, element in enumerate(value)]


@dataclass(frozen=True)
class Map(Schema):
    """An object with arbitrary keys whose values all match ``value`` (e.g. ``metadata``)."""

    value: Schema
    max_items: int | None = None
    expected = "an object"

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, dict):
            raise RealtimeError.invalid_type(path, self.expected, value)
        if self.max_items is not None and len(value) > self.max_items:
            raise RealtimeError.invalid(path, f"Invalid '{path}': too many keys.")
        return {key: self.value.check(item, join(path, str(key))) for key, item in value.items()}


@dataclass(frozen=True)
class Obj(Schema):
    """An object with known ``fields``; unknown keys are ``unknown_parameter`` errors."""

    fields: Mapping[str, Schema]
    required: frozenset[str] = field(default_factory=frozenset)
    expected = "an object"

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, dict):
            raise RealtimeError.invalid_type(path, self.expected, value)
        for key in value:
            if key not in self.fields:
                raise RealtimeError.unknown_parameter(join(path, str(key)))
        for key in sorted(self.required):
            if key not in value:
                raise RealtimeError.missing_parameter(join(path, key))
        return {key: self.fields[key].check(item, join(path, key)) for key, item in value.items()}


def obj(*required: str, **fields: Schema) -> Obj:
    """Shorthand: ``obj("name", name=Str(), description=Str())`` (positional = required)."""
    return Obj(fields, frozenset(required))


@dataclass(frozen=True)
class Tagged(Schema):
    """An object whose ``tag`` field (``type``) selects the variant schema.

    A missing tag selects ``default`` when given and is a missing-parameter error otherwise.
    """

    variants: Mapping[str, Schema]
    tag: str = "type"
    default: str | None = None
    expected = "an object"

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, dict):
            raise RealtimeError.invalid_type(path, self.expected, value)
        kind = value.get(self.tag, self.default)
        if kind is None:
            raise RealtimeError.missing_parameter(join(path, self.tag))
        if not isinstance(kind, str):
            raise RealtimeError.invalid_type(join(path, self.tag), "a string", kind)
        variant = self.variants.get(kind)
        if variant is None:
            raise RealtimeError.invalid_value(join(path, self.tag), kind, tuple(self.variants))
        checked = variant.check(value, path)
        if isinstance(checked, dict) and self.tag not in checked:
            checked = {self.tag: kind, **checked}  # the effective value names its default tag
        return checked


_JSON_KINDS: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


@dataclass(frozen=True)
class ByType(Schema):
    """A union chosen by the JSON type of the value (e.g. ``"inf"`` or an integer)."""

    options: Mapping[str, Schema]

    @property
    def expected(self) -> str:  # type: ignore[override]
        return " or ".join(option.expected for option in self.options.values())

    def check(self, value: object, path: str) -> object:
        for kind, schema in self.options.items():
            python_type = _JSON_KINDS[kind]
            if isinstance(value, bool) and kind != "boolean":
                continue
            if isinstance(value, python_type):
                return schema.check(value, path)
        raise RealtimeError.invalid_type(path, self.expected, value)
