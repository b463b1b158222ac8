"""Local emulator of the OpenAI Realtime API (GA): WebSocket + REST, with a scripted model.

Names are imported lazily so that the pytest plugin (loaded in every pytest run) does not pull in
aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .audio import AudioFormat, pcm16_silence, pcm16_tone
    from .auth import ClientSecret
    from .brain import AudioTurn, Brain, CallFunction, EchoBrain, Fail, Say, Turn
    from .connection import ServerConnection
    from .errors import RealtimeError
    from .faults import FaultPlan, Faults
    from .recording import EventLog
    from .rules import Rule, RulesBrain
    from .server import Emulator

__all__ = [
    "AudioFormat",
    "AudioTurn",
    "Brain",
    "CallFunction",
    "ClientSecret",
    "EchoBrain",
    "Emulator",
    "EventLog",
    "Fail",
    "FaultPlan",
    "Faults",
    "RealtimeError",
    "Rule",
    "RulesBrain",
    "Say",
    "ServerConnection",
    "Turn",
    "pcm16_silence",
    "pcm16_tone",
]

_SOURCES = {
    "AudioFormat": "audio",
    "pcm16_silence": "audio",
    "pcm16_tone": "audio",
    "ClientSecret": "auth",
    "AudioTurn": "brain",
    "Brain": "brain",
    "CallFunction": "brain",
    "EchoBrain": "brain",
    "Fail": "brain",
    "Say": "brain",
    "Turn": "brain",
    "ServerConnection": "connection",
    "RealtimeError": "errors",
    "FaultPlan": "faults",
    "Faults": "faults",
    "EventLog": "recording",
    "Rule": "rules",
    "RulesBrain": "rules",
    "Emulator": "server",
}


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
