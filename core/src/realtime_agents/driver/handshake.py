"""What goes into opening a connection: the URL, and the key as a header or subprotocol.

Pure functions over the wire rules of :mod:`realtime_agents.protocol.connection`; the only
outside input is ``OPENAI_BASE_URL``, read from the environment the caller passes (by default
``os.environ``).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from typing import Final, Literal

from ..errors import UserError
from ..protocol import connection as wire

__all__ = ["BASE_URL_ENV", "Auth", "auth_for", "connect_url", "realtime_url_from_base"]

#: ``"header"``: ``Authorization: Bearer``; ``"subprotocol"``: browser style, the key in
#: ``Sec-WebSocket-Protocol``.
Auth = Literal["header", "subprotocol"]

_KEY_HEADERS = frozenset({"authorization", "api-key"})
#: Query parameters that already say which model or call a URL is for.
_TARGET_PARAMS = frozenset({"model", "call_id", "deployment"})
#: The official ``openai`` client's variable for the API's base URL; we honour it too, so one
#: setting points every client of a program at the same server (a proxy, the emulator).
BASE_URL_ENV: Final = "OPENAI_BASE_URL"
#: The WebSocket scheme for each scheme a base URL may have (the ``openai`` client's mapping).
_WS_SCHEMES: Final = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}


def connect_url(
    model: str,
    *,
    url: str | None = None,
    call_id: str | None = None,
    default_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The URL to open: ``url`` (given to connect) > ``default_url`` (the transport's) >
    ``OPENAI_BASE_URL`` from ``environ`` (default: ``os.environ``; turned into a Realtime URL
    as the official ``openai`` client does, see :func:`realtime_url_from_base`) > OpenAI's.

    A ``call_id`` attaches to that call *at the chosen address* (its ``model=`` is dropped:
    the call has its model), so a SIP or WebRTC sideband reaches an emulator or a proxy as
    well as OpenAI. Otherwise a URL that names no ``model=`` (nor ``call_id=`` or Azure's
    ``deployment=``) gets the model appended: the server refuses a connection that names no
    model, and the session knows which one it wants.
    """
    base = url or default_url
    if not base:
        env_base = (os.environ if environ is None else environ).get(BASE_URL_ENV)
        base = realtime_url_from_base(env_base) if env_base else None
    if not base:
        return wire.realtime_url(model, call_id=call_id)
    present = _params(base)
    if call_id and "call_id" not in present:
        return _with_param(_without_param(base, "model"), "call_id", call_id)
    if present & _TARGET_PARAMS:
        return base
    return _with_param(base, "model", model)


def _params(url: str) -> set[str]:
    query = urllib.parse.urlsplit(url).query
    return {name for name, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)}


def _without_param(url: str, name: str) -> str:
    """``url`` without any query parameter ``name``."""
    parts = urllib.parse.urlsplit(url)
    kept = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    query = urllib.parse.urlencode([(k, v) for k, v in kept if k != name])
    return urllib.parse.urlunsplit(parts._replace(query=query))


def realtime_url_from_base(base_url: str) -> str:
    """The Realtime WebSocket URL under an API base URL, derived as the ``openai`` client does.

    ``http://127.0.0.1:8000/v1`` becomes ``ws://127.0.0.1:8000/v1/realtime`` (``https`` gives
    ``wss``); the path gets ``/realtime`` appended, a query is kept. Anything but an
    ``http(s)``/``ws(s)`` URL with a host is a :class:`UserError` naming ``OPENAI_BASE_URL``.
    """
    parts = urllib.parse.urlsplit(base_url.strip())
    scheme = _WS_SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise UserError(
            f"{BASE_URL_ENV} must be an http(s):// URL such as https://api.openai.com/v1, "
            f"not {wire.redact(base_url)!r}"
        )
    path = parts.path.rstrip("/") + "/realtime"
    return urllib.parse.urlunsplit(parts._replace(scheme=scheme, path=path))


def _with_param(url: str, name: str, value: str) -> str:
    """``url`` with the query parameter ``name=value`` appended."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode([(name, value)])
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
