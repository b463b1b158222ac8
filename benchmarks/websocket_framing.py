"""WebSocket framing libraries side by side: websockets (today), aiohttp's C reader, picows.

    uv run python benchmarks/websocket_framing.py [--sessions 300] [--seconds 5] [--only stage|path]

Is the pure-Python framing of websockets (≈ 3 µs to parse a received frame, ≈ 2.5 µs to
frame and mask a sent one, per the client hot-path stage table) worth replacing with a compiled
one? Two measurements, every library in the same run:

* **stage** (no sockets): parse one received 20 ms ``response.output_audio.delta`` frame (server
  to client: unmasked, ≈ 1.4 KB of JSON text) into a ``str``; frame and mask one 20 ms
  ``input_audio_buffer.append`` (≈ 1.3 KB) into bytes. websockets' ``ClientProtocol`` as the
  sans-I/O channel drives it; aiohttp's ``WebSocketReader`` (Cython, ``reader_c``) and
  ``WebSocketWriter`` (Python, C mask); picows' ``WSTransport.send`` (Cython). picows parses
  only inside its own ``BufferedProtocol`` (no sans-I/O parser), so its receive side is in the
  path measurement only. Best of five runs of 20 000, µs per frame.
* **path** (real sockets): N connections to the paced peer (``_paced_peer.py``: a 20 ms delta
  per connection on its own phase), each answering every delta with one masked append frame —
  20 ms audio both ways, framing only (no JSON, no base64: those cost the same whatever frames
  them). Each client runs in its own process pinned to CPU 1 (the peer on CPU 0), on uvloop
  when installed, one after the other: ``websockets`` is the project's sans-I/O channel itself;
  ``picows`` its ``ws_connect`` with a listener (frames handled in the protocol callback, as the
  sans-I/O channel does); ``aiohttp`` its public client (a reader task per connection — its
  reader and writer are private, ``aiohttp._websocket``). **µs/message** = client CPU
  (``time.process_time``) over a window / (deltas read + frames sent).

Then, for each client library that frames in this process, whether two fresh processes send
the same first masking keys: RFC 6455 §5.3 wants them unpredictable (a strong entropy source).

Libraries not installed are left out with one line on stderr (picows is not a dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from _paced_peer import serve_paced
from _results import Results, add_json_argument
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

CHUNK = b"\x01\x00" * 480  # 20 ms of PCM16 at 24 kHz
DELTA_TEXT = json.dumps(
    {
        "type": "response.output_audio.delta",
        "event_id": "event_123",
        "response_id": "resp_1",
        "item_id": "item_1",
        "output_index": 0,
        "content_index": 0,
        "delta": base64.b64encode(CHUNK).decode(),
    }
)
DELTA_FRAME = Frame(Opcode.TEXT, DELTA_TEXT.encode()).serialize(mask=False, extensions=[])
APPEND = json.dumps(
    {"type": "input_audio_buffer.append", "audio": base64.b64encode(CHUNK).decode()}
).encode()
CREATE = json.dumps({"type": "response.create"})


def best_us(run: Callable[[int], None], n: int, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run(n)
        best = min(best, time.perf_counter() - start)
    return best / n * 1e6


# -- stage: one frame parsed, one frame built --------------------------------------------


def websockets_stages() -> dict[str, Callable[[int], None]]:
    ws = ClientProtocol(parse_uri("ws://x/"), state=State.OPEN, max_size=None)

    def receive(n: int) -> None:
        for _ in range(n):
            ws.receive_data(DELTA_FRAME)
            for event in ws.events_received():
                str(event.data, "utf-8")

    def send(n: int) -> None:
        for _ in range(n):
            ws.send_text(APPEND)
            ws.data_to_send()

    return {"receive": receive, "send": send}


class _NullTransport:
    """Takes writes and drops them. It reports a non-empty write buffer so that picows hands
    its frame to ``write`` rather than ``send(2)`` on the socket (which this one never is)."""

    def __init__(self) -> None:
        self.socket = socket.socket()

    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 1

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.socket if name == "socket" else default


class _ProtocolStub:
    _paused = False
    _reading_paused = False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _drive(coro: Any) -> Any:
    """Run a coroutine that does not suspend (aiohttp's paths below never wait)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the coroutine suspended")


def aiohttp_stages(loop: asyncio.AbstractEventLoop) -> dict[str, Callable[[int], None]]:
    from aiohttp import WSMsgType
    from aiohttp._websocket.reader import WebSocketDataQueue, WebSocketReader
    from aiohttp._websocket.writer import WebSocketWriter

    queue = WebSocketDataQueue(_ProtocolStub(), 2**20, loop=loop)  # type: ignore[arg-type]
    reader = WebSocketReader(queue, 2**25, compress=False, decode_text=True)
    writer = WebSocketWriter(_ProtocolStub(), _NullTransport(), use_mask=True)  # type: ignore[arg-type]

    def receive(n: int) -> None:
        for _ in range(n):
            reader.feed_data(DELTA_FRAME)
            _drive(queue.read())

    def send(n: int) -> None:
        for _ in range(n):
            _drive(writer.send_frame(APPEND, WSMsgType.TEXT))

    return {"receive": receive, "send": send}


def picows_stages(loop: asyncio.AbstractEventLoop) -> dict[str, Callable[[int], None]]:
    import picows

    transport = picows.WSTransport(True, _NullTransport(), logging.getLogger("bench"), loop)

    def send(n: int) -> None:
        for _ in range(n):
            transport.send(picows.WSMsgType.TEXT, APPEND)

    return {"send": send}


_FIRST_KEYS = """
import asyncio, logging, sys
sys.path[:0] = {path!r}
from websocket_framing import first_masking_keys
print(asyncio.run(first_masking_keys("{library}")))
"""


async def first_masking_keys(library: str) -> str:
    """The masking keys of a fresh process's first three client frames, in hex."""
    sink = _Recording()
    if library == "picows":
        import picows

        loop = asyncio.get_running_loop()
        transport = picows.WSTransport(True, sink, logging.getLogger("bench"), loop)
        for _ in range(3):
            transport.send(picows.WSMsgType.TEXT, b"key")
    else:
        ws = ClientProtocol(parse_uri("ws://x/"), state=State.OPEN)
        for _ in range(3):
            ws.send_text(b"key")
            sink.write(b"".join(ws.data_to_send()))
    return " ".join(frame[2:6].hex() for frame in sink.frames)


class _Recording(_NullTransport):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []

    def write(self, data: Any) -> None:
        self.frames.append(bytes(data))


def masking_keys_repeat(library: str) -> bool:
    """Whether two fresh processes send the same masking keys (RFC 6455 §5.3: they must be
    unpredictable, drawn from a strong source of entropy)."""
    code = _FIRST_KEYS.format(path=sys.path, library=library)
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        for _ in range(2)
    ]
    return runs[0] == runs[1]


