"""createAgent: define a realtime agent and hear it greet you.

uv run python examples/create_agent.py [--live]
"""

from __future__ import annotations

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession

agent = RealtimeAgent(
    name="Greeter",
    instructions="Greet the user with cheer and answer questions.",
)


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket", model="gpt-realtime") as session,
    ):
        await session.connect(**endpoint.connect_kwargs)
        print("Greeter:", await ask(session, "Hello there!"))


if __name__ == "__main__":
    run(main)
