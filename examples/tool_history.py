"""toolHistory: a tool that reads the conversation so far from its context.

A tool whose first parameter is annotated ``ToolContext`` (or ``RunContextWrapper``) receives
the session's context: the object you passed as ``context=``, usage, and a history snapshot.

    uv run python examples/tool_history.py [--live]
"""

from __future__ import annotations

from dataclasses import dataclass

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession, ToolContext, tool


@dataclass
class Customer:
    name: str


@tool
def summarize_conversation(ctx: ToolContext[Customer]) -> str:
    """Summarise the conversation so far."""
    said = [i for i in ctx.history if getattr(i, "role", None) == "user"]
    return f"{ctx.context.name} has sent {len(said)} message(s) so far."


agent = RealtimeAgent(name="Assistant", instructions="Help.", tools=[summarize_conversation])
RULES = {
    "rules": [
        {"when": {"text": "summar"}, "then": [{"call": "summarize_conversation"}]},
        {"when": {"tool": "summarize_conversation"}, "then": "{output}"},
    ]
}


async def main() -> None:
    async with (
        realtime_endpoint(RULES) as endpoint,
        RealtimeSession(agent, transport="websocket", context=Customer("Ada")) as session,
    ):
        await session.connect(**endpoint.connect_kwargs)
        await ask(session, "Hi!")
        print("Assistant:", await ask(session, "Please summarize our conversation"))


if __name__ == "__main__":
    run(main)
