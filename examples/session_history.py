"""sessionHistory: read the conversation as the server has it.

``session.history`` is an immutable tuple of items (user and assistant messages, function
calls with their outputs), oldest first, with audio bytes left out unless asked for.

    uv run python examples/session_history.py [--live]
"""

from __future__ import annotations

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession

agent = RealtimeAgent(name="Assistant", instructions="Answer briefly.")


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        await session.connect(**endpoint.connect_kwargs)
        await ask(session, "First question")
        await ask(session, "Second question")
        for item in session.history:
            role = getattr(item, "role", item.type)
            parts = getattr(item, "content", ())
            text = " ".join(
                getattr(p, "text", None) or getattr(p, "transcript", "") or "" for p in parts
            )
            print(f"{role:>9} [{getattr(item, 'status', '')}] {text}")


if __name__ == "__main__":
    run(main)
