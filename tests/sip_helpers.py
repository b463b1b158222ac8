"""SIP test helpers shared by the emulator's SIP tests and the SIP transport's tests.

* :class:`Sipp`: one run of a real SIP phone (SIPp, Debian's ``sip-tester``) from a scenario;
* :func:`write_tone`: the raw G.711 file SIPp plays (SIPp would send a WAV header as audio);
* :class:`RtpRecorder`: the caller's ear, a UDP socket the caller's SDP names as its media
  address, and :func:`level` to tell voice from silence;
* :class:`Caller`: a minimal in-process SIP phone (INVITE/ACK/BYE over UDP, PCMU RTP out and in),
  for tests that need many short calls: starting SIPp per call costs far more than a call.

Everything binds 127.0.0.1 on free ports, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import socket
import struct
from pathlib import Path
from typing import Any, cast

from sipmessage import Message, Request, Response

from realtime_agents_emulator import AudioFormat, pcm16_silence, pcm16_tone
from realtime_agents_emulator.sip.rtp import RtpPacket
from realtime_agents_emulator.sip.sdp import parse_offer

__all__ = [
    "PCMU",
    "SCENARIOS",
    "SILENT_RMS",
    "SIPP_TIMEOUT_S",
    "Caller",
    "RtpRecorder",
    "Sipp",
    "free_udp_port",
    "level",
    "write_tone",
]

#: The emulator tests' SIPp scenarios (other folders pass their own scenario paths).
SCENARIOS = Path(__file__).parent / "emulator" / "sip"
PCMU = AudioFormat("audio/pcmu")
SILENT_RMS = 50  # µ-law's quietest codes decode to a few units: anything above is sound
SIPP_TIMEOUT_S = 20


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def g711(*segments: tuple[str, int], codec: AudioFormat = PCMU) -> bytes:
    """Raw G.711 at 8 kHz from ("tone" | "silence", ms) segments."""
    pcm = b"".join(
        pcm16_tone(ms, amplitude=0.25) if kind == "tone" else pcm16_silence(ms)
        for kind, ms in segments
    )
    return codec.encode(pcm)


def write_tone(folder: Path, *segments: tuple[str, int], codec: AudioFormat = PCMU) -> None:
    """``tone.ulaw`` (or ``tone.alaw``) from ("tone" | "silence", ms) segments: raw G.711 at
    8 kHz, no header."""
    name = "tone.ulaw" if codec == PCMU else "tone.alaw"
    (folder / name).write_bytes(g711(*segments, codec=codec))


def level(payload: bytes, codec: AudioFormat = PCMU) -> int:
    """RMS of a G.711 payload (PCM16 units)."""
    samples = codec.decode_linear(payload)
    values = struct.unpack(f"<{len(samples) // 2}h", samples)
    return int((sum(v * v for v in values) / max(1, len(values))) ** 0.5)


class RtpRecorder(asyncio.DatagramProtocol):
    """The caller's ear: every datagram the emulator sends to the caller's media address."""

    def __init__(self) -> None:
        self.packets: list[RtpPacket] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.packets.append(RtpPacket.parse(data))

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def voiced(self, codec: AudioFormat = PCMU) -> list[int]:
        """Indexes of the packets that carry sound."""
        return [i for i, p in enumerate(self.packets) if level(p.payload, codec) > SILENT_RMS]

    @classmethod
    async def open(cls) -> RtpRecorder:
        loop = asyncio.get_running_loop()
        _, recorder = await loop.create_datagram_endpoint(cls, local_addr=("127.0.0.1", 0))
        return recorder

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Sipp:
    """One SIPp run (a single call) against a SIP port; ``scenario`` is a name in
    :data:`SCENARIOS` or a path."""

    def __init__(self, folder: Path, scenario: str | Path, sip_port: int, *args: str) -> None:
        self.folder = folder
        self.messages = folder / "messages.log"
        self.command = [
            "sipp",
            f"127.0.0.1:{sip_port}",
            "-sf",
            str(SCENARIOS / scenario),  # an absolute path replaces the folder
            "-s",
            "openai",
            "-i",
            "127.0.0.1",
            "-mi",
            "127.0.0.1",
            "-p",
            str(free_udp_port()),
            "-mp",
            str(free_udp_port()),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            f"{SIPP_TIMEOUT_S}s",
            "-trace_msg",
            "-message_file",
            str(self.messages),
            "-trace_err",
            "-error_file",
            str(folder / "errors.log"),
            *args,
        ]
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=self.folder,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )

    async def finish(self) -> str:
        """Wait for SIPp; its SIP message log. Fails with SIPp's errors if the call failed."""
        assert self._process is not None
        try:
            _, stderr = await asyncio.wait_for(self._process.communicate(), SIPP_TIMEOUT_S + 5)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
            raise
        errors = self.folder / "errors.log"
        details = errors.read_text(errors="replace") if errors.exists() else ""
        assert self._process.returncode == 0, f"sipp failed: {stderr.decode()[-2000:]}{details}"
        return self.messages.read_text(errors="replace")

    async def __aenter__(self) -> Sipp:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            process.kill()
            await process.wait()
        elif process.returncode != 0 and exc[0] is not None:  # say why the test waited in vain
            assert process.stderr is not None
            stderr = (await process.stderr.read()).decode(errors="replace")
            raise AssertionError(f"sipp exited with {process.returncode}: {stderr[-2000:]}")


# -- an in-process SIP phone ------------------------------------------------------------------

