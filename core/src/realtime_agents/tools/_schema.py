"""Signatures to JSON schema, docstrings to descriptions, JSON arguments back to Python values.

Pure functions, no I/O; :func:`describe_function` is what :func:`realtime_agents.tool.tool` uses.
Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Literal``, enums,
``Optional``/unions, lists/tuples/sets, ``dict[str, T]``, ``Annotated[T, "description"]``,
attrs classes, dataclasses, TypedDicts and pydantic models (duck-typed, pydantic is optional).
Anything else is described as "any value" and passed through unconverted.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
import types
from collections import abc
from collections.abc import Callable, Mapping
from typing import (
    Annotated,
    Any,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

import attrs

from ..errors import RealtimeAgentsError, UserError
from ..run_context import RunContextWrapper

__all__ = [
    "FunctionSignature",
    "ToolArgumentsError",
    "convert",
    "describe_function",
    "parse_docstring",
    "schema_for",
]


class ToolArgumentsError(RealtimeAgentsError, ValueError):
    """The model's arguments do not fit the tool's parameters; the message says where."""


_DOC_SECTION = re.compile(
    r"^(args|arguments|parameters|params|keyword args|keyword arguments|other parameters|"
    r"returns?|yields?|raises?|examples?|notes?|attributes|see also|warnings?)\s*:$",
    re.IGNORECASE,
)
_PARAM_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "other parameters",
    }
)
_GOOGLE_PARAM = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_PARAM = re.compile(r"^(\w+)\s*(?::.*)?$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_EMPTY = inspect.Parameter.empty


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """``(description, {parameter: description})`` from a Google, Sphinx or NumPy docstring."""
    lines = inspect.cleandoc(doc).splitlines() if doc else []
    summary: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    numpy = False
    current: str | None = None
    base: int | None = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if stripped and following and set(following) == {"-"}:
            section, numpy, current, base = stripped.lower(), True, None, None
            continue
        if stripped and set(stripped) == {"-"} and numpy:
            continue
        sphinx = _SPHINX_PARAM.match(stripped)
        if sphinx:
            section, current = "sphinx", sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if _DOC_SECTION.match(stripped):
            section, numpy, current, base = stripped[:-1].lower(), False, None, None
            continue
        if section is None:
            summary.append(line)
        elif section == "sphinx":
            if stripped.startswith(":"):
                current = None
            elif stripped and current:
                params[current] = f"{params[current]} {stripped}".strip()
        elif section in _PARAM_SECTIONS and stripped:
            indent = len(line) - len(line.lstrip())
            if base is None or indent <= base:
                base = indent if base is None else base
                match = (_NUMPY_PARAM if numpy else _GOOGLE_PARAM).match(stripped)
                current = match.group(1) if match else None
                if current:
                    params[current] = "" if numpy else match.group(2).strip()  # type: ignore[union-attr]
            elif current:
                params[current] = f"{params[current]} {stripped}".strip()
    return "\n".join(summary).strip(), params


@attrs.frozen
class _Param:
    name: str
    annotation: Any
    default: Any
    positional_only: bool


@attrs.frozen
class FunctionSignature:
    """What :func:`tool` learned from a function: its schema and how to call it."""

    description: str
    json_schema: dict[str, Any]
    params: tuple[_Param, ...]
    takes_context: bool

    def bind(self, arguments: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword arguments for the function, converted to its types."""
        known = {p.name for p in self.params}
        unknown = sorted(set(arguments) - known)
        if unknown:
            raise ToolArgumentsError(f"unexpected argument(s): {', '.join(unknown)}")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param in self.params:
            if param.name in arguments:
                value = convert(arguments[param.name], param.annotation, param.name)
            elif param.default is not _EMPTY:
                value = param.default
            else:
                raise ToolArgumentsError(f"missing required argument '{param.name}'")
            if param.positional_only:
                args.append(value)
            else:
                kwargs[param.name] = value
        return args, kwargs


