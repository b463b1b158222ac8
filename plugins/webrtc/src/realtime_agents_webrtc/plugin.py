"""The ``webrtc`` entry point: registers :class:`OpenAIRealtimeWebRTC` with core.

Core finds this module through the ``realtime_agents`` entry-point group, as it finds any
third-party transport; once it is installed, ``RealtimeSession(agent)`` with no transport
uses WebRTC (core prefers ``webrtc`` over ``websocket``).
"""

from __future__ import annotations

from realtime_agents.plugins import hookimpl
from realtime_agents.plugins.hookspecs import TransportRegistrar

__all__ = ["realtime_agents_register_transports"]


@hookimpl
def realtime_agents_register_transports(register: TransportRegistrar) -> None:
    from .transport import OpenAIRealtimeWebRTC  # aiortc and PyAV load only when asked for

    register("webrtc", OpenAIRealtimeWebRTC)
