"""What goes into the opening handshake: auth headers or subprotocols, and the backend choice.

Pure functions over core's connection rules (:mod:`realtime_agents.protocol.connection`),
which hold the URL precedence, the SDK headers and the subprotocol format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from realtime_agents.errors import UserError
from realtime_agents.protocol import connection as wire

__all__ = ["Auth", "auth_for", "proxy_applies"]

#: ``"header"``: ``Authorization: Bearer``; ``"subprotocol"``: browser style, in
#: ``Sec-WebSocket-Protocol``.
Auth = Literal["header", "subprotocol"]

_KEY_HEADERS = frozenset({"authorization", "api-key"})


def auth_for(
    key: str | None, headers: Mapping[str, str], auth: Auth, *, use_insecure_api_key: bool
) -> tuple[dict[str, str], list[str]]:
    """Handshake headers and subprotocols. The caller's ``headers`` come last and win; one of
    them carrying a key (``Authorization``, Azure's ``api-key``) replaces the Bearer header."""
    custom = any(name.lower() in _KEY_HEADERS for name in headers)
    if key is None and not custom:
        raise UserError(
            "an API key is required: pass api_key=..., set OPENAI_API_KEY, "
            "or give an Authorization/api-key header"
        )
    subprotocols: list[str] = []
    if auth == "subprotocol":
        subprotocols = browser_subprotocols(key, use_insecure_api_key=use_insecure_api_key)
        out = wire.sdk_headers()
    elif key is not None and not custom:
        out = wire.auth_headers(key)
    else:
        out = wire.sdk_headers()
    out.update(headers)
    return out, subprotocols


def browser_subprotocols(key: str | None, *, use_insecure_api_key: bool) -> list[str]:
    """The key as a subprotocol (core refuses non-``ek_`` keys unless told otherwise)."""
    if key is None:
        raise UserError("auth='subprotocol' needs an API key")
    return wire.browser_subprotocols(key, use_insecure_api_key=use_insecure_api_key)


def proxy_applies(url: str) -> bool:
    """Whether an HTTP(S)/SOCKS proxy from the environment applies to ``url``."""
    from websockets.proxy import get_proxy
    from websockets.uri import parse_uri

    try:
        return get_proxy(parse_uri(url)) is not None
    except Exception:
        return False