def describe_function(fn: Callable[..., Any], *, strict: bool = True) -> FunctionSignature:
    """The JSON schema and calling convention of ``fn`` (see the module docstring)."""
    signature = inspect.signature(fn)
    try:
        hints = get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to "any"
        hints = {}
    description, docs = parse_docstring(inspect.getdoc(fn))
    params = list(signature.parameters.values())
    takes_context = bool(params) and _is_context(hints.get(params[0].name, params[0].annotation))
    if takes_context:
        params = params[1:]
    defs: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    described: list[_Param] = []
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise UserError(f"tool {fn.__name__!r}: *args and **kwargs cannot be described")
        annotation = hints.get(param.name, Any)
        prop = schema_for(annotation, defs)
        if docs.get(param.name):
            prop = {**prop, "description": docs[param.name]}
        if param.default is _EMPTY:
            required.append(param.name)
        elif _jsonable(param.default):
            prop = {**prop, "default": _plain(param.default)}
        properties[param.name] = prop
        described.append(
            _Param(param.name, annotation, param.default, param.kind is param.POSITIONAL_ONLY)
        )
    json_schema: dict[str, Any] = {"type": "object", "properties": properties}
    json_schema["required"] = required
    if strict:
        json_schema["additionalProperties"] = False
    if defs:
        json_schema["$defs"] = defs
    return FunctionSignature(description, json_schema, tuple(described), takes_context)


def _is_context(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return re.match(r"^(\w+\.)*(RunContextWrapper|ToolContext)\b", annotation) is not None
    origin = get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, RunContextWrapper)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(_plain(value))
    except (TypeError, ValueError):
        return False
    return True


_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (type(None), "null"),
)


def _json_type(value: Any) -> str | None:
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), None)


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    types = {_json_type(v) for v in values}
    out: dict[str, Any] = {"enum": values}
    if len(types) == 1 and None not in types:
        out["type"] = types.pop()
    return out


def _fields_of(cls: type) -> dict[str, Any] | None:
    """Field name -> annotation for attrs classes, dataclasses and TypedDicts."""
    if attrs.has(cls) or dataclasses.is_dataclass(cls) or is_typeddict(cls):
        try:
            return get_type_hints(cls, include_extras=True)
        except Exception:
            return dict.fromkeys(getattr(cls, "__annotations__", {}), Any)
    return None


