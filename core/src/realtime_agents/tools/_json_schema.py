"""The JSON schemas we send, derived from the ones pydantic generates; null-means-default.

Pydantic's schemas are correct JSON Schema but not what OpenAI's strict function schemas
accept, so they are post-processed here (pure dict work, no pydantic import):

* :func:`without_titles` — the plain schema (``strict=False``): pydantic's, minus the ``title``
  annotations it puts on every node (noise for the model, and they cost tokens).
* :func:`strict_schema` — the strict schema (``strict=True``): every object closed
  (``additionalProperties: false``) with all its properties ``required``; a property that may
  be left out becomes nullable instead (``null`` then means "use the default", see
  :func:`without_null_defaults`); only the keywords strict mode supports are kept (``default``,
  ``title``, ``uniqueItems``, ``minLength``… are dropped: pydantic still enforces them when it
  validates the arguments); ``const`` becomes a one-value ``enum``, ``oneOf`` an ``anyOf``,
  tuples an array of fixed length; a ``$ref`` never has siblings. What strict mode cannot
  express (free-form dicts, values of any type) raises :class:`NotStrictError`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "STRICT_FORMATS",
    "STRICT_KEYWORDS",
    "NotStrictError",
    "accepts_null",
    "strict_schema",
    "without_null_defaults",
    "without_titles",
]

#: The ``format`` values strict mode supports; pydantic's others (uri, binary, …) are dropped.
STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
#: Every keyword a strict schema may use (``$defs`` only at the root).
STRICT_KEYWORDS = frozenset(
    {
        "type",
        "description",
        "enum",
        "anyOf",
        "$ref",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "pattern",
        "format",
        "multipleOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)
_NULL: dict[str, Any] = {"type": "null"}
# Where JSON Schema nests subschemas: by name, in a list, or one.
_NAMED = frozenset({"properties", "$defs", "patternProperties", "dependentSchemas"})
_LISTED = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SINGLE = frozenset(
    {"items", "additionalProperties", "not", "propertyNames", "contains", "if", "then", "else"}
)


class NotStrictError(Exception):
    """A strict schema cannot describe a value at ``location`` (its path in the arguments)."""

    def __init__(self, reason: str, location: tuple[str, ...]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.location = location


def without_titles(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` without ``title`` keywords (property *names* are left alone)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key in _NAMED and isinstance(value, dict):
            out[key] = {name: without_titles(sub) for name, sub in value.items()}
        elif key in _LISTED and isinstance(value, list):
            out[key] = [without_titles(sub) for sub in value]
        elif key in _SINGLE and isinstance(value, dict):
            out[key] = without_titles(value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The strict form of a plain schema (see the module docstring); NotStrictError if none."""
    return _Strict(schema.get("$defs", {})).root(schema)


