"""sendMessage / addImage: talk to the agent in text, and show it an image.

``add_image(..., trigger_response=False)`` adds the image without asking for an answer; the
next ``send_message`` asks about it.

    uv run python examples/send_message.py [--live]
"""

from __future__ import annotations

import base64

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession

# A 1x1 transparent PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
    )
).decode()

agent = RealtimeAgent(name="Viewer", instructions="Describe what you are shown.")


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        await session.connect(**endpoint.connect_kwargs)
        print("Viewer:", await ask(session, "Hello!"))
        await session.add_image(f"data:image/png;base64,{PIXEL}", trigger_response=False)
        print("Viewer:", await ask(session, "What do you see in the image?"))


if __name__ == "__main__":
    run(main)
