"""Twilio Media Streams transport for realtime-agents: phone calls through your own server.

Twilio opens a WebSocket to your server for each call (``<Connect><Stream url=...>``); wrap
it in an adapter and hand it to :class:`TwilioRealtimeTransportLayer`, which bridges it to
the OpenAI Realtime API::

    transport = TwilioRealtimeTransportLayer(twilio_websocket=AiohttpTwilioSocket(ws))
    async with RealtimeSession(agent, transport=transport) as session:
        await session.connect(api_key=key)
        await transport.wait_stream_end()

Names are imported on first use, so discovering the plugin imports neither websockets nor
the protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from realtime_agents.lazy import lazy_exports

__all__ = [
    "DEFAULT_MAX_QUEUED_BYTES",
    "AiohttpTwilioSocket",
    "TwilioBacklogError",
    "TwilioDtmfEvent",
    "TwilioMessage",
    "TwilioRealtimeTransportLayer",
    "TwilioWebSocket",
    "WebsocketsTwilioSocket",
    "force_mulaw",
]

_EXPORTS: dict[str, str] = {
    "DEFAULT_MAX_QUEUED_BYTES": ".transport",
    "TwilioBacklogError": ".transport",
    "TwilioRealtimeTransportLayer": ".transport",
    "AiohttpTwilioSocket": ".sockets",
    "TwilioWebSocket": ".sockets",
    "WebsocketsTwilioSocket": ".sockets",
    "TwilioDtmfEvent": ".messages",
    "TwilioMessage": ".messages",
    "force_mulaw": ".formats",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .formats import force_mulaw
    from .messages import TwilioDtmfEvent, TwilioMessage
    from .sockets import AiohttpTwilioSocket, TwilioWebSocket, WebsocketsTwilioSocket
    from .transport import (
        DEFAULT_MAX_QUEUED_BYTES,
        TwilioBacklogError,
        TwilioRealtimeTransportLayer,
    )
