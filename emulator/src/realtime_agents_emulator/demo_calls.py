"""What the demo's lines share: a server that hands its call's session over, the caller's
voice and ear, and serving an app on loopback (see :mod:`.demo_lines`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Final, Protocol

from .audio import AudioFormat, AudioStream, pcm16_silence
from .synth import synthetic_speech

if TYPE_CHECKING:
    from aiohttp import web

    from realtime_agents.session import RealtimeSession

    from .server import Emulator
    from .sip.rtp import RtpPacket
    from .sip.service import SipService

__all__ = [
    "API_KEY",
    "PCMU",
    "TURN_TIMEOUT",
    "Attached",
    "Counter",
    "Hearing",
    "ReplyGate",
    "bound_socket",
    "listening",
    "openai_client",
    "pause",
    "served",
    "sip_edge",
    "speech",
]

logger = logging.getLogger(__name__)

API_KEY: Final = "sk-demo"  # the emulator takes any key
TURN_TIMEOUT: Final = 20.0
#: The caller's pause after speaking: long enough for server VAD to end the turn.
_PAUSE_MS: Final = 1000
PCMU: Final = AudioFormat("audio/pcmu")


class Hearing(Protocol):
    """Where the caller's ear passes what it hears (PCM16 24 kHz)."""

    def hear(self, pcm16: bytes) -> None: ...


class Counter:
    """Bytes of audio seen so far."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, data: bytes) -> bytes:
        self.total += len(data)
        return data


class ReplyGate:
    """Passes the replies a SIP caller hears to the ear, each from its first voiced packet to
    its last (silence inside a reply is kept).

    The line carries silence between replies, and the server's ``output_audio_buffer.started``
    and ``stopped`` come on the events connection, not with the RTP: either may arrive a packet
    or more early or late. So voice is always passed on (nothing else on this line is voiced),
    and silence only between two voiced packets of one reply: the edges of each reply do not
    depend on when its events arrive.
    """

    def __init__(self, ear: Hearing) -> None:
        from .sip.phone import SILENT_RMS, level  # the SIP extra: imported by SIP lines only

        self._level: Callable[[bytes], int] = level
        self._silent_rms = SILENT_RMS
        self._ear = ear
        self._stream = AudioStream(PCMU)
        self._held: list[bytes] = []
        self._playing = False  # between the server's started and stopped
        self._voiced = False  # since the last started or stopped

    def boundary(self, started: bool) -> None:
        """A reply started (``started``) or stopped playing: silence so far is not part of it."""
        self._held.clear()
        self._playing, self._voiced = started, False

    def packet(self, packet: RtpPacket) -> None:
        """One RTP packet the caller received."""
        if packet.payload_type != 0:  # PCMU only, not a telephone-event
            return
        pcm = self._stream.decode(packet.payload)
        if self._level(packet.payload) <= self._silent_rms:
            if self._playing and self._voiced:  # maybe a pause inside the reply
                self._held.append(pcm)
            return
        for pause in self._held:
            self._ear.hear(pause)
        self._held.clear()
        self._voiced = True
        self._ear.hear(pcm)


def speech(text: str) -> bytes:
    """The caller saying ``text``: the emulator's synthetic voice, µ-law 8 kHz."""
    return PCMU.encode(synthetic_speech(text))


def pause() -> bytes:
    return PCMU.encode(pcm16_silence(_PAUSE_MS))


class Attached:
    """The session a server's handler attached to the call, handed over to the demo.

    The handler owns the session: it connects it, lets the demo use it until ``until`` (the
    end of the call) and closes it. A failure to connect is the demo's failure.
    """

    def __init__(self) -> None:
        self._session: asyncio.Future[RealtimeSession[Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._done = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` (a webhook's answer) as a task of its own, owned here."""
        task = asyncio.get_running_loop().create_task(self._guard(work), name="demo: a call")
        self._tasks.add(task)

    async def run(
        self, session: RealtimeSession[Any], until: Callable[[], Awaitable[Any]], **connect: Any
    ) -> None:
        """Connect ``session``, hand it to the demo, keep it until ``until()`` returns."""
        try:
            async with session:
                await session.connect(**connect)
                self._session.set_result(session)
                await until()
        except Exception as exc:
            if self._session.done():  # the session reports its own errors as events
                logger.debug("the demo's call ended with %r", exc)
            else:
                self._session.set_exception(exc)
        finally:
            self._done.set()

    async def session(self) -> RealtimeSession[Any]:
        """The attached session (or why it is not), within :data:`TURN_TIMEOUT`."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._session), TURN_TIMEOUT)
        except TimeoutError:
            raise TimeoutError(f"no call reached the demo's server in {TURN_TIMEOUT:g} s") from None

    async def ended(self) -> None:
        """Wait (bounded) until the handler closed the session; cancel what is left."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._done.wait(), TURN_TIMEOUT)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _guard(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception as exc:
            if not self._session.done():
                self._session.set_exception(exc)


@contextlib.asynccontextmanager
async def listening(peer: Any, ear: Hearing) -> AsyncIterator[None]:
    """Pass what a Twilio peer plays to ``ear``, decoded, while the call lasts."""
    stream = AudioStream(PCMU)

    async def follow() -> None:
        heard = 0
        while True:
            await peer.wait_until(lambda seen=heard: len(peer.played) > seen, TURN_TIMEOUT * 100)
            chunk = bytes(peer.played[heard:])
            heard += len(chunk)
            ear.hear(stream.decode(chunk))

    task = asyncio.get_running_loop().create_task(follow(), name="demo: the caller's ear")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@contextlib.contextmanager
def bound_socket() -> Iterator[socket.socket]:
    """A TCP socket on a free port of 127.0.0.1 (the webhook's address must be known before
    the emulator starts, and the app needs the emulator: bind first, serve later)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        yield sock
    finally:
        sock.close()


@contextlib.asynccontextmanager
async def served(app: web.Application, sock: socket.socket | None = None) -> AsyncIterator[int]:
    """Serve ``app`` on ``sock`` (default: a free port of 127.0.0.1); yields the port."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.SockSite(runner, sock) if sock else web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def sip_edge(emulator: Emulator) -> SipService:
    if emulator.sip is None:  # not started: Emulator(sip_port=...) starts it or raises
        raise RuntimeError("the emulator's SIP edge is not running")
    return emulator.sip


@contextlib.asynccontextmanager
async def openai_client(emulator: Emulator) -> AsyncIterator[Any]:
    """The official client, pointed at the emulator (it verifies the emulator's webhooks)."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(
        api_key=API_KEY,
        base_url=emulator.base_url,
        webhook_secret=emulator.webhook_secret,
        max_retries=0,
    )
    async with client:
        yield client
