"""RTP for a phone call: G.711 both ways in 20 ms packets, and RFC 2833 digits in.

The packet framing is written here, not taken from a library: the fixed 12-byte header (RFC 3550
§5.1) and the 4-byte telephone-event payload (RFC 4733 §2.3) are a few ``struct`` calls, whereas
the libraries that frame RTP either pull in a WebRTC stack with native codecs (aiortc's
``RtpPacket``, behind PyAV and cryptography) or are young or stale single-purpose packages
(``aiortp`` 0.8, ``rtp`` 0.0.4) bringing jitter buffers and pacers the emulator does not use.

:class:`RtpEndpoint` is one call's media socket on 127.0.0.1: it hands every audio payload and
every completed digit to its owner, and sends what ``next_payload()`` returns every 20 ms, on
``loop.time()`` deadlines (never drifting with the time each send takes).
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

__all__ = ["DTMF_EVENTS", "PACKET_MS", "RtpEndpoint", "RtpPacket", "TelephoneEvent"]

log = logging.getLogger(__name__)

PACKET_MS = 20
_SAMPLES_PER_PACKET = 8000 * PACKET_MS // 1000  # G.711: 160 samples, one byte each
_HEADER = struct.Struct("!BBHII")
_VERSION = 2
_LATE_S = 0.2  # further behind than this (a stalled loop), restart the grid instead of bursting

DTMF_EVENTS = "0123456789*#ABCD"
"""RFC 4733 event codes 0–15, as the characters ``dtmf_event_received`` reports."""


@dataclass(frozen=True)
class RtpPacket:
    """The parts of an RTP packet a phone line uses (no CSRCs or extensions are sent)."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    def to_bytes(self) -> bytes:
        second = (0x80 if self.marker else 0) | self.payload_type
        header = _HEADER.pack(_VERSION << 6, second, self.sequence, self.timestamp, self.ssrc)
        return header + self.payload

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse a packet (skipping CSRCs, an extension and padding); ValueError if it is not
        RTP version 2."""
        if len(data) < _HEADER.size:
            raise ValueError("shorter than an RTP header")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != _VERSION:
            raise ValueError("not RTP version 2")
        offset = _HEADER.size + 4 * (first & 0x0F)
        if first & 0x10:  # a header extension: 4 bytes, then its length in 32-bit words
            if len(data) < offset + 4:
                raise ValueError("truncated RTP header extension")
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        end = len(data)
        if first & 0x20 and end > offset:  # padding: the last byte says how much
            end -= data[-1]
        if end < offset:
            raise ValueError("truncated RTP packet")
        return cls(second & 0x7F, sequence, timestamp, ssrc, data[offset:end], bool(second & 0x80))


@dataclass(frozen=True)
class TelephoneEvent:
    """An RFC 4733 telephone-event payload: a digit, whether it ended, and its duration."""

    event: int
    end: bool
    duration: int

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < 4:
            raise ValueError("a telephone-event payload has 4 bytes")
        event, flags, duration = struct.unpack_from("!BBH", payload)
        return cls(event, bool(flags & 0x80), duration)

    @property
    def digit(self) -> str | None:
        return DTMF_EVENTS[self.event] if self.event < len(DTMF_EVENTS) else None


class RtpEndpoint(asyncio.DatagramProtocol):
    """One call's RTP socket: receives the caller's audio and digits, sends paced audio.

    ``on_audio(payload)`` gets each G.711 payload of ``payload_type``; ``on_digit(char)`` each
    digit once (at its first end packet: RFC 4733 repeats the end packet three times, and all
    packets of one digit share its timestamp). Packets from any source are taken: on loopback
    the caller may send from another port than the one it receives on (SIPp does).
    """

    def __init__(
        self,
        *,
        payload_type: int,
        dtmf_payload_type: int | None,
        on_audio: Callable[[bytes], None],
        on_digit: Callable[[str], None],
    ) -> None:
        self._payload_type = payload_type
        self._dtmf_payload_type = dtmf_payload_type
        self._on_audio = on_audio
        self._on_digit = on_digit
        self._transport: asyncio.DatagramTransport | None = None
        self._lost: asyncio.Future[None] | None = None
        self._digits_seen: set[int] = set()  # RTP timestamps of digits already reported
        self._sender: asyncio.Task[None] | None = None
        self.packets_received = 0
        """RTP packets received (audio and digits)."""
        self.packets_sent = 0
        """Audio packets sent to the caller."""

    @classmethod
    async def open(
        cls,
        host: str,
        *,
        payload_type: int,
        dtmf_payload_type: int | None,
        on_audio: Callable[[bytes], None],
        on_digit: Callable[[str], None],
    ) -> RtpEndpoint:
        """Bind a free UDP port on ``host``."""
        loop = asyncio.get_running_loop()
        _, endpoint = await loop.create_datagram_endpoint(
            lambda: cls(
                payload_type=payload_type,
                dtmf_payload_type=dtmf_payload_type,
                on_audio=on_audio,
                on_digit=on_digit,
            ),
            local_addr=(host, 0),
        )
        return endpoint

    @property
    def port(self) -> int:
        assert self._transport is not None
        return int(self._transport.get_extra_info("sockname")[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport is not a DatagramTransport subclass.
        self._transport = cast(asyncio.DatagramTransport, transport)
        self._lost = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        try:
            packet = RtpPacket.parse(data)
        except ValueError as exc:
            log.debug("ignored a datagram on an RTP port: %s", exc)
            return
        self.packets_received += 1
        if packet.payload_type == self._payload_type:
            self._on_audio(packet.payload)
        elif packet.payload_type == self._dtmf_payload_type:
            self._digit(packet)

    def _digit(self, packet: RtpPacket) -> None:
        try:
            event = TelephoneEvent.parse(packet.payload)
        except ValueError:
            return
        if event.end and packet.timestamp not in self._digits_seen and event.digit is not None:
            self._digits_seen.add(packet.timestamp)
            self._on_digit(event.digit)

    def start_sending(self, to: tuple[str, int], next_payload: Callable[[], bytes]) -> None:
        """Send ``next_payload()`` to ``to`` every 20 ms until :meth:`close`."""
        if self._sender is None:
            loop = asyncio.get_running_loop()
            self._sender = loop.create_task(self._send_loop(to, next_payload))

    async def _send_loop(self, to: tuple[str, int], next_payload: Callable[[], bytes]) -> None:
        loop = asyncio.get_running_loop()
        ssrc = random.getrandbits(32)
        sequence = random.getrandbits(16)
        timestamp = random.getrandbits(32)
        deadline = loop.time()
        first = True
        while self._transport is not None and not self._transport.is_closing():
            packet = RtpPacket(self._payload_type, sequence, timestamp, ssrc, next_payload(), first)
            self._transport.sendto(packet.to_bytes(), to)
            self.packets_sent += 1
            first = False
            sequence = (sequence + 1) & 0xFFFF
            timestamp = (timestamp + _SAMPLES_PER_PACKET) & 0xFFFFFFFF
            deadline += PACKET_MS / 1000
            now = loop.time()
            if now - deadline > _LATE_S:
                deadline = now
            await asyncio.sleep(max(0.0, deadline - now))

    async def close(self) -> None:
        """Stop sending and release the port."""
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()
        if self._lost is not None:
            await self._lost  # the socket is closed on the next turn of the loop

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable after the caller closed its socket: nothing to do but go on.
        log.debug("RTP send failed: %s", exc)
