"""createSession: a session with the default transport.

Without ``transport=``, the session uses WebRTC when realtime-agents-webrtc is installed,
else the WebSocket transport (and explains what to install when neither is).

    uv run python examples/create_session.py [--live]
"""

from __future__ import annotations

from _support import realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession

agent = RealtimeAgent(name="Assistant", instructions="You are a helpful assistant.")


async def main() -> None:
    async with realtime_endpoint() as endpoint:
        session = RealtimeSession(agent, transport="websocket", model="gpt-realtime")
        await session.connect(**endpoint.connect_kwargs)
        print(f"transport: {type(session.transport).__name__}, status: {session.status.value}")
        await session.close()
        print(f"after close: {session.status.value}")


if __name__ == "__main__":
    run(main)
