"""How the demo's call reaches the session: one function per transport.

Each function starts the emulator, connects a :class:`RealtimeSession` for the demo's agent
over its transport, and yields a :class:`Line`: the session, how the user's turn reaches it,
and how to know that the reply has been heard to its end. Everything else (the agent, the
script, the timeline, the summary, ``--save``) is the demo's, shared by all of them; what
the phone lines share (a server handing its call's session over, the caller's voice and ear)
is in :mod:`.demo_calls`.

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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from realtime_agents.errors import ConnectionFailedError
from realtime_agents.session import RealtimeSession

from .demo_calls import (
    API_KEY,
    TURN_TIMEOUT,
    Attached,
    Counter,
    ReplyGate,
    bound_socket,
    listening,
    openai_client,
    pause,
    served,
    sip_edge,
    speech,
)
from .server import Emulator

if TYPE_CHECKING:
    from aiohttp import web

    from realtime_agents.agent import RealtimeAgent
    from realtime_agents.plugins import PluginHost
    from realtime_agents.transport import RealtimeTransportLayer
    from realtime_agents_twilio import TwilioRealtimeTransportLayer


__all__ = ["LINES", "Call", "Ear", "Line"]

MODEL: Final = "gpt-realtime"
#: Seconds without reply audio after which a WebRTC reply's tail has arrived.
_TAIL_QUIET: Final = 0.3


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
        received = Counter()
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
        attached = Attached()

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
        async with served(app) as port:
            peer = await TwilioMediaStreamPeer.dial(f"ws://127.0.0.1:{port}/media-stream")
            try:
                session = await attached.session()
                sent = Counter()  # the µ-law the transport forwarded to Twilio
                session.on("audio", lambda event: sent.add(event.data))

                async def say(text: str) -> None:
                    await peer.say(speech(text))
                    call.ear.spoke()
                    await peer.say(pause())

                async def reply_heard() -> None:
                    await session.wait_for("audio_stopped", timeout=TURN_TIMEOUT)
                    await peer.wait_until(lambda: len(peer.played) >= sent.total, TURN_TIMEOUT)

                async with listening(peer, call.ear):
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

    with bound_socket() as sock:
        webhook = f"http://127.0.0.1:{sock.getsockname()[1]}/openai/webhook"
        emulator = Emulator(sip_port=0, webhook_url=webhook, **call.emulator)
        async with emulator, openai_client(emulator) as client:
            attached = Attached()
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
            gate = ReplyGate(call.ear)
            async with served(app, sock):
                edge = sip_edge(emulator)
                phone = await Caller.dial(edge.port, gate.packet)
                try:
                    session = await attached.session()  # accepted: the phone has its 200 OK
                    await phone.answered(TURN_TIMEOUT)
                    transport = session.transport
                    transport.on("output_audio_buffer.started", lambda _: gate.boundary(True))
                    transport.on("output_audio_buffer.stopped", lambda _: gate.boundary(False))

                    async def say(text: str) -> None:
                        await phone.play(speech(text))
                        call.ear.spoke()
                        await phone.play(pause())

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
