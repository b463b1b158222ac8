"""turnDetection: semantic VAD that decides when the user has finished speaking.

Sends half a second of "speech" (a tone) and then silence; the server detects the end of the
turn and answers. snake_case and camelCase turn-detection keys are both accepted.

    uv run python examples/turn_detection.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents_emulator import pcm16_silence, pcm16_tone

agent = RealtimeAgent(name="Listener", instructions="Answer briefly.")

config = {
    "audio": {
        "input": {
            "turn_detection": {
                "type": "semantic_vad",
                "eagerness": "high",
                "create_response": True,
                "interrupt_response": True,
            }
        }
    }
}


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket", config=config) as session,
    ):
        answered = asyncio.ensure_future(
            session.wait_for("agent_end", lambda e: bool(e.output_text), timeout=30)
        )
        await session.connect(**endpoint.connect_kwargs)
        for _ in range(25):  # 500 ms of tone in 20 ms chunks, then 1 s of silence
            await session.send_audio(pcm16_tone(20))
        await session.send_audio(pcm16_silence(1000))
        print("Listener:", (await answered).output_text)


if __name__ == "__main__":
    run(main)
