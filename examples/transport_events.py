"""transportEvents: reach the Realtime API directly through the session's transport.

``session.transport.on("*", ...)`` sees every raw server event; ``send_event`` sends any raw
client event, here a ``response.create`` asking the model to speak first.

    uv run python examples/transport_events.py [--live]
"""

from __future__ import annotations

import asyncio
from collections import Counter

from _support import realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession, ServerEvent

agent = RealtimeAgent(name="Greeter", instructions="Greet the user first.")
seen: Counter[str] = Counter()


def on_any(event: ServerEvent) -> None:
    seen[event.type] += 1


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        session.transport.on("*", on_any)
        done = asyncio.ensure_future(session.wait_for("agent_end", timeout=30))
        await session.connect(**endpoint.connect_kwargs)
        await session.transport.send_event({"type": "response.create"})
        print("Greeter:", (await done).output_text)
        for name, count in sorted(seen.items()):
            print(f"{count:4} x {name}")


if __name__ == "__main__":
    run(main)
