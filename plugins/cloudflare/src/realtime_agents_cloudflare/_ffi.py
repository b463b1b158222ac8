"""The JavaScript boundary: Pyodide's FFI inside a Worker, plain Python everywhere else.

Inside a Worker (Pyodide, ``sys.platform == "emscripten"``) callbacks handed to JavaScript
must be proxies that we destroy ourselves, option bags must be real JS objects, and JS
``null`` arrives as :data:`pyodide.ffi.jsnull` rather than None. Under CPython (tests, the
fault matrix, a user's own ``fetch``) the same code runs against Python objects: a proxy is
the function itself and an option bag stays a dict.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["Proxy", "as_bytes", "is_js", "is_null", "js_fetch", "js_options", "proxy"]

# Spelled out in each function (not a constant) so type checkers skip the Pyodide branches
# on other platforms, where neither ``js`` nor ``pyodide`` exists.
if sys.platform == "emscripten":
    import js
    from pyodide.ffi import JsProxy, create_proxy, jsnull, to_js


class Proxy(Protocol):
    """A callable JavaScript may hold; ``destroy`` releases it (Pyodide's ``PyProxy``)."""

    def __call__(self, event: Any) -> None: ...

    def destroy(self) -> None: ...


class _PlainProxy:
    """Outside Pyodide a callback needs no wrapping; this only gives it ``destroy``."""

    def __init__(self, function: Callable[[Any], None]) -> None:
        self._function: Callable[[Any], None] | None = function

    def __call__(self, event: Any) -> None:
        if self._function is not None:
            self._function(event)

    def destroy(self) -> None:
        self._function = None


def proxy(function: Callable[[Any], None]) -> Proxy:
    """``function`` as a callback JavaScript can keep until we :meth:`Proxy.destroy` it."""
    if sys.platform == "emscripten":
        made: Proxy = create_proxy(function)
        return made
    return _PlainProxy(function)


def is_js(value: object) -> bool:
    """Whether ``value`` is a JavaScript object (always False outside Pyodide)."""
    if sys.platform == "emscripten":
        return isinstance(value, JsProxy)
    return False


def is_null(value: object) -> bool:
    """JS ``null`` or ``undefined`` (``jsnull``/None in Pyodide), or None."""
    if sys.platform == "emscripten":
        return value is None or value is jsnull
    return value is None


def js_options(options: Mapping[str, Any]) -> Any:
    """A ``fetch`` init bag as a JS object (nested dicts become objects, not Maps)."""
    if sys.platform == "emscripten":
        return to_js(dict(options), dict_converter=js.Object.fromEntries)
    raise RuntimeError("JavaScript objects exist only inside Pyodide")


def as_bytes(data: Any) -> bytes:
    """A binary message (an ``ArrayBuffer`` proxy, or bytes-like outside Pyodide) as bytes."""
    to_bytes = getattr(data, "to_bytes", None)
    if to_bytes is not None:
        return bytes(to_bytes())
    return bytes(data)


def js_fetch() -> Callable[..., Any] | None:
    """The Worker's global ``fetch``, or None outside Pyodide."""
    if sys.platform == "emscripten":
        fetch: Callable[..., Any] = js.fetch
        return fetch
    return None