def _required_fields(cls: type, fields: dict[str, Any]) -> list[str]:
    if is_typeddict(cls):
        return sorted(cls.__required_keys__)  # type: ignore[attr-defined]
    if attrs.has(cls):
        return [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING and f.init]
    return [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


def schema_for(annotation: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a type annotation; ``defs`` collects pydantic ``$defs``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any or annotation is _EMPTY or isinstance(annotation, str):
        return {}
    if origin is Annotated:
        out = schema_for(args[0], defs)
        for meta in args[1:]:
            text = meta if isinstance(meta, str) else getattr(meta, "description", None)
            if isinstance(text, str):
                out = {**out, "description": text}
        return out
    for kind, name in _JSON_TYPES:
        if annotation is kind or (kind is type(None) and annotation is None):
            return {"type": name}
    if origin is Literal:
        return _enum_schema(list(args))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_schema([m.value for m in annotation])
    if origin is Union or origin is types.UnionType:
        return {"anyOf": [schema_for(a, defs) for a in args]}
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        items = [schema_for(a, defs) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(args), "maxItems": len(args)}
    container = origin or annotation
    if container in _SEQUENCES:
        return {"type": "array", "items": schema_for(args[0], defs) if args else {}}
    if container in _MAPPINGS:
        return {"type": "object", "additionalProperties": schema_for(args[1], defs) if args else {}}
    model_schema = getattr(annotation, "model_json_schema", None)
    if isinstance(annotation, type) and callable(model_schema):
        out = dict(model_schema(ref_template="#/$defs/{model}"))
        defs.update(out.pop("$defs", {}))
        return out
    fields = _fields_of(annotation) if isinstance(annotation, type) else None
    if fields is not None:
        return {
            "type": "object",
            "properties": {name: schema_for(hint, defs) for name, hint in fields.items()},
            "required": _required_fields(annotation, fields),
            "additionalProperties": False,
        }
    return {}


_SEQUENCES: frozenset[Any] = frozenset(
    {
        list,
        tuple,
        set,
        frozenset,
        abc.Sequence,
        abc.MutableSequence,
        abc.Set,
        abc.Collection,
        abc.Iterable,
    }
)
_MAPPINGS: frozenset[Any] = frozenset({dict, abc.Mapping, abc.MutableMapping})


def convert(value: Any, annotation: Any, path: str) -> Any:
    """``value`` (decoded JSON) as an instance of ``annotation``; ToolArgumentsError if it isn't."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is Any or annotation is _EMPTY or isinstance(annotation, str):
        return value
    if origin is Annotated:
        return convert(value, args[0], path)
    if annotation is None or annotation is type(None):
        return _expect(value is None, value, None, "null", path)
    if annotation is bool:
        return _expect(isinstance(value, bool), value, value, "a boolean", path)
    if annotation is int:
        ok = _json_type(value) == "integer" or (isinstance(value, float) and value.is_integer())
        return _expect(ok, value, int(value) if ok else None, "an integer", path)
    if annotation is float:
        ok = _json_type(value) in ("integer", "number")
        return _expect(ok, value, float(value) if ok else None, "a number", path)
    if annotation is str:
        return _expect(isinstance(value, str), value, value, "a string", path)
    if origin is Literal:
        match = [a for a in args if a == value and type(a) is type(value)]
        return _expect(
            bool(match), value, match[0] if match else None, f"one of {list(args)}", path
        )
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _convert_enum(value, annotation, path)
    if origin is Union or origin is types.UnionType:
        return _convert_union(value, args, path)
    return _convert_structured(value, annotation, origin, args, path)


def _expect(ok: bool, value: Any, result: Any, expected: str, path: str) -> Any:
    if not ok:
        raise ToolArgumentsError(f"'{path}' must be {expected}, got {json.dumps(value)[:80]}")
    return result


def _convert_enum(value: Any, annotation: type[enum.Enum], path: str) -> Any:
    try:
        return annotation(value)
    except ValueError:
        options = [m.value for m in annotation]
        raise ToolArgumentsError(f"'{path}' must be one of {options}, got {value!r}") from None


def _convert_union(value: Any, options: tuple[Any, ...], path: str) -> Any:
    if value is None and (type(None) in options or None in options):
        return None
    problems: list[str] = []
    for option in options:
        if option is type(None) or option is None:
            continue
        try:
            return convert(value, option, path)
        except ToolArgumentsError as exc:
            problems.append(str(exc))
    raise ToolArgumentsError(" or ".join(problems))


def _convert_structured(
    value: Any, annotation: Any, origin: Any, args: tuple[Any, ...], path: str
) -> Any:
    container = origin or annotation
    if container in _SEQUENCES:
        _expect(isinstance(value, list), value, None, "an array", path)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            _expect(len(value) == len(args), value, None, f"an array of {len(args)}", path)
            pairs = enumerate(zip(value, args, strict=True))
            return tuple(convert(v, a, f"{path}[{i}]") for i, (v, a) in pairs)
        item = args[0] if args else Any
        items = [convert(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
        return items if container not in (tuple, set, frozenset) else container(items)
    if container in _MAPPINGS:
        _expect(isinstance(value, dict), value, None, "an object", path)
        kind = args[1] if len(args) == 2 else Any
        return {k: convert(v, kind, f"{path}.{k}") for k, v in value.items()}
    validate = getattr(annotation, "model_validate", None)
    if isinstance(annotation, type) and callable(validate):
        try:
            return validate(value)
        except Exception as exc:  # pydantic.ValidationError, without importing pydantic
            raise ToolArgumentsError(f"'{path}' is invalid: {exc}") from None
    fields = _fields_of(annotation) if isinstance(annotation, type) else None
    if fields is None:
        return value
    _expect(isinstance(value, dict), value, None, "an object", path)
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ToolArgumentsError(f"'{path}' has unexpected field(s): {', '.join(unknown)}")
    kwargs = {k: convert(v, fields[k], f"{path}.{k}") for k, v in value.items()}
    if is_typeddict(annotation):
        return kwargs
    try:
        return annotation(**kwargs)
    except TypeError as exc:
        raise ToolArgumentsError(f"'{path}' is invalid: {exc}") from None
