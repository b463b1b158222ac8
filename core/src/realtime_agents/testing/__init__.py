"""Test doubles and the transport contract suite, shipped with the library.

* :class:`ScriptedRealtimeTransport`: an in-memory transport a test drives call by call
  (expect the session's calls, emit events as a backend would).
* :class:`MockRealtimeTransport`: the real OpenAI driver and protocol with a function as the
  server; :mod:`.server_events` builds that function's answers.
* :class:`TwilioMediaStreamPeer`: Twilio's side of a Media Streams call (it dials your
  server, speaks, presses keys, hangs up, and plays what you send back in real time).
* :mod:`realtime_agents.testing.contract`: the contract suite a transport (ours or yours)
  runs with a small harness (it needs pytest).

Names load on first use, so importing this package costs nothing you do not use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

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
    "TwilioMediaStreamPeer",
    "UnexpectedRealtimeCallError",
    "mulaw_silence",
    "mulaw_tone",
    "server_events",
]

_EXPORTS = {
    "server_events": ".server_events",
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
    "TwilioMediaStreamPeer": ".twilio",
    "mulaw_silence": ".twilio",
    "mulaw_tone": ".twilio",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


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
    from .twilio import TwilioMediaStreamPeer, mulaw_silence, mulaw_tone
