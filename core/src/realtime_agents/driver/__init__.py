"""The shared OpenAI transport driver and the channel seam it moves frames through.

A plugin for another way of reaching the OpenAI Realtime API (WebSocket, WebRTC, SIP, a
Worker's fetch upgrade, ...) subclasses :class:`OpenAIRealtimeTransport` and supplies a
:class:`Channel`; everything else — the protocol, readiness, status, key/model/URL
resolution, redaction, close codes → exceptions — is here, once.
"""

from .channel import (
    NORMAL_CLOSE_CODES,
    Channel,
    ChannelRequest,
    CloseInfo,
    OnClose,
    OnFrame,
    close_error,
)
from .handshake import Auth, auth_for, connect_url
from .transport import OpenAIRealtimeTransport

__all__ = [
    "NORMAL_CLOSE_CODES",
    "Auth",
    "Channel",
    "ChannelRequest",
    "CloseInfo",
    "OnClose",
    "OnFrame",
    "OpenAIRealtimeTransport",
    "auth_for",
    "close_error",
    "connect_url",
]
