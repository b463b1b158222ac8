"""A phone agent: the webhook server of a SIP trunk pointed at OpenAI's Realtime Calls API.

    OPENAI_API_KEY=sk-... OPENAI_WEBHOOK_SECRET=whsec_... python phone_agent.py --port 8080

For each ``realtime.call.incoming`` webhook it: verifies the signature with the official
client (``client.webhooks.unwrap``: Standard Webhooks, ±300 s, constant-time compare) and
answers 400 if it does not hold; answers 200 at once (OpenAI retries slow webhooks, and a
retried call is recognised by its id); then accepts the call with the agent's config
(:func:`realtime_agents_sip.accept_call`), attaches a ``RealtimeSession`` by ``call_id``,
greets the caller, and lets the agent look orders up, transfer the call (``refer``) or hang
up. The call ends when either side hangs up. Past ``--max-calls`` calls at once, a call is
turned away with 486 Busy Here (``calls.reject``), so the trunk tries another worker.

Calls are independent: run as many copies of this server as you like behind a load balancer;
whichever gets a webhook accepts that call and attaches to it by id. ``OPENAI_BASE_URL``
points it at the local emulator instead of OpenAI (``realtime-agents emulator --sip-port``):
the call's events connection goes wherever the client goes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from openai import AsyncOpenAI, InvalidWebhookSignatureError

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.events import ConnectionStatus
from realtime_agents.run_context import ToolContext
from realtime_agents_sip import OpenAIRealtimeSIP, accept_call

logger = logging.getLogger("phone_agent")

GREETING = "Greet the caller in one short sentence and ask how you can help."
SUPPORT_DESK = "sip:support@example.com"
BUSY_HERE = 486  # the SIP status for "this worker is full": the trunk may try another


@dataclass
class Call:
    """What a call's tools need: the client to control the call, and its id."""

    client: AsyncOpenAI
    call_id: str
    caller: str
    ended: asyncio.Event = field(default_factory=asyncio.Event)


@tool
def lookup_order(order_id: str) -> str:
    """Look up the status of an order.

    Args:
        order_id: The order number the caller gives.
    """
    return f"Order {order_id} shipped yesterday and arrives tomorrow."


@tool
async def transfer_to_support(ctx: ToolContext[Call]) -> str:
    """Transfer the caller to a human at the support desk."""
    call = ctx.context
    await call.client.realtime.calls.refer(call.call_id, target_uri=SUPPORT_DESK)
    return "Transferring you now."


@tool
async def end_call(ctx: ToolContext[Call]) -> str:
    """Hang up, once the caller has said goodbye."""
    call = ctx.context
    await call.client.realtime.calls.hangup(call.call_id)
    return "Goodbye."


def phone_agent() -> RealtimeAgent[Call]:
    return RealtimeAgent(
        name="Phone agent",
        instructions=(
            "You answer the phone for a shop. Be brief. Look orders up when asked; transfer "
            "to support for anything else; end the call when the caller says goodbye."
        ),
        tools=[lookup_order, transfer_to_support, end_call],
    )


OnSession = Callable[[Call, RealtimeSession[Call]], None]


class PhoneServer:
    """The webhook endpoint and the calls it runs (one task per call, all owned here).

    ``max_calls``: calls beyond this many at once are rejected (486 Busy Here; 0 takes none,
    to drain a worker). ``on_session(call, session)`` runs for each call's session before it
    attaches: subscribe there to the events you want (analytics, transcripts, escalation).
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        webhook_secret: str | None = None,
        max_calls: int = 100,
        on_session: OnSession | None = None,
    ) -> None:
        self.client = client
        self.webhook_secret = webhook_secret
        self.max_calls = max_calls
        self.on_session = on_session
        self.agent = phone_agent()
        self.calls: dict[str, asyncio.Task[None]] = {}

    @property
    def active_calls(self) -> int:
        return sum(not task.done() for task in self.calls.values())

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/openai/webhook", self.webhook)
        app.on_cleanup.append(self._stop_calls)
        return app

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = self.client.webhooks.unwrap(body, request.headers, secret=self.webhook_secret)
        except InvalidWebhookSignatureError:
            logger.warning("webhook with a bad signature refused")
            return web.Response(status=400, text="invalid signature")
        except ValueError as exc:  # missing headers, unreadable body
            logger.warning("webhook refused: %s", exc)
            return web.Response(status=400, text="invalid webhook")
        if event.type == "realtime.call.incoming":
            call_id = event.data.call_id
            if call_id not in self.calls:  # OpenAI retries: each call is answered once
                headers = {h.name: h.value for h in event.data.sip_headers}
                caller = headers.get("From", "unknown")
                busy = self.active_calls >= self.max_calls
                work = self.turn_away(call_id) if busy else self.run_call(call_id, caller)
                task = asyncio.get_running_loop().create_task(work, name=f"call {call_id}")
                self.calls[call_id] = task
        return web.Response(status=200)

    async def turn_away(self, call_id: str) -> None:
        try:
            await self.client.realtime.calls.reject(call_id, status_code=BUSY_HERE)
        except Exception:
            logger.exception("call %s could not be rejected", call_id)

    async def run_call(self, call_id: str, caller: str) -> None:
        call = Call(self.client, call_id, caller)
        options: Mapping[str, Any] = {"context": call}
        try:
            if await accept_call(self.client, call_id, self.agent, session_options=options) is None:
                return  # the caller hung up while it rang
            transport = OpenAIRealtimeSIP.from_client(self.client)  # where the client goes

            def on_change(event: Any) -> None:
                if event.status is ConnectionStatus.DISCONNECTED:  # the call is over
                    call.ended.set()

            transport.on("connection_change", on_change)
            async with RealtimeSession(self.agent, transport=transport, **options) as session:
                if self.on_session is not None:
                    self.on_session(call, session)
                await session.connect(call_id=call_id)
                await transport.request_response({"instructions": GREETING})
                await call.ended.wait()
        except Exception:
            logger.exception("call %s failed", call_id)

    async def _stop_calls(self, app: web.Application) -> None:
        for task in self.calls.values():
            task.cancel()
        await asyncio.gather(*self.calls.values(), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="A phone agent for OpenAI's SIP calls.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    parser.add_argument("--max-calls", type=int, default=100, help="calls at once, then 486")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    client = AsyncOpenAI(webhook_secret=os.environ.get("OPENAI_WEBHOOK_SECRET"))
    server = PhoneServer(client, max_calls=args.max_calls)
    web.run_app(server.app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
