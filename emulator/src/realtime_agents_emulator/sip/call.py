"""One SIP call: its dialog, its media, and the Realtime session that answers it.

A :class:`SipCall` exists from the caller's INVITE on. While it rings, the application decides
through the Calls API (``accept``/``reject``); once accepted, the call owns a
:class:`~..session.Session` whose server plays its own audio, and an
:class:`~.rtp.RtpEndpoint`: the caller's G.711 is decoded into :meth:`Session.receive_audio`
(the same VAD and brain as every transport), the session's playback buffer is encoded into RTP
every 20 ms (silence when there is nothing to say, so a barge-in makes the line go quiet at
once), and RFC 2833 digits become ``input_audio_buffer.dtmf_event_received``. The session's
events go to the *sideband* WebSocket connections attached by ``?call_id=`` — a SIP call has no
other events channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Literal

from sipmessage import Request

from ..audio import AudioFormat, AudioStream
from .messages import request as build_request
from .rtp import PACKET_MS, RtpEndpoint
from .sdp import Offer
from .webhook import Delivery

if TYPE_CHECKING:
    from ..connection import ServerConnection
    from ..session import Session

__all__ = ["CallState", "SipCall"]

log = logging.getLogger(__name__)

CallState = Literal["ringing", "accepted", "confirmed", "rejected", "cancelled", "ended"]
_PCM_BYTES_PER_PACKET = 48 * PACKET_MS  # PCM16 mono 24 kHz


class SipCall:
    """A call as the emulator saw it, in order of arrival in ``emu.sip.calls``.

    Observability: ``call_id`` (``rtc_…``, the Calls API's id), ``sip_call_id`` (the SIP
    ``Call-ID``), ``state``, ``ended_by`` (``"caller"``, ``"server"`` or None), ``sip_headers``
    (as the webhook reported them), ``codec``, ``webhook`` (the delivery record),
    ``invite_retransmissions``, ``responses`` (SIP responses to the emulator's own requests, as
    ``(method, code)``), ``dtmf`` (digits received), ``sidebands``, ``session``,
    ``packets_received`` / ``packets_sent`` (RTP); ``await wait_ended()``.
    """

    def __init__(
        self,
        call_id: str,
        *,
        number: int,
        invite: Request,
        sip_headers: list[dict[str, str]],
        source: tuple[str, int],
        offer: Offer,
        local_tag: str,
    ) -> None:
        self.call_id = call_id
        self.number = number
        self.invite = invite
        self.sip_call_id = invite.call_id
        self.sip_headers = sip_headers
        self.source = source
        self.offer = offer
        self.local_tag = local_tag
        self.state: CallState = "ringing"
        self.ended_by: Literal["caller", "server"] | None = None
        self.webhook: Delivery | None = None
        """How ``realtime.call.incoming`` was delivered (None without a webhook URL)."""
        self.invite_retransmissions = 0
        self.last_invite_response: bytes | None = None
        self.responses: list[tuple[str, int]] = []
        self.dtmf: list[str] = []
        self.sidebands: list[ServerConnection] = []
        self.session: Session | None = None
        self._media = AudioStream(AudioFormat(offer.codec))
        self._rtp: RtpEndpoint | None = None
        self._cseq = 0
        self._ended = asyncio.Event()

    def __repr__(self) -> str:
        return f"<SipCall {self.call_id} {self.state}>"

    @property
    def codec(self) -> str:
        """``audio/pcmu`` or ``audio/pcma``: what the SDP negotiated."""
        return self.offer.codec

    @property
    def live(self) -> bool:
        """Answered and not yet over: sidebands may attach, the Calls API may refer or hang up."""
        return self.state in ("accepted", "confirmed")

    @property
    def over(self) -> bool:
        return self.state in ("rejected", "cancelled", "ended")

    @property
    def packets_received(self) -> int:
        return self._rtp.packets_received if self._rtp else 0

    @property
    def packets_sent(self) -> int:
        return self._rtp.packets_sent if self._rtp else 0

    # -- media --------------------------------------------------------------------------------

    async def open_media(self, session: Session, host: str) -> int | None:
        """Bind the call's RTP port for ``session``; the port (for the SDP answer), or None
        when the call ended while the port was being bound (nothing is left open then)."""
        rtp = await RtpEndpoint.open(
            host,
            payload_type=self.offer.payload_type,
            dtmf_payload_type=self.offer.dtmf_payload_type,
            on_audio=self._hear,
            on_digit=self._digit,
        )
        if self.over:  # a CANCEL won the race: end() has already run, so it cannot close these
            await rtp.close()
            await session.close()
            return None
        self.session, self._rtp = session, rtp
        return rtp.port

    def start_media(self) -> None:
        """Start speaking to the caller (20 ms packets, silence while nothing plays)."""
        if self._rtp is not None:
            self._rtp.start_sending((self.offer.address, self.offer.port), self._next_payload)

    def _hear(self, payload: bytes) -> None:
        if self.session is not None and self.live:
            self.session.receive_audio(self._media.decode(payload))

    def _next_payload(self) -> bytes:
        playback = self.session.playback if self.session is not None else None
        pcm = playback.take(_PCM_BYTES_PER_PACKET) if playback is not None else b""
        return self._media.encode(pcm or bytes(_PCM_BYTES_PER_PACKET))

    def _digit(self, digit: str) -> None:
        if not self.live:
            return
        self.dtmf.append(digit)
        # The one server event without an event_id (as the SDK's model has it).
        self.dispatch(
            {
                "type": "input_audio_buffer.dtmf_event_received",
                "event": digit,
                "received_at": int(time.time()),
            }
        )

    # -- events -------------------------------------------------------------------------------

    def dispatch(self, event: dict[str, Any]) -> None:
        """The session's sink: every attached sideband gets every server event."""
        for sideband in self.sidebands:
            sideband.session_sink(event)

    async def serve_sideband(self, connection: ServerConnection) -> None:
        """Serve a ``?call_id=`` connection until it closes (it gets its own session.created)."""
        assert self.session is not None
        self.sidebands.append(connection)
        try:
            await connection.serve(self.session, sideband=True)
        finally:
            with contextlib.suppress(ValueError):
                self.sidebands.remove(connection)

    # -- dialog -------------------------------------------------------------------------------

    def in_dialog(
        self, method: str, host: str, port: int, headers: dict[str, str] | None = None
    ) -> tuple[Request, tuple[str, int]]:
        """A request from the emulator's end of the dialog, and where to send it."""
        self._cseq += 1
        contacts = self.invite.contact
        target = contacts[0].uri if contacts else self.invite.from_address.uri
        # sipmessage keeps an IPv6 host in its brackets; sockets want it bare.
        destination = (target.host.strip("[]"), target.port or 5060) if contacts else self.source
        hostport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        to = self.invite.headers["To"]  # our end: with the tag our responses gave it
        local = to if ";tag=" in to else f"{to};tag={self.local_tag}"
        message = build_request(
            method,
            str(target),
            via=hostport,
            from_=local,
            to=self.invite.headers["From"],
            call_id=self.sip_call_id,
            cseq=self._cseq,
            contact=f"<sip:openai@{hostport}>",
            headers=headers,
        )
        return message, destination

    # -- ending -------------------------------------------------------------------------------

    async def end(self, state: CallState, by: Literal["caller", "server"]) -> None:
        """Stop the media and the session, close the sidebands (1000); once."""
        if self.over:
            return
        self.state, self.ended_by = state, by
        log.info("sip call %d %s: %s (%s)", self.number, self.call_id, state, by)
        try:
            if self._rtp is not None:
                await self._rtp.close()
            if self.session is not None:
                await self.session.close()
            await asyncio.gather(*(s.close(1000, "call ended") for s in list(self.sidebands)))
        finally:
            self._ended.set()

    async def wait_ended(self, timeout: float = 5.0) -> None:
        """Wait until the call is over (rejected, cancelled or ended)."""
        await asyncio.wait_for(self._ended.wait(), timeout)