_INVITE = (
    "INVITE sip:openai@127.0.0.1:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{branch};rport\r\n"
    "From: <sip:+15551230000@127.0.0.1:{local}>;tag={tag}\r\n"
    "To: <sip:openai@127.0.0.1:{port}>\r\n"
    "Call-ID: {call_id}\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@127.0.0.1:{local}>\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: {length}\r\n\r\n{sdp}"
)
_SDP = (
    "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {rtp} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"
)
_IN_DIALOG = (
    "{method} {target} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{branch};rport\r\n"
    "From: {from_}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
    "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


class Caller(asyncio.DatagramProtocol):
    """A SIP phone calling the emulator's SIP edge: enough of RFC 3261 for loopback calls.

    :meth:`dial` sends the INVITE (PCMU, with its own RTP socket, :attr:`ear`, as the media
    address); :meth:`answered` waits for the ``200 OK`` and ACKs it; :meth:`play` sends µ-law
    in 20 ms RTP packets; :meth:`hang_up` sends BYE. A BYE or REFER from the emulator is
    answered (200, 202) and noted in :attr:`requests`. Not retransmitting: loopback loses
    nothing.
    """

    def __init__(self, sip_port: int) -> None:
        self.sip_port = sip_port
        self.call_id = f"{secrets.token_hex(8)}@127.0.0.1"
        self.tag = secrets.token_hex(4)
        self.ear = RtpRecorder()
        self.requests: list[Request] = []
        self.responses: asyncio.Queue[Response] = asyncio.Queue()
        self.hung_up = asyncio.Event()
        self._sip: asyncio.DatagramTransport | None = None
        self._media: asyncio.DatagramTransport | None = None
        self._to = ""
        self.media_address = ("127.0.0.1", 0)  # the emulator's RTP socket, once answered
        self._target = ""
        self._cseq = itertools.count(2)
        self._sequence = itertools.count(secrets.randbelow(1000))

    @property
    def local_port(self) -> int:
        assert self._sip is not None
        return int(self._sip.get_extra_info("sockname")[1])

    @classmethod
    async def dial(cls, sip_port: int) -> Caller:
        """Open the phone's sockets and send the INVITE."""
        caller = cls(sip_port)
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: caller, local_addr=("127.0.0.1", 0))
        media, _ = await loop.create_datagram_endpoint(
            lambda: caller.ear, local_addr=("127.0.0.1", 0)
        )
        caller._media = cast(asyncio.DatagramTransport, media)
        sdp = _SDP.format(rtp=caller.ear.port)
        caller._send(
            _INVITE.format(
                port=sip_port,
                local=caller.local_port,
                branch=secrets.token_hex(6),
                tag=caller.tag,
                call_id=caller.call_id,
                length=len(sdp),
                sdp=sdp,
            )
        )
        return caller

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._sip = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        message = Message.parse(data)
        if isinstance(message, Response):
            self.responses.put_nowait(message)
            return
        assert isinstance(message, Request)
        self.requests.append(message)
        code = {"BYE": 200, "REFER": 202}.get(message.method, 200)
        reason = {200: "OK", 202: "Accepted"}[code]
        copied = "".join(
            f"{name}: {message.headers[name]}\r\n" for name in ("Via", "From", "To", "Call-ID")
        )
        self._send(
            f"SIP/2.0 {code} {reason}\r\n{copied}CSeq: {message.headers['CSeq']}\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        if message.method == "BYE":
            self.hung_up.set()

    async def ringing(self, timeout: float = 10.0) -> None:
        """Wait for ``180 Ringing`` (the emulator has the call in ``emu.sip.calls`` by then)."""
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
        """Wait for ``200 OK`` and ACK it (fails on any other final answer)."""
        ok = await self.final(timeout)
        assert ok.code == 200, f"the call was answered {ok.code} {ok.phrase}"
        self._to = ok.headers["To"]
        contacts = ok.contact
        self._target = str(contacts[0].uri) if contacts else f"sip:openai@127.0.0.1:{self.sip_port}"
        media = parse_offer(ok.body.decode())  # the answer names the emulator's RTP port
        self.media_address = (media.address, media.port)
        self._in_dialog("ACK", cseq=1)

    async def play(self, ulaw: bytes) -> None:
        """Send ``ulaw`` as 20 ms PCMU packets, paced in real time."""
        assert self._media is not None
        loop = asyncio.get_running_loop()
        start, timestamp = loop.time(), secrets.randbelow(2**31)
        for index, offset in enumerate(range(0, len(ulaw), 160)):
            packet = RtpPacket(0, next(self._sequence) % 65536, timestamp + offset, 1234,
                               ulaw[offset : offset + 160], marker=index == 0)  # fmt: skip
            self._media.sendto(packet.to_bytes(), self.media_address)
            await asyncio.sleep(max(0.0, start + (index + 1) * 0.02 - loop.time()))

    async def hang_up(self) -> None:
        """Send BYE (the emulator answers 200)."""
        self._in_dialog("BYE", cseq=next(self._cseq))

    def close(self) -> None:
        for transport in (self._sip, self._media):
            if transport is not None:
                transport.close()

    def _in_dialog(self, method: str, *, cseq: int) -> None:
        self._send(
            _IN_DIALOG.format(
                method=method,
                target=self._target,
                local=self.local_port,
                branch=secrets.token_hex(6),
                from_=f"<sip:+15551230000@127.0.0.1:{self.local_port}>;tag={self.tag}",
                to=self._to,
                call_id=self.call_id,
                cseq=cseq,
            )
        )

    def _send(self, text: str) -> None:
        assert self._sip is not None
        self._sip.sendto(text.encode(), ("127.0.0.1", self.sip_port))
