"""Runs the scenarios of ``cf_cases.py`` inside Pyodide; the JavaScript runners call :func:`run`.

The runner (``js/node_runner.mjs`` under Node, ``js/worker.mjs`` inside workerd) has put a
spying ``fetch`` in ``globalThis.fetch`` and its controls in ``globalThis.cfSpy``; the
transport uses its default, ``js.fetch``. Each scenario's outcome comes back as JSON, with
the traceback of a failure, for the pytest test on the other side to assert on.

The worker also calls :func:`run_example` (the example Worker's handler, layer 3) and
:func:`bench` (one connection and one turn for ``benchmarks/cloudflare_worker.py``).
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


class _Request:
    """What the example's handler reads of a request: its text."""

    def __init__(self, body: str) -> None:
        self._body = body

    async def text(self) -> str:
        return self._body


async def run_example(options_json: str) -> str:
    """The example Worker's handler, called as Cloudflare's runtime would; its response."""
    from types import SimpleNamespace

    import cf_example_entry

    options = json.loads(options_json)
    env = SimpleNamespace(OPENAI_API_KEY=cases.KEY, OPENAI_REALTIME_URL=options["url"])
    handler = cf_example_entry.Default(None, env)
    response = await asyncio.wait_for(handler.fetch(_Request(options["question"])), 30)
    return json.dumps({"status": response.status, "body": response.body})


async def bench(options_json: str) -> str:
    """One connection and one turn for benchmarks/cloudflare_worker.py: upgrade →
    session.created, then a turn's audio deltas through the transport to an ``audio`` handler."""
    import time

    from realtime_agents_cloudflare import CloudflareRealtimeTransportLayer

    options = json.loads(options_json)
    transport = CloudflareRealtimeTransportLayer(url=options["url"], api_key=cases.KEY)
    received = [0, 0]

    def on_audio(event: Any) -> None:
        received[0] += 1
        received[1] += len(event.data)

    transport.on("audio", on_audio)
    started = time.perf_counter()
    await transport.connect()  # returns on session.created
    created = time.perf_counter()
    await transport.send_message(options["question"])
    await transport.wait_for("turn_done", timeout=60)
    ended = time.perf_counter()
    await transport.close()
    return json.dumps(
        {
            "connectMs": (created - started) * 1000,
            "turnMs": (ended - created) * 1000,
            "deltas": received[0],
            "bytes": received[1],
        }
    )