def accepts_null(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> bool:
    """Whether ``null`` is a valid value of ``schema`` (an empty schema accepts anything)."""
    ref = schema.get("$ref")
    if isinstance(ref, str):  # a definition still being converted counts as not nullable
        target = defs.get(_def_name(ref))
        return target is not None and accepts_null(target, defs)
    kind = schema.get("type")
    if not schema or kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in schema.get("enum", ()) or ("const" in schema and schema["const"] is None):
        return True
    branches = [*schema.get("anyOf", ()), *schema.get("oneOf", ())]
    return any(accepts_null(branch, defs) for branch in branches)


def without_null_defaults(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` without the ``null`` properties that stand for "use the default".

    A property that is not ``required`` in the plain ``schema`` but cannot be null is made
    nullable in the strict schema; a ``null`` there is removed so the default applies. Objects
    nested in lists, dicts and unambiguous unions are handled too.
    """
    return _drop_nulls(value, schema, schema.get("$defs", {}))


def _resolve(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(defs.get(ref.removeprefix("#/$defs/"), {}), defs)
    return schema


def _drop_nulls(value: Any, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    schema = _resolve(schema, defs)
    branches = [b for b in (*schema.get("anyOf", ()), *schema.get("oneOf", ())) if b != _NULL]
    if branches:
        branch = _branch_for(value, branches, defs)
        return value if branch is None else _drop_nulls(value, branch, defs)
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        return _drop_null_properties(value, schema, defs)
    if isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        values = schema["additionalProperties"]
        return {key: _drop_nulls(item, values, defs) for key, item in value.items()}
    if isinstance(value, list):
        positional = schema.get("prefixItems")
        if isinstance(positional, list):
            return [_drop_nulls(v, s, defs) for v, s in zip(value, positional, strict=False)]
        items = schema.get("items")
        if isinstance(items, dict):
            return [_drop_nulls(item, items, defs) for item in value]
    return value


def _branch_for(
    value: Any, branches: list[Mapping[str, Any]], defs: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The one union member ``value`` can be (None when unsure: then nothing is dropped).

    Objects are told apart by their single-valued properties (a discriminator's ``const``).
    """
    if len(branches) == 1:
        return branches[0]
    resolved = [_resolve(branch, defs) for branch in branches]
    if isinstance(value, dict):
        fitting = [b for b in resolved if _tags_fit(value, b)]
    elif isinstance(value, list):
        fitting = [b for b in resolved if b.get("type") == "array"]
    else:
        return None
    return fitting[0] if len(fitting) == 1 else None


def _tags_fit(value: dict[str, Any], schema: Mapping[str, Any]) -> bool:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return False
    for name, sub in properties.items():
        allowed = [sub["const"]] if "const" in sub else sub.get("enum", ())
        if len(allowed) == 1 and name in value and value[name] != allowed[0]:
            return False
    return True


def _drop_null_properties(
    value: dict[str, Any], schema: Mapping[str, Any], defs: Mapping[str, Any]
) -> dict[str, Any]:
    properties: dict[str, Any] = schema["properties"]
    required = set(schema.get("required", ()))
    out: dict[str, Any] = {}
    for key, item in value.items():
        sub = properties.get(key)
        if sub is None:
            out[key] = item  # unknown: validation reports it
        elif item is None and key not in required and not accepts_null(sub, defs):
            continue
        else:
            out[key] = _drop_nulls(item, sub, defs)
    return out


class _Strict:
    """One strict conversion: ``$defs`` are converted when first referenced (recursion-safe)."""

    def __init__(self, defs: Mapping[str, Any]) -> None:
        self._defs_in = defs
        self._defs_out: dict[str, dict[str, Any]] = {}
        self._converting: set[str] = set()

    def root(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in schema.items() if k != "$defs"}
        out = self._node(body, ())
        if "$ref" in out:  # a model at the root: strict mode wants the object itself
            out = copy.deepcopy(self._defs_out[_def_name(out["$ref"])])
        if out.get("type") != "object":
            raise NotStrictError("the arguments are not a JSON object", ())
        used = _referenced(out, self._defs_out)
        if used:
            out["$defs"] = {name: self._defs_out[name] for name in sorted(used)}
        return out

    def _node(self, schema: Mapping[str, Any], where: tuple[str, ...]) -> dict[str, Any]:
        out = {
            key: value
            for key, value in _normalised(schema, where).items()
            if key in STRICT_KEYWORDS and (key != "format" or value in STRICT_FORMATS)
        }
        if "anyOf" in out:
            out["anyOf"] = [self._node(branch, where) for branch in out["anyOf"]]
        if "items" in out:
            items = out["items"] if isinstance(out["items"], dict) else {}
            out["items"] = self._node(items, (*where, "[]"))
        if out.get("type") == "object" or "properties" in out:
            self._close_object(out, schema, where)
        if "$ref" in out:
            out = self._reference(out, where)
        if not out.keys() & {"type", "anyOf", "$ref", "enum"}:
            raise NotStrictError("accepts a value of any type", where)
        return out

    def _close_object(
        self, out: dict[str, Any], original: Mapping[str, Any], where: tuple[str, ...]
    ) -> None:
        if out.get("additionalProperties", False) is not False:
            raise NotStrictError("is a dict with free-form keys", where)
        required = set(original.get("required", ()))
        properties: dict[str, Any] = {}
        for name, sub in out.get("properties", {}).items():
            properties[name] = self._property(sub, name in required, (*where, name))
        out.update(
            type="object",
            properties=properties,
            required=list(properties),
            additionalProperties=False,
        )

    def _property(
        self, schema: Mapping[str, Any], required: bool, where: tuple[str, ...]
    ) -> dict[str, Any]:
        description = schema.get("description")
        core = {k: v for k, v in schema.items() if k not in ("description", "default", "title")}
        out = self._node(core, where)
        if not required and not accepts_null(out, self._defs_out):
            only_union = out.keys() == {"anyOf"}
            out = {"anyOf": [*out["anyOf"], _NULL]} if only_union else {"anyOf": [out, _NULL]}
        if description is not None:
            out = self._reference({**out, "description": description}, where)
        return out

    def _reference(self, out: dict[str, Any], where: tuple[str, ...]) -> dict[str, Any]:
        """``out`` with its ``$ref`` converted; inlined if it has siblings (strict forbids them)."""
        if "$ref" not in out:
            return out
        name = _def_name(out["$ref"])
        if name not in self._defs_out and name not in self._converting:
            if name not in self._defs_in:
                raise NotStrictError(f"refers to an unknown definition {out['$ref']!r}", where)
            self._converting.add(name)
            self._defs_out[name] = self._node(self._defs_in[name], where)
            self._converting.discard(name)
        if len(out) == 1:
            return out
        siblings = {k: v for k, v in out.items() if k != "$ref"}
        if name in self._converting:  # recursive and not finished: wrap instead of inlining
            return {"anyOf": [{"$ref": out["$ref"]}], **siblings}
        return {**copy.deepcopy(self._defs_out[name]), **siblings}


def _normalised(schema: Mapping[str, Any], where: tuple[str, ...]) -> dict[str, Any]:
    """Rewrite the keywords strict mode lacks into equivalent (or looser) ones it has."""
    out = dict(schema)
    if "const" in out:
        out.setdefault("enum", [out.pop("const")])
    if "oneOf" in out:
        out["anyOf"] = [*out.pop("anyOf", ()), *out.pop("oneOf")]
    if "allOf" in out:
        parts = out.pop("allOf")
        if len(parts) != 1:
            raise NotStrictError("is an intersection of schemas (allOf)", where)
        out = {**_normalised(parts[0], where), **out}
    if "prefixItems" in out:  # tuples: any of the item types, at a fixed length
        distinct = list({json.dumps(s, sort_keys=True): s for s in out.pop("prefixItems")}.values())
        out["items"] = distinct[0] if len(distinct) == 1 else {"anyOf": distinct}
    return out


def _def_name(ref: str) -> str:
    return ref.removeprefix("#/$defs/")


def _referenced(schema: Any, defs: Mapping[str, Any]) -> set[str]:
    """Names of the definitions ``schema`` uses, directly or through other definitions."""
    found: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and _def_name(ref) not in found:
                found.add(_def_name(ref))
                pending.append(defs.get(_def_name(ref)))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found
