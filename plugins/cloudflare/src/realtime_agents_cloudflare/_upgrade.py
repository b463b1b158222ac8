"""The upgrade request: what ``fetch`` is given to open a WebSocket from a Worker.

Pure functions, so the request is the same whichever ``fetch`` sends it and can be checked
without a runtime.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Final

from realtime_agents.driver import ChannelRequest

from . import _ffi

__all__ = ["SUBPROTOCOL", "fetch_init", "http_url", "upgrade_headers"]

#: The subprotocol the Realtime API speaks; offered first, before any carrying a key.
SUBPROTOCOL: Final = "realtime"

_HTTP_SCHEMES: Final = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def http_url(url: str) -> str:
    """``url`` with a scheme ``fetch`` takes (``wss:`` → ``https:``, ``ws:`` → ``http:``)."""
    parts = urllib.parse.urlsplit(url)
    scheme = _HTTP_SCHEMES.get(parts.scheme.lower(), parts.scheme)
    return urllib.parse.urlunsplit(parts._replace(scheme=scheme))


def upgrade_headers(request: ChannelRequest) -> dict[str, str]:
    """The request's headers (auth, SDK) plus the upgrade and the subprotocols."""
    offered = [SUBPROTOCOL, *(p for p in request.subprotocols if p != SUBPROTOCOL)]
    return {
        **request.headers,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Protocol": ", ".join(offered),
    }


def fetch_init(request: ChannelRequest, *, js: bool) -> Any:
    """The ``init`` argument of ``fetch``: a JS object for a JS ``fetch``, else a dict."""
    init = {"method": "GET", "headers": upgrade_headers(request)}
    return _ffi.js_options(init) if js else init
