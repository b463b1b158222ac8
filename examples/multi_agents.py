"""multiAgents: hand the conversation to a specialist agent.

The Greeter offers a ``transfer_to_math_tutor`` tool; when the model calls it, the session
switches the live connection to the Math Tutor before the model speaks again.

    uv run python examples/multi_agents.py [--live]
"""

from __future__ import annotations

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession

math_tutor = RealtimeAgent(
    name="Math Tutor",
    handoff_description="Specialist agent for math questions",
    instructions="You provide help with math problems. Explain your reasoning at each step.",
)

agent = RealtimeAgent(
    name="Greeter",
    instructions="Greet the user with cheer and answer questions.",
    handoffs=[math_tutor],
)

RULES = {
    "rules": [
        {"when": {"text": "math|equation"}, "then": [{"call": "transfer_to_math_tutor"}]},
        {"when": {"tool": "transfer_to_math_tutor"}, "then": "Math Tutor here: 2x = 6, so x = 3."},
    ]
}


async def main() -> None:
    async with (
        realtime_endpoint(RULES) as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        session.on(
            "agent_handoff",
            lambda e: print(f"handoff: {e.from_agent.name} -> {e.to_agent.name}"),
        )
        await session.connect(**endpoint.connect_kwargs)
        answer = await ask(session, "Can you help with a math equation? 2x = 6")
        print(f"{session.current_agent.name}: {answer}")


if __name__ == "__main__":
    run(main)
