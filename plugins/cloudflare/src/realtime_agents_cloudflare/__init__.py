"""realtime-agents-cloudflare: the Realtime API from a Cloudflare Python Worker.

``CloudflareRealtimeTransportLayer`` opens its WebSocket with the Worker's ``fetch()``
(an ``Upgrade: websocket`` request carrying the ``Authorization`` header), since a Worker's
``WebSocket`` constructor cannot send one. Pure Python: it imports and runs in Pyodide.

Names are imported on first use, so discovering the plugin (``realtime-agents --help``)
imports neither asyncio nor the driver.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["CloudflareRealtimeTransportLayer", "Fetch"]

_EXPORTS: dict[str, str] = {
    "CloudflareRealtimeTransportLayer": ".transport",
    "Fetch": "._channel",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'realtime_agents_cloudflare' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from ._channel import Fetch
    from .transport import CloudflareRealtimeTransportLayer
