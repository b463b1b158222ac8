"""Test doubles and the transport contract suite, shipped with the library.

* :class:`ScriptedRealtimeTransport`: an in-memory transport a test drives call by call
  (expect the session's calls, emit events as a backend would).
* :class:`MockRealtimeTransport`: the real OpenAI driver and protocol with a function as the
  server; :mod:`.server_events` builds that function's answers.
* :mod:`realtime_agents.testing.contract`: the contract suite a transport (ours or yours)
  runs with a small harness (it needs pytest).

Names load on first use, so importing this package costs nothing you do not use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "IncompleteRealtimeScenarioError",
    "MockHandler",
    "MockRealtimeTransport",
    "RealtimeCallMatcherError",
    "RealtimeTransportNotClosedError",
    "RecordedCall",
    "ScenarioContext",
    "ScriptedRealtimeTransport",
    "ServerReply",
    "UnexpectedRealtimeCallError",
    "server_events",
]

_EXPORTS = {
    "MockHandler": "._mock",
    "MockRealtimeTransport": "._mock",
    "ServerReply": "._mock",
    "IncompleteRealtimeScenarioError": "._scripted",
    "RealtimeCallMatcherError": "._scripted",
    "RealtimeTransportNotClosedError": "._scripted",
    "RecordedCall": "._scripted",
    "ScenarioContext": "._scripted",
    "ScriptedRealtimeTransport": "._scripted",
    "UnexpectedRealtimeCallError": "._scripted",
}


def __getattr__(name: str) -> Any:
    if name == "server_events":
        return importlib.import_module(".server_events", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'realtime_agents.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from . import server_events
    from ._mock import MockHandler, MockRealtimeTransport, ServerReply
    from ._scripted import (
        IncompleteRealtimeScenarioError,
        RealtimeCallMatcherError,
        RealtimeTransportNotClosedError,
        RecordedCall,
        ScenarioContext,
        ScriptedRealtimeTransport,
        UnexpectedRealtimeCallError,
    )
