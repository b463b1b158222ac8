"""Bare WebSocket servers side by side: CPU per message of the edge the emulator could stand on.

    uv run python benchmarks/server_floor.py                    # N = 100, 300; 6 s windows
    uv run python benchmarks/server_floor.py --rounds 2 --pin   # alternating, server on CPU 0
    uv run python benchmarks/server_floor.py --quick            # N = 20, 2 s: a smoke run

Every server does only what the emulator's transport must: accept N connections, read every
client frame (a 20 ms ``input_audio_buffer.append``), and send every connection the same
≈ 1.3 KB ``response.output_audio.delta`` text frame every 20 ms on its own grid (one pacing task
per connection, ``asyncio.sleep`` to the next slot, as ``emulator_capacity.py --floor`` does).
The servers differ only in the WebSocket library under that loop:

* ``aiohttp``: ``web.WebSocketResponse`` (the emulator's edge today), heartbeat 20 s and off;
* ``websockets``: the asyncio server (``websockets.asyncio.server.serve``), its defaults
  (keepalive ping every 20 s);
* ``sans-I/O``: websockets' ``ServerProtocol`` driven by a bare ``asyncio.Protocol``, frames
  parsed in ``data_received`` and written straight to the transport (the server twin of the
  client's ``SansIOChannel``); no keepalive; and once more with each connection's deltas paced
  by a self-rescheduling ``loop.call_at`` handle instead of a task (what pacing costs);

each under asyncio and uvloop. The clients are ``emulator_capacity.py``'s bare ``websockets``
clients over ``--clients`` processes (imported, so both benchmarks load a server the same way).
After a 1 s warm-up, for ``--seconds``: the server's process CPU time and the messages it
handled (appends the clients sent + deltas they received); **µs per message** = CPU / messages,
**ratio** = that over aiohttp (heartbeat on) under the same loop, N and round. Servers run one
after the other, so compare rows of one run (``--rounds`` alternates them again).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import resource
from collections.abc import Callable, Coroutine
from typing import Any

from _results import Results, add_json_argument, machine_line
from emulator_capacity import PERIOD, drive

PATH = "/v1/realtime"
SERVERS = ("aiohttp", "aiohttp-nohb", "websockets", "sansio", "sansio-timer")
LABELS = {
    "aiohttp": "aiohttp WebSocketResponse, heartbeat 20 s",
    "aiohttp-nohb": "aiohttp WebSocketResponse, no heartbeat",
    "websockets": "websockets asyncio server (ping 20 s)",
    "sansio": "websockets ServerProtocol + asyncio.Protocol",
    "sansio-timer": "websockets ServerProtocol + asyncio.Protocol, timer-paced (no task)",
}
LOOPS = ("asyncio", "uvloop")
BASE = "aiohttp"


def delta_frame() -> str:
    """The constant delta every server sends: the shape and size of the emulator's 20 ms one."""
    return json.dumps(
        {
            "type": "response.output_audio.delta",
            "event_id": "event_" + "x" * 21,
            "response_id": "resp_" + "x" * 21,
            "item_id": "item_" + "x" * 21,
            "output_index": 0,
            "content_index": 0,
            "delta": base64.b64encode(bytes(48 * round(PERIOD * 1000))).decode(),
        }
    )


async def pace(send: Callable[[], Coroutine[Any, Any, None] | None]) -> None:
    """Call ``send`` every 20 ms on a fixed grid from now (the same loop in every server)."""
    loop = asyncio.get_running_loop()
    start, number = loop.time(), 0
    while True:
        sent = send()
        if sent is not None:
            await sent
        number += 1
        await asyncio.sleep(max(0.0, start + number * PERIOD - loop.time()))


# -- the servers: each returns its port and an async close -------------------------------------

Stop = Callable[[], Coroutine[Any, Any, None]]


async def start_aiohttp(heartbeat: float | None) -> tuple[int, Stop]:
    from aiohttp import web

    delta = delta_frame()

    async def realtime(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("realtime",), heartbeat=heartbeat)
        await ws.prepare(request)
        pacing = asyncio.create_task(pace(lambda: ws.send_str(delta)))
        try:
            async for _ in ws:
                pass
        finally:
            pacing.cancel()
        return ws

    app = web.Application()
    app.router.add_get(PATH, realtime)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner.addresses[0][1], runner.cleanup


