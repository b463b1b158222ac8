"""Concurrent WebSocket sessions on one core: event-loop lag with real-time audio both ways.

    uv run python benchmarks/concurrent_sessions.py                     # N = 100, 250, 500
    uv run python benchmarks/concurrent_sessions.py --sizes 500,750 --seconds 10
    uv run python benchmarks/concurrent_sessions.py --quick             # N = 10, 2 s: a smoke run
    uv run python benchmarks/concurrent_sessions.py --emulator-workers 2  # the emulator command

DESIGN budget: ≥ 500 concurrent sessions with real-time audio both ways on one core, p99 lag
under 20 ms. For each N:

* The emulator runs in a process of its own pinned to CPU 0 (``audio_speed=1.0``: assistant
  audio is paced in real time, ``--chunk-ms`` per delta); the N thin clients
  (``OpenAIRealtimeWebSocket``, default backend) all run in this process, pinned to CPU 1.
* Each client connects with turn detection off (the emulator ignores the silence it is sent),
  then, once all N are connected, asks for one long reply (``send_message``; the rule speaks
  ``--seconds`` + 4 s of audio) and sends 20 ms of PCM16 24 kHz silence every 20 ms with
  ``send_audio``. Each client's sender ticks sit on a fixed 20 ms grid with a random phase (N
  independent calls do not tick in lockstep); a tick that is late by more than one period
  sends the frames it owes, so the uplink stays real time.
* After a 1 s warm-up, for ``--seconds``: **tick lag** = how late each sender tick fires;
  **heartbeat lag** = how late a 20 ms heartbeat task wakes (the event loop's own lag);
  **delivery lag** = arrival of each ``audio`` event − when it was due (the client's earliest
  ``arrival − audio already received`` as the origin, so 0 = on the server's real-time grid);
  client CPU = ``process_time`` delta / wall delta of this process (one core: 100 % is full);
  emulator CPU from ``/proc/PID/stat`` and its own 20 ms heartbeat lag. If the emulator's CPU
  reaches 90 % or its loop lag p99 reaches 20 ms, the delivery lag measured is the emulator's
  limit, not the client's: the table flags it ("emulator-bound").
"""

from __future__ import annotations

import argparse
import array
import asyncio
import importlib.util
import math
import multiprocessing
import os
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from _results import Results, add_json_argument, machine_line

MODEL = "gpt-realtime"
KEY = "sk-bench-0123456789abcdef"
PERIOD = 0.020  # s of audio per uplink frame
FRAME = b"\x00\x00" * 480  # 20 ms of PCM16 mono silence at 24 kHz
CLIENT_CONFIG = {"audio": {"input": {"turn_detection": None}}}
CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
SATURATED = 90.0  # % of a core: beyond this the emulator is the bottleneck
STARVED = 10.0  # % of the window the client waited for its CPU: other processes had it


def pin(index: int) -> None:
    if len(CPUS) > 1:
        os.sched_setaffinity(0, {CPUS[index]})


# -- the emulator process ------------------------------------------------------------------


def serve(conn: Any, speech_ms: int, chunk_ms: int, cpu: int | None) -> None:
    """Child process: run the emulator on ``cpu`` until the parent says stop."""
    if cpu is not None:  # passed in: this process inherits the parent's pinning
        os.sched_setaffinity(0, {cpu})
    from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say

    async def main() -> None:
        brain = RulesBrain([Rule(then=[Say("a long story", audio_ms=speech_ms)])])
        async with Emulator(
            port=0,
            audio_speed=1.0,
            audio_chunk_ms=chunk_ms,
            brain=brain,
            speech="synthetic",
            ping_interval=None,
            record_events=False,
        ) as emu:
            conn.send(f"{emu.ws_url}?model={MODEL}")
            window = Window()
            beat = asyncio.create_task(heartbeat(window))
            loop = asyncio.get_running_loop()
            while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
                window.open = command == "open"
                if command == "close":
                    conn.send(window.heartbeat_lag)
            beat.cancel()

    from realtime_agents_emulator import event_loop

    event_loop.run(main())  # as the emulator's command runs: uvloop when installed, its collector
    conn.send("stopped")


