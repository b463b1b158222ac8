"""The openai-agents-python side of the benchmark; runs in ``benchmarks/.venv-agents``.

``python _agents_client.py MODE --url URL --turns N [--compression none|deflate]`` prints one
JSON line, like ``_clients.py``. The user's audio handler is the ``audio`` session event of
``async for event in session``, which is how openai-agents-python delivers audio.
``--compression none`` patches ``websockets.connect`` so that the comparison with our
uncompressed default is like for like; openai-agents-python itself always offers deflate.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import time
from typing import Any

os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")

KEY = "sk-bench-0123456789abcdef"


def settings(barge: bool) -> dict[str, Any]:
    base: dict[str, Any] = {"model_name": "gpt-realtime"}
    if barge:
        base["turn_detection"] = {
            "type": "server_vad",
            "interrupt_response": False,
            "create_response": False,
        }
    return base


async def run(mode: str, url: str, turns: int) -> list[float]:
    from agents.realtime import RealtimeAgent, RealtimeRunner

    runner = RealtimeRunner(RealtimeAgent(name="bench", instructions=""))
    session = await runner.run(
        model_config={
            "url": url,
            "api_key": KEY,
            "initial_model_settings": settings(mode == "barge"),
        }
    )
    results: list[float] = []
    async with session:
        for turn in range(turns + (mode == "cpu")):
            received = 0
            start = time.process_time()
            await session.send_message("go" if turn or mode == "barge" else "warm")
            async for event in session:
                if event.type == "audio":
                    received += 1
                elif event.type == "agent_end":
                    break
            if mode == "cpu" and turn:
                results.append((time.process_time() - start) / received * 1e6)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["cpu", "barge"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--compression", choices=["none", "deflate"], default="deflate")
    args = parser.parse_args()
    if args.compression == "none":
        import websockets

        websockets.connect = functools.partial(websockets.connect, compression=None)  # type: ignore[assignment]
    print(json.dumps({"us_per_delta": asyncio.run(run(args.mode, args.url, args.turns))}))


if __name__ == "__main__":
    main()
