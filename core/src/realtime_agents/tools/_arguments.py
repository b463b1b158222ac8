"""Named values validated by one pydantic model: a tool's parameters, or one typed value.

This is the only module that talks to pydantic, and it imports it inside functions: the first
tool definition pays for the import, ``import realtime_agents`` does not. Pydantic builds the
JSON schema and validates the model's arguments (lax mode: ``"2"`` and ``2.0`` are fine for an
``int``, ISO strings for dates, any JSON number or string for a ``Decimal``); attrs classes and
old TypedDicts go through :mod:`._bridge` first.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._bridge import UnsupportedTypeError, bridge, schema_default
from ._errors import ToolArgumentsError
from ._json_schema import without_null_defaults, without_titles

if TYPE_CHECKING:
    from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = [
    "MISSING",
    "ArgumentsModel",
    "Parameter",
    "ParameterError",
    "ToolArgumentsError",
    "ValueModel",
]

MISSING: Any = inspect.Parameter.empty
_MAX_PROBLEMS = 5  # enough for the model to fix its call; the rest is counted


class ParameterError(Exception):
    """Pydantic cannot handle a parameter's type; ``name`` is None when it cannot tell which."""

    def __init__(self, name: str | None, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


@attrs.frozen
class Parameter:
    """One named value: its type, its default (``MISSING`` if required), its description."""

    name: str
    annotation: Any
    default: Any = MISSING
    description: str | None = None


class ArgumentsModel:
    """The arguments of a call as a pydantic model: unknown names are rejected.

    Fields are named ``p0, p1, …`` with the parameter names as aliases, so a parameter may be
    called ``json``, ``schema`` or ``_private`` without clashing with BaseModel's attributes.
    """

    def __init__(self, title: str, parameters: Sequence[Parameter]) -> None:
        self._names = {f"p{index}": p.name for index, p in enumerate(parameters)}
        try:
            self._model = _model(title, parameters)
            self.schema: dict[str, Any] = _plain(self._model.model_json_schema)
        except Exception as exc:
            raise _culprit(title, parameters, exc) from None
        self.schema.setdefault("required", [])

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments that were given, converted to their types (ToolArgumentsError if not)."""
        from pydantic import ValidationError

        data = without_null_defaults(dict(arguments), self.schema)
        try:
            model = self._model.model_validate(data)
        except ValidationError as exc:
            raise ToolArgumentsError(summarize(exc)) from None
        return {self._names[field]: getattr(model, field) for field in model.model_fields_set}


class ValueModel:
    """One value of a type (a handoff's input): its plain schema and its validation."""

    def __init__(self, annotation: Any) -> None:
        try:
            self._adapter = _adapter(bridge(annotation))
            self.schema: dict[str, Any] = _plain(self._adapter.json_schema)
        except Exception as exc:
            raise ParameterError(None, _reason(exc)) from None

    def validate(self, value: Any) -> Any:
        from pydantic import ValidationError

        try:
            return self._adapter.validate_python(without_null_defaults(value, self.schema))
        except ValidationError as exc:
            raise ToolArgumentsError(summarize(exc)) from None


def summarize(exc: ValidationError) -> str:
    """Where and why, for each problem pydantic found; never the input itself."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = [_problem(error["loc"], error["msg"]) for error in errors[:_MAX_PROBLEMS]]
    if len(errors) > _MAX_PROBLEMS:
        parts.append(f"and {len(errors) - _MAX_PROBLEMS} more problem(s)")
    return "; ".join(parts)


def _problem(location: tuple[int | str, ...], message: str) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    message = message if len(message) <= 200 else f"{message[:200]}…"
    return f"'{path}': {message}" if path else message


def _model(title: str, parameters: Sequence[Parameter]) -> type[BaseModel]:
    from pydantic import ConfigDict, Field, create_model

    fields: dict[str, Any] = {}
    for index, parameter in enumerate(parameters):
        # A description given here would override one in the annotation, even as None.
        extra: dict[str, Any] = {}
        if parameter.description is not None:
            extra["description"] = parameter.description
        if parameter.default is MISSING:
            info = Field(alias=parameter.name, **extra)
        else:
            # Optional, but never filled in: the function applies its own default (pydantic
            # would copy it for each call). The schema still shows it when it is JSON.
            info = Field(
                default_factory=_absent,
                alias=parameter.name,
                json_schema_extra=schema_default(parameter.default),
                **extra,
            )
        fields[f"p{index}"] = (bridge(parameter.annotation), info)
    config = ConfigDict(extra="forbid", populate_by_name=False)
    model: type[BaseModel] = create_model(title, __config__=config, **fields)
    return model


def _absent() -> None:
    return None


def _adapter(annotation: Any) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(annotation)


def _plain(generate: Any) -> dict[str, Any]:
    return without_titles(generate(schema_generator=_quiet_generator()))


@functools.cache
def _quiet_generator() -> type[Any]:
    """Pydantic's JSON schema generator, without the warning for defaults that are not JSON
    (such a default is simply left out of the schema; the function still gets it)."""
    from pydantic.json_schema import GenerateJsonSchema

    class QuietGenerateJsonSchema(GenerateJsonSchema):
        ignored_warning_kinds = {"skipped-choice", "non-serializable-default"}  # noqa: RUF012

    return QuietGenerateJsonSchema


def _culprit(title: str, parameters: Sequence[Parameter], error: Exception) -> ParameterError:
    """Which parameter made the model fail: each is tried on its own."""
    for parameter in parameters:
        try:
            _plain(_model(title, [parameter]).model_json_schema)
        except Exception as exc:
            return ParameterError(parameter.name, _reason(exc))
    return ParameterError(None, _reason(error))


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnsupportedTypeError):
        return str(exc)
    # Pydantic's first line says what failed; its advice (arbitrary_types_allowed, …) is
    # about pydantic models and does not apply to a tool's parameters.
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"pydantic cannot validate it: {first.split(' Set `arbitrary_types_allowed')[0]}"