async def run_stages(n: int, results: Results) -> None:
    loop = asyncio.get_running_loop()
    rows: dict[str, dict[str, float]] = {}
    libraries: list[tuple[str, Callable[[], dict[str, Callable[[int], None]]]]] = [
        ("websockets (ClientProtocol, today)", websockets_stages),
        ("aiohttp (reader_c / writer)", lambda: aiohttp_stages(loop)),
        ("picows (WSTransport)", lambda: picows_stages(loop)),
    ]
    for name, make in libraries:
        try:
            stages = make()
        except ImportError as error:
            print(f"left out {name}: {error}", file=sys.stderr)
            continue
        rows[name] = {stage: best_us(run, n) for stage, run in stages.items()}
    print(f"\nstage, µs per frame (best of 5 x {n}; a 1.4 KB delta in, a 1.3 KB append out)")
    print(f"{'library':<38}{'parse received':>16}{'frame+mask sent':>17}")
    base = rows.get("websockets (ClientProtocol, today)", {})
    for name, row in rows.items():
        for stage, micros in row.items():
            results.add(
                f"µs per frame, {stage}: {name}",
                micros,
                "µs",
                floor=f"websockets, {stage}",
                floor_value=base.get(stage),
            )
    for name, row in rows.items():
        receive = row.get("receive")
        send = row.get("send")
        print(
            f"{name:<38}{(f'{receive:.2f}' if receive else '(path only)'):>16}"
            f"{(f'{send:.2f}' if send else '-'):>17}"
        )

    print("masking keys: the same in two fresh processes (predictable)?")
    for library in ("websockets", "picows"):
        if library == "picows" and "picows (WSTransport)" not in rows:
            continue
        repeat = masking_keys_repeat(library)
        print(f"  {library}: {'YES (predictable)' if repeat else 'no'}")
        results.add(f"masking keys repeat across processes: {library}", float(repeat), "bool")


# -- path: N connections, 20 ms both ways over real sockets --------------------------------


class Counter:
    def __init__(self) -> None:
        self.received = 0
        self.sent = 0


async def websockets_clients(url: str, n: int, counter: Counter) -> list[Any]:
    from realtime_agents.driver import ChannelRequest
    from realtime_agents_websocket._channel import ChannelSettings
    from realtime_agents_websocket._sansio import SansIOChannel

    append = APPEND.decode()

    def on_frame(channel: Any, text: str | bytes) -> None:
        counter.received += 1
        if isinstance(text, str) and text.startswith('{"type": "response.output_audio.delta"'):
            channel.write([append])
            counter.sent += 1

    channels = []
    for _ in range(n):
        channel = SansIOChannel(ChannelSettings(), on_frame, lambda channel, info: None)
        await channel.open(ChannelRequest(url=url))
        channel.write([CREATE])
        channels.append(channel)
    return channels


