"""toolApprovalEvent: a human approves (or rejects) a sensitive tool call.

``needs_approval=True`` parks each call and publishes ``tool_approval_requested``; the call
runs after ``session.approve(...)``, or the model is told it was refused after ``reject``.

    uv run python examples/tool_approval_event.py [--live]
"""

from __future__ import annotations

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.session import ToolApprovalRequestedEvent


@tool(needs_approval=True)
def refund(order_id: str, amount: float) -> str:
    """Refund an order."""
    return f"Refunded {amount:.2f} for order {order_id}."


agent = RealtimeAgent(name="Support", instructions="Help with orders.", tools=[refund])

RULES = {
    "rules": [
        {"when": {"text": r"refund order (?P<order>\w+)"},
         "then": [{"call": "refund", "arguments": {"order_id": "{order}", "amount": 19.99}}]},
        {"when": {"tool": "refund"}, "then": "{output}"},
    ]
}  # fmt: skip


async def main() -> None:
    async with (
        realtime_endpoint(RULES) as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):

        async def on_request(event: ToolApprovalRequestedEvent) -> None:
            item = event.approval_item
            print(f"approval requested: {item.tool_name} {item.arguments}")  # type: ignore[union-attr]
            await session.approve(item)  # or: await session.reject(item, message="...")

        session.on("tool_approval_requested", on_request)
        await session.connect(**endpoint.connect_kwargs)
        print("Support:", await ask(session, "Please refund order A42"))


if __name__ == "__main__":
    run(main)
