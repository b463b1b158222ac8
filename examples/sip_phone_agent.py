"""sipPhoneAgent: answer phone calls that reach OpenAI through a SIP trunk.

When a call reaches your project's SIP address, OpenAI posts a signed
``realtime.call.incoming`` webhook. This app verifies it with the official client
(``client.webhooks.unwrap``), answers 200 at once, accepts the call with the agent's config
(``accept_call``), attaches a ``RealtimeSession`` to it by ``call_id`` (``OpenAIRealtimeSIP``)
and greets the caller; the call runs until either side hangs up. The fuller server of
``plugins/sip/examples/phone_agent.py`` adds transfers, hang-up tools and a call limit.

    uv run python examples/sip_phone_agent.py            # offline: one call, then exit
    OPENAI_API_KEY=sk-... OPENAI_WEBHOOK_SECRET=whsec_... \\
        uv run python examples/sip_phone_agent.py --live [--port 8080]

Offline, the local emulator's SIP edge plays OpenAI (``sip_port``, and the webhook it signs)
and an in-process SIP phone (``realtime_agents_emulator.sip.phone.Caller``) places the call:
it hears the greeting, speaks one turn (a tone, which the emulator's script hears as "What
time do you close today?": it recognises no speech) and hangs up. With ``--live``, put the
app behind a public https address and register ``https://<that address>/openai/webhook`` for
``realtime.call.incoming`` in your OpenAI project's webhook settings.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from _support import LIVE, live_key, realtime_endpoint, reserved_port, run, serve, serve_live
from aiohttp import web
from openai import AsyncOpenAI, InvalidWebhookSignatureError

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.events import ConnectionStatus
from realtime_agents_emulator import AudioFormat, pcm16_silence, pcm16_tone
from realtime_agents_emulator.sip.phone import Caller
from realtime_agents_sip import OpenAIRealtimeSIP, accept_call

GREETING = "Greet the caller in one short sentence and ask how you can help."
#: The emulator's script (offline only): the greeting, then the caller's question.
RULES: dict[str, Any] = {
    "transcripts": ["What time do you close today?"],
    "rules": [
        {"when": {"text": "close"}, "then": [{"call": "closing_time", "arguments": {}}]},
        {"when": {"tool": "closing_time"}, "then": "We close at {output} today."},
    ],
    "fallback": [{"say": "Hello, Sunny Bakery, how can I help?"}],
}


@tool
def closing_time() -> str:
    """When the bakery closes today."""
    return "6 in the evening"


agent = RealtimeAgent(
    name="Receptionist",
    instructions="You answer the phone for Sunny Bakery. Be warm and brief.",
    tools=[closing_time],
)


class PhoneAgent:
    """The webhook endpoint, and one task per call (all of them cancelled on shutdown)."""

    def __init__(self, client: AsyncOpenAI) -> None:
        self.client = client
        self.calls: dict[str, asyncio.Task[None]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/openai/webhook", self.webhook)
        app.on_cleanup.append(self.hang_up_all)
        return app

    async def webhook(self, request: web.Request) -> web.Response:
        try:  # Standard Webhooks: signature and timestamp, checked in constant time
            event = self.client.webhooks.unwrap(await request.read(), request.headers)
        except (InvalidWebhookSignatureError, ValueError):
            return web.Response(status=400, text="invalid webhook")
        call_id = event.data.call_id if event.type == "realtime.call.incoming" else None
        if call_id is not None and call_id not in self.calls:  # OpenAI retries webhooks
            task = asyncio.get_running_loop().create_task(self.answer(call_id))
            self.calls[call_id] = task
        return web.Response(status=200)  # at once: the call is answered in its own task

    async def answer(self, call_id: str) -> None:
        if await accept_call(self.client, call_id, agent) is None:
            return  # the caller hung up while it rang
        transport = OpenAIRealtimeSIP.from_client(self.client)  # goes where the client goes
        ended = asyncio.Event()

        def on_change(change: Any) -> None:
            if change.status is ConnectionStatus.DISCONNECTED:  # either side hung up
                ended.set()

        transport.on("connection_change", on_change)
        async with RealtimeSession(agent, transport=transport) as session:
            session.on("agent_end", log_reply)
            await session.connect(call_id=call_id)
            await transport.request_response({"instructions": GREETING})
            await ended.wait()  # the call is over

    async def hang_up_all(self, app: web.Application) -> None:
        for task in self.calls.values():
            task.cancel()
        await asyncio.gather(*self.calls.values(), return_exceptions=True)


def log_reply(end: Any) -> None:
    """What the agent said (the transcript of its audio), as a server would log it."""
    if end.output_text:
        print(f"{end.agent.name}: {end.output_text}")


# -- offline: the emulator's SIP edge, and a phone calling it ---------------------------------

PCMU = AudioFormat("audio/pcmu")
QUIET_PACKETS = 15  # 300 ms of silence on the line: the agent has stopped talking


async def hear_reply(phone: Caller, since: int = 0) -> float:
    """Wait until the agent has spoken on the line after packet ``since`` and gone quiet; the
    seconds of voice heard. (The line carries silence between replies.)"""
    async with asyncio.timeout(30):
        while True:
            await asyncio.sleep(0.1)
            voiced = [index for index in phone.ear.voiced() if index >= since]
            if voiced and len(phone.ear.packets) - voiced[-1] > QUIET_PACKETS:
                return len(voiced) * 0.02


async def main() -> None:
    with reserved_port() as sock:
        webhook_url = f"http://127.0.0.1:{sock.getsockname()[1]}/openai/webhook"
        async with realtime_endpoint(RULES, sip_port=0, webhook_url=webhook_url) as endpoint:
            emulator = endpoint.emulator
            client = AsyncOpenAI(  # OPENAI_BASE_URL would do the same
                api_key=endpoint.api_key,
                base_url=emulator.base_url,
                webhook_secret=emulator.webhook_secret,
            )
            server = PhoneAgent(client)
            async with client, serve(server.app(), sock):
                phone = await Caller.dial(emulator.sip.port)
                try:
                    await phone.answered()
                    print(f"call answered ({emulator.sip.uri})")
                    print(f"caller heard the greeting: {await hear_reply(phone):.1f} s of voice")
                    print("caller: (speaks) What time do you close today?")
                    heard = len(phone.ear.packets)
                    await phone.play(PCMU.encode(pcm16_tone(800) + pcm16_silence(1000)))
                    answer = await hear_reply(phone, heard)
                    print(f"caller heard the answer: {answer:.1f} s of voice")
                    await phone.hang_up()
                    await asyncio.wait_for(asyncio.gather(*server.calls.values()), 10)
                finally:
                    phone.close()


def live_client() -> AsyncOpenAI:
    """The client for ``--live``: the key, and the secret the webhooks are signed with."""
    key = live_key()
    secret = os.environ.get("OPENAI_WEBHOOK_SECRET")
    if not secret:
        sys.exit("--live needs OPENAI_WEBHOOK_SECRET (your project's webhook signing secret)")
    return AsyncOpenAI(api_key=key, webhook_secret=secret)


if __name__ == "__main__":
    if LIVE:
        serve_live(PhoneAgent(live_client()).app(), "A phone agent for OpenAI's SIP calls.")
    else:
        run(main)
