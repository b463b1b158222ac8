"""The ``loopback`` entry point: registers :class:`LoopbackTransport` with core.

Core finds this module through the ``realtime_agents`` entry-point group declared in
``pyproject.toml``, so ``RealtimeSession(agent, transport="loopback")`` works whenever this
distribution is installed. Registration hooks run on every plugin load: import lazily.
"""

from __future__ import annotations

from realtime_agents.plugins import hookimpl
from realtime_agents.plugins.hookspecs import TransportRegistrar

__all__ = ["realtime_agents_register_transports"]


@hookimpl
def realtime_agents_register_transports(register: TransportRegistrar) -> None:
    from .transport import LoopbackTransport

    register("loopback", LoopbackTransport)