async def picows_clients(url: str, n: int, counter: Counter) -> list[Any]:
    import picows

    text = picows.WSMsgType.TEXT

    class Listener(picows.WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
            if frame.msg_type is text:
                counter.received += 1
                if frame.get_payload_as_utf8_text().startswith(
                    '{"type": "response.output_audio.delta"'
                ):
                    transport.send(text, APPEND)
                    counter.sent += 1

    transports = []
    for _ in range(n):
        transport, _listener = await picows.ws_connect(Listener, url)
        transport.send(text, CREATE.encode())
        transports.append(transport)
    return transports


async def aiohttp_clients(url: str, n: int, counter: Counter) -> list[Any]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))  # no 100 cap
    append = APPEND.decode()

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                counter.received += 1
                if message.data.startswith('{"type": "response.output_audio.delta"'):
                    await ws.send_str(append)
                    counter.sent += 1

    owned: list[Any] = [session]
    for _ in range(n):
        ws = await session.ws_connect(url, autoping=True, heartbeat=None)
        await ws.send_str(CREATE)
        owned.append(asyncio.create_task(read(ws)))
    return owned


CLIENTS = {"websockets": websockets_clients, "picows": picows_clients, "aiohttp": aiohttp_clients}


def client_process(
    name: str, url: str, n: int, warmup: float, seconds: float, out: Connection
) -> None:
    os.sched_setaffinity(0, {1 % (os.cpu_count() or 1)})

    async def main() -> None:
        counter = Counter()
        owned = await CLIENTS[name](url, n, counter)
        await asyncio.sleep(warmup)
        received, sent, cpu = counter.received, counter.sent, time.process_time()
        start = time.monotonic()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu
        wall = time.monotonic() - start
        messages = counter.received - received + counter.sent - sent
        out.send((cpu, wall, messages, counter.received - received))
        for thing in owned:
            if isinstance(thing, asyncio.Task):
                thing.cancel()
        await asyncio.gather(
            *(t for t in owned if isinstance(t, asyncio.Task)), return_exceptions=True
        )
        for thing in owned:
            if hasattr(thing, "close") and asyncio.iscoroutinefunction(thing.close):
                await thing.close()  # aiohttp's session

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def run_paths(clients: list[str], n: int, warmup: float, seconds: float, results: Results) -> None:
    context = multiprocessing.get_context("spawn")
    peer_end, child_end = context.Pipe()
    peer = context.Process(target=serve_paced, args=(child_end, 20, 0), daemon=True)
    peer.start()
    url = peer_end.recv()
    print(f"\npath: {n} connections, 20 ms audio both ways, framing only, client on CPU 1")
    print(
        f"{'client':<12}{'µs/message':>12}{'vs websockets':>15}{'client CPU':>12}{'deltas/s':>10}"
    )
    base: float | None = None
    for name in clients:
        if name != "websockets":
            try:
                __import__(name)
            except ImportError as error:
                print(f"left out {name}: {error}", file=sys.stderr)
                continue
        mine, theirs = context.Pipe()
        process = context.Process(
            target=client_process, args=(name, url, n, warmup, seconds, theirs)
        )
        process.start()
        if not mine.poll(warmup + seconds + 120):
            process.kill()
            print(f"{name:<12} did not report (stuck connecting?)", file=sys.stderr)
            continue
        cpu, wall, messages, deltas = mine.recv()
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
        per = cpu / max(messages, 1) * 1e6
        base = base or per
        results.add(
            f"µs per message, {n} connections at 20 ms both ways: {name}",
            per,
            "µs",
            floor="websockets (the sans-I/O channel)",
            floor_value=base,
        )
        print(
            f"{name:<12}{per:>12.2f}{per / base:>14.2f}x{cpu / wall:>11.0%}{deltas / wall:>10.0f}"
        )
    peer_end.send("stop")
    peer.join(timeout=10)
    if peer.is_alive():
        peer.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1, help="path rounds, clients alternating")
    parser.add_argument("--only", choices=["stage", "path"])
    parser.add_argument("--quick", action="store_true", help="2000 frames, 100 connections, 2 s")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.quick:
        args.frames, args.sessions, args.seconds, args.warmup = 2000, 100, 2.0, 1.0
    if args.sessions < 1 or args.seconds <= 0 or args.frames < 1:
        parser.error("--sessions, --seconds and --frames must be positive")
    results = Results("websocket_framing", quick=args.quick)
    if args.only != "path":
        asyncio.run(run_stages(args.frames, results))
    if args.only != "stage":
        for _ in range(args.rounds):
            run_paths(list(CLIENTS), args.sessions, args.warmup, args.seconds, results)
    results.write(args.json)


if __name__ == "__main__":
    main()
