"""The ``sip`` entry point: registers :class:`OpenAIRealtimeSIP` with core.

``RealtimeSession(agent, transport="sip")`` then works whenever this distribution is
installed (connect it with ``call_id=``).
"""

from __future__ import annotations

from realtime_agents.plugins import hookimpl
from realtime_agents.plugins.hookspecs import TransportRegistrar

__all__ = ["realtime_agents_register_transports"]


@hookimpl
def realtime_agents_register_transports(register: TransportRegistrar) -> None:
    from .transport import OpenAIRealtimeSIP

    register("sip", OpenAIRealtimeSIP)
