"""A loopback transport for realtime-agents: the template for writing your own transport.

:class:`LoopbackTransport` implements the transport contract against
:class:`LoopbackBackend`, an in-process stand-in for a model that answers through a *brain*
you pass (by default it echoes you). Its contract-suite harness is in :mod:`.testing`.

Names are imported on first use: every ``realtime-agents`` command line (``--help`` too)
loads each plugin's entry point, and importing ``realtime_agents_loopback.plugin`` runs this
file first, so it must stay cheap (no asyncio, no backend).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from realtime_agents.lazy import lazy_exports

__all__ = [
    "CallTool",
    "LoopbackBackend",
    "LoopbackConnection",
    "LoopbackTransport",
    "Reply",
    "Say",
    "echo",
]

_EXPORTS: dict[str, str] = {
    "CallTool": ".backend",
    "LoopbackBackend": ".backend",
    "LoopbackConnection": ".backend",
    "Reply": ".backend",
    "Say": ".backend",
    "echo": ".backend",
    "LoopbackTransport": ".transport",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from .backend import CallTool, LoopbackBackend, LoopbackConnection, Reply, Say, echo
    from .transport import LoopbackTransport
