"""SIP transport for realtime-agents: phone calls through OpenAI's Realtime Calls API.

A call reaches your webhook as ``realtime.call.incoming``; you accept it with the agent's
config (:func:`accept_call`, or ``client.realtime.calls.accept`` with
:meth:`OpenAIRealtimeSIP.build_initial_config`), then attach
``RealtimeSession(agent, transport=OpenAIRealtimeSIP.from_client(client))`` with
``connect(call_id=...)`` (``from_client``: the call's events go where the client goes).

Names are imported on first use, so discovering the plugin imports neither websockets nor
the openai client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from realtime_agents.lazy import lazy_exports

__all__ = ["REFUSED_TURN_DETECTION_FIELDS", "OpenAIRealtimeSIP", "accept_call"]

_EXPORTS: dict[str, str] = {
    "REFUSED_TURN_DETECTION_FIELDS": ".transport",
    "OpenAIRealtimeSIP": ".transport",
    "accept_call": ".calls",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .calls import accept_call
    from .transport import REFUSED_TURN_DETECTION_FIELDS, OpenAIRealtimeSIP
