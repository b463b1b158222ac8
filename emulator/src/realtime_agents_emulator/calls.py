"""The REST side of calls: reading ``POST /v1/realtime/calls`` requests and answering errors.

A call is created from an SDP offer in one of two request shapes (reference §2.3):

* ``Content-Type: application/sdp``: the raw offer (browsers, with an ephemeral ``ek_`` key);
* ``multipart/form-data`` with an ``sdp`` part and an optional ``session`` part (JSON session
  config), as the official ``openai`` client's ``realtime.calls.create`` sends it (servers, with
  an API key).

This module only reads and checks requests (:func:`read_offer`); the emulator creates the call.
The other call endpoints (``accept``/``reject``/``refer`` for SIP calls, ``hangup`` for every
call) live next to ``hangup`` in the server, and find calls through the same registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import wire
from .config import SESSION
from .errors import RealtimeError

__all__ = ["CallOffer", "CallRequestError", "read_offer"]


@dataclass(frozen=True)
class CallOffer:
    """A checked request: the offer SDP and the ``session`` part (None when absent)."""

    sdp: str
    session: dict[str, Any] | None


class CallRequestError(Exception):
    """A request the API refuses with HTTP ``status`` and the JSON body of ``error``."""

    def __init__(self, status: int, error: RealtimeError) -> None:
        super().__init__(error.message)
        self.status = status
        self.error = error


async def read_offer(request: web.Request) -> CallOffer:
    """The request's offer and session config; :class:`CallRequestError` when malformed."""
    if request.content_type == "application/sdp":
        return CallOffer(_offer_text(await request.text()), None)
    if request.content_type != "multipart/form-data":
        raise CallRequestError(
            400,
            RealtimeError(
                f"Unsupported Content-Type '{request.content_type or 'none'}': send the SDP "
                "offer as application/sdp, or as the 'sdp' part of multipart/form-data.",
                "unsupported_content_type",
            ),
        )
    form = await request.post()
    sdp = _part_text(form.get("sdp"))
    if sdp is None:
        raise CallRequestError(400, RealtimeError.missing_parameter("sdp"))
    session = _part_text(form.get("session"))
    return CallOffer(_offer_text(sdp), None if session is None else _session(session))


def _part_text(part: object) -> str | None:
    """A form part as text. aiohttp gives a part with a Content-Type but no filename as
    ``bytearray`` (the openai client sends both parts that way), a plain field as ``str`` and a
    file upload as a ``FileField``."""
    if part is None:
        return None
    if isinstance(part, str):
        return part
    if isinstance(part, bytes | bytearray):
        return _decode(bytes(part))
    if isinstance(part, web.FileField):
        return _decode(part.file.read())
    raise CallRequestError(400, RealtimeError.invalid("sdp", "Unreadable form part."))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CallRequestError(
            400, RealtimeError.invalid("sdp", "The request body is not UTF-8 text.")
        ) from exc


def _offer_text(sdp: str) -> str:
    if not sdp.strip():
        raise CallRequestError(400, RealtimeError.missing_parameter("sdp"))
    return sdp


def _session(text: str) -> dict[str, Any]:
    try:
        value = wire.decode(text)
        wire.check_finite(value)
        checked = SESSION.check(value, "session")
    except RealtimeError as exc:
        if exc.code == "invalid_json":  # the REST API's wording, not the WebSocket's
            exc = RealtimeError("We could not parse the JSON body of your request.", "invalid_json")
        raise CallRequestError(400, exc) from exc
    assert isinstance(checked, dict)
    if checked.get("type") != "realtime":
        raise CallRequestError(
            400,
            RealtimeError.invalid(
                "session.type", "WebRTC calls need a session of type 'realtime'."
            ),
        )
    return checked