async def start_websockets() -> tuple[int, Stop]:
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    delta = delta_frame()

    async def realtime(ws: ServerConnection) -> None:
        pacing = asyncio.create_task(pace(lambda: ws.send(delta)))
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass  # the clients leave without a closing handshake (1011): not an error here
        finally:
            pacing.cancel()

    server = await serve(
        realtime,
        "127.0.0.1",
        0,
        compression=None,
        max_size=None,
    )
    port = server.sockets[0].getsockname()[1]

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return port, stop


class SansIOServer(asyncio.Protocol):
    """One connection: websockets' ``ServerProtocol`` parses and frames, this object does I/O.

    The handshake is answered in the callback that read it; every frame is parsed in
    ``data_received`` and dropped (the floor reads, it does not interpret); websockets answers
    pings and the closing handshake itself, and what it has to send is written at once.
    ``timers``: deltas paced by a timer handle rescheduling itself instead of a task, to show
    what the pacing task (one step and one sleep future per delta) costs next to the framing."""

    def __init__(self, delta: bytes, live: set[SansIOServer], timers: bool) -> None:
        from websockets.protocol import State
        from websockets.server import ServerProtocol

        # No subprotocols: with a list, websockets refuses a client that offers none (aiohttp
        # picks one only if offered); these clients offer none, as the emulator's may.
        self._ws = ServerProtocol(max_size=None)
        self._open = State.OPEN
        self._delta = delta
        self._live = live
        self._timers = timers
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._pacing: asyncio.Task[None] | asyncio.TimerHandle | None = None
        self._start = 0.0
        self._number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        self._live.add(self)

    def data_received(self, data: bytes) -> None:
        from websockets.http11 import Request

        ws = self._ws
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Request):
                if event.path.split("?", 1)[0] == PATH:
                    response = ws.accept(event)
                else:
                    response = ws.reject(404, "no such path\n")
                ws.send_response(response)
                if response.status_code == 101:
                    if self._timers:
                        self._start = self._loop.time()
                        self._tick()
                    else:
                        self._pacing = asyncio.create_task(pace(self._send))
        self._flush()
        if ws.close_expected() and self._transport is not None:
            self._transport.close()

    def _tick(self) -> None:
        self._send()
        if self._ws.state is not self._open:
            return
        self._number += 1
        self._pacing = self._loop.call_at(self._start + self._number * PERIOD, self._tick)

    def _send(self) -> None:
        if self._ws.state is not self._open:  # the client is closing: pace no more
            if self._pacing is not None:
                self._pacing.cancel()
            return
        self._ws.send_text(self._delta)
        self._flush()

    def _flush(self) -> None:
        chunks = self._ws.data_to_send()
        if chunks and self._transport is not None:
            self._transport.writelines(chunks)

    def eof_received(self) -> bool | None:
        self._ws.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._live.discard(self)
        if self._pacing is not None:
            self._pacing.cancel()

    def abort(self) -> None:
        if self._pacing is not None:
            self._pacing.cancel()
        if self._transport is not None:
            self._transport.abort()


