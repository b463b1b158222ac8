"""Which WebSocket backend can reach a URL (core's driver builds the handshake itself)."""

from __future__ import annotations

__all__ = ["proxy_applies"]


def proxy_applies(url: str) -> bool:
    """Whether an HTTP(S)/SOCKS proxy from the environment applies to ``url``."""
    from websockets.proxy import get_proxy
    from websockets.uri import parse_uri

    try:
        return get_proxy(parse_uri(url)) is not None
    except Exception:
        return False
