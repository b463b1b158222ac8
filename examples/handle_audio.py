"""handleAudio: raw PCM16 in and out over the WebSocket transport.

``audio`` events carry the agent's voice as 24 kHz mono PCM16 bytes: hand them to any playback
library. ``send_audio`` takes the user's microphone audio in the same format.

    uv run python examples/handle_audio.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import realtime_endpoint, run

from realtime_agents import AudioEvent, RealtimeAgent, RealtimeSession
from realtime_agents_emulator import pcm16_silence, pcm16_tone

agent = RealtimeAgent(name="Voice", instructions="Answer briefly.")
played = bytearray()


def play(event: AudioEvent) -> None:
    played.extend(event.data)  # a real app writes this to its speaker


async def main() -> None:
    async with (
        realtime_endpoint() as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        session.on("audio", play)
        done = asyncio.ensure_future(session.wait_for("audio_stopped", timeout=30))
        await session.connect(**endpoint.connect_kwargs)
        await session.send_audio(pcm16_tone(600))  # the user speaks...
        await session.send_audio(pcm16_silence(1000))  # ...and stops
        await done
        print(f"received {len(played)} bytes = {len(played) / 48:.0f} ms of 24 kHz PCM16")


if __name__ == "__main__":
    run(main)
