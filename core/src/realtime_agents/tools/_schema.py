"""A function's signature and docstring as a tool: its JSON schema and how to call it.

:func:`describe_function` is what :func:`realtime_agents.tools.tool` uses. Pydantic does the
type work (see :mod:`._arguments`): any type it validates is supported — ``str``, numbers,
``bool``, ``datetime.date/datetime/time/timedelta``, ``UUID``, ``Decimal``, enums, ``Literal``,
``Optional`` and unions, ``list/tuple/set/frozenset``, ``dict``, dataclasses, TypedDicts,
pydantic models, attrs classes (bridged), ``Annotated[T, Field(ge=1, le=10)]`` and
annotated-types constraints, and ``Annotated[T, "a description"]``. Descriptions come from the
annotation or else from the docstring (Google, Sphinx or NumPy). A type pydantic cannot handle
is refused when the tool is defined, with a :class:`~realtime_agents.errors.UserError` naming
the function, the parameter and the type; so is, with ``strict=True``, a type a strict schema
cannot describe (``Any``, an unannotated parameter, a ``dict`` with free-form keys).
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import attrs

from ..errors import UserError
from ..run_context import RunContextWrapper
from ._arguments import (
    ArgumentsModel,
    Parameter,
    ParameterError,
    ToolArgumentsError,
    ValueModel,
)
from ._docstring import parse_docstring
from ._json_schema import NotStrictError, strict_schema

__all__ = [
    "FunctionSignature",
    "ToolArgumentsError",
    "convert",
    "describe_function",
    "parse_docstring",
    "schema_for",
]


@attrs.frozen
class _Slot:
    """Where a validated argument goes in the call."""

    name: str
    default: Any
    positional_only: bool


@attrs.frozen
class FunctionSignature:
    """What :func:`tool` learned from a function: its schema and how to call it."""

    description: str
    json_schema: dict[str, Any]
    slots: tuple[_Slot, ...]
    takes_context: bool
    model: ArgumentsModel = attrs.field(repr=False)

    def bind(self, arguments: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments for the function, converted to its types.

        A parameter the model left out (or set to ``null`` where its type has no null) is not
        passed, so the function's own default applies.
        """
        given = self.model.validate(arguments)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for slot in self.slots:
            if slot.positional_only:
                args.append(given.get(slot.name, slot.default))
            elif slot.name in given:
                kwargs[slot.name] = given[slot.name]
        return args, kwargs


def describe_function(
    fn: Callable[..., Any], *, strict: bool = True, localns: Mapping[str, Any] | None = None
) -> FunctionSignature:
    """The JSON schema and calling convention of ``fn`` (see the module docstring).

    ``localns`` resolves string annotations that name classes local to the defining function.
    """
    signature = inspect.signature(fn)
    hints = _type_hints(fn, signature, localns)
    description, docs = parse_docstring(inspect.getdoc(fn))
    params = list(signature.parameters.values())
    takes_context = bool(params) and _is_context(hints.get(params[0].name, params[0].annotation))
    if takes_context:
        params = params[1:]
    parameters: list[Parameter] = []
    untyped = {p.name for p in params if p.name not in hints}
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise UserError(f"tool {fn.__name__!r}: *args and **kwargs cannot be described")
        annotation = hints.get(param.name, Any)
        text = None if _describes_itself(annotation) else docs.get(param.name) or None
        parameters.append(Parameter(param.name, annotation, param.default, text))
    model = _arguments_model(fn, parameters)
    json_schema = _strict(fn, parameters, model.schema, untyped) if strict else model.schema
    slots = tuple(_Slot(p.name, p.default, p.kind is p.POSITIONAL_ONLY) for p in params)
    return FunctionSignature(description, json_schema, slots, takes_context, model)


