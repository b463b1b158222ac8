"""The OpenAI Realtime wire protocol, sans I/O.

:class:`OpenAIRealtimeProtocol` turns server frames into transport events and client intents
into JSON frames; transports only move the frames. :func:`build_session_payload` is the
session-config → wire ``session`` builder (also for SIP ``calls.accept``); the helpers of
:mod:`.connection` hold the URL/header/subprotocol rules and key redaction.
"""

from __future__ import annotations

from .connection import (
    OPENAI_REALTIME_URL,
    auth_headers,
    browser_subprotocols,
    realtime_url,
    redact,
    redact_key,
    sdk_headers,
    sdk_version,
)
from .formats import PCM_24K, WireAudioFormat, normalize_audio_format
from .payload import build_session_payload
from .playback import PlaybackTracker, Truncation
from .protocol import Events, MediaMode, OpenAIRealtimeProtocol, Wants
from .sequencer import ResponseControl, ResponseCreateSequencer
from .server_events import (
    SERVER_EVENT_TYPES,
    MalformedServerEventError,
    OddAudioDeltaError,
    UnreadableFrameError,
)

__all__ = [
    "OPENAI_REALTIME_URL",
    "PCM_24K",
    "SERVER_EVENT_TYPES",
    "Events",
    "MalformedServerEventError",
    "MediaMode",
    "OddAudioDeltaError",
    "OpenAIRealtimeProtocol",
    "PlaybackTracker",
    "ResponseControl",
    "ResponseCreateSequencer",
    "Truncation",
    "UnreadableFrameError",
    "Wants",
    "WireAudioFormat",
    "auth_headers",
    "browser_subprotocols",
    "build_session_payload",
    "normalize_audio_format",
    "realtime_url",
    "redact",
    "redact_key",
    "sdk_headers",
    "sdk_version",
]
