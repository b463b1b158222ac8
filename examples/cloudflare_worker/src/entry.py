"""A Cloudflare Python Worker that answers each request with a Realtime session.

POST a question; the Worker opens a session (with one tool), sends the question, waits for
the agent's reply and returns its text. The whole session lives inside the request: workerd
refuses I/O on a socket opened by another request, so a session is never kept in a global.

Secrets and variables (``wrangler secret put OPENAI_API_KEY``; ``OPENAI_REALTIME_URL`` is
optional, e.g. a gateway, or a local emulator while developing).
"""

from __future__ import annotations

from typing import Any

from workers import Response, WorkerEntrypoint

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.tools import FunctionTool
from realtime_agents_cloudflare import CloudflareRealtimeTransportLayer


async def look_up_order(ctx: Any, arguments: dict[str, Any]) -> str:
    return f"order {arguments['order_id']} shipped yesterday"


# An explicit JSON schema: building a tool from annotations (realtime_agents.tool) needs
# pydantic, which a Worker has only if you add it to its dependencies.
ORDERS = FunctionTool(
    name="lookup",
    description="Look an order up by its id.",
    params_json_schema={
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
        "additionalProperties": False,
    },
    on_invoke=look_up_order,
)

AGENT = RealtimeAgent(name="Shop", instructions="Answer briefly; look orders up.", tools=[ORDERS])


class Default(WorkerEntrypoint):
    async def fetch(self, request: Any) -> Response:
        question = await request.text() or "Hello"
        transport = CloudflareRealtimeTransportLayer(
            api_key=self.env.OPENAI_API_KEY,
            url=getattr(self.env, "OPENAI_REALTIME_URL", None),
        )
        session = RealtimeSession(AGENT, transport=transport)
        async with session:  # closed before the response leaves: nothing outlives the request
            await session.connect()
            # The first reply may be a tool call (no text); the answer comes after its output.
            reply = session.wait_for("agent_end", lambda end: bool(end.output_text), timeout=30)
            await session.send_message(question)
            answer = (await reply).output_text
        return Response(answer)
