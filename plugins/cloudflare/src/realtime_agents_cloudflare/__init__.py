"""realtime-agents-cloudflare: the Realtime API from a Cloudflare Python Worker.

``CloudflareRealtimeTransportLayer`` opens its WebSocket with the Worker's ``fetch()``
(an ``Upgrade: websocket`` request carrying the ``Authorization`` header), since a Worker's
``WebSocket`` constructor cannot send one. Pure Python: it imports and runs in Pyodide.

Names are imported on first use, so discovering the plugin (``realtime-agents --help``)
imports neither asyncio nor the driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from realtime_agents.lazy import lazy_exports

__all__ = ["CloudflareRealtimeTransportLayer", "Fetch"]

_EXPORTS: dict[str, str] = {
    "CloudflareRealtimeTransportLayer": ".transport",
    "Fetch": "._channel",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from ._channel import Fetch
    from .transport import CloudflareRealtimeTransportLayer
