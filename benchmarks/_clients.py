"""Benchmark clients run in their own process by ``websocket_transport.py`` (not by hand).

``python _clients.py KIND MODE --url URL --turns N [--compression deflate]`` prints one JSON
line. KIND is ``floor`` (websockets' asyncio client + json.loads + base64: the least any
Python client must do), ``sansio`` / ``websockets`` (OpenAIRealtimeWebSocket with that
backend, used as a thin client) or ``session`` (RealtimeSession over OpenAIRealtimeWebSocket).

MODE ``idle``: N connected, idle thin clients; the Python heap per connection.
MODE ``cpu``: one warm-up turn, then N turns; for each, the process CPU time from asking for
the response to its ``response.done``, divided by the audio deltas that reached the audio
handler. MODE ``barge``: N turns that the driver interrupts; the driver measures the latency.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from typing import Any

KEY = "sk-bench-0123456789abcdef"
BARGE_CONFIG = {
    "audio": {
        "input": {
            "turn_detection": {
                "type": "server_vad",
                "interrupt_response": False,
                "create_response": False,
            }
        }
    }
}


def message(text: str) -> str:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return json.dumps({"type": "conversation.item.create", "item": item})


async def floor_cpu(url: str, turns: int, compression: str | None, codec: str) -> list[float]:
    from websockets.asyncio.client import connect

    loads, b64decode = json.loads, base64.b64decode
    if codec == "speed":  # the floor with the [speed] extra's libraries, for a like-for-like row
        import msgspec
        import pybase64

        loads, b64decode = msgspec.json.Decoder().decode, pybase64.b64decode

    results = []
    async with connect(
        url,
        additional_headers={"Authorization": f"Bearer {KEY}"},
        max_size=None,
        compression=compression,
    ) as ws:
        await ws.recv()  # session.created
        for turn in range(turns + 1):
            await ws.send(message("warm" if turn == 0 else "go"))
            start = time.process_time()
            await ws.send('{"type":"response.create"}')
            deltas = 0
            while True:
                event = loads(await ws.recv())
                kind = event["type"]
                if kind == "response.output_audio.delta":
                    b64decode(event["delta"])
                    deltas += 1
                elif kind == "response.done":
                    break
            if turn:
                results.append((time.process_time() - start) / deltas * 1e6)
    return results


async def ours_cpu(url: str, turns: int, backend: str, compression: str | None) -> list[float]:
    from realtime_agents_websocket import OpenAIRealtimeWebSocket

    client = OpenAIRealtimeWebSocket(url=url, backend=backend, compression=compression)  # type: ignore[arg-type]
    received = 0

    def on_audio(event: Any) -> None:
        nonlocal received
        received += 1

    client.on("audio", on_audio)
    await client.connect(api_key=KEY)
    results = []
    for turn in range(turns + 1):
        received = 0
        done = asyncio.get_running_loop().create_future()
        client.once("turn_done", done.set_result)
        start = time.process_time()
        await client.send_message("warm" if turn == 0 else "go")
        await asyncio.wait_for(done, 300)
        if turn:
            results.append((time.process_time() - start) / received * 1e6)
    await client.close()
    return results


async def session_cpu(url: str, turns: int, compression: str | None) -> list[float]:
    from realtime_agents import RealtimeAgent, RealtimeSession
    from realtime_agents_websocket import OpenAIRealtimeWebSocket

    transport = OpenAIRealtimeWebSocket(compression=compression)
    session = RealtimeSession(RealtimeAgent(name="bench", instructions=""), transport=transport)
    received = 0

    def on_audio(event: Any) -> None:
        nonlocal received
        received += 1

    session.on("audio", on_audio)
    await session.connect(api_key=KEY, url=url)
    results = []
    for turn in range(turns + 1):
        received = 0
        done = asyncio.Event()
        session.once("agent_end", lambda *args, done=done: done.set())
        start = time.process_time()
        await session.send_message("warm" if turn == 0 else "go")
        await asyncio.wait_for(done.wait(), 300)
        if turn:
            results.append((time.process_time() - start) / received * 1e6)
    await session.close()
    return results


async def floor_barge(url: str, turns: int) -> None:
    """The least a client can do on barge-in: cancel + truncate straight from the read loop."""
    from websockets.asyncio.client import connect

    async with connect(url, additional_headers={"Authorization": f"Bearer {KEY}"}) as ws:
        await ws.recv()
        await ws.send(
            json.dumps({"type": "session.update", "session": {"type": "realtime", **BARGE_CONFIG}})
        )
        for _ in range(turns):
            await ws.send(message("story"))
            await ws.send('{"type":"response.create"}')
            item_id, first = None, 0.0
            while True:
                event = json.loads(await ws.recv())
                kind = event["type"]
                if kind == "response.output_audio.delta" and item_id is None:
                    item_id, first = event["item_id"], time.monotonic()
                elif kind == "input_audio_buffer.speech_started" and item_id:
                    played = int((time.monotonic() - first) * 1000)
                    await ws.send('{"type":"response.cancel"}')
                    truncate = {"type": "conversation.item.truncate", "item_id": item_id}
                    await ws.send(
                        json.dumps({**truncate, "content_index": 0, "audio_end_ms": played})
                    )
                elif kind == "response.done":
                    break


async def ours_barge(url: str, turns: int, backend: str) -> None:
    from realtime_agents_websocket import OpenAIRealtimeWebSocket

    client = OpenAIRealtimeWebSocket(url=url, backend=backend)  # type: ignore[arg-type]
    await client.connect(api_key=KEY, initial_session_config=BARGE_CONFIG)  # type: ignore[arg-type]
    for _ in range(turns):
        done = asyncio.get_running_loop().create_future()
        client.once("turn_done", done.set_result)
        await client.send_message("story")
        await asyncio.wait_for(done, 60)
    await client.close()


async def idle_memory(url: str, count: int, backend: str) -> dict[str, float]:
    """Python heap (tracemalloc) per idle connected transport, after a first one warmed up."""
    import gc
    import tracemalloc

    from realtime_agents_websocket import OpenAIRealtimeWebSocket

    async def one() -> OpenAIRealtimeWebSocket:
        client = OpenAIRealtimeWebSocket(url=url, backend=backend)  # type: ignore[arg-type]
        await client.connect(api_key=KEY)
        return client

    warm = await one()
    await asyncio.sleep(0.2)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    clients = [await one() for _ in range(count)]
    await asyncio.sleep(0.5)  # let every session.updated arrive
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for client in [warm, *clients]:
        await client.close()
    return {"kib_per_session": (after - before) / count / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["floor", "sansio", "websockets", "session"])
    parser.add_argument("mode", choices=["cpu", "barge", "idle"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--compression", choices=["deflate"], default=None)
    parser.add_argument(
        "--codec",
        choices=["auto", "stdlib", "speed"],
        default="auto",
        help="ours: auto (the [speed] extra when installed) or stdlib; the floor: speed uses "
        "msgspec + pybase64 instead of json + base64",
    )
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args()
    if args.codec == "stdlib":
        from realtime_agents.protocol.codec import STDLIB_CODEC, use_codec

        use_codec(STDLIB_CODEC)
    run: Any = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        run = uvloop.run
    if args.mode == "idle":
        result = run(idle_memory(args.url, args.turns, args.kind))
        print(json.dumps(result))
    elif args.mode == "cpu":
        if args.kind == "floor":
            job = floor_cpu(args.url, args.turns, args.compression, args.codec)
        elif args.kind == "session":
            job = session_cpu(args.url, args.turns, args.compression)
        else:
            job = ours_cpu(args.url, args.turns, args.kind, args.compression)
        print(json.dumps({"us_per_delta": run(job)}))
    else:
        if args.kind == "floor":
            run(floor_barge(args.url, args.turns))
        else:
            run(ours_barge(args.url, args.turns, args.kind))
        print(json.dumps({}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
