"""configureSession: output modalities, reasoning, audio formats and transcription.

The ``config`` is merged into what the session sends; the agent still provides instructions,
voice and tools. Here the model answers in text only.

    uv run python examples/configure_session.py [--live]
"""

from __future__ import annotations

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession

agent = RealtimeAgent(
    name="Greeter", instructions="Greet the user with cheer and answer questions."
)

session = RealtimeSession(
    agent,
    transport="websocket",
    model="gpt-realtime",
    config={
        "output_modalities": ["text"],
        "parallel_tool_calls": False,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": "gpt-4o-mini-transcribe", "language": "en"},
                "noise_reduction": {"type": "near_field"},
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}},
        },
    },
)


async def main() -> None:
    async with realtime_endpoint() as endpoint, session:
        await session.connect(**endpoint.connect_kwargs)
        print("sent config keys:", sorted(session.config or {}))
        print("Greeter (text):", await ask(session, "Hi in text, please"))


if __name__ == "__main__":
    run(main)
