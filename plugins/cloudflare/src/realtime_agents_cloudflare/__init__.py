"""realtime-agents-cloudflare: the Realtime API from a Cloudflare Python Worker.

``CloudflareRealtimeTransportLayer`` opens its WebSocket with the Worker's ``fetch()``
(an ``Upgrade: websocket`` request carrying the ``Authorization`` header), since a Worker's
``WebSocket`` constructor cannot send one. Pure Python: it imports and runs in Pyodide.
"""

from __future__ import annotations

from ._channel import Fetch
from .transport import CloudflareRealtimeTransportLayer

__all__ = ["CloudflareRealtimeTransportLayer", "Fetch"]
