"""Where the CPU of one audio delta goes in the WebSocket transport, stage by stage, no sockets.

    uv run python benchmarks/websocket_pipeline.py [--deltas 20000]

Feeds the same pre-framed stream of ``response.output_audio.delta`` events (960 bytes of PCM
each, as a server sends them) through growing prefixes of the receive path and prints the best
of five runs per stage, in µs per delta. The difference between rows is what a stage costs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import timeit
from collections.abc import Callable
from typing import Any

from _results import Results, add_json_argument
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from realtime_agents.bus import EventEmitter
from realtime_agents.events import AudioEvent
from realtime_agents.protocol import OpenAIRealtimeProtocol
from realtime_agents_websocket import OpenAIRealtimeWebSocket


def delta(n: int) -> str:
    return json.dumps(
        {
            "type": "response.output_audio.delta",
            "event_id": f"event_{n}",
            "response_id": "resp_1",
            "item_id": "item_1",
            "output_index": 0,
            "content_index": 0,
            "delta": base64.b64encode(os.urandom(960)).decode(),
        }
    )


class NullChannel:
    is_open = True

    def write(self, frames: list[str]) -> None:
        pass


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=20000)
    parser.add_argument("--quick", action="store_true", help="2000 deltas")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.deltas < 1:
        parser.error("--deltas must be at least 1")
    count = 2000 if args.quick else args.deltas
    measured: dict[str, float] = {}
    texts = [delta(n) for n in range(count)]
    wire = b"".join(
        Frame(Opcode.TEXT, t.encode()).serialize(mask=False, extensions=[]) for t in texts
    )
    chunks = [wire[i : i + 65536] for i in range(0, len(wire), 65536)]

    def stage(label: str, run: Callable[[], None]) -> None:
        best = min(timeit.repeat(run, number=1, repeat=5))
        measured[label] = best / count * 1e6
        print(f"| {label} | {measured[label]:.2f} |")

    def websockets_parser(on_text: Callable[[str], Any]) -> Callable[[], None]:
        def run() -> None:
            protocol = ClientProtocol(parse_uri("ws://x/"), state=State.OPEN, max_size=None)
            for chunk in chunks:
                protocol.receive_data(chunk)
                for frame in protocol.events_received():
                    on_text(str(frame.data, "utf-8"))

        return run

    emitter = EventEmitter()
    emitter.on("audio", lambda event: None)
    event = AudioEvent(b"\x00" * 960, "resp_1", "item_1", 0)
    transport = OpenAIRealtimeWebSocket()
    transport.on("audio", lambda event: None)
    channel: Any = NullChannel()
    transport._channel = channel

    def protocol_only() -> None:
        protocol = OpenAIRealtimeProtocol(wants=transport.has_listeners)
        for text in texts:
            protocol.receive_frame(text)
            protocol.events_received()  # drained per frame, as a transport does

    def whole_path() -> None:
        # As a connected transport has it: payloads nobody listens to are never built.
        transport._proto = OpenAIRealtimeProtocol(wants=transport.has_listeners)
        websockets_parser(lambda text: transport._on_frame(channel, text))()

    print(f"| stage ({count} deltas, best of 5) | µs per delta |")
    print("|---|---:|")
    stage("websockets' frame parser + UTF-8 decode", websockets_parser(lambda text: None))
    stage(
        "json.loads + base64 decode (the floor's work)",
        lambda: [base64.b64decode(json.loads(t)["delta"]) for t in texts],
    )
    stage(
        "websockets' parser + json.loads + base64 (the floor, without I/O)",
        websockets_parser(lambda text: base64.b64decode(json.loads(text)["delta"])),
    )
    stage(
        "protocol.receive_frame + events_received (json, base64, AudioEvent, playback)",
        protocol_only,
    )
    stage(
        "bus emit of one AudioEvent to one handler (blinker)",
        lambda: [emitter.emit("audio", event) for _ in texts],
    )
    stage(
        "AudioEvent(...) construction",
        lambda: [AudioEvent(b"", "resp_1", "item_1", 0) for _ in texts],
    )
    stage("whole transport path: websockets' parser → handler", whole_path)
    results = Results("websocket_pipeline", quick=args.quick)
    floor = "websockets' parser + json.loads + base64 (the floor, without I/O)"
    for label, micros in measured.items():
        compared = label.startswith("whole")
        results.add(
            f"µs per delta: {label}",
            micros,
            "µs",
            floor=floor if compared else None,
            floor_value=measured[floor] if compared else None,
        )
    results.write(args.json)


if __name__ == "__main__":
    asyncio.run(main())
