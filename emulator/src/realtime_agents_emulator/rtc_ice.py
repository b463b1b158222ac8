"""Loopback-only ICE for the emulator's WebRTC peers.

The emulator serves loopback only, so its peer connections must offer only ``127.0.0.1`` host
candidates (and never use STUN: ``iceServers=[]``). aioice has no option to choose interfaces and
skips loopback addresses, so :func:`loopback_candidates` wraps ``aioice.ice.get_host_addresses``
once per process: while this module's context variable is set (only around the emulator's own
``setLocalDescription``) the wrapper returns ``["127.0.0.1"]``; otherwise it calls whatever
function it wrapped. Other code (the realtime-agents WebRTC client, tests) may wrap the same
function the same way, before or after: each wrapper answers for its own variable and defers to
the one it wrapped, so they chain.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

import aioice.ice

__all__ = ["loopback_candidates"]

_LOOPBACK = ["127.0.0.1"]
_active: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "realtime_agents_emulator_loopback_ice", default=False
)
_installed = False


def _install() -> None:
    """Wrap ``aioice.ice.get_host_addresses`` (once; later calls do nothing)."""
    global _installed
    if _installed:
        return
    wrapped: Callable[..., list[str]] = aioice.ice.get_host_addresses

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if _active.get():
            return list(_LOOPBACK) if use_ipv4 else []
        return wrapped(use_ipv4=use_ipv4, use_ipv6=use_ipv6)

    aioice.ice.get_host_addresses = get_host_addresses
    _installed = True


@contextlib.contextmanager
def loopback_candidates() -> Iterator[None]:
    """Gather only ``127.0.0.1`` host candidates inside this block (and tasks it starts)."""
    _install()
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)