def runqueue_seconds() -> float:
    """How long this process's thread has waited, runnable, for a CPU (Linux schedstat).

    On a shared machine other processes take the client's core; this says how much of the
    window the client wanted the CPU and did not get it (then its lags are not its own).
    """
    try:
        with open("/proc/thread-self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


def cpu_seconds(pid: int) -> float:
    """utime + stime of another process and its descendants (Linux): the emulator command's
    workers are children of its supervisor, itself a child of the process started here."""
    from _emulator_workers import tree_cpu_seconds

    return tree_cpu_seconds(pid)


# -- the clients ---------------------------------------------------------------------------


@dataclass
class Window:
    """What is recorded while ``open`` (between warm-up and the end of the measurement)."""

    open: bool = False
    tick_lag: list[float] = field(default_factory=list)
    heartbeat_lag: list[float] = field(default_factory=list)
    sent: int = 0
    errors: list[str] = field(default_factory=list)


class Client:
    """One call: a thin transport, or a ``RealtimeSession`` over one (``kind="session"``)."""

    def __init__(self, url: str, window: Window, kind: str = "transport") -> None:
        from realtime_agents_websocket import OpenAIRealtimeWebSocket

        self.window = window
        self.kind = kind
        transport = OpenAIRealtimeWebSocket(url=url, ping_interval=None)
        self.transport: Any = transport
        if kind == "session":
            from realtime_agents import RealtimeAgent, RealtimeSession

            agent = RealtimeAgent(name="bench", instructions="Tell long stories.")
            self.transport = RealtimeSession(agent, transport=transport, config=CLIENT_CONFIG)
        # Per audio event: arrival, ms of audio before it, in the window. Arrays, not a list of
        # tuples: objects kept per message would make the collector's full passes (tens of ms
        # at 500 sessions) the benchmark's own lag, which an application does not have.
        self.arrived = array.array("d")
        self.before_ms = array.array("d")
        self.inside = array.array("b")
        self.received_ms = 0.0
        self.transport.on("audio", self.on_audio)
        self.transport.on("error", self.on_error)
        self.sender: asyncio.Task[None] | None = None

    def on_audio(self, event: Any) -> None:
        self.arrived.append(time.monotonic())
        self.before_ms.append(self.received_ms)
        self.inside.append(self.window.open)
        self.received_ms += len(event.data) / 48  # PCM16 mono 24 kHz: 48 bytes per ms

    def on_error(self, event: Any) -> None:
        if len(self.window.errors) < 20:
            self.window.errors.append(repr(getattr(event, "error", event))[:300])

    async def connect(self) -> None:
        if self.kind == "session":
            await self.transport.connect(api_key=KEY)
        else:
            await self.transport.connect(api_key=KEY, initial_session_config=CLIENT_CONFIG)

    async def send_loop(self, start: float) -> None:
        due = start + random.random() * PERIOD
        while True:
            await sleep_until(due)
            now = time.monotonic()
            if self.window.open:
                self.window.tick_lag.append((now - due) * 1000)
            while due <= now:  # one frame per period owed, so the uplink stays real time
                await self.transport.send_audio(FRAME)
                if self.window.open:
                    self.window.sent += 1
                due += PERIOD

    def delivery_lag(self) -> list[float]:
        if not self.arrived:
            return []
        arrivals = list(zip(self.arrived, self.before_ms, self.inside, strict=True))
        origin = min(at - ms / 1000 for at, ms, _ in arrivals)
        return [(at - ms / 1000 - origin) * 1000 for at, ms, inside in arrivals if inside]


async def sleep_until(due: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``due``, on any event loop.

    Lags are measured with ``time.monotonic()``, not ``loop.time()``: uvloop's clock is the
    millisecond-granular time cached at the start of its iteration, and its timers truncate
    delays to whole milliseconds (they fire early, so a loop waiting for a sub-millisecond
    rest would spin). Delays are rounded up to whole milliseconds, as asyncio's epoll wait
    does anyway.
    """
    while (rest := due - time.monotonic()) > 0:  # noqa: ASYNC110 (a deadline, not a poll)
        await asyncio.sleep(math.ceil(rest * 1000) / 1000)


async def heartbeat(window: Window) -> None:
    due = time.monotonic()
    while True:
        due += PERIOD
        await sleep_until(due)
        lag = time.monotonic() - due
        if window.open:
            window.heartbeat_lag.append(lag * 1000)
        if lag > PERIOD:
            due = time.monotonic()  # don't fire a burst of catch-up beats


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def run_size(
    url: str, n: int, seconds: float, emulator_pid: int, control: Any, kind: str = "transport"
) -> dict[str, Any]:
    window = Window()
    clients = [Client(url, window, kind) for _ in range(n)]
    gate = asyncio.Semaphore(50)  # connect in waves: a handshake storm is not the point

    async def connect(client: Client) -> None:
        async with gate:
            await client.connect()

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(connect(c) for c in clients)), 60 + n / 10)
    connect_s = time.monotonic() - started
    beat = asyncio.create_task(heartbeat(window))
    loop_start = time.monotonic()
    for client in clients:
        client.sender = asyncio.create_task(client.send_loop(loop_start))
    await asyncio.wait_for(
        asyncio.gather(*(c.transport.send_message("tell me a long story") for c in clients)), 30
    )
    await asyncio.sleep(1.0)  # warm-up: every response is streaming
    window.open = True
    control.send("open")
    wall0, cpu0, emu0 = time.monotonic(), time.process_time(), cpu_seconds(emulator_pid)
    waited0, load0 = runqueue_seconds(), os.getloadavg()[0]
    await asyncio.sleep(seconds)
    window.open = False
    control.send("close")
    wall = time.monotonic() - wall0
    cpu_s = time.process_time() - cpu0
    client_cpu = cpu_s / wall * 100
    cpu_wait = (runqueue_seconds() - waited0) / wall * 100
    load = (load0 + os.getloadavg()[0]) / 2
    emulator_cpu = (cpu_seconds(emulator_pid) - emu0) / wall * 100
    for task in [beat, *(c.sender for c in clients if c.sender)]:
        task.cancel()
    await asyncio.gather(beat, *(c.sender for c in clients if c.sender), return_exceptions=True)
    emulator_lag = control.recv() if control.poll(10) else []
    delivery = [lag for c in clients for lag in c.delivery_lag()]
    received = sum(sum(c.inside) for c in clients)
    await asyncio.wait_for(
        asyncio.gather(*(c.transport.close() for c in clients), return_exceptions=True), 60
    )
    return {
        "n": n,
        "connect_s": connect_s,
        "tick": window.tick_lag,
        "heartbeat": window.heartbeat_lag,
        "delivery": delivery,
        "uplink_rate": window.sent / wall / n / (1 / PERIOD),  # 1.0 = real time
        "downlink_deltas_s": received / wall,
        "client_cpu": client_cpu,
        "cpu_wait": cpu_wait,
        "load": load,
        "emulator_cpu": emulator_cpu,
        "emulator_lag": emulator_lag,
        "us_per_message": cpu_s / max(1, received + window.sent) * 1e6,
        "errors": window.errors,
    }


CONFIGS = {
    # name: (codec, event loop): the [speed] extra's codec, and uvloop (the application's choice)
    "stdlib": ("stdlib", "asyncio"),
    "speed": ("auto", "asyncio"),
    "speed+uvloop": ("auto", "uvloop"),
    "stdlib+uvloop": ("stdlib", "uvloop"),
}


def client_process(
    result: Any,
    url: str,
    n: int,
    seconds: float,
    peer_pid: int,
    control: Any,
    config: str,
    kind: str,
) -> None:
    """Child process: the N clients of one configuration, pinned to the client CPU."""
    codec, loop = CONFIGS[config]
    if codec == "stdlib":
        os.environ["REALTIME_AGENTS_CODEC"] = "stdlib"  # read at the first connection
    pin(1)
    main = run_size(url, n, seconds, peer_pid, control, kind)
    if loop == "uvloop":
        import uvloop

        measured = uvloop.run(main)
    else:
        measured = asyncio.run(main)
    from realtime_agents.protocol.codec import default_codec

    measured.update(config=config, codec=default_codec().name)
    result.send(measured)


def run_client(
    ctx: Any,
    url: str,
    n: int,
    seconds: float,
    peer_pid: int,
    control: Any,
    config: str,
    kind: str,
) -> dict[str, Any]:
    """One configuration's clients in a fresh process (so codec and loop are its own)."""
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(
        target=client_process, args=(theirs, url, n, seconds, peer_pid, control, config, kind)
    )
    proc.start()
    try:
        if not mine.poll(120 + seconds + n / 5):
            raise RuntimeError(f"the {config} clients did not report")
        result: dict[str, Any] = mine.recv()
        return result
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


def measure(
    n: int,
    seconds: float,
    chunk_ms: int,
    peer: str = "emulator",
    configs: tuple[str, ...] = ("stdlib",),
    workers: int = 0,
    kind: str = "transport",
) -> list[dict[str, Any]]:
    """One size: a fresh peer process on CPU 0; each configuration's clients in turn on CPU 1.

    ``workers``: run the emulator's command with ``--workers N`` instead (see
    ``_emulator_workers.py``), pinned to CPU 0 with one worker, on every CPU with more."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    speech_ms = int((seconds + 4) * 1000)
    cpu = CPUS[0] if len(CPUS) > 1 else None
    if peer == "paced":
        from _paced_peer import serve_paced

        proc = ctx.Process(target=serve_paced, args=(child, chunk_ms, cpu), daemon=True)
    elif workers:
        from _emulator_workers import serve_workers

        cpu = cpu if workers == 1 else None
        args = (child, speech_ms, chunk_ms, workers, cpu)
        proc = ctx.Process(target=serve_workers, args=args, daemon=True)
    else:
        proc = ctx.Process(target=serve, args=(child, speech_ms, chunk_ms, cpu), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("the emulator did not start")
        url = parent.recv()
        assert proc.pid is not None
        return [run_client(ctx, url, n, seconds, proc.pid, parent, c, kind) for c in configs]
    finally:
        parent.send("stop")
        if parent.poll(15):
            parent.recv()
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


def held(result: dict[str, Any], chunk_ms: int) -> bool:
    """The client kept up: every p99 lag < 20 ms, uplink real time, all the audio read."""
    worst_p99 = max(pct(result[k], 0.99) for k in ("tick", "heartbeat", "delivery"))
    expected_in = result["n"] * 1000 / chunk_ms
    return (
        worst_p99 < 20
        and result["uplink_rate"] >= 0.99
        and result["downlink_deltas_s"] >= 0.98 * expected_in
    )


def row(result: dict[str, Any], chunk_ms: int) -> str:
    def cell(values: list[float]) -> str:
        if not values:
            return "–"
        return f"{pct(values, 0.5):.1f} / {pct(values, 0.99):.1f} / {max(values):.1f}"

    bound = result["emulator_cpu"] >= SATURATED or pct(result["emulator_lag"], 0.99) >= 20
    verdict = "yes" if held(result, chunk_ms) else "no"
    if bound:
        verdict += " (peer-bound)"
    elif verdict == "no" and result["cpu_wait"] >= STARVED:
        verdict += " (starved)"
    expected_in = result["n"] * 1000 / chunk_ms
    return (
        f"| {result['n']} | {result['config']} | {cell(result['tick'])} "
        f"| {cell(result['heartbeat'])} | {cell(result['delivery'])} "
        f"| {result['uplink_rate']:.3f} | {result['downlink_deltas_s']:.0f} of {expected_in:.0f} "
        f"| {result['client_cpu']:.0f} % | {result['cpu_wait']:.0f} % "
        f"| {result['us_per_message']:.1f} "
        f"| {result['emulator_cpu']:.0f} % | {cell(result['emulator_lag'])} | {verdict} |"
    )


def summary(results: list[dict[str, Any]], configs: list[str], chunk_ms: int) -> list[str]:
    """Per configuration: the largest N held, and µs per message as a ratio to the first.

    ≈N/core projects the sessions one core holds at that cost (1 s of CPU / (µs per message ×
    messages per session-second)): unlike "held", it does not depend on what else ran on
    this machine's core during the window.
    """
    sizes = sorted({r["n"] for r in results})
    by = {(r["config"], r["n"]): r for r in results}
    base = configs[0]
    lines = [
        f"| config | sessions held (of {', '.join(map(str, sizes))}) | "
        + " | ".join(f"µs/message at N={n} (vs {base})" for n in sizes)
        + " |",
        "|---|---:|" + "---:|" * len(sizes),
    ]
    for config in configs:
        kept = [n for n in sizes if (config, n) in by and held(by[config, n], chunk_ms)]
        cells = []
        for n in sizes:
            mine, ref = by.get((config, n)), by.get((base, n))
            if mine is None or ref is None:
                cells.append("–")
                continue
            ratio = mine["us_per_message"] / ref["us_per_message"]
            per_session_s = 1000 / (PERIOD * 1000) + 1000 / chunk_ms  # messages both ways
            projected = 1e6 / (mine["us_per_message"] * per_session_s)
            cells.append(f"{mine['us_per_message']:.1f} ({ratio:.2f}×, ≈{projected:.0f}/core)")
        lines.append(
            f"| {config} | {max(kept) if kept else '< ' + str(sizes[0])} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def write_json(args: argparse.Namespace, results: list[dict[str, Any]], configs: list[str]) -> None:
    """Per N and configuration: client µs per message (next to the first configuration of
    the same N) and the client loop's p99 lag."""
    document = Results("concurrent_sessions", quick=args.quick)
    first = {r["n"]: r for r in reversed(results) if r["config"] == configs[0]}
    for r in results:
        ref = first.get(r["n"]) if r["config"] != configs[0] else None
        document.add(
            f"client µs per message, N={r['n']} {args.client}s, {r['config']}",
            r["us_per_message"],
            "µs",
            floor=None if ref is None else f"{configs[0]}, same N",
            floor_value=None if ref is None else ref["us_per_message"],
        )
        document.add(
            f"client loop lag p99, N={r['n']}, {r['config']}", pct(r["heartbeat"], 0.99), "ms"
        )
    document.write(args.json)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,250,500", help="comma-separated session counts")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    parser.add_argument("--chunk-ms", type=int, default=20, help="audio per server delta")
    parser.add_argument(
        "--peer",
        choices=["emulator", "paced"],
        default="emulator",
        help="the server: the emulator, or the paced replay peer (cheap: the client is the limit)",
    )
    parser.add_argument(
        "--configs",
        default="stdlib,speed,speed+uvloop",
        help=f"client configurations, run in turn for each N (of {', '.join(CONFIGS)})",
    )
    parser.add_argument(
        "--client",
        choices=["transport", "session"],
        default="transport",
        help="each call is a thin OpenAIRealtimeWebSocket, or a RealtimeSession over one",
    )
    parser.add_argument("--quick", action="store_true", help="N=10 for 2 s (a smoke run)")
    parser.add_argument(
        "--emulator-workers",
        type=int,
        default=0,
        metavar="N",
        help="run the emulator command with --workers N (default: the emulator in a process "
        "started here)",
    )
    add_json_argument(parser)
    args = parser.parse_args()
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes takes comma-separated integers, not {args.sizes!r}")
    configs = [c for c in args.configs.split(",") if c]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown or not configs:
        parser.error(f"unknown configuration {unknown}; choose from {', '.join(CONFIGS)}")
    if importlib.util.find_spec("uvloop") is None:
        skipped = [c for c in configs if CONFIGS[c][1] == "uvloop"]
        configs = [c for c in configs if c not in skipped]
        if skipped:
            print(f"uvloop is not installed: {', '.join(skipped)} left out", file=sys.stderr)
        if not configs:
            parser.error("every configuration asked for needs uvloop (pip install uvloop)")
    if args.quick:
        sizes, args.seconds = [10], 2.0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(sizes) * 2 + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    if len(CPUS) < 2:
        print("warning: fewer than 2 CPUs, the peer and the clients share a core")
    print(machine_line(f"websockets {metadata.version('websockets')}"))
    print(
        f"\nclients: {args.client}; peer: {args.peer}; {args.seconds:g} s window after 1 s "
        "warm-up; uplink 20 ms frames, "
        f"downlink {args.chunk_ms} ms deltas in real time; lag in ms as p50 / p99 / max; "
        "µs/message = client CPU / (deltas read + frames sent)"
    )
    print(
        "| N | config | sender tick lag | heartbeat lag | audio delivery lag "
        "| uplink (1 = real time) | deltas/s in | client CPU | client waited for CPU "
        "| µs/message | peer CPU | peer loop lag | held |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|")
    errors, results = [], []
    for n in sizes:
        for result in measure(
            n,
            args.seconds,
            args.chunk_ms,
            args.peer,
            tuple(configs),
            args.emulator_workers,
            args.client,
        ):
            print(row(result, args.chunk_ms), flush=True)
            print(
                f"<!-- N={n} {result['config']} ({result['codec']}): connected in "
                f"{result['connect_s']:.1f} s; load average {result['load']:.1f} -->",
                file=sys.stderr,
            )
            errors += result["errors"]
            results.append(result)
    print()
    print("\n".join(summary(results, configs, args.chunk_ms)))
    write_json(args, results, configs)
    for error in errors[:5]:
        print(f"client error: {error}", file=sys.stderr)


if __name__ == "__main__":
    main()
