"""Building and reading SIP messages (RFC 3261) with ``sipmessage``.

``sipmessage`` parses and serialises; this module adds the few rules a user agent server follows
when it answers: a response copies the request's ``Via``, ``From``, ``Call-ID`` and ``CSeq``, and
its ``To`` gains the server's tag (§8.2.6); requests inside a dialog (BYE, REFER) swap the ends
and carry their own ``Via`` branch and ``CSeq`` (§12.2.1).
"""

from __future__ import annotations

import secrets

from sipmessage import URI, Message, Request, Response
from sipmessage.message import COMPACT_FORMS

__all__ = [
    "REASONS",
    "branch",
    "header_list",
    "parse",
    "request",
    "response",
    "tag",
]

REASONS = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    503: "Service Unavailable",
    600: "Busy Everywhere",
    603: "Decline",
}
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY"
_AUTH_HEADERS = {"authorization", "proxy-authorization"}


def parse(data: bytes) -> Request | Response:
    """A SIP message; ValueError (also for the headers every message needs) if it is not one."""
    message = Message.parse(data)
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        if message.headers.get(name) is None:
            raise ValueError(f"SIP message without {name}")
    message.cseq  # noqa: B018 - parsed here so that a bad CSeq is a parse error
    return message


def tag() -> str:
    return secrets.token_hex(6)


def branch() -> str:
    """A Via branch (RFC 3261's magic cookie, then something unique)."""
    return "z9hG4bK" + secrets.token_hex(8)


def response(
    request: Request,
    code: int,
    *,
    to_tag: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    content_type: str = "application/sdp",
) -> Response:
    """The response to ``request`` (``to_tag`` added to ``To`` unless it has one)."""
    message = Response(code, REASONS.get(code, "Unknown"), body)
    message.headers.setlist("Via", request.headers.getlist("Via"))
    message.headers.set("From", request.headers["From"])
    to = request.headers["To"]
    if to_tag and ";tag=" not in to and code != 100:
        to += f";tag={to_tag}"
    message.headers.set("To", to)
    message.headers.set("Call-ID", request.headers["Call-ID"])
    message.headers.set("CSeq", request.headers["CSeq"])
    for name, value in (headers or {}).items():
        message.headers.set(name, value)
    if body:
        message.headers.set("Content-Type", content_type)
    message.headers.set("Content-Length", str(len(body)))
    return message


def request(
    method: str,
    uri: str,
    *,
    via: str,
    from_: str,
    to: str,
    call_id: str,
    cseq: int,
    contact: str,
    headers: dict[str, str] | None = None,
) -> Request:
    """A request inside a dialog (``via``: the sender's ``host:port``; ``from_``/``to``: whole
    header values, tags included)."""
    message = Request(method, URI.parse(uri))
    message.headers.set("Via", f"SIP/2.0/UDP {via};branch={branch()};rport")
    message.headers.set("Max-Forwards", "70")
    message.headers.set("From", from_)
    message.headers.set("To", to)
    message.headers.set("Call-ID", call_id)
    message.headers.set("CSeq", f"{cseq} {method}")
    message.headers.set("Contact", contact)
    for name, value in (headers or {}).items():
        message.headers.set(name, value)
    message.headers.set("Content-Length", "0")
    return message


def header_list(data: bytes) -> list[dict[str, str]]:
    """Every header of a raw message as ``{"name", "value"}``, in order and with repeats, but
    without authorization headers: what ``realtime.call.incoming`` reports as ``sip_headers``.

    Read from the raw text because ``sipmessage`` groups repeated headers under their first
    occurrence, which would lose the order between interleaved ones.
    """
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    entries: list[dict[str, str]] = []
    for line in head.split("\r\n")[1:]:
        if line[:1] in (" ", "\t") and entries:  # a folded line continues the previous one
            entries[-1]["value"] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = COMPACT_FORMS.get(name.strip().lower(), name.strip())
        if name.lower() not in _AUTH_HEADERS:
            entries.append({"name": name, "value": value.strip()})
    return entries
