"""A minimal SIP phone for placing calls into the emulator's SIP edge from Python.

:class:`Caller` speaks enough of RFC 3261 for a loopback call: INVITE with a PCMU offer, the
ACK of ``200 OK``, µ-law RTP in 20 ms packets, BYE; it answers the emulator's BYE and REFER.
:class:`RtpRecorder` is its ear: a UDP socket the offer names as the media address, which
keeps every RTP packet the emulator sends (and hands each to ``on_packet``, if given).

It exists for the demo (``realtime-agents demo --transport sip``), for tests that need many
short calls (starting SIPp per call costs far more than a call) and for users testing a phone
agent offline. SIP messages are built and parsed by ``sipmessage`` (:mod:`.messages`), as
the SIP edge's own are. It does not retransmit: loopback loses nothing. Everything binds
127.0.0.1 on free ports, and every wait is bounded.

Needs the emulator's ``sip`` extra (``sipmessage``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import struct
from collections.abc import Callable
from typing import Any, Final, cast

from sipmessage import URI, Request, Response

from ..audio import AudioFormat
from . import messages
from .rtp import RtpPacket
from .sdp import parse_offer

__all__ = ["PCMU", "SILENT_RMS", "CallFailedError", "Caller", "RtpRecorder", "level"]

log = logging.getLogger(__name__)

PCMU: Final = AudioFormat("audio/pcmu")
#: µ-law's quietest codes decode to a few units: an RMS above this is sound.
SILENT_RMS: Final = 50
_PACKET_BYTES: Final = 160  # 20 ms of G.711 at 8 kHz
_PACKET_S: Final = 0.02
_CALLER_NUMBER: Final = "+15551230000"
_SDP: Final = (
    "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {rtp} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"
)
#: How the phone answers the requests the emulator sends inside the dialog.
_ANSWERS: Final = {"BYE": 200, "REFER": 202}


class CallFailedError(ConnectionError):
    """The call was not answered ``200 OK``: it could not be connected."""


def level(payload: bytes, codec: AudioFormat = PCMU) -> int:
    """RMS of a G.711 payload, in PCM16 units (above :data:`SILENT_RMS` is sound)."""
    samples = codec.decode_linear(payload)
    values = struct.unpack(f"<{len(samples) // 2}h", samples)
    return int((sum(v * v for v in values) / max(1, len(values))) ** 0.5)


class RtpRecorder(asyncio.DatagramProtocol):
    """A phone's ear: every RTP packet sent to its port, in order of arrival.

    ``on_packet(packet)`` runs for each (to follow the audio as it arrives); datagrams that
    are not RTP are ignored.
    """

    def __init__(self, on_packet: Callable[[RtpPacket], None] | None = None) -> None:
        self.packets: list[RtpPacket] = []
        self.transport: asyncio.DatagramTransport | None = None
        self._on_packet = on_packet

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport is not a DatagramTransport subclass.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            packet = RtpPacket.parse(data)
        except ValueError:
            log.debug("ignored a datagram that is not RTP")
            return
        self.packets.append(packet)
        if self._on_packet is not None:
            self._on_packet(packet)

    @property
    def port(self) -> int:
        if self.transport is None:
            raise RuntimeError("the recorder is not open")
        return int(self.transport.get_extra_info("sockname")[1])

    def voiced(self, codec: AudioFormat = PCMU) -> list[int]:
        """Indexes of the packets that carry sound."""
        return [i for i, p in enumerate(self.packets) if level(p.payload, codec) > SILENT_RMS]

    @classmethod
    async def open(cls, on_packet: Callable[[RtpPacket], None] | None = None) -> RtpRecorder:
        """A recorder on a free port of 127.0.0.1."""
        loop = asyncio.get_running_loop()
        _, recorder = await loop.create_datagram_endpoint(
            lambda: cls(on_packet), local_addr=("127.0.0.1", 0)
        )
        return recorder

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Caller(asyncio.DatagramProtocol):
    """A SIP phone calling the emulator's SIP edge (see the module docstring).

    :meth:`dial` sends the INVITE (PCMU, with :attr:`ear` as the media address);
    :meth:`answered` waits for ``200 OK`` and ACKs it; :meth:`play` sends µ-law in 20 ms RTP
    packets, in real time; :meth:`hang_up` sends BYE; :meth:`close` releases both sockets.
    Requests from the emulator (BYE, REFER) are answered and kept in :attr:`requests`;
    :attr:`hung_up` is set by its BYE. ``on_packet`` follows what the ear receives.
    """

    def __init__(self, sip_port: int, on_packet: Callable[[RtpPacket], None] | None = None):
        self.sip_port = sip_port
        self.call_id = f"{secrets.token_hex(8)}@127.0.0.1"
        self.tag = messages.tag()
        self.ear = RtpRecorder(on_packet)
        self.requests: list[Request] = []
        self.responses: asyncio.Queue[Response] = asyncio.Queue()
        self.hung_up = asyncio.Event()
        self.media_address = ("127.0.0.1", 0)
        """The emulator's RTP socket, once the call is answered."""
        self._sip: asyncio.DatagramTransport | None = None
        self._media: asyncio.DatagramTransport | None = None
        self._to = ""
        self._target = ""
        self._cseq = itertools.count(2)
        self._sequence = itertools.count(secrets.randbelow(1000))
        self._ssrc = secrets.randbits(32)

    @property
    def local_port(self) -> int:
        if self._sip is None:
            raise RuntimeError("the phone has not dialled")
        return int(self._sip.get_extra_info("sockname")[1])

    @property
    def _from(self) -> str:
        return f"<sip:{_CALLER_NUMBER}@127.0.0.1:{self.local_port}>;tag={self.tag}"

    @classmethod
    async def dial(
        cls, sip_port: int, on_packet: Callable[[RtpPacket], None] | None = None
    ) -> Caller:
        """Open the phone's sockets and send the INVITE to the SIP edge at ``sip_port``."""
        caller = cls(sip_port, on_packet)
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: caller, local_addr=("127.0.0.1", 0))
        media, _ = await loop.create_datagram_endpoint(
            lambda: caller.ear, local_addr=("127.0.0.1", 0)
        )
        caller._media = media
        caller._send(caller._invite())
        return caller

    def _invite(self) -> Request:
        sdp = _SDP.format(rtp=self.ear.port).encode()
        invite = Request("INVITE", URI.parse(f"sip:openai@127.0.0.1:{self.sip_port}"), sdp)
        headers = {
            "Via": f"SIP/2.0/UDP 127.0.0.1:{self.local_port};branch={messages.branch()};rport",
            "Max-Forwards": "70",
            "From": self._from,
            "To": f"<sip:openai@127.0.0.1:{self.sip_port}>",
            "Call-ID": self.call_id,
            "CSeq": "1 INVITE",
            "Contact": f"<sip:caller@127.0.0.1:{self.local_port}>",
            "Content-Type": "application/sdp",
            "Content-Length": str(len(sdp)),
        }
        for name, value in headers.items():
            invite.headers.set(name, value)
        return invite

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._sip = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = messages.parse(data)
        except ValueError as exc:
            log.debug("ignored a datagram that is not SIP: %s", exc)
            return
        if isinstance(message, Response):
            self.responses.put_nowait(message)
            return
        self.requests.append(message)
        self._send(messages.response(message, _ANSWERS.get(message.method, 200)))
        if message.method == "BYE":
            self.hung_up.set()

    async def ringing(self, timeout: float = 10.0) -> None:
        """Wait for ``180 Ringing`` (the SIP edge has the call in ``emu.sip.calls`` by then)."""
        async with asyncio.timeout(timeout):
            while (await self.responses.get()).code != 180:
                pass

    async def final(self, timeout: float = 10.0) -> Response:
        """The INVITE's final response (provisional ones are passed over)."""
        async with asyncio.timeout(timeout):
            while True:
                answer = await self.responses.get()
                if answer.code >= 200 and answer.cseq.method == "INVITE":
                    return answer

    async def answered(self, timeout: float = 10.0) -> None:
        """Wait for ``200 OK`` and ACK it; :class:`CallFailedError` on any other answer."""
        ok = await self.final(timeout)
        if ok.code != 200:
            raise CallFailedError(f"the call was answered {ok.code} {ok.phrase}")
        self._to = ok.headers["To"]
        contacts = ok.contact
        self._target = str(contacts[0].uri) if contacts else f"sip:openai@127.0.0.1:{self.sip_port}"
        media = parse_offer(ok.body.decode())  # the answer names the emulator's RTP port
        self.media_address = (media.address, media.port)
        self._in_dialog("ACK", cseq=1)

    async def play(self, ulaw: bytes) -> None:
        """Send ``ulaw`` (8 kHz) as 20 ms PCMU packets, paced in real time."""
        if self._media is None:
            raise RuntimeError("the phone has not dialled")
        loop = asyncio.get_running_loop()
        start, timestamp = loop.time(), secrets.randbelow(2**31)
        for index, offset in enumerate(range(0, len(ulaw), _PACKET_BYTES)):
            payload = ulaw[offset : offset + _PACKET_BYTES]
            sequence = next(self._sequence) % 65536
            packet = RtpPacket(0, sequence, timestamp + offset, self._ssrc, payload, index == 0)
            self._media.sendto(packet.to_bytes(), self.media_address)
            await asyncio.sleep(max(0.0, start + (index + 1) * _PACKET_S - loop.time()))

    async def hang_up(self) -> None:
        """Send BYE (the SIP edge answers 200 and ends the call)."""
        self._in_dialog("BYE", cseq=next(self._cseq))

    def close(self) -> None:
        """Release both sockets (without hanging up: see :meth:`hang_up`)."""
        for transport in (self._sip, self._media):
            if transport is not None:
                transport.close()

    def _in_dialog(self, method: str, *, cseq: int) -> None:
        contact = f"<sip:caller@127.0.0.1:{self.local_port}>"
        via = f"127.0.0.1:{self.local_port}"
        self._send(
            messages.request(
                method,
                self._target,
                via=via,
                from_=self._from,
                to=self._to,
                call_id=self.call_id,
                cseq=cseq,
                contact=contact,
            )
        )

    def _send(self, message: Request | Response) -> None:
        if self._sip is None:
            raise RuntimeError("the phone has not dialled")
        self._sip.sendto(bytes(message), ("127.0.0.1", self.sip_port))
