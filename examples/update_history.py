"""updateHistory: edit the conversation on the server.

``update_history`` takes a new list (or a function of the current history) and asks the server
to match it; the local history follows as the server confirms each change.

    uv run python examples/update_history.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession, UserMessageItem

agent = RealtimeAgent(name="Assistant", instructions="Answer briefly.")


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        await session.connect(**endpoint.connect_kwargs)
        await ask(session, "Remember that my name is Ada")
        print("before:", [type(i).__name__ for i in session.history])
        # Forget everything the user said (a function of the current history):
        await session.update_history(
            lambda history: [i for i in history if not isinstance(i, UserMessageItem)]
        )
        await session.wait_for(
            "history_updated",
            lambda e: not any(isinstance(i, UserMessageItem) for i in e.history),
            timeout=10,
        )
        print("after: ", [type(i).__name__ for i in session.history])
        await asyncio.sleep(0)


if __name__ == "__main__":
    run(main)
