"""Pure helpers for connecting to the Realtime API: URL, headers, subprotocols, redaction.

Every OpenAI transport connects the same way; these functions hold the rules so transports
only do I/O. API keys are never logged: use :func:`redact_key` / :func:`redact` for anything
that might end up in a log, a repr or an exception message.
"""

from __future__ import annotations

import functools
import platform
import re
import urllib.parse
from typing import Final

from ..errors import UserError

__all__ = [
    "OPENAI_REALTIME_URL",
    "auth_headers",
    "browser_subprotocols",
    "cut_secret_links",
    "realtime_url",
    "redact",
    "redact_key",
    "sdk_headers",
    "sdk_version",
]

OPENAI_REALTIME_URL: Final = "wss://api.openai.com/v1/realtime"
_DISTRIBUTION: Final = "realtime-agents"


def realtime_url(
    model: str,
    *,
    url: str | None = None,
    call_id: str | None = None,
    default_url: str | None = None,
) -> str:
    """The WebSocket URL to open.

    Precedence: ``url`` given to connect > ``call_id`` (attach to a WebRTC/SIP call) >
    ``default_url`` given to the transport's constructor > the OpenAI URL for ``model``.
    """
    if url:
        return url
    if call_id:
        return f"{OPENAI_REALTIME_URL}?call_id={urllib.parse.quote(call_id, safe='')}"
    if default_url:
        return default_url
    return f"{OPENAI_REALTIME_URL}?model={urllib.parse.quote(model, safe='')}"


@functools.cache
def sdk_version() -> str:
    """Our distribution's version ("0.0.0" when running from an uninstalled tree)."""
    import importlib.metadata  # deferred: it costs milliseconds, and only connecting needs it

    try:
        return importlib.metadata.version(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def sdk_headers() -> dict[str, str]:
    """The headers identifying this SDK to the server."""
    version = sdk_version()
    return {
        "User-Agent": f"realtime-agents/{version} Python/{platform.python_version()}",
        "X-OpenAI-Agents-SDK": f"realtime-agents.{version}",
    }


def auth_headers(api_key: str) -> dict[str, str]:
    """Headers for a server-side connection: bearer auth plus :func:`sdk_headers`."""
    return {"Authorization": f"Bearer {api_key}", **sdk_headers()}


def browser_subprotocols(
    api_key: str,
    *,
    use_insecure_api_key: bool = False,
    organization: str | None = None,
    project: str | None = None,
) -> list[str]:
    """WebSocket subprotocols carrying the key where headers cannot be set (browsers, workerd).

    The key travels where any script in the page can read it, so only ephemeral ``ek_`` keys
    are accepted unless ``use_insecure_api_key`` is true (a :class:`UserError` otherwise).
    """
    if not api_key.startswith("ek_") and not use_insecure_api_key:
        raise UserError(
            "browser-style (subprotocol) auth puts the key where any client code can read it: "
            "use an ephemeral ek_ key, or pass use_insecure_api_key=True to send this one anyway"
        )
    protocols = ["realtime", f"openai-insecure-api-key.{api_key}"]
    if organization:
        protocols.append(f"openai-organization.{organization}")
    if project:
        protocols.append(f"openai-project.{project}")
    protocols.append(f"realtime-agents.{sdk_version()}")
    return protocols


def redact_key(api_key: str | None) -> str:
    """A log-safe stand-in for a key: its kind prefix, and the last 4 characters of long keys."""
    if not api_key:
        return "<none>"
    match = re.match(r"(sk-proj-|sk-svcacct-|sk-admin-|sk-|ek_)", api_key)
    prefix = match.group(1) if match else ""
    tail = api_key[-4:] if len(api_key) >= 24 else ""
    return f"{prefix}***{tail}"


# Bearer tokens, insecure-key subprotocols, and anything shaped like an OpenAI key.
_SECRET_PATTERNS: Final = re.compile(
    r"(?<=Bearer )[^\s,;\"']+"
    r"|(?<=openai-insecure-api-key\.)[^\s,;\"']+"
    r"|\b(?:sk-|ek_)[A-Za-z0-9_\-]{8,}"
)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every given secret, and anything that looks like a key, redacted."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, redact_key(secret))
    return _SECRET_PATTERNS.sub(lambda m: redact_key(m.group(0)), text)


def _mentions(error: BaseException, secret: str) -> bool:
    notes = getattr(error, "__notes__", None) or ()
    return secret in repr(error) or secret in str(error) or any(secret in n for n in notes)


def cut_secret_links(error: BaseException, secret: str | None) -> BaseException:
    """Detach each exception chained to ``error`` that mentions ``secret``; returns ``error``.

    Our messages are redacted when they are made, but an exception we chain to ours as
    ``__cause__`` or ``__context__`` (a library's, below us) may quote a header or a URL
    with the key, and anyone walking the chain — a traceback printer, an error reporter —
    would show it. A link that mentions the key is cut, with everything behind it.
    """
    if not secret:
        return error
    pending, seen = [error], set()
    while pending:
        link = pending.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        for name in ("__cause__", "__context__"):
            nested = getattr(link, name)
            if nested is None:
                continue
            if _mentions(nested, secret):
                setattr(link, name, None)
            else:
                pending.append(nested)
    return error
