"""WebRTC transport for realtime-agents: ``OpenAIRealtimeWebRTC``, on aiortc.

The default transport of ``RealtimeSession`` when this distribution is installed. Use it
through a session, or alone as a thin client::

    client = OpenAIRealtimeWebRTC()
    client.on("audio", lambda event: recorder.write(event.data))
    await client.connect(api_key=key, model="gpt-realtime")
    await client.send_audio(pcm)

Names are imported on first use, so discovering the plugin imports neither aiortc nor PyAV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from realtime_agents.lazy import lazy_exports

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_ICE_SERVERS",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "AudioDevices",
    "AudioSink",
    "Microphone",
    "OpenAIRealtimeWebRTC",
    "Speaker",
]

_EXPORTS: dict[str, str] = {
    "DEFAULT_BASE_URL": ".transport",
    "DEFAULT_ICE_SERVERS": ".transport",
    "DEFAULT_MAX_MESSAGE_SIZE": ".transport",
    "OpenAIRealtimeWebRTC": ".transport",
    "AudioSink": "._callmedia",
    "AudioDevices": "._devices",
    "Microphone": "._devices",
    "Speaker": "._devices",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from ._callmedia import AudioSink
    from ._devices import AudioDevices, Microphone, Speaker
    from .transport import (
        DEFAULT_BASE_URL,
        DEFAULT_ICE_SERVERS,
        DEFAULT_MAX_MESSAGE_SIZE,
        OpenAIRealtimeWebRTC,
    )
