"""Where the CPU of one audio message goes in the WebSocket transport, stage by stage, no sockets.

    uv run python benchmarks/websocket_pipeline.py [--deltas 20000] [--codec stdlib|auto]

Receiving: feeds the same pre-framed stream of ``response.output_audio.delta`` events (960
bytes of PCM each, as a server sends them) through growing prefixes of the receive path.
Sending: 20 ms chunks through growing prefixes of the send path (websockets frames and masks
them; the bytes go nowhere). Then both whole paths as an application sees them, one message
per event-loop iteration (as under real-time load, where messages do not batch), for a thin
transport and for a ``RealtimeSession``. Prints the best of five runs per stage, in µs per
message; the difference between rows is what a stage costs. ``--codec stdlib`` leaves the
``[speed]`` extra's accelerators out (see ``realtime_agents.protocol.codec``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
import timeit
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from _results import Results, add_json_argument
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from realtime_agents.bus import EventEmitter
from realtime_agents.driver import Channel, ChannelRequest, OnClose, OnFrame
from realtime_agents.events import AudioEvent
from realtime_agents.protocol import OpenAIRealtimeProtocol
from realtime_agents.protocol.codec import STDLIB_CODEC, default_codec, use_codec
from realtime_agents_websocket import OpenAIRealtimeWebSocket

CHUNK = b"\x01\x00" * 480  # 20 ms of PCM16 at 24 kHz
SESSION_CREATED = json.dumps(
    {"type": "session.created", "event_id": "event_0", "session": {"type": "realtime"}}
)


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


class FramingChannel(Channel):
    """Frames and masks what it is given with websockets (as the sans-I/O channel does), then
    drops the bytes; answers the connect with ``session.created``."""

    def __init__(self, on_frame: OnFrame) -> None:
        self.on_frame = on_frame
        self.ws = ClientProtocol(parse_uri("ws://x/"), state=State.OPEN, max_size=None)

    @property
    def is_open(self) -> bool:
        return True

    async def open(self, request: ChannelRequest) -> None:
        self.on_frame(self, SESSION_CREATED)

    def write(self, frames: Sequence[str]) -> None:
        ws = self.ws
        for frame in frames:
            ws.send_text(frame.encode())
        ws.data_to_send()

    @property
    def needs_drain(self) -> bool:
        return False  # as the sans-I/O channel's while its buffer is under the limit

    async def drain(self) -> None:
        pass

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        pass

    def abort(self) -> None:
        pass


class BenchTransport(OpenAIRealtimeWebSocket):
    """The WebSocket transport with its channel replaced by a :class:`FramingChannel`."""

    channel: FramingChannel | None = None

    def create_channel(
        self, request: ChannelRequest, on_frame: OnFrame, on_close: OnClose
    ) -> Channel:
        self.channel = FramingChannel(on_frame)
        return self.channel


async def per_message(count: int, step: Callable[[int], Awaitable[None]]) -> float:
    """µs of CPU per call of ``step``, one call per event-loop iteration (best of 5)."""
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for n in range(count):
            await step(n)
            await asyncio.sleep(0)  # the next message comes in another callback
        best = min(best, time.process_time() - start)
    return best / count * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=20000)
    parser.add_argument("--codec", choices=["auto", "stdlib"], default="auto")
    parser.add_argument("--quick", action="store_true", help="2000 deltas")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.deltas < 1:
        parser.error("--deltas must be at least 1")
    count = 2000 if args.quick else args.deltas
    measured: dict[str, float] = {}
    if args.codec == "stdlib":
        use_codec(STDLIB_CODEC)
    texts = [delta(n) for n in range(count)]
    wire = b"".join(
        Frame(Opcode.TEXT, t.encode()).serialize(mask=False, extensions=[]) for t in texts
    )
    chunks = [wire[i : i + 65536] for i in range(0, len(wire), 65536)]

    def stage(label: str, run: Callable[[], object]) -> None:
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

    sender = OpenAIRealtimeProtocol()
    framer = ClientProtocol(parse_uri("ws://x/"), state=State.OPEN, max_size=None)
    appends = [sender.send_audio(CHUNK) or sender.data_to_send()[0] for _ in range(count)]

    def frame_appends() -> None:
        for text in appends:
            framer.send_text(text.encode())
            framer.data_to_send()

    print(f"codec: {default_codec().name}")
    print(f"| stage ({count} messages, best of 5) | µs per message |")
    print("|---|---:|")
    print("| **receiving** | |")
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
    print("| **sending** | |")
    stage(
        "base64 encode (the floor's work)",
        lambda: [base64.b64encode(CHUNK).decode() for _ in texts],
    )
    stage(
        "protocol.send_audio + data_to_send (base64, the append frame)",
        lambda: [sender.send_audio(CHUNK) or sender.data_to_send() for _ in texts],
    )
    stage("websockets: frame + mask + data_to_send", frame_appends)
    await whole_paths(count, texts, measured)
    results = Results("websocket_pipeline", quick=args.quick)
    floor = "websockets' parser + json.loads + base64 (the floor, without I/O)"
    for label, micros in measured.items():
        compared = label.startswith("whole")
        results.add(
            f"µs per message ({default_codec().name} codec): {label}",
            micros,
            "µs",
            floor=floor if compared else None,
            floor_value=measured[floor] if compared else None,
        )
    results.write(args.json)


async def whole_paths(count: int, texts: list[str], measured: dict[str, float]) -> None:
    """Both directions as an application sees them, one message per loop iteration."""
    from realtime_agents import RealtimeAgent, RealtimeSession

    async def bare(n: int) -> None:
        pass

    thin = BenchTransport()
    thin.on("audio", lambda event: None)
    await thin.connect(api_key="sk-bench-0123456789")
    agent = RealtimeAgent(name="bench")
    inner = BenchTransport()
    session = RealtimeSession(agent, transport=inner)
    session.on("audio", lambda event: None)
    await session.connect(api_key="sk-bench-0123456789")
    assert thin.channel is not None
    assert inner.channel is not None
    thin_frame, session_frame = thin.channel.on_frame, inner.channel.on_frame
    thin_channel, session_channel = thin.channel, inner.channel

    async def thin_receive(n: int) -> None:
        thin_frame(thin_channel, texts[n])

    async def session_receive(n: int) -> None:
        session_frame(session_channel, texts[n])

    async def thin_send(n: int) -> None:
        await thin.send_audio(CHUNK)

    async def session_send(n: int) -> None:
        await session.send_audio(CHUNK)

    loop_cost = await per_message(count, bare)
    print("| **whole paths, one message per loop iteration** (minus the bare iteration) | |")
    print(f"| a bare event-loop iteration (subtracted below) | {loop_cost:.2f} |")
    for label, step in [
        ("receive: transport on_frame → `audio` handler", thin_receive),
        ("receive: RealtimeSession (transport → session → handler)", session_receive),
        ("send: transport.send_audio (protocol, websockets framing)", thin_send),
        ("send: RealtimeSession.send_audio", session_send),
    ]:
        measured[label] = await per_message(count, step) - loop_cost
        print(f"| {label} | {measured[label]:.2f} |")
    await session.close()
    await thin.close()


if __name__ == "__main__":
    asyncio.run(main())
