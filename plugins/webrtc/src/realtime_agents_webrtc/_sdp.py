"""The SDP offer/answer exchange over HTTP: ``POST {base_url}`` (``/v1/realtime/calls``).

An ephemeral key (``ek_…``, minted for one session) sends the offer raw as
``application/sdp``; an API key sends ``multipart/form-data`` with an ``sdp`` part and a
``session`` part, as the official ``openai`` client does. The answer comes back as
``201`` + ``application/sdp``, with the call's id as the last segment of ``Location``.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
import attrs

from realtime_agents.driver import ChannelRequest
from realtime_agents.errors import ConnectionFailedError
from realtime_agents.protocol.connection import redact

__all__ = ["Answer", "exchange", "hangup", "is_ephemeral"]

logger = logging.getLogger("realtime_agents_webrtc")

_MAX_QUOTED: Final = 300


@attrs.frozen
class Answer:
    """The server's answer SDP, and the call id from ``Location`` (None if it sent none)."""

    sdp: str = attrs.field(repr=False)
    call_id: str | None


def is_ephemeral(api_key: str | None) -> bool:
    """Whether ``api_key`` is an ephemeral client secret (sent with a raw SDP body)."""
    return bool(api_key) and str(api_key).startswith("ek_")


def _body(offer: str, api_key: str | None, session: Mapping[str, Any]) -> Any:
    if is_ephemeral(api_key):
        return offer
    form = aiohttp.FormData()
    form.add_field("sdp", offer, content_type="application/sdp")
    form.add_field("session", json.dumps(session), content_type="application/json")
    return form


async def exchange(
    http: aiohttp.ClientSession,
    url: str,
    offer: str,
    *,
    headers: Mapping[str, str],
    api_key: str | None,
    session: Mapping[str, Any],
) -> Answer:
    """POST the offer; the answer, or ConnectionFailedError with the server's message."""
    sent = {"Accept": "application/sdp", **headers}
    if is_ephemeral(api_key):
        sent["Content-Type"] = "application/sdp"
    try:
        async with http.post(url, data=_body(offer, api_key, session), headers=sent) as reply:
            text = await reply.text()
            if not 200 <= reply.status < 300:
                message = redact(_server_message(text) or reply.reason or "", api_key)
                raise ConnectionFailedError(
                    f"the Realtime call request to {_safe_url(url)} failed with status "
                    f"{reply.status}: {message or 'no message'}",
                    code=reply.status,
                )
            location = reply.headers.get("Location")
    except (aiohttp.ClientError, OSError) as exc:
        reason = redact(str(exc) or type(exc).__name__, api_key)
        raise ConnectionFailedError(
            f"could not reach {_safe_url(url)} for the SDP exchange: {reason}"
        ) from None
    return Answer(sdp=text, call_id=_call_id(location))


async def hangup(request: ChannelRequest, call_id: str, *, timeout: float) -> None:
    """``POST {calls URL}/{call_id}/hangup``, best effort (a failure is only logged)."""
    parts = urllib.parse.urlsplit(request.url)
    path = f"{parts.path.rstrip('/')}/{urllib.parse.quote(call_id)}/hangup"
    url = urllib.parse.urlunsplit(parts._replace(path=path, query="", fragment=""))
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.post(url, headers=dict(request.headers)) as reply,
        ):
            if reply.status >= 300:
                logger.debug("hangup of %s: status %s", call_id, reply.status)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        logger.debug("hangup of %s failed: %s", call_id, redact(repr(exc), request.api_key))


def _server_message(body: str) -> str:
    """``error.message`` of a JSON error body, else the body itself (shortened)."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, Mapping) and error.get("message"):
        return str(error["message"])
    body = body.strip()
    return body if len(body) <= _MAX_QUOTED else body[:_MAX_QUOTED] + "…"


def _call_id(location: str | None) -> str | None:
    if not location:
        return None
    path = urllib.parse.urlsplit(location).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or None


def _safe_url(url: str) -> str:
    """The URL without its query (where a misconfigured key could sit)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(query="", fragment=""))
