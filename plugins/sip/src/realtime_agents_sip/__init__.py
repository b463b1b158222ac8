"""SIP transport for realtime-agents: phone calls through OpenAI's Realtime Calls API.

A call reaches your webhook as ``realtime.call.incoming``; you accept it with the agent's
config (:func:`accept_call`, or ``client.realtime.calls.accept`` with
:meth:`OpenAIRealtimeSIP.build_initial_config`), then attach
``RealtimeSession(agent, transport=OpenAIRealtimeSIP())`` with ``connect(call_id=...)``.
"""

from __future__ import annotations

from .calls import accept_call
from .transport import REFUSED_TURN_DETECTION_FIELDS, OpenAIRealtimeSIP

__all__ = ["REFUSED_TURN_DETECTION_FIELDS", "OpenAIRealtimeSIP", "accept_call"]
