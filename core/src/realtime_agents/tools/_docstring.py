"""Docstrings to descriptions: the summary and each parameter's text (Google, Sphinx, NumPy).

Only what a tool's JSON schema needs: no types, no returns. Pure text processing, no imports
beyond the standard library.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["parse_docstring"]

# Patterns, not compiled regexes: ``re`` compiles (and caches) them the first time a docstring
# is parsed, not when the package is imported.
_DOC_SECTION = (
    r"(?i)^(args|arguments|parameters|params|keyword args|keyword arguments|other parameters|"
    r"returns?|yields?|raises?|examples?|notes?|attributes|see also|warnings?)\s*:$"
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
_GOOGLE_PARAM = r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$"
_NUMPY_PARAM = r"^(\w+)\s*(?::.*)?$"
_SPHINX_PARAM = r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$"


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
        sphinx = re.match(_SPHINX_PARAM, stripped)
        if sphinx:
            section, current = "sphinx", sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if re.match(_DOC_SECTION, stripped):
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
                match = re.match(_NUMPY_PARAM if numpy else _GOOGLE_PARAM, stripped)
                current = match.group(1) if match else None
                if current:
                    params[current] = "" if numpy else match.group(2).strip()  # type: ignore[union-attr]
            elif current:
                params[current] = f"{params[current]} {stripped}".strip()
    return "\n".join(summary).strip(), params
