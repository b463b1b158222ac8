"""The ``websocket`` entry point: registers :class:`OpenAIRealtimeWebSocket` with core.

Core finds this module through the ``realtime_agents`` entry-point group, exactly as it
finds third-party transports, so ``RealtimeSession(agent, transport="websocket")`` works
whenever this distribution is installed.
"""

from __future__ import annotations

from realtime_agents.plugins import hookimpl
from realtime_agents.plugins.hookspecs import TransportRegistrar

__all__ = ["realtime_agents_register_transports"]


@hookimpl
def realtime_agents_register_transports(register: TransportRegistrar) -> None:
    from .transport import OpenAIRealtimeWebSocket

    register("websocket", OpenAIRealtimeWebSocket)
