"""The probe of ``js/probe.mjs``, in Python, for the CPython twin of workerd (``cf_fetch.py``).

Same scenarios, same trace format (lists that compare equal to the JSON the JavaScript probe
returns), so ``test_cf_probe.py`` can hold all three — real workerd, the Node shim and this
twin — to one trace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

SETTLE = 0.3
HEADERS = {
    "Authorization": "Bearer sk-probe",
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Protocol": "realtime",
}


async def probe(fetch: Any, url: str, bad_url: str) -> dict[str, Any]:
    return {
        "serverCloses1000": await _scenario(fetch, f"{url}&fault=close_after:1:1000", None),
        "serverCloses1011": await _scenario(fetch, f"{url}&fault=close_after:1:1011", None),
        "workerCloses": await _scenario(fetch, url, lambda ws: ws.close(1000, "bye")),
        "refused": await _refused(fetch, bad_url),
    }


async def _upgrade(fetch: Any, url: str) -> Any:
    return await fetch("http" + url.removeprefix("ws"), {"method": "GET", "headers": HEADERS})


def _attempt(action: Callable[[], object]) -> str:
    try:
        action()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


async def _scenario(
    fetch: Any, url: str, after_first: Callable[[Any], None] | None
) -> list[list[Any]]:
    trace: list[list[Any]] = []
    response = await _upgrade(fetch, url)
    ws = response.webSocket
    protocol = response.headers.get("sec-websocket-protocol")
    trace.append(["response", response.status, "object", protocol])
    trace.append(["before accept", ws.readyState, ws.binaryType, _attempt(lambda: ws.send("{}"))])
    done = asyncio.get_running_loop().create_future()
    first = True

    def settle() -> None:
        asyncio.get_running_loop().call_later(SETTLE, lambda: done.done() or done.set_result(None))

    def on_message(event: Any) -> None:
        nonlocal first
        if not first:
            return
        first = False
        trace.append(["message", "string" if isinstance(event.data, str) else "object", 1])
        trace[-1][2] = ws.readyState
        if after_first is not None:
            after_first(ws)
            trace.append(["after close()", ws.readyState, _attempt(lambda: ws.send("{}"))])
            settle()

    def recorder(kind: str) -> Callable[[Any], None]:
        def record(event: Any) -> None:
            fields = [getattr(event, name, None) for name in ("code", "reason", "wasClean")]
            trace.append([kind, *fields, getattr(event, "message", None), ws.readyState])
            if kind == "close":
                settle()

        return record

    ws.addEventListener("open", recorder("open"))
    ws.addEventListener("message", on_message)
    ws.addEventListener("close", recorder("close"))
    ws.addEventListener("error", recorder("error"))
    ws.accept()
    await done
    trace.append(["send after close", _attempt(lambda: ws.send("{}"))])
    return trace


async def _refused(fetch: Any, bad_url: str) -> list[list[Any]]:
    response = await _upgrade(fetch, bad_url)
    body = await response.text()
    kind = "null" if response.webSocket is None else "object"
    return [["response", response.status, kind, body[:40]]]
