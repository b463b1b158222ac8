"""websocketSession: choose the WebSocket transport, by name or as an instance.

The WebSocket transport suits servers (phone agents, backends): the API key stays on the
server and audio is raw PCM16 you route yourself.

    uv run python examples/websocket_session.py [--live]
"""

from __future__ import annotations

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents_websocket import OpenAIRealtimeWebSocket

agent = RealtimeAgent(
    name="Greeter", instructions="Greet the user with cheer and answer questions."
)


async def main() -> None:
    async with realtime_endpoint() as endpoint:
        by_name = RealtimeSession(agent, transport="websocket", model="gpt-realtime")
        print("by name:", type(by_name.transport).__name__)
        await by_name.close()
        async with RealtimeSession(agent, transport=OpenAIRealtimeWebSocket()) as session:
            await session.connect(**endpoint.connect_kwargs)
            print("Greeter:", await ask(session, "Hello over a WebSocket!"))


if __name__ == "__main__":
    run(main)
