"""The ``cloudflare`` entry point: registers :class:`CloudflareRealtimeTransportLayer` with core.

Core finds this module through the ``realtime_agents`` entry-point group, so
``RealtimeSession(agent, transport="cloudflare")`` works inside a Python Worker wherever this
distribution is installed.
"""

from __future__ import annotations

from realtime_agents.plugins import hookimpl
from realtime_agents.plugins.hookspecs import TransportRegistrar

__all__ = ["realtime_agents_register_transports"]


@hookimpl
def realtime_agents_register_transports(register: TransportRegistrar) -> None:
    from .transport import CloudflareRealtimeTransportLayer

    register("cloudflare", CloudflareRealtimeTransportLayer)
