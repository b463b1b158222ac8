"""historyUpdated: keep a UI in sync with the conversation.

``history_updated`` carries the whole history after each change; ``history_added`` only the
new item.

    uv run python examples/history_updated.py [--live]
"""

from __future__ import annotations

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.session import HistoryAddedEvent, HistoryUpdatedEvent

agent = RealtimeAgent(name="Assistant", instructions="Answer briefly.")


def render(event: HistoryUpdatedEvent) -> None:
    print(f"history now has {len(event.history)} item(s)")


def added(event: HistoryAddedEvent) -> None:
    print(f"  + {event.item.type} {getattr(event.item, 'role', '')}")


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        session.on("history_updated", render)
        session.on("history_added", added)
        await session.connect(**endpoint.connect_kwargs)
        await ask(session, "Hello!")


if __name__ == "__main__":
    run(main)
