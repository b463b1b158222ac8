"""WebSocket transport benchmark: client CPU per audio delta, and barge-in → truncate latency.

    uv run python benchmarks/websocket_transport.py                 # full run (a few minutes)
    uv run python benchmarks/websocket_transport.py --quick         # tiny sizes, a smoke test
    uv run python benchmarks/websocket_transport.py --skip-agents   # no openai-agents venv

The emulator runs in this process; every client runs in its own process and measures its own
CPU time (``time.process_time``), so the server's work is never counted. Clients run round
robin, ``--reps`` processes each, ``--turns`` measured turns per process; the table shows the
median over all turns and the ratio to the floor measured in the same run.

* **CPU per delta**: one response of ``--deltas`` audio deltas (20 ms of PCM16 each, sent as
  fast as possible: ``audio_speed=0``); CPU from asking for the response to ``response.done``,
  divided by the ``audio`` events that reached the user's handler.
* The CPU table is measured twice: against the emulator (which spends more per delta than any
  client, so clients read one frame per wake-up and wake-ups dominate), and against a replay
  peer that serves the emulator's recorded turn as fast as the socket takes it (the client is
  the bottleneck and reads frames in batches: this shows each client's own work per delta).
* **floor**: websockets' asyncio client + ``json.loads`` + ``base64`` decode per delta — the
  least any Python client built on websockets does.
* **openai-agents-python** runs in ``benchmarks/.venv-agents`` (created on first use with
  ``uv venv`` + ``uv pip install openai-agents``), against the same emulator.
* **barge-in**: audio streams in real time; once 5 deltas are out the emulator sends
  ``input_audio_buffer.speech_started`` and times, server side, until the client's
  ``conversation.item.truncate`` arrives.
* **idle memory**: the Python heap (tracemalloc) per connected, idle thin client.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from _replay import ReplayPeer, record_turn
from _results import Results, add_json_argument, machine_line

from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say

HERE = Path(__file__).resolve().parent
#: The emulator (this process) and the clients run on different CPUs when there are two.
CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
AGENTS_VENV = HERE / ".venv-agents"
MODEL = "gpt-realtime"

#: (label, client kind, compression, options) for the CPU table; "agents" runs in the agents
#: venv. Ours use the [speed] extra's codec when installed unless ``--codec stdlib``; the
#: floor's plain row is the budget's floor, the others put the same libraries or loop under it.
SPEED, STDLIB, UVLOOP = ("--codec", "speed"), ("--codec", "stdlib"), ("--loop", "uvloop")
CPU_CLIENTS: list[tuple[str, str, str | None, tuple[str, ...]]] = [
    ("floor: websockets recv + json + base64", "floor", None, ()),
    ("floor with msgspec + pybase64", "floor", None, SPEED),
    ("floor with msgspec + pybase64, uvloop", "floor", None, SPEED + UVLOOP),
    ("OpenAIRealtimeWebSocket, sans-I/O backend", "sansio", None, ()),
    ("OpenAIRealtimeWebSocket, sans-I/O backend, stdlib codec", "sansio", None, STDLIB),
    ("OpenAIRealtimeWebSocket, sans-I/O backend, uvloop", "sansio", None, UVLOOP),
    ("OpenAIRealtimeWebSocket, websockets backend", "websockets", None, ()),
    ("RealtimeSession over OpenAIRealtimeWebSocket", "session", None, ()),
    ("RealtimeSession over OpenAIRealtimeWebSocket, stdlib codec", "session", None, STDLIB),
    ("openai-agents-python (deflate off)", "agents", None, ()),
    ("floor: websockets recv + json + base64", "floor", "deflate", ()),
    ("OpenAIRealtimeWebSocket, sans-I/O backend", "sansio", "deflate", ()),
    ("openai-agents-python (its default)", "agents", "deflate", ()),
]
BARGE_CLIENTS = [
    ("floor: raw websockets, truncate from the read loop", "floor"),
    ("OpenAIRealtimeWebSocket, sans-I/O backend", "sansio"),
    ("OpenAIRealtimeWebSocket, websockets backend", "websockets"),
    ("openai-agents-python", "agents"),
]


def agents_python() -> Path:
    """The agents venv's interpreter, creating the venv on first use."""
    python = AGENTS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["uv", "venv", "-q", "-p", "3.11", str(AGENTS_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import agents.realtime"], capture_output=True)
    if probe.returncode:
        cmd = ["uv", "pip", "install", "-q", "--python", str(python), "openai-agents"]
        subprocess.run(cmd, check=True)
    return python


def needed_modules(options: tuple[str, ...]) -> set[str]:
    """What a client row's options import beyond the core install."""
    needed = {"uvloop"} if "uvloop" in options else set()
    return needed | ({"msgspec", "pybase64"} if "speed" in options else set())


def command(
    kind: str,
    mode: str,
    url: str,
    turns: int,
    compression: str | None,
    options: tuple[str, ...] = (),
) -> list[str]:
    if kind == "agents":
        script = str(HERE / "_agents_client.py")
        return [str(agents_python()), script, mode, "--url", url, "--turns", str(turns),
                "--compression", compression or "none"]  # fmt: skip
    cmd = [sys.executable, str(HERE / "_clients.py"), kind, mode, "--url", url]
    cmd += ["--turns", str(turns), *options]
    return cmd + (["--compression", compression] if compression else [])


def pin(index: int) -> None:
    """Keep this process on one CPU (less scheduler noise); a no-op with fewer than two."""
    if len(CPUS) > 1:
        os.sched_setaffinity(0, {CPUS[index]})


async def run_client(cmd: list[str], timeout: float) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=lambda: pin(1),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode:
        raise RuntimeError(f"{cmd[1:4]} failed:\n{err.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def version(dist: str, python: Path | None = None) -> str:
    if python is None:
        return metadata.version(dist)
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


# -- CPU per delta -------------------------------------------------------------------------


Clients = list[tuple[str, str, str | None, tuple[str, ...]]]


async def cpu_tables(args: argparse.Namespace, clients: Clients) -> None:
    brain = RulesBrain(
        [
            Rule(text="warm", then=[Say("warm", audio_ms=2000)]),
            Rule(then=[Say("benchmark", audio_ms=args.deltas * 20)]),
        ]
    )
    async with Emulator(
        audio_speed=0,
        audio_chunk_ms=20,
        brain=brain,
        speech="synthetic",
        ping_interval=None,
        record_events=False,  # millions of deltas
    ) as emu:
        url = f"{emu.ws_url}?model={MODEL}"
        await cpu_table(args, clients, url, "against the emulator")
        recorded = await record_turn(url)
    uncompressed = [client for client in clients if client[2] is None]  # the peer offers none
    async with ReplayPeer(recorded).serving() as url:
        title = "against a replay peer: the client is the bottleneck"
        await cpu_table(args, uncompressed, url, title)


async def cpu_table(args: argparse.Namespace, clients: Clients, url: str, title: str) -> None:
    samples: dict[int, list[float]] = {i: [] for i in range(len(clients))}
    for _ in range(args.reps):
        for index, (_, kind, compression, options) in enumerate(clients):
            cmd = command(kind, "cpu", url, args.turns, compression, options)
            result = await run_client(cmd, 600)
            samples[index] += result["us_per_delta"]
    floors = {
        c: statistics.median(samples[i])
        for i, (_, k, c, o) in enumerate(clients)
        if k == "floor" and not o
    }
    runs = f"{args.reps}×{args.turns} turns of {args.deltas} deltas"
    print(f"\nCPU µs per audio delta, {title} (median of {runs})")
    print("| client | compression | µs/delta | vs floor |")
    print("|---|---|---:|---:|")
    for index, (label, _, compression, _) in enumerate(clients):
        median = statistics.median(samples[index])
        floor = floors.get(compression)
        ratio = f"{median / floor:.2f}× ({median - floor:+.1f} µs)" if floor else "–"
        print(f"| {label} | {compression or 'none'} | {median:.1f} | {ratio} |")
        if not label.startswith("floor"):
            args.results.add(
                f"CPU µs per audio delta {title.split(':')[0]}: {label}, "
                f"compression {compression or 'none'}",
                median,
                "µs",
                floor=f"websockets recv + json + base64 ({compression or 'none'})",
                floor_value=floor,
            )


# -- barge-in latency ------------------------------------------------------------------------


def instrument(conn: Any) -> dict[str, list[float]]:
    """Server-side clock: speech_started sent, first reaction (cancel or truncate) and
    truncate received. A client that cancels first has its truncate read after the server
    has processed the cancel, so both are reported."""
    stamps: dict[str, list[float]] = {"speech": [], "reaction": [], "truncate": []}
    server_record, client_record = conn.server_events.record, conn.client_events.record

    def on_server(event: dict[str, Any]) -> None:
        if event.get("type") == "input_audio_buffer.speech_started":
            stamps["speech"].append(time.perf_counter())
        server_record(event)

    def on_client(event: dict[str, Any]) -> None:
        now = time.perf_counter()
        kind = event.get("type")
        if kind in ("response.cancel", "conversation.item.truncate"):
            if len(stamps["reaction"]) < len(stamps["speech"]):
                stamps["reaction"].append(now)
            if kind == "conversation.item.truncate":
                stamps["truncate"].append(now)
        client_record(event)

    conn.server_events.record, conn.client_events.record = on_server, on_client
    return stamps


async def interrupt_turns(emu: Emulator, turns: int) -> list[tuple[float, float]]:
    """(first reaction, truncate) latencies in ms for ``turns`` barge-ins on one connection."""
    conn = await emu.wait_for_connection(timeout=60)
    stamps = instrument(conn)
    latencies = []
    server_after = client_after = 0
    for _ in range(turns):
        for _ in range(5):
            delta = await conn.wait_for_server_event(
                "response.output_audio.delta", after=server_after, timeout=60
            )
            server_after = conn.server_events.index(delta) + 1
        conn.send_event(
            {"type": "input_audio_buffer.speech_started", "audio_start_ms": 0, "item_id": "item_u"}
        )
        truncate = await conn.wait_for_client_event(
            "conversation.item.truncate", after=client_after, timeout=10
        )
        client_after = conn.client_events.index(truncate) + 1
        speech = stamps["speech"][-1]
        reaction = (stamps["reaction"][-1] - speech) * 1000
        latencies.append((reaction, (stamps["truncate"][-1] - speech) * 1000))
        done = await conn.wait_for_server_event("response.done", after=server_after, timeout=30)
        server_after = conn.server_events.index(done) + 1
    return latencies


async def barge_table(args: argparse.Namespace, clients: list[tuple[str, str]]) -> None:
    brain = RulesBrain([Rule(then=[Say("a long story", audio_ms=20_000)])])
    samples: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(clients))}
    async with Emulator(
        audio_speed=1.0, audio_chunk_ms=20, brain=brain, speech="synthetic", ping_interval=None
    ) as emu:
        url = f"{emu.ws_url}?model={MODEL}"
        for _ in range(args.reps):
            for index, (_, kind) in enumerate(clients):
                watcher = asyncio.create_task(interrupt_turns(emu, args.barge_turns))
                await run_client(command(kind, "barge", url, args.barge_turns, None), timeout=300)
                samples[index] += await watcher
    print("\nBarge-in: speech_started sent → client events received, server clock, ms")
    print(f"({args.reps}×{args.barge_turns} barge-ins; median, p90 in brackets)")
    print("| client | first reaction | conversation.item.truncate |")
    print("|---|---:|---:|")
    for index, (label, _) in enumerate(clients):
        reaction = [r for r, _ in samples[index]]
        truncate = [t for _, t in samples[index]]
        print(f"| {label} | {_median_p90(reaction)} | {_median_p90(truncate)} |")
    # peer: openai-agents-python when it ran (the budget's comparison), else the raw floor
    peer = next((i for i, (_, kind) in enumerate(clients) if kind == "agents"), 0)
    peer_ms = statistics.median(t for _, t in samples[peer])
    for index, (label, kind) in enumerate(clients):
        if index != peer and kind != "floor":
            args.results.add(
                f"barge-in → truncate ms (server clock): {label}",
                statistics.median(t for _, t in samples[index]),
                "ms",
                floor=clients[peer][0],
                floor_value=peer_ms,
            )


def _median_p90(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{statistics.median(ordered):.2f} ({p90:.2f})"


# -- idle memory -----------------------------------------------------------------------------


async def idle_table(args: argparse.Namespace) -> None:
    async with Emulator(speech="synthetic", ping_interval=None) as emu:
        url = f"{emu.ws_url}?model={MODEL}"
        print(f"\nPython heap per idle connected transport ({args.idle} connections, tracemalloc)")
        print("| client | KiB per session |")
        print("|---|---:|")
        for kind in ("sansio", "websockets"):
            result = await run_client(command(kind, "idle", url, args.idle, None), timeout=300)
            print(f"| OpenAIRealtimeWebSocket, {kind} backend | {result['kib_per_session']:.1f} |")
            args.results.add(
                f"idle heap per transport: OpenAIRealtimeWebSocket, {kind} backend",
                result["kib_per_session"],
                "KiB",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deltas", type=int, default=5000, help="audio deltas per response")
    parser.add_argument("--reps", type=int, default=5, help="client processes per client")
    parser.add_argument("--turns", type=int, default=3, help="measured turns per process")
    parser.add_argument("--barge-turns", type=int, default=10, help="barge-ins per process")
    parser.add_argument("--skip-agents", action="store_true", help="no openai-agents-python")
    parser.add_argument("--idle", type=int, default=200, help="connections for the memory table")
    parser.add_argument("--only", choices=["cpu", "barge", "idle"], help="run one table")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    add_json_argument(parser)
    args = parser.parse_args()
    args.results = Results("websocket_transport", quick=args.quick)
    if args.quick:
        args.deltas, args.reps, args.turns, args.barge_turns, args.idle = 50, 1, 1, 1, 5
    cpu = [c for c in CPU_CLIENTS if not (args.skip_agents and c[1] == "agents")]
    missing = {m for m in ("uvloop", "msgspec", "pybase64") if importlib.util.find_spec(m) is None}
    if missing:  # rows that need them are left out, not failed
        print(f"not installed: {', '.join(sorted(missing))}; rows needing them left out")
        cpu = [c for c in cpu if not needed_modules(c[3]) & missing]
    barge = [c for c in BARGE_CLIENTS if not (args.skip_agents and c[1] == "agents")]
    print(machine_line(f"websockets {version('websockets')}"))
    if not args.skip_agents:
        python = agents_python()
        agents = version("openai-agents", python)
        print(f"openai-agents {agents} (websockets {version('websockets', python)})")
    pin(0)
    if args.only in (None, "cpu"):
        asyncio.run(cpu_tables(args, cpu))
    if args.only in (None, "barge"):
        asyncio.run(barge_table(args, barge))
    if args.only in (None, "idle"):
        asyncio.run(idle_table(args))
    args.results.write(args.json)


if __name__ == "__main__":
    main()
