"""Types pydantic cannot validate by itself, rewritten into equivalent ones it can.

* **attrs classes** — pydantic has no attrs support. An attrs class becomes a TypedDict of its
  ``__init__`` arguments (required ones ``Required``, defaulted ones ``NotRequired``) followed
  by a validator that calls the class with the keys that were given: attrs itself applies the
  defaults (factories included), converters and validators, exactly as in user code.
* **``Annotated[T, "a description"]``** — the string becomes ``Field(description=...)``.
* **typing.TypedDict on Python < 3.12** — pydantic needs ``typing_extensions.TypedDict``
  there; an equivalent one is built (the validated value is a plain dict either way).

Unions, ``Annotated`` and generic containers are rebuilt around rewritten members; every other
type is returned unchanged — so an attrs class inside a dataclass or a pydantic model (which
pydantic reads by itself) is still refused. Only the pydantic path calls this, so pydantic is
imported lazily.
"""

from __future__ import annotations

import sys
import types
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

import attrs

__all__ = ["UnsupportedTypeError", "bridge", "schema_default"]


class UnsupportedTypeError(TypeError):
    """A type (or one nested in it) that cannot be used for a tool's arguments; says why."""


def bridge(annotation: Any) -> Any:
    """``annotation`` with attrs classes and old TypedDicts replaced by pydantic-ready types."""
    return _Bridge().rewrite(annotation)


class _Bridge:
    """One rewrite; ``_seen`` holds the classes being mirrored, to refuse recursive ones."""

    def __init__(self) -> None:
        self._seen: set[type] = set()

    def rewrite(self, annotation: Any) -> Any:
        if isinstance(annotation, type) and (
            attrs.has(annotation) or _is_typing_typeddict(annotation)
        ):
            return self._mirror(annotation)
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is Annotated:
            inner, metadata = self.rewrite(args[0]), annotation.__metadata__
            described = tuple(_as_field(meta) for meta in metadata)
            if inner is args[0] and all(a is b for a, b in zip(described, metadata, strict=True)):
                return annotation
            return Annotated[(inner, *described)]
        if not args or origin is Literal:
            return annotation
        rewritten = tuple(self.rewrite(arg) for arg in args)
        if all(new is old for new, old in zip(rewritten, args, strict=True)):
            return annotation
        if origin is Union or origin is types.UnionType:
            return Union[rewritten]  # noqa: UP007  (the | operator needs two members)
        return origin[rewritten]

    def _mirror(self, cls: type) -> Any:
        if cls in self._seen:
            raise UnsupportedTypeError(
                f"{cls.__name__} refers to itself; recursive attrs classes and TypedDicts "
                "are not supported here (a pydantic model or a dataclass can be recursive)"
            )
        self._seen.add(cls)
        try:
            return self._attrs_mirror(cls) if attrs.has(cls) else self._typeddict_mirror(cls)
        finally:
            self._seen.discard(cls)

    def _attrs_mirror(self, cls: type) -> Any:
        from pydantic import AfterValidator
        from typing_extensions import TypedDict

        hints = _hints(cls)
        fields: dict[str, Any] = {}
        for field in attrs.fields(cls):
            if not field.init:
                continue
            fallback = field.type if isinstance(field.type, type) else Any
            kind = self.rewrite(hints.get(field.name, fallback))
            if field.default is attrs.NOTHING:
                fields[field.alias] = Required[kind]
            else:
                fields[field.alias] = NotRequired[_showing_default(kind, field.default)]
        mirror = TypedDict(cls.__name__, fields)  # type: ignore[misc]
        mirror.__doc__ = cls.__doc__

        def construct(given: dict[str, Any]) -> Any:
            try:
                return cls(**given)
            except (TypeError, ValueError) as exc:  # attrs validators raise both
                raise ValueError(f"{cls.__name__}: {exc}") from None

        return Annotated[mirror, AfterValidator(construct)]

    def _typeddict_mirror(self, cls: type) -> Any:
        from typing_extensions import TypedDict

        required: frozenset[str] = cls.__required_keys__  # type: ignore[attr-defined]
        fields: dict[str, Any] = {}
        for name, hint in _hints(cls).items():
            kind = self.rewrite(_unwrap_requiredness(hint))
            fields[name] = Required[kind] if name in required else NotRequired[kind]
        mirror = TypedDict(cls.__name__, fields)  # type: ignore[misc]
        mirror.__doc__ = cls.__doc__
        return mirror


def _as_field(meta: Any) -> Any:
    """``Annotated[T, "text"]`` means a description; pydantic ignores bare strings."""
    if not isinstance(meta, str):
        return meta
    from pydantic import Field

    return Field(description=meta)


def _is_typing_typeddict(cls: type) -> bool:
    return sys.version_info < (3, 12) and type(cls).__module__ == "typing" and is_typeddict(cls)


def _showing_default(kind: Any, default: Any) -> Any:
    """``kind`` annotated so the schema shows ``default`` (attrs applies the real one)."""
    from pydantic import Field

    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return kind  # calling the factory here could have side effects
    shown = schema_default(default)
    return Annotated[kind, Field(json_schema_extra=shown)] if shown else kind


def schema_default(default: Any) -> dict[str, Any]:
    """``{"default": <default as JSON>}``, or ``{}`` when it has no JSON form."""
    from pydantic_core import to_jsonable_python

    try:
        return {"default": to_jsonable_python(default)}
    except Exception:
        return {}


def _hints(cls: type) -> dict[str, Any]:
    try:
        return get_type_hints(cls, include_extras=True)
    except Exception as exc:  # an unresolvable forward reference
        raise UnsupportedTypeError(
            f"the annotations of {cls.__name__} cannot be resolved ({exc})"
        ) from None


def _unwrap_requiredness(hint: Any) -> Any:
    """``T`` from ``Required[T]``/``NotRequired[T]`` (typing's or typing_extensions')."""
    origin = get_origin(hint)
    name = getattr(origin, "_name", None) or getattr(origin, "__name__", None)
    if name in ("Required", "NotRequired", "ReadOnly"):
        return _unwrap_requiredness(get_args(hint)[0])
    return hint
