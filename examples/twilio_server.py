"""twilioServer: a phone agent for a Twilio number, as an aiohttp server.

Twilio asks ``POST /incoming-call`` what to do with a call; the TwiML answer connects the
call to ``/media-stream``, a WebSocket on which Twilio streams the caller's µ-law audio. Each
stream gets a ``RealtimeSession`` over ``TwilioRealtimeTransportLayer``, which bridges it to
the Realtime API (µ-law kept both ways, marks, exact barge-in), greets the caller and answers
until the caller hangs up.

    uv run python examples/twilio_server.py             # offline: one call, then exit
    OPENAI_API_KEY=sk-... uv run python examples/twilio_server.py --live [--port 8080]

Offline, the local emulator plays the model and ``TwilioMediaStreamPeer`` plays Twilio: it
asks for the TwiML, dials the stream it names, listens to the greeting, speaks one turn (a
tone, which the emulator's script hears as "When do you open tomorrow?": it recognises no
speech) and hangs up. With ``--live`` the server talks to OpenAI: put it behind a public
https address (``ngrok http 8080``) and set your Twilio number's voice webhook ("A call comes
in") to ``https://<that address>/incoming-call``.
"""

from __future__ import annotations

import re
from typing import Any

from _support import LIVE, live_key, realtime_endpoint, run, serve, serve_live
from aiohttp import ClientSession, web

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.testing import TwilioMediaStreamPeer, mulaw_silence, mulaw_tone
from realtime_agents_twilio import AiohttpTwilioSocket, TwilioRealtimeTransportLayer

GREETING = "Greet the caller in one short sentence and ask how you can help."
#: The emulator's script (offline only): the greeting, then the caller's question.
RULES: dict[str, Any] = {
    "transcripts": ["When do you open tomorrow?"],
    "rules": [
        {"when": {"text": "open"}, "then": [{"call": "opening_hours", "arguments": {}}]},
        {"when": {"tool": "opening_hours"}, "then": "We open at {output}."},
    ],
    "fallback": [{"say": "Hello, Sunny Bakery, how can I help?"}],
}


@tool
def opening_hours() -> str:
    """When the bakery opens tomorrow."""
    return "7 in the morning"


agent = RealtimeAgent(
    name="Receptionist",
    instructions="You answer the phone for Sunny Bakery. Be warm and brief.",
    tools=[opening_hours],
)


def log_reply(end: Any) -> None:
    """What the agent said (the transcript of its audio), as a server would log it."""
    if end.output_text:
        print(f"{end.agent.name}: {end.output_text}")


def make_app(api_key: str, url: str | None = None) -> web.Application:
    """The two routes Twilio needs; ``url``: the Realtime API's (None: OpenAI's)."""

    async def incoming_call(request: web.Request) -> web.Response:
        """Twilio's voice webhook: connect the call to our media stream."""
        twiml = (
            '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
            f'<Stream url="wss://{request.host}/media-stream"/>'
            "</Connect></Response>"
        )
        return web.Response(text=twiml, content_type="text/xml")

    async def media_stream(request: web.Request) -> web.WebSocketResponse:
        """One call: bridge Twilio's socket to the Realtime API until the call ends."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        transport = TwilioRealtimeTransportLayer(twilio_websocket=AiohttpTwilioSocket(ws))
        async with RealtimeSession(agent, transport=transport) as session:
            session.on("agent_end", log_reply)
            await session.connect(api_key=api_key, url=url)
            await transport.request_response({"instructions": GREETING})
            await transport.wait_stream_end()  # Twilio's "stop", or its socket closed
        return ws

    app = web.Application()
    app.add_routes(
        [web.post("/incoming-call", incoming_call), web.get("/media-stream", media_stream)]
    )
    return app


async def hear_reply(caller: TwilioMediaStreamPeer, before: int = 0) -> float:
    """Wait until a reply played after ``before`` bytes has played to its end on the phone;
    its length in seconds."""

    def played_all() -> bool:  # every mark the server sent came back: nothing left to play
        done = caller.queued_ms == 0 and len(caller.echoed) == len(caller.of("mark"))
        return done and len(caller.played) > before

    await caller.wait_until(played_all, timeout=30)
    return (len(caller.played) - before) / 8000  # µ-law 8 kHz: one byte a sample


async def main() -> None:
    async with (
        realtime_endpoint(RULES) as endpoint,
        serve(make_app(endpoint.api_key, endpoint.url)) as port,
        ClientSession() as http,
        # What Twilio does first: ask the voice webhook what to do with the call.
        http.post(f"http://127.0.0.1:{port}/incoming-call") as answer,
    ):
        twiml = await answer.text()
        print("TwiML:", twiml)
        stream = re.search(r'<Stream url="wss://([^"]+)"', twiml)
        assert stream is not None
        # Twilio dials wss://; locally there is no TLS, so the double dials ws://.
        caller = await TwilioMediaStreamPeer.dial(f"ws://{stream[1]}")
        try:
            print(f"caller heard the greeting: {await hear_reply(caller):.1f} s")
            print("caller: (speaks) When do you open tomorrow?")
            heard = len(caller.played)
            await caller.say(mulaw_tone(800) + mulaw_silence(1000))
            print(f"caller heard the answer: {await hear_reply(caller, heard):.1f} s")
            assert caller.violations == []  # nothing Twilio would have rejected
        finally:
            await caller.hang_up()


if __name__ == "__main__":
    if LIVE:
        serve_live(make_app(live_key()), "A Twilio phone agent (aiohttp).")
    else:
        run(main)
