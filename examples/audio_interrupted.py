"""audioInterrupted: stop local playback when the user barges in.

When the server hears the user start speaking over the agent, the transport truncates the
agent's item at what was played and publishes ``audio_interrupted``: drop any audio still
buffered for the speaker.

    uv run python examples/audio_interrupted.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.events import AudioInterruptedEvent
from realtime_agents_emulator import pcm16_silence, pcm16_tone

agent = RealtimeAgent(name="Talker", instructions="Talk at length.")
RULES = {
    "rules": [
        {"when": {"text": "story"}, "then": [{"say": "A very long story...", "audio_ms": 5000}]}
    ]
}
speaker_buffer = bytearray()


def stop_playback(event: AudioInterruptedEvent) -> None:
    print(f"audio_interrupted: item {event.item_id} truncated at {event.audio_end_ms} ms")
    speaker_buffer.clear()


async def main() -> None:
    async with (
        realtime_endpoint(RULES, audio_speed=1.0) as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        session.on("audio", lambda event: speaker_buffer.extend(event.data))
        session.on("audio_interrupted", stop_playback)
        interrupted = asyncio.ensure_future(session.wait_for("audio_interrupted", timeout=30))
        started = asyncio.ensure_future(session.wait_for("audio_start", timeout=30))
        await session.connect(**endpoint.connect_kwargs)
        await session.send_message("Tell me a story")
        await started
        await asyncio.sleep(0.3)  # let the agent talk a little
        await session.send_audio(pcm16_tone(300))  # the user barges in
        await session.send_audio(pcm16_silence(600))
        await interrupted


if __name__ == "__main__":
    run(main)
