"""The SDP of a SIP call: what the caller offers, and the emulator's answer (RFC 3264, audio only).

A phone line needs little of SDP: the address and port the caller receives RTP on (``c=`` and
``m=audio``), the payload types it offers, and which of them is ``telephone-event`` (RFC 2833
digits). The emulator answers with one G.711 codec — the first the caller lists among PCMU (static
payload type 0) and PCMA (8) — plus telephone-event when offered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CODECS", "Offer", "OfferError", "answer", "parse_offer"]

CODECS = {0: ("PCMU", "audio/pcmu"), 8: ("PCMA", "audio/pcma")}
"""Static payload type → (SDP encoding name, the Realtime API's format type)."""

_RTPMAP = re.compile(r"^(\d+)\s+([\w.-]+)/(\d+)")


class OfferError(ValueError):
    """An offer the emulator cannot answer (SIP 488 Not Acceptable Here)."""


@dataclass(frozen=True)
class Offer:
    """The caller's media: where to send RTP, and the payload types to use."""

    address: str
    port: int
    payload_type: int
    """The G.711 payload type chosen for the call (0 PCMU or 8 PCMA)."""
    dtmf_payload_type: int | None
    """The caller's telephone-event payload type, if it offered one."""

    @property
    def codec(self) -> str:
        """The Realtime API format type of the chosen codec: ``audio/pcmu`` or ``audio/pcma``."""
        return CODECS[self.payload_type][1]


def parse_offer(sdp: str) -> Offer:
    """The audio stream of an SDP offer; :class:`OfferError` when there is none to answer."""
    session_address: str | None = None
    media_address: str | None = None
    port: int | None = None
    payload_types: list[int] = []
    names: dict[int, str] = {}
    in_audio = False
    for line in sdp.splitlines():
        kind, _, value = line.strip().partition("=")
        if kind == "m":
            fields = value.split()
            in_audio = port is None and len(fields) >= 4 and fields[0] == "audio"
            if in_audio:
                port = _number(fields[1], "port")
                payload_types = [_number(pt, "payload type") for pt in fields[3:]]
        elif kind == "c":
            media = value.split()[-1] if value.split() else ""
            if port is None:
                session_address = media
            elif in_audio:
                media_address = media
        elif kind == "a" and in_audio and value.startswith("rtpmap:"):
            match = _RTPMAP.match(value[len("rtpmap:") :])
            if match:
                names[int(match.group(1))] = match.group(2).lower()
    address = media_address or session_address
    if port is None or not address:
        raise OfferError("the offer has no audio stream with an address")
    chosen = next((pt for pt in payload_types if pt in CODECS), None)
    if chosen is None:
        raise OfferError(f"no common codec: offered {payload_types}, supported PCMU (0), PCMA (8)")
    dtmf = next((pt for pt in payload_types if names.get(pt) == "telephone-event"), None)
    return Offer(address, port, chosen, dtmf)


def answer(offer: Offer, address: str, port: int, session_id: int) -> str:
    """The answer SDP: RTP to ``address:port``, the offer's codec, telephone-event if offered."""
    payload_types = [offer.payload_type]
    name = CODECS[offer.payload_type][0]
    attributes = [f"a=rtpmap:{offer.payload_type} {name}/8000"]
    if offer.dtmf_payload_type is not None:
        payload_types.append(offer.dtmf_payload_type)
        attributes += [
            f"a=rtpmap:{offer.dtmf_payload_type} telephone-event/8000",
            f"a=fmtp:{offer.dtmf_payload_type} 0-16",
        ]
    family = "IP6" if ":" in address else "IP4"
    lines = [
        "v=0",
        f"o=openai {session_id} {session_id} IN {family} {address}",
        "s=realtime",
        f"c=IN {family} {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(map(str, payload_types))}",
        *attributes,
        "a=ptime:20",
        "a=sendrecv",
    ]
    return "\r\n".join(lines) + "\r\n"


def _number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise OfferError(f"bad {what} {text!r} in the offer") from None
