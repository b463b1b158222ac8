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

from typing import TYPE_CHECKING

from realtime_agents.lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from ._channel import WebSocketLike, WebSocketRequest
    from ._socket import CreateWebSocket
    from .transport import DEFAULT_MAX_SIZE, Backend, OpenAIRealtimeWebSocket
