"""How the demo's call reaches the session: one function per transport.

Each function starts the emulator, connects a :class:`RealtimeSession` for the demo's agent
over its transport, and yields a :class:`Line`: the session, how the user's turn reaches it,
and how to know that the reply has been heard to its end. Everything else (the agent, the
script, the timeline, the summary, ``--save``) is the demo's, shared by all of them.

* ``websocket``, ``webrtc``: the user's turns are text messages on the session; the reply is
  the session's ``audio`` events (WebRTC: Opus on a media track, in real time).
* ``twilio``: the demo serves Twilio Media Streams (aiohttp) and builds a
  ``TwilioRealtimeTransportLayer`` for each stream; ``TwilioMediaStreamPeer`` plays Twilio
  and dials in.
* ``sip``: the emulator's SIP edge posts a signed ``realtime.call.incoming`` webhook to a
  small app that verifies it (the ``openai`` client's ``webhooks.unwrap``), accepts the call
  (``accept_call``) and attaches the session (``OpenAIRealtimeSIP``); an in-process SIP phone
  (:mod:`.sip.phone`) places the call.

On a phone line the caller can only speak: the turns are speech (the emulator's synthetic
voice, µ-law 8 kHz), which the emulator's script hears as the turn's words (it recognises no
speech), and the reply is what the caller heard, decoded to PCM16 24 kHz by the emulator's
own G.711 stream converter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from realtime_agents.errors import ConnectionFailedError
from realtime_agents.session import RealtimeSession

from .audio import AudioFormat, AudioStream, pcm16_silence
from .server import Emulator
from .synth import synthetic_speech

if TYPE_CHECKING:
    from aiohttp import web

    from realtime_agents.agent import RealtimeAgent
    from realtime_agents.plugins import PluginHost
    from realtime_agents.transport import RealtimeTransportLayer
    from realtime_agents_twilio import TwilioRealtimeTransportLayer

    from .sip.rtp import RtpPacket
    from .sip.service import SipService

__all__ = ["LINES", "Call", "Ear", "Line"]

logger = logging.getLogger(__name__)

MODEL: Final = "gpt-realtime"
API_KEY: Final = "sk-demo"  # the emulator takes any key
TURN_TIMEOUT: Final = 20.0
#: Seconds without reply audio after which a WebRTC reply's tail has arrived.
_TAIL_QUIET: Final = 0.3
#: The caller's pause after speaking: long enough for server VAD to end the turn.
_PAUSE_MS: Final = 1000
_PCMU: Final = AudioFormat("audio/pcmu")


class Ear(Protocol):
    """Who listens to the call (the demo's timeline)."""

    def attach(self, session: RealtimeSession[Any]) -> None:
        """Follow ``session``'s events (called before it connects)."""

    def hear(self, pcm16: bytes) -> None:
        """Audio the user heard, PCM16 24 kHz mono, as it arrives."""

    def spoke(self) -> None:
        """The caller has just finished speaking (first-audio latency counts from here)."""


@dataclass(frozen=True)
class Call:
    """What every line needs from the demo."""

    agent: RealtimeAgent[Any]
    transport: Callable[..., RealtimeTransportLayer]
    """The installed transport's factory (its class)."""
    emulator: Mapping[str, Any]
    """The emulator's options: its brain, pacing and speech."""
    ear: Ear
    plugin_host: PluginHost | None = None

    def session(self, transport: RealtimeTransportLayer) -> RealtimeSession[Any]:
        session: RealtimeSession[Any] = RealtimeSession(
            self.agent, transport=transport, model=MODEL, plugin_host=self.plugin_host
        )
        self.ear.attach(session)
        return session


@dataclass(frozen=True)
class Line:
    """A connected session and how the user reaches it."""

    session: RealtimeSession[Any]
    address: str
    """Where the call enters the emulator (the timeline's header)."""
    say: Callable[[str], Awaitable[Any]]
    """Delivers one user turn."""
    reply_heard: Callable[[], Awaitable[Any]]
    """Started before :attr:`say`: returns once the reply has been heard to its end."""
    spoken: bool = False
    """Whether the turns are spoken (a phone) rather than sent as text."""


LineFactory = Callable[[Call], contextlib.AbstractAsyncContextManager[Line]]


@contextlib.asynccontextmanager
async def websocket_line(call: Call) -> AsyncIterator[Line]:
    """The session's own WebSocket to the emulator; the reply is its ``audio`` events."""
    async with Emulator(**call.emulator) as emulator:
        url = f"{emulator.ws_url}?model={MODEL}"
        async with call.session(call.transport()) as session:
            session.on("audio", lambda event: call.ear.hear(event.data))
            await session.connect(api_key=API_KEY, url=url)

            async def reply_heard() -> None:
                await session.wait_for("audio_stopped", timeout=TURN_TIMEOUT)

            yield Line(session, emulator.ws_url, session.send_message, reply_heard)


@contextlib.asynccontextmanager
async def webrtc_line(call: Call) -> AsyncIterator[Line]:
    """A WebRTC call to the emulator, without microphone or speaker (the reply arrives as
    ``audio`` events, decoded from the track)."""
    async with Emulator(**call.emulator) as emulator:
        url = f"{emulator.base_url}/realtime/calls"
        received = _Counter()
        async with call.session(call.transport(microphone=False, speaker=False)) as session:
            session.on("audio", lambda event: call.ear.hear(received.add(event.data)))
            await session.connect(api_key=API_KEY, url=url)

            async def reply_heard() -> None:
                # The reply plays in real time on the track, long after its text is complete;
                # the server says when its buffer drained, and the last frames are still in
                # flight then (the jitter buffer): they have arrived once the track has
                # carried no reply for a while.
                transport = session.transport
                await transport.wait_for("output_audio_buffer.stopped", timeout=TURN_TIMEOUT)
                before = -1
                while before != received.total:
                    before = received.total
                    await asyncio.sleep(_TAIL_QUIET)

            yield Line(session, url, session.send_message, reply_heard)


@contextlib.asynccontextmanager
async def twilio_line(call: Call) -> AsyncIterator[Line]:
    """Twilio dials the demo's media-stream server, which bridges each stream to a session."""
    from aiohttp import web

    from realtime_agents.testing import TwilioMediaStreamPeer
    from realtime_agents_twilio import AiohttpTwilioSocket

    async with Emulator(**call.emulator) as emulator:
        attached = _Attached()

        async def media_stream(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            twilio_ws = AiohttpTwilioSocket(ws)
            made = call.transport(twilio_websocket=twilio_ws, url=emulator.ws_url, model=MODEL)
            transport = cast("TwilioRealtimeTransportLayer", made)
            await attached.run(call.session(transport), transport.wait_stream_end,
                               api_key=API_KEY)  # fmt: skip
            return ws

        app = web.Application()
        app.router.add_get("/media-stream", media_stream)
        async with _served(app) as port:
            peer = await TwilioMediaStreamPeer.dial(f"ws://127.0.0.1:{port}/media-stream")
            try:
                session = await attached.session()
                sent = _Counter()  # the µ-law the transport forwarded to Twilio
                session.on("audio", lambda event: sent.add(event.data))

                async def say(text: str) -> None:
                    await peer.say(_speech(text))
                    call.ear.spoke()
                    await peer.say(_pause())

                async def reply_heard() -> None:
                    await session.wait_for("audio_stopped", timeout=TURN_TIMEOUT)
                    await peer.wait_until(lambda: len(peer.played) >= sent.total, TURN_TIMEOUT)

                async with _listening(peer, call.ear):
                    yield Line(session, emulator.ws_url, say, reply_heard, spoken=True)
            finally:
                await peer.hang_up()  # Twilio's "stop": the stream, then the session, end
                await attached.ended()


@contextlib.asynccontextmanager
async def sip_line(call: Call) -> AsyncIterator[Line]:
    """A SIP phone calls the emulator's SIP edge, whose webhook reaches the demo's app."""
    from aiohttp import web
    from openai import APIError, InvalidWebhookSignatureError

    from realtime_agents_sip import accept_call

    from .sip.phone import Caller

    with _bound_socket() as sock:
        webhook = f"http://127.0.0.1:{sock.getsockname()[1]}/openai/webhook"
        emulator = Emulator(sip_port=0, webhook_url=webhook, **call.emulator)
        async with emulator, _openai(emulator) as client:
            attached = _Attached()
            hung_up = asyncio.Event()

            async def answer(call_id: str) -> None:
                try:
                    accepted = await accept_call(
                        client, call_id, call.agent, session_options=_OPTIONS
                    )
                except APIError as exc:  # the demo's failure, in one line
                    raise ConnectionFailedError(f"accepting the call failed: {exc}") from exc
                if accepted:
                    transport = call.transport(url=emulator.ws_url)
                    await attached.run(call.session(transport), hung_up.wait,
                                       api_key=API_KEY, call_id=call_id)  # fmt: skip

            async def incoming(request: web.Request) -> web.Response:
                try:
                    event = client.webhooks.unwrap(await request.read(), request.headers)
                except (InvalidWebhookSignatureError, ValueError):
                    return web.Response(status=400, text="invalid webhook")
                if event.type == "realtime.call.incoming":
                    attached.start(answer(event.data.call_id))
                return web.Response(status=200)

            app = web.Application()
            app.router.add_post("/openai/webhook", incoming)
            playing = _Switch()
            stream = AudioStream(_PCMU)

            def on_packet(packet: RtpPacket) -> None:
                if playing.on and packet.payload_type == 0:  # PCMU, not a digit
                    call.ear.hear(stream.decode(packet.payload))

            async with _served(app, sock):
                edge = _sip_edge(emulator)
                phone = await Caller.dial(edge.port, on_packet)
                try:
                    session = await attached.session()  # accepted: the phone has its 200 OK
                    await phone.answered(TURN_TIMEOUT)
                    transport = session.transport
                    transport.on("output_audio_buffer.started", lambda _: playing.turn(True))
                    transport.on("output_audio_buffer.stopped", lambda _: playing.turn(False))

                    async def say(text: str) -> None:
                        await phone.play(_speech(text))
                        call.ear.spoke()
                        await phone.play(_pause())

                    async def reply_heard() -> None:
                        name = "output_audio_buffer.stopped"
                        await transport.wait_for(name, timeout=TURN_TIMEOUT)

                    yield Line(session, edge.uri, say, reply_heard, spoken=True)
                finally:
                    await phone.hang_up()
                    hung_up.set()
                    await attached.ended()
                    phone.close()


LINES: Final[Mapping[str, LineFactory]] = {
    "websocket": websocket_line,
    "webrtc": webrtc_line,
    "sip": sip_line,
    "twilio": twilio_line,
}
_OPTIONS: Final = {"model": MODEL}


# -- what the lines share --------------------------------------------------------------------


class _Counter:
    """Bytes of audio seen so far."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, data: bytes) -> bytes:
        self.total += len(data)
        return data


class _Switch:
    """Whether the server is playing a reply into the call."""

    def __init__(self) -> None:
        self.on = False

    def turn(self, on: bool) -> None:
        self.on = on


def _speech(text: str) -> bytes:
    """The caller saying ``text``: the emulator's synthetic voice, µ-law 8 kHz."""
    return _PCMU.encode(synthetic_speech(text))


def _pause() -> bytes:
    return _PCMU.encode(pcm16_silence(_PAUSE_MS))


class _Attached:
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
async def _listening(peer: Any, ear: Ear) -> AsyncIterator[None]:
    """Pass what a Twilio peer plays to ``ear``, decoded, while the call lasts."""
    stream = AudioStream(_PCMU)

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
def _bound_socket() -> Iterator[socket.socket]:
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
async def _served(app: web.Application, sock: socket.socket | None = None) -> AsyncIterator[int]:
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


def _sip_edge(emulator: Emulator) -> SipService:
    if emulator.sip is None:  # not started: Emulator(sip_port=...) starts it or raises
        raise RuntimeError("the emulator's SIP edge is not running")
    return emulator.sip


@contextlib.asynccontextmanager
async def _openai(emulator: Emulator) -> AsyncIterator[Any]:
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
