"""sessionInterrupt: stop the agent yourself (a "stop" button).

``session.interrupt()`` cancels the response and truncates the agent's audio at what was
played; the transport publishes ``audio_interrupted`` so playback stops too.

    uv run python examples/session_interrupt.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession

agent = RealtimeAgent(name="Talker", instructions="Talk at length.")
RULES = {
    "rules": [
        {"when": {"text": "story"}, "then": [{"say": "A very long story...", "audio_ms": 5000}]}
    ]
}


async def main() -> None:
    async with (
        realtime_endpoint(RULES, audio_speed=1.0) as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        session.on("audio_interrupted", lambda e: print(f"stopped at {e.audio_end_ms} ms"))
        started = asyncio.ensure_future(session.wait_for("audio_start", timeout=30))
        ended = asyncio.ensure_future(session.wait_for("agent_end", timeout=30))
        await session.connect(**endpoint.connect_kwargs)
        await session.send_message("Tell me a long story")
        await started
        await asyncio.sleep(0.3)
        await session.interrupt()
        end = await ended
        print(f"response {end.response_id} ended early")


if __name__ == "__main__":
    run(main)
