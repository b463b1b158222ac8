"""A Twilio media-stream server for the tests: aiohttp, one bridge per call, the emulator
as the Realtime side; and the brain that makes the emulator's replies predictable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from realtime_agents_emulator import Brain, Emulator, Say
from realtime_agents_twilio import AiohttpTwilioSocket, TwilioRealtimeTransportLayer

KEY = "sk-test-twilio-0123456789"
MODEL = "gpt-realtime"
#: Server VAD that hears the peer's tone, answers at its end, and interrupts on speech.
VAD: dict[str, Any] = {"audio": {"input": {"turn_detection": {"type": "server_vad"}}}}


class ReplyBrain(Brain):
    """Hears every audio turn as ``heard``, answers every turn with ``reply_ms`` of speech."""

    def __init__(self, reply_ms: int = 400, heard: str = "hello") -> None:
        self.reply_ms = reply_ms
        self.heard = heard

    def transcribe(self, audio: Any) -> str:
        return self.heard

    def respond(self, turn: Any) -> list[Any]:
        return [Say("Hi there, how can I help?", audio_ms=self.reply_ms)]


class BridgeServer:
    """What a user's server does: on each Twilio socket, a transport bridging it until the
    stream ends. ``on_transport`` runs once a transport is connected (to subscribe, say)."""

    def __init__(
        self,
        emu: Emulator,
        config: dict[str, Any] | None = None,
        on_transport: Callable[[TwilioRealtimeTransportLayer], Any] | None = None,
        **options: Any,
    ) -> None:
        self.emu = emu
        self.config = config
        self.options = options
        self.on_transport = on_transport
        self.transports: list[TwilioRealtimeTransportLayer] = []
        self.created = asyncio.Event()
        self.handlers_done = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/media-stream", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{port}/media-stream"

    async def stop(self) -> None:
        for transport in self.transports:
            await transport.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        transport = TwilioRealtimeTransportLayer(
            twilio_websocket=AiohttpTwilioSocket(ws),
            url=self.emu.ws_url,
            api_key=KEY,
            model=MODEL,
            **self.options,
        )
        self.transports.append(transport)
        if self.on_transport is not None:
            self.on_transport(transport)
        await transport.connect(initial_session_config=self.config)
        self.created.set()
        await transport.wait_stream_end()
        await transport.close()
        self.handlers_done += 1
        return ws

    async def transport(self) -> TwilioRealtimeTransportLayer:
        await asyncio.wait_for(self.created.wait(), 10)
        return self.transports[-1]


async def serve(emu: Emulator, **kwargs: Any) -> AsyncIterator[BridgeServer]:
    server = BridgeServer(emu, **kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
