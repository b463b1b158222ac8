"""The ``twilio`` entry point: registers :class:`TwilioRealtimeTransportLayer` with core.

A Twilio transport bridges one media stream, so it is built with that stream's socket
(``transport=TwilioRealtimeTransportLayer(twilio_websocket=...)``); asking a session for
``transport="twilio"`` by name raises a UserError saying so.
"""

from __future__ import annotations

from realtime_agents.plugins import hookimpl
from realtime_agents.plugins.hookspecs import TransportRegistrar

__all__ = ["realtime_agents_register_transports"]


@hookimpl
def realtime_agents_register_transports(register: TransportRegistrar) -> None:
    from .transport import TwilioRealtimeTransportLayer

    register("twilio", TwilioRealtimeTransportLayer)
