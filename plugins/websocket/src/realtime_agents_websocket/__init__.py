"""WebSocket transport for realtime-agents: ``OpenAIRealtimeWebSocket``.

Use it through a session (``RealtimeSession(agent, transport="websocket")`` or an instance),
or alone as a thin client::

    client = OpenAIRealtimeWebSocket()
    client.on("audio", lambda event: speaker.write(event.data))
    await client.connect(api_key=key, model="gpt-realtime")
    await client.send_audio(pcm)

Names are imported on first use, so discovering the plugin imports neither websockets nor
the protocol.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "DEFAULT_MAX_SIZE",
    "Backend",
    "CreateWebSocket",
    "OpenAIRealtimeWebSocket",
    "WebSocketLike",
    "WebSocketRequest",
]

_EXPORTS: dict[str, str] = {
    "DEFAULT_MAX_SIZE": ".transport",
    "Backend": ".transport",
    "OpenAIRealtimeWebSocket": ".transport",
    "CreateWebSocket": "._socket",
    "WebSocketLike": "._channel",
    "WebSocketRequest": "._channel",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'realtime_agents_websocket' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from ._channel import WebSocketLike, WebSocketRequest
    from ._socket import CreateWebSocket
    from .transport import DEFAULT_MAX_SIZE, Backend, OpenAIRealtimeWebSocket