def schema_for(annotation: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The strict JSON schema of an object type (a handoff's input); its ``$defs`` go in ``defs``.

    UserError when pydantic or strict mode cannot describe ``annotation``.
    """
    name = _type_name(annotation)
    try:
        schema = strict_schema(_value_model(annotation).schema)
    except ParameterError as exc:
        raise UserError(f"input type {name} cannot be used: {exc.reason}") from None
    except NotStrictError as exc:
        where = _where(("input", *exc.location))
        raise UserError(
            f"input type {name}{where} {exc.reason}, which a strict JSON schema cannot describe"
        ) from None
    defs.update(schema.pop("$defs", {}))
    return schema


def convert(value: Any, annotation: Any, path: str) -> Any:
    """``value`` (decoded JSON) as an ``annotation``; ToolArgumentsError naming what is wrong.

    ``path`` names the value itself in the message when the problem is the value as a whole.
    """
    try:
        return _value_model(annotation).validate(value)
    except ToolArgumentsError as exc:
        message = str(exc)
        located = message if message.startswith("'") else f"'{path}': {message}"
        raise ToolArgumentsError(located) from None


def _value_model(annotation: Any) -> ValueModel:
    """One pydantic adapter per type, not one per handoff call (building one takes ~1 ms)."""
    try:
        return _cached_value_model(annotation)
    except TypeError:  # an unhashable annotation (Annotated with unhashable metadata)
        return ValueModel(annotation)


@functools.lru_cache(maxsize=64)
def _cached_value_model(annotation: Any) -> ValueModel:
    return ValueModel(annotation)


def _arguments_model(fn: Callable[..., Any], parameters: list[Parameter]) -> ArgumentsModel:
    try:
        return ArgumentsModel(f"{fn.__name__}_arguments", parameters)
    except ParameterError as exc:
        if exc.name is None:
            raise UserError(f"tool {fn.__name__!r}: {exc.reason}") from None
        annotation = next(p.annotation for p in parameters if p.name == exc.name)
        raise UserError(
            f"tool {fn.__name__!r}: parameter {exc.name!r} has type "
            f"{_type_name(annotation)}, which cannot be used: {exc.reason}"
        ) from None


def _strict(
    fn: Callable[..., Any], parameters: list[Parameter], schema: dict[str, Any], untyped: set[str]
) -> dict[str, Any]:
    try:
        return strict_schema(schema)
    except NotStrictError as exc:
        name = exc.location[0] if exc.location else None
        annotation = next((p.annotation for p in parameters if p.name == name), None)
        if name is None or annotation is None:
            raise UserError(f"tool {fn.__name__!r}: {exc.reason}") from None
        if name in untyped:
            problem = "has no type annotation"
        else:
            problem = f"({_type_name(annotation)}){_where(exc.location)} {exc.reason}"
        raise UserError(
            f"tool {fn.__name__!r}: parameter {name!r} {problem}, which a strict JSON schema "
            "cannot describe; give it a concrete type (a dataclass, TypedDict or pydantic "
            "model for objects) or use @tool(strict=False)"
        ) from None


def _where(location: tuple[str, ...]) -> str:
    """`` at 'box.sizes[]'`` for a value inside a parameter; nothing for the parameter itself."""
    if len(location) < 2:
        return ""
    path = location[0] + "".join(p if p == "[]" else f".{p}" for p in location[1:])
    return f" at {path!r}"


def _type_hints(
    fn: Callable[..., Any], signature: inspect.Signature, localns: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The parameters' resolved annotations (the return annotation is never needed).

    UserError naming the parameter whose annotation cannot be resolved.
    """
    annotations = {
        name: param.annotation
        for name, param in signature.parameters.items()
        if param.annotation is not param.empty
    }
    try:
        return _resolve(fn, annotations, localns)
    except Exception as exc:
        problem: Exception = exc
    for name, annotation in annotations.items():
        try:
            _resolve(fn, {name: annotation}, localns)
        except Exception as exc:
            raise UserError(
                f"tool {fn.__name__!r}: the annotation of parameter {name!r} "
                f"({annotation}) cannot be resolved: {exc}"
            ) from None
    raise UserError(f"tool {fn.__name__!r}: its annotations cannot be resolved: {problem}")


def _resolve(
    fn: Callable[..., Any], annotations: dict[str, Any], localns: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``get_type_hints`` of just these annotations, in ``fn``'s module and ``localns``."""
    unwrapped = inspect.unwrap(fn)
    globalns = getattr(unwrapped, "__globals__", None)
    if globalns is None:  # a callable object: its module's names
        module = sys.modules.get(getattr(unwrapped, "__module__", None) or "")
        globalns = vars(module) if module is not None else {}
    holder = types.SimpleNamespace(__annotations__=annotations)
    return get_type_hints(holder, globalns, dict(localns or {}), include_extras=True)


def _describes_itself(annotation: Any) -> bool:
    """Whether ``Annotated`` metadata gives a description (a string or ``Field(description)``)."""
    if get_origin(annotation) is not Annotated:
        return False
    return any(
        isinstance(meta, str) or isinstance(getattr(meta, "description", None), str)
        for meta in get_args(annotation)[1:]
    )


def _is_context(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return re.match(r"^(\w+\.)*(RunContextWrapper|ToolContext)\b", annotation) is not None
    origin = get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, RunContextWrapper)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return repr(annotation).replace("typing.", "")
