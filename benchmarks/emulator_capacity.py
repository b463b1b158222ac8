"""The emulator's own capacity: sessions per emulator core with 20 ms audio both ways.

    uv run python benchmarks/emulator_capacity.py                  # --workers 1 and 2, N = 100, 200
    uv run python benchmarks/emulator_capacity.py --workers 1,2,1,2 --sizes 150 --seconds 8
    uv run python benchmarks/emulator_capacity.py --quick          # N = 20, 2 s: a smoke run
    git archive OLD emulator/src | tar -x -C /tmp/emu-old   # then, side by side in one run:
    uv run python benchmarks/emulator_capacity.py --pin --compare /tmp/emu-old/emulator/src

The emulator runs as its own command (``realtime-agents-emulator --workers W --audio-speed 1
--audio-chunk-ms 20``, see ``_emulator_workers.py``). N sessions are spread over ``--clients``
processes of bare ``websockets`` clients, cheap on purpose (each counts audio deltas by their
type string, without decoding JSON or base64), so that the clients leave the cores to the
emulator. Each session turns server VAD off, asks for one reply longer than the run, and
appends 20 ms of PCM16 silence every 20 ms on a fixed grid (random phase per session).

After a 1 s warm-up, for ``--seconds``: the emulator's CPU time (its whole process tree, from
``/proc``) and the messages it handled (appends the clients sent + deltas they received).
**µs per message** = emulator CPU / messages; a session at 20 ms both ways is 100 messages a
second, so **sessions per core** = 10⁶ / (100 × µs per message): how many such sessions one of
the emulator's cores can carry at full load, with no headroom. **Delivered** = deltas received /
deltas due in real time: below ~0.98 the emulator (or the machine) was behind and its cost per
message, spread over batched reads, is flattered. CPU time is much less disturbed by other work
on the machine than latency is, but compare configurations within one run: ``--compare SRC``
runs each configuration twice in a row, with this checkout's emulator and with the
``realtime_agents_emulator`` package found in SRC (first on the emulator's ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import random
import resource
import time
from pathlib import Path
from typing import Any

from _emulator_workers import serve_workers, tree_cpu_seconds
from _results import Results, add_json_argument, machine_line

KEY = "sk-capacity-0123456789abcdef"
PERIOD = 0.020
APPEND = json.dumps(
    {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\x00\x00" * 480).decode()}
)
NO_VAD = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
SETUP = [
    {"type": "session.update", "session": NO_VAD},
    {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "tell me a long story"}],
        },
    },
    {"type": "response.create"},
]
DELTA = '"response.output_audio.delta"'


# -- a client process ----------------------------------------------------------------------------


class Counts:
    def __init__(self) -> None:
        self.sent = 0
        self.received = 0
        self.errors: list[str] = []


async def session(url: str, counts: Counts, ready: asyncio.Event, go: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(
        url,
        additional_headers={"Authorization": f"Bearer {KEY}"},
        compression=None,
        ping_interval=None,
        max_size=None,
        open_timeout=60,
    ) as ws:
        for event in SETUP:
            await ws.send(json.dumps(event))
        ready.set()
        await go.wait()
        receiving = asyncio.create_task(receive(ws, counts))
        loop = asyncio.get_running_loop()
        due = loop.time() + random.random() * PERIOD
        try:
            while True:
                await asyncio.sleep(max(0.0, due - loop.time()))
                while due <= loop.time():  # every frame owed: the uplink stays real time
                    await ws.send(APPEND)
                    counts.sent += 1
                    due += PERIOD
        finally:
            receiving.cancel()


async def receive(ws: Any, counts: Counts) -> None:
    async for message in ws:
        if DELTA in message[:80]:
            counts.received += 1
        elif '"error"' in message[:40] and len(counts.errors) < 5:
            counts.errors.append(message[:200])


def client_main(url: str, n: int, pipe: Any, cpus: set[int] | None) -> None:
    """A client process: ``n`` sessions; reports its counts between "open" and "close"."""
    if cpus:
        os.sched_setaffinity(0, cpus)

    async def main() -> None:
        counts = Counts()
        go = asyncio.Event()
        readies = [asyncio.Event() for _ in range(n)]
        gate = asyncio.Semaphore(25)

        async def one(ready: asyncio.Event) -> None:
            async with gate:  # connect in waves: a handshake storm is not the point
                task = asyncio.create_task(session(url, counts, ready, go))
                waiter = asyncio.create_task(ready.wait())
                await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
            await task

        tasks = [asyncio.create_task(one(ready)) for ready in readies]
        await asyncio.gather(*(ready.wait() for ready in readies))
        go.set()
        loop = asyncio.get_running_loop()
        pipe.send("connected")
        snapshots = []
        for _ in ("open", "close"):
            await loop.run_in_executor(None, pipe.recv)
            snapshots.append((counts.sent, counts.received))
        (s0, r0), (s1, r1) = snapshots
        pipe.send({"sent": s1 - s0, "received": r1 - r0, "errors": counts.errors})
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


# -- one measurement -----------------------------------------------------------------------------


FLOOR = "floor"
"""``--floor``: instead of the emulator, a bare aiohttp server on the same loop (uvloop when
installed) that only does what the transport needs: it reads every frame and sends every
session a constant delta on the same 20 ms grid. What the emulator costs above it is its own."""


def serve_tree(source: str | None, *args: Any) -> None:
    """:func:`serve_workers` with the emulator package of ``source`` (None: this checkout's)
    first on the path of the command it runs (and of its workers, which inherit it), or the
    floor server (``source`` = :data:`FLOOR`)."""
    if source == FLOOR:
        serve_floor(*args)
        return
    if source is not None:
        os.environ["PYTHONPATH"] = source
    serve_workers(*args)


def serve_floor(conn: Any, speech_ms: int, chunk_ms: int, workers: int, cpu: int | None) -> None:
    """Child process: the floor server (one process; ``speech_ms`` and ``workers`` unused)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    from aiohttp import web

    delta = json.dumps(
        {
            "type": "response.output_audio.delta",
            "event_id": "event_" + "x" * 21,
            "response_id": "resp_" + "x" * 21,
            "item_id": "item_" + "x" * 21,
            "output_index": 0,
            "content_index": 0,
            "delta": base64.b64encode(bytes(48 * chunk_ms)).decode(),
        }
    )

    async def realtime(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("realtime",), heartbeat=20.0)
        await ws.prepare(request)

        async def pace() -> None:
            loop = asyncio.get_running_loop()
            start, number = loop.time(), 0
            while True:
                await ws.send_str(delta)
                number += 1
                await asyncio.sleep(max(0.0, start + number * chunk_ms / 1000 - loop.time()))

        pacing = asyncio.create_task(pace())
        try:
            async for _ in ws:
                pass
        finally:
            pacing.cancel()
        return ws

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/v1/realtime", realtime)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        loop = asyncio.get_running_loop()
        conn.send(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime")
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            if command == "close":
                conn.send([])
        await runner.cleanup()
        conn.send("stopped")

    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())


def measure(
    workers: int, n: int, seconds: float, clients: int, pin: bool, source: str | None = None
) -> dict[str, Any]:
    """One run; ``pin``: the emulator (all its workers) on the first CPU, clients on the rest."""
    ctx = multiprocessing.get_context("spawn")
    control, theirs = ctx.Pipe()
    cpus = sorted(os.sched_getaffinity(0)) if pin else []
    emulator = ctx.Process(
        target=serve_tree,
        args=(source, theirs, int((seconds + 30) * 1000), 20, workers, cpus[0] if cpus else None),
        daemon=True,
    )
    load = drive(emulator, control, "the emulator", n, seconds, clients, cpus)
    return {
        "tree": {None: "this", FLOOR: FLOOR}.get(source, "compare"),
        "workers": workers,
        "n": n,
        **load,
        "sessions_per_core": 1e6 / (100 * load["us_per_message"]),
    }


def drive(
    server: Any, control: Any, what: str, n: int, seconds: float, clients: int, cpus: list[int]
) -> dict[str, Any]:
    """Start ``server`` (a spawned process that sends its URL on ``control`` once it serves and
    stops on "stop"), load it with ``n`` sessions from ``clients`` processes (on ``cpus[1:]``
    when given) for ``seconds``; its whole process tree's CPU per message, and what arrived."""
    ctx = multiprocessing.get_context("spawn")
    server.start()
    procs: list[Any] = []
    pipes: list[Any] = []
    try:
        if not control.poll(60):
            raise RuntimeError(f"{what} did not start")
        url = control.recv()
        for index in range(clients):
            mine, child = ctx.Pipe()
            share = n // clients + (1 if index < n % clients else 0)
            proc = ctx.Process(
                target=client_main, args=(url, share, child, set(cpus[1:])), daemon=True
            )
            proc.start()
            procs.append(proc)
            pipes.append(mine)
        for pipe in pipes:
            if not pipe.poll(60 + n / 5):
                raise RuntimeError(f"the clients did not connect to {what}")
            pipe.recv()
        time.sleep(1.0)  # warm-up: every session streams
        assert server.pid is not None
        cpu0, wall0 = tree_cpu_seconds(server.pid), time.monotonic()
        for pipe in pipes:
            pipe.send("open")
        time.sleep(seconds)
        for pipe in pipes:
            pipe.send("close")
        cpu1, wall1 = tree_cpu_seconds(server.pid), time.monotonic()
        reports = [pipe.recv() for pipe in pipes]
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
        control.send("stop")
        if control.poll(30):
            control.recv()
        server.join(10)
        if server.is_alive():
            server.terminate()
    wall = wall1 - wall0
    sent = sum(r["sent"] for r in reports)
    received = sum(r["received"] for r in reports)
    cpu = cpu1 - cpu0
    return {
        "cpu_cores": cpu / wall,
        "us_per_message": cpu / max(1, sent + received) * 1e6,
        "delivered": received / (n * wall / PERIOD),
        "uplink": sent / (n * wall / PERIOD),
        "errors": [e for r in reports for e in r["errors"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2", help="emulator --workers values, in order")
    parser.add_argument("--sizes", default="100,200", help="comma-separated session counts")
    parser.add_argument("--seconds", type=float, default=8.0, help="measurement window")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the emulator (every worker) to the first CPU and the clients to the others, "
        "so that the emulator has exactly one core: its saturation point is then measured",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="SRC",
        help="also run every configuration with the realtime_agents_emulator package in SRC "
        "(e.g. `git archive OLD emulator/src | tar -x -C /tmp/old`, SRC = /tmp/old/emulator/src),"
        " right after this checkout's",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run each configuration against a bare aiohttp server that reads every frame "
        "and sends the same deltas on the same grid, and nothing else (the transport's floor)",
    )
    parser.add_argument("--quick", action="store_true", help="N=20 for 2 s (a smoke run)")
    add_json_argument(parser)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    counts = [int(count) for count in args.workers.split(",")]
    if args.quick:
        sizes, args.seconds = [20], 2.0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(sizes) * 2 + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        parser.error("--pin needs at least 2 CPUs")
    if args.compare and not (args.compare / "realtime_agents_emulator" / "cli.py").is_file():
        parser.error(f"--compare: no realtime_agents_emulator package in {args.compare}")
    trees: list[str | None] = [None, str(args.compare.resolve())] if args.compare else [None]
    if args.floor:
        trees.append(FLOOR)
    results = [
        measure(w, n, args.seconds, args.clients, args.pin, tree)
        for n in sizes
        for w in counts
        for tree in trees
    ]
    report(results, args.quick).write(args.json)
    pinned = ["emulator pinned to one CPU, clients to the others"] if args.pin else []
    print(machine_line(f"{args.clients} client processes", *pinned))
    print(f"\n{args.seconds:g} s window after 1 s warm-up; 20 ms audio both ways, audio_speed=1")
    if args.compare:
        print(f"emulator: this checkout's, then [compare] = the one in {args.compare}")
    if args.floor:
        print("floor: a bare aiohttp server that reads every frame and sends the same deltas")
    print(
        "| emulator | workers | N | emulator CPU (cores) | µs per message | sessions per core "
        "| delivered | uplink |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['tree']} | {r['workers']} | {r['n']} | {r['cpu_cores']:.2f} "
            f"| {r['us_per_message']:.1f} | {r['sessions_per_core']:.0f} | {r['delivered']:.3f} "
            f"| {r['uplink']:.3f} |"
        )
    for r in results:
        for error in r["errors"][:2]:
            print(f"error (workers {r['workers']}, N {r['n']}): {error}")


def report(results: list[dict[str, Any]], quick: bool) -> Results:
    """Sessions per emulator core for each run; more workers next to one worker of the same N,
    and with ``--compare`` this checkout's emulator next to the other one."""
    document = Results("emulator_capacity", quick=quick)
    single = {r["n"]: r for r in results if r["workers"] == 1 and r["tree"] == "this"}
    other = {(r["workers"], r["n"]): r for r in results if r["tree"] == "compare"}
    for r in results:
        label = f"--workers {r['workers']}, N={r['n']}"
        if r["tree"] != "this":
            document.add(
                f"sessions per emulator core, [{r['tree']}] {label}",
                r["sessions_per_core"],
                "sessions",
                note=f"delivered {r['delivered']:.3f} of real time",
            )
            continue
        base = other.get((r["workers"], r["n"]))
        floor = f"[compare] {label}" if base else None
        if base is None and r["workers"] != 1:
            base = single.get(r["n"])
            floor = f"--workers 1, N={r['n']}" if base else None
        document.add(
            f"sessions per emulator core, {label}",
            r["sessions_per_core"],
            "sessions",
            floor=floor,
            floor_value=base["sessions_per_core"] if base else None,
            note=f"delivered {r['delivered']:.3f} of real time",
        )
    return document


if __name__ == "__main__":
    main()
