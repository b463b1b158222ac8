"""customWebRTCTransport: a WebRTC transport with your own audio in and out.

A session's default transport is WebRTC with the system microphone and speaker. To send your
own audio (a file, a generated stream, another call) and take the reply yourself, give the
session an ``OpenAIRealtimeWebRTC`` built with ``media_stream=`` (any aiortc audio
``MediaStreamTrack``, which stays yours: it is never stopped by the transport) and
``audio_sink=`` (a callable receiving the reply as PCM16 24 kHz mono, or a ``MediaRecorder``).

    uv run python examples/custom_webrtc_transport.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import ask, realtime_endpoint, run
from aiortc.mediastreams import AudioStreamTrack

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents_webrtc import OpenAIRealtimeWebRTC

agent = RealtimeAgent(name="Assistant", instructions="Answer in one short sentence.")


async def main() -> None:
    async with realtime_endpoint() as endpoint:
        emulator = endpoint.emulator
        calls_url = f"{emulator.base_url}/realtime/calls" if emulator is not None else None
        reply = bytearray()
        microphone = AudioStreamTrack()  # silence; MediaPlayer("in.wav").audio plays a file
        transport = OpenAIRealtimeWebRTC(
            base_url=calls_url, media_stream=microphone, audio_sink=reply.extend
        )
        async with RealtimeSession(agent, transport=transport) as session:
            await session.connect(api_key=endpoint.api_key)
            print("call:", transport.call_id)
            played = asyncio.ensure_future(
                transport.wait_for("output_audio_buffer.stopped", timeout=30)
            )
            print("Assistant:", await ask(session, "Hello over WebRTC!"))
            await played  # the reply plays on the call's track, after its transcript
        print(f"reply audio: {len(reply) / 48_000:.1f} s of PCM16 24 kHz")
        microphone.stop()  # ours to stop, not the transport's


if __name__ == "__main__":
    run(main)