async def start_sansio(timers: bool) -> tuple[int, Stop]:
    loop = asyncio.get_running_loop()
    delta = delta_frame().encode()
    live: set[SansIOServer] = set()
    server = await loop.create_server(lambda: SansIOServer(delta, live, timers), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def stop() -> None:
        server.close()
        for protocol in list(live):
            protocol.abort()
        await asyncio.sleep(0)  # connection_lost runs; cancelled pacing tasks finish

    return port, stop


async def start(kind: str) -> tuple[int, Stop]:
    if kind == "aiohttp":
        return await start_aiohttp(20.0)
    if kind == "aiohttp-nohb":
        return await start_aiohttp(None)
    if kind == "websockets":
        return await start_websockets()
    return await start_sansio(timers=kind == "sansio-timer")


def serve(conn: Any, kind: str, loop_name: str, cpu: int | None) -> None:
    """Child process: one server on one loop until the parent says "stop"."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    async def main() -> None:
        port, stop = await start(kind)
        conn.send(f"ws://127.0.0.1:{port}{PATH}?model=gpt-realtime")
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, conn.recv) != "stop":
            pass
        await stop()
        conn.send("stopped")

    if loop_name == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
    else:
        asyncio.run(main())


# -- one measurement -----------------------------------------------------------------------------


def measure(
    kind: str, loop_name: str, n: int, seconds: float, clients: int, pin: bool
) -> dict[str, Any]:
    """One server with N sessions; ``pin``: the server on the first CPU, clients on the rest."""
    ctx = multiprocessing.get_context("spawn")
    control, theirs = ctx.Pipe()
    cpus = sorted(os.sched_getaffinity(0)) if pin else []
    server = ctx.Process(
        target=serve, args=(theirs, kind, loop_name, cpus[0] if cpus else None), daemon=True
    )
    load = drive(server, control, f"the {kind} server", n, seconds, clients, cpus)
    return {"server": kind, "loop": loop_name, "n": n, **load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,300", help="comma-separated session counts")
    parser.add_argument("--seconds", type=float, default=6.0, help="measurement window")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--rounds", type=int, default=1, help="run every server this many times")
    parser.add_argument(
        "--servers", default=",".join(SERVERS), help=f"comma-separated, of {', '.join(SERVERS)}"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the server to the first CPU and the clients to the others",
    )
    parser.add_argument("--quick", action="store_true", help="N=20 for 2 s (a smoke run)")
    add_json_argument(parser)
    args = parser.parse_args()
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes: not a comma-separated list of integers: {args.sizes!r}")
    kinds = args.servers.split(",")
    unknown = [kind for kind in kinds if kind not in SERVERS]
    if unknown:
        parser.error(f"--servers: unknown {', '.join(unknown)}; known: {', '.join(SERVERS)}")
    if BASE not in kinds:
        kinds.insert(0, BASE)  # every ratio is to it
    if min(sizes) < 1 or args.clients < 1 or args.rounds < 1 or args.seconds <= 0:
        parser.error("--sizes, --clients, --rounds and --seconds must be positive")
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        parser.error("--pin needs at least 2 CPUs")
    if args.quick:
        sizes, args.seconds = [20], 2.0
    try:
        import uvloop  # noqa: F401
    except ImportError:
        loops: tuple[str, ...] = ("asyncio",)
        print("uvloop is not installed: asyncio only")
    else:
        loops = LOOPS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(sizes) * 2 + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    results = []
    for n in sizes:
        for round_ in range(1, args.rounds + 1):
            for loop_name in loops:
                for kind in kinds:
                    result = measure(kind, loop_name, n, args.seconds, args.clients, args.pin)
                    result["round"] = round_
                    results.append(result)
    add_ratios(results)
    report(results, args.quick).write(args.json)
    pinned = ["server pinned to one CPU, clients to the others"] if args.pin else []
    print(machine_line(f"{args.clients} client processes", *pinned))
    print(f"{args.seconds:g} s window after 1 s warm-up; 20 ms frames both ways")
    print("| server | loop | N | round | server CPU (cores) | µs per message | ratio | delivered |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {LABELS[r['server']]} | {r['loop']} | {r['n']} | {r['round']} "
            f"| {r['cpu_cores']:.2f} | {r['us_per_message']:.1f} | {r['ratio']:.2f}× "
            f"| {r['delivered']:.3f} |"
        )
    for r in results:
        for error in r["errors"][:2]:
            print(f"error ({r['server']}, {r['loop']}, N {r['n']}): {error}")


def add_ratios(results: list[dict[str, Any]]) -> None:
    """Each row over aiohttp (heartbeat on) of the same loop, N and round."""
    base = {(r["loop"], r["n"], r["round"]): r for r in results if r["server"] == BASE}
    for r in results:
        floor = base[r["loop"], r["n"], r["round"]]
        r["floor"] = floor
        r["ratio"] = r["us_per_message"] / floor["us_per_message"]


def report(results: list[dict[str, Any]], quick: bool) -> Results:
    """Server µs per message for each server, next to aiohttp's of the same loop, N and round."""
    document = Results("server_floor", quick=quick)
    for r in results:
        label = f"{LABELS[r['server']]}, {r['loop']}, N={r['n']}, round {r['round']}"
        base = r["floor"]
        is_base = r["server"] == BASE
        document.add(
            f"server µs per message, {label}",
            r["us_per_message"],
            "µs",
            floor=None if is_base else f"{LABELS[BASE]}, {r['loop']}, N={r['n']}",
            floor_value=None if is_base else base["us_per_message"],
            note=f"delivered {r['delivered']:.3f} of real time",
        )
    return document


if __name__ == "__main__":
    main()
