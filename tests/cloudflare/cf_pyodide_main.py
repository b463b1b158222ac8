"""Runs the scenarios of ``cf_cases.py`` inside Pyodide; the JavaScript runners call :func:`run`.

The runner (``js/node_runner.mjs`` under Node, ``js/worker.mjs`` inside workerd) has put a
spying ``fetch`` in ``globalThis.fetch`` and its controls in ``globalThis.cfSpy``; the
transport uses its default, ``js.fetch``. Each scenario's outcome comes back as JSON, with
the traceback of a failure, for the pytest test on the other side to assert on.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from typing import Any

import cf_cases as cases
import js  # type: ignore[import-not-found]


class PyodideEnv:
    """What a scenario needs, inside Pyodide (see ``cf_cases.py``)."""

    fetch = None  # the transport's default: js.fetch

    def __init__(self, options: dict[str, Any]) -> None:
        self.url = options["url"]
        self.bad_url = options["bad_url"]
        self.compat = options["compat"]

    def listeners(self) -> int:
        return int(js.cfSpy.listeners())

    def close_socket(self) -> None:
        js.cfSpy.closeSocket()


async def run(options_json: str) -> str:
    options = json.loads(options_json)
    env = PyodideEnv(options)
    results = []
    for name in options["cases"]:
        try:
            await asyncio.wait_for(cases.CASES[name](env), options.get("timeout", 30))
        except BaseException:
            results.append({"name": name, "ok": False, "error": traceback.format_exc()})
            continue
        escaped = str(js.cfSpy.errors())  # exceptions our listeners let into the runtime
        results.append({"name": name, "ok": not escaped, "error": escaped})
    return json.dumps({"python": sys.version.split()[0], "results": results})
