"""thinClient: use a transport on its own, without a session.

No tools, guardrails or history: the transport only manages the connection, audio and
interruption, and publishes the raw events.

    uv run python examples/thin_client.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import realtime_endpoint, run

from realtime_agents import AudioEvent, ConnectOptions, TurnDoneEvent
from realtime_agents_websocket import OpenAIRealtimeWebSocket


async def main() -> None:
    async with realtime_endpoint() as endpoint:
        client = OpenAIRealtimeWebSocket()
        received = bytearray()

        def on_audio(event: AudioEvent) -> None:
            received.extend(event.data)

        client.on("audio", on_audio)
        done = asyncio.ensure_future(client.wait_for("turn_done", timeout=30))
        await client.connect(
            ConnectOptions(
                api_key=endpoint.api_key,
                model="gpt-realtime",
                url=endpoint.url,
                initial_session_config={"instructions": "Be brief.", "voice": "marin"},
            )
        )
        await client.send_message("Hello, thin client here")
        turn: TurnDoneEvent = await done
        tokens = turn.response.usage.total_tokens
        print(f"response {turn.response.id}: {len(received)} bytes of audio, {tokens} tokens")
        await client.close()


if __name__ == "__main__":
    run(main)
