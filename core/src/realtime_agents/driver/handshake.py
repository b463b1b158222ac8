"""What goes into opening a connection: the URL, and the key as a header or subprotocol.

Pure functions over the wire rules of :mod:`realtime_agents.protocol.connection`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Literal

from ..errors import UserError
from ..protocol import connection as wire

__all__ = ["Auth", "auth_for", "connect_url"]

#: ``"header"``: ``Authorization: Bearer``; ``"subprotocol"``: browser style, the key in
#: ``Sec-WebSocket-Protocol``.
Auth = Literal["header", "subprotocol"]

_KEY_HEADERS = frozenset({"authorization", "api-key"})
#: Query parameters that already say which model or call a URL is for.
_TARGET_PARAMS = frozenset({"model", "call_id", "deployment"})


def connect_url(
    model: str,
    *,
    url: str | None = None,
    call_id: str | None = None,
    default_url: str | None = None,
) -> str:
    """The URL to open (precedence as :func:`~realtime_agents.protocol.realtime_url`).

    A URL given without ``model=`` (nor ``call_id=`` or Azure's ``deployment=``) gets the
    model appended: the server refuses a connection that names no model, and the session
    knows which one it wants.
    """
    chosen = wire.realtime_url(model, url=url, call_id=call_id, default_url=default_url)
    parts = urllib.parse.urlsplit(chosen)
    present = {name for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)}
    if present & _TARGET_PARAMS:
        return chosen
    query = urllib.parse.urlencode([("model", model)])
    query = f"{parts.query}&{query}" if parts.query else query
    return urllib.parse.urlunsplit(parts._replace(query=query))


def auth_for(
    key: str | None, headers: Mapping[str, str], auth: Auth, *, use_insecure_api_key: bool
) -> tuple[dict[str, str], list[str]]:
    """Handshake headers and subprotocols carrying ``key``.

    The caller's ``headers`` come last and win; one of them carrying a key (``Authorization``,
    Azure's ``api-key``) replaces the Bearer header, and then no key is needed.
    """
    if auth not in ("header", "subprotocol"):
        raise UserError(f"auth must be 'header' or 'subprotocol', not {auth!r}")
    custom = any(name.lower() in _KEY_HEADERS for name in headers)
    if key is None and not custom:
        raise UserError(
            "an API key is required: pass api_key=..., set OPENAI_API_KEY, "
            "or give an Authorization/api-key header"
        )
    subprotocols: list[str] = []
    if auth == "subprotocol":
        if key is None:
            raise UserError("auth='subprotocol' needs an API key")
        subprotocols = wire.browser_subprotocols(key, use_insecure_api_key=use_insecure_api_key)
        out = wire.sdk_headers()
    elif key is not None and not custom:
        out = wire.auth_headers(key)
    else:
        out = wire.sdk_headers()
    out.update(headers)
    return out, subprotocols
