"""Which local addresses ICE gathers host candidates on (aioice has no option for it).

aioice asks the module-level function ``aioice.ice.get_host_addresses`` for the addresses to
gather on, and leaves out loopback. A peer that must stay on loopback (tests, a local
emulator) therefore replaces that function. Replacing it outright would break anyone else
doing the same (the emulator does, for its own peers), so we install a *wrapper*, once:
while our context variable is set — around our own ``setLocalDescription`` — it answers with
the addresses in the variable; otherwise it calls whatever function it wrapped. Each
installer chains onto the previous one, and context variables keep concurrent connections
apart.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence

import aioice.ice

__all__ = ["host_addresses"]

_ADDRESSES: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "realtime_agents_webrtc_host_addresses", default=None
)
_installed: Callable[..., list[str]] | None = None


def _install() -> None:
    """Wrap ``aioice.ice.get_host_addresses`` unless our wrapper is already in the chain."""
    global _installed
    current = aioice.ice.get_host_addresses
    if _installed is not None and _wraps(current, _installed):
        return
    wrapped = current

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        chosen = _ADDRESSES.get()
        if chosen is None:
            return wrapped(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    get_host_addresses.__wrapped__ = wrapped  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = get_host_addresses
    _installed = get_host_addresses


def _wraps(function: Callable[..., object], target: Callable[..., object]) -> bool:
    """Whether ``target`` is ``function`` or somewhere down its ``__wrapped__`` chain."""
    seen: Callable[..., object] | None = function
    while seen is not None:
        if seen is target:
            return True
        seen = getattr(seen, "__wrapped__", None)
    return False


@contextlib.contextmanager
def host_addresses(addresses: Sequence[str] | None) -> Iterator[None]:
    """Gather host candidates only on ``addresses`` inside this block (None: aioice's choice)."""
    if addresses is None:
        yield
        return
    _install()
    token = _ADDRESSES.set(tuple(addresses))
    try:
        yield
    finally:
        _ADDRESSES.reset(token)
