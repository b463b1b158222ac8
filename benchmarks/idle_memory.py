"""Memory per idle, connected WebSocket session: Python heap (tracemalloc) and process RSS.

DESIGN §6 budget: ≤ 64 KiB per idle WebSocket session. The emulator runs in a process of its
own (on the first CPU); each measurement is a fresh client process (on the other CPU) that
connects one warm-up client, then N more, waits until every one is connected and idle (its
``session.updated`` arrived), and reports the growth divided by N:

* **heap**: bytes traced by ``tracemalloc`` (Python objects only);
* **RSS**: the process's resident set (``VmRSS``), which adds what tracemalloc does not see:
  the interpreter's allocator pages, websockets' and asyncio's buffers, ``ssl``-less socket
  objects. Measured in a separate process from the heap figure, because tracing allocations
  itself costs RSS. Kernel socket buffers are not part of either.

Clients, each next to the others in the same run:

* ``floor``: a bare websockets asyncio client reading ``session.created`` (the least any
  Python client built on websockets holds);
* ``transport``: ``OpenAIRealtimeWebSocket`` (default backend) as a thin client;
* ``session``: ``RealtimeSession`` over ``OpenAIRealtimeWebSocket`` with a one-line agent.

Keepalive pings stay on (the defaults), as in a real idle session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _results import Results, add_json_argument

KEY = "sk-bench-0123456789abcdef"
KINDS = ("floor", "transport", "session")
BUDGET_KIB = 64.0
BATCH = 50  # connects in flight at once
CPUS = sorted(os.sched_getaffinity(0))


# -- the emulator process --------------------------------------------------------------------


def serve(conn: Any, cpu: int | None) -> None:
    """Child process: the emulator until the parent says stop."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    from realtime_agents_emulator import Emulator

    async def main() -> None:
        async with Emulator(port=0, record_events=False) as emu:
            conn.send(emu.ws_url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


# -- the client process ----------------------------------------------------------------------


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def open_one(kind: str, url: str) -> Any:
    """One connected, idle client of ``kind``; returns what must be closed."""
    if kind == "floor":
        from websockets.asyncio.client import connect

        ws = await connect(url, additional_headers={"Authorization": f"Bearer {KEY}"})
        await ws.recv()  # session.created
        return ws
    from realtime_agents_websocket import OpenAIRealtimeWebSocket

    if kind == "transport":
        client = OpenAIRealtimeWebSocket(url=url)
        await client.connect(api_key=KEY)  # returns once session.updated arrived
        return client
    from realtime_agents import RealtimeAgent, RealtimeSession

    agent = RealtimeAgent(name="idle", instructions="Say hello.")
    session = RealtimeSession(agent, transport=OpenAIRealtimeWebSocket())
    await session.connect(api_key=KEY, url=url)
    return session


async def client_main(kind: str, url: str, count: int, measure: str) -> dict[str, float]:
    import gc
    import tracemalloc

    warm = await open_one(kind, url)  # imports, caches and the loop's own growth
    await asyncio.sleep(0.2)
    gc.collect()
    if measure == "heap":
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0] if measure == "heap" else rss_bytes()
    clients: list[Any] = []
    while len(clients) < count:
        batch = min(BATCH, count - len(clients))
        clients += await asyncio.gather(*(open_one(kind, url) for _ in range(batch)))
    await asyncio.sleep(0.5)  # settle: late frames read, buffers at their idle size
    gc.collect()
    after = tracemalloc.get_traced_memory()[0] if measure == "heap" else rss_bytes()
    if measure == "heap":
        tracemalloc.stop()
    for client in [warm, *clients]:
        await client.close()
    return {"kib_per_session": (after - before) / count / 1024}


def run_client(kind: str, url: str, count: int, measure: str, compare: str | None = None) -> float:
    """KiB per session of one client process; with ``compare``, that path (another tree's
    sources) comes first on its ``sys.path``."""
    command = [sys.executable, __file__, "--client", kind, "--url", url]
    command += ["--sessions", str(count), "--measure", measure]
    if len(CPUS) > 1:  # the emulator has the first CPU
        command += ["--cpu", str(CPUS[-1])]
    env = {**os.environ, "PYTHONPATH": compare} if compare else None
    out = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, env=env)
    if out.returncode != 0:
        raise SystemExit(f"idle_memory: the {kind} client failed: {out.stderr.strip()[-500:]}")
    return float(json.loads(out.stdout.strip().splitlines()[-1])["kib_per_session"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000, help="idle sessions (1000)")
    parser.add_argument("--quick", action="store_true", help="100 sessions")
    parser.add_argument("--client", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=["heap", "rss"], help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--compare",
        metavar="PATHS",
        help="also measure our clients with PATHS (another tree's core/src and "
        "plugins/websocket/src, ':'-separated) first on sys.path, in the same run",
    )
    add_json_argument(parser)
    args = parser.parse_args()
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    if args.client:  # a client process started by the parent below
        if args.cpu is not None:
            os.sched_setaffinity(0, {args.cpu})
        result = asyncio.run(client_main(args.client, args.url, args.sessions, args.measure))
        print(json.dumps(result))
        return
    count = 100 if args.quick else args.sessions
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(child, CPUS[0] if len(CPUS) > 1 else None))
    proc.start()
    try:
        if not parent.poll(30):
            raise SystemExit("idle_memory: the emulator did not start")
        url = parent.recv()
        table = {
            kind: {m: run_client(kind, url, count, m) for m in ("heap", "rss")} for kind in KINDS
        }
        if args.compare:
            for kind in ("transport", "session"):
                table[f"{kind} [compare]"] = {
                    m: run_client(kind, url, count, m, args.compare) for m in ("heap", "rss")
                }
    finally:
        parent.send("stop")
        proc.join(15)
        if proc.is_alive():
            proc.terminate()
    print(f"{count} idle connected sessions per client process; KiB per session")
    print("| client | heap (tracemalloc) | RSS | vs floor (RSS) |")
    print("|---|---:|---:|---:|")
    floor = table["floor"]["rss"]
    results = Results("idle_memory", quick=args.quick)
    labels = {
        "floor": "floor: bare websockets client",
        "transport": "OpenAIRealtimeWebSocket (thin client)",
        "session": "RealtimeSession over OpenAIRealtimeWebSocket",
    }
    for kind in table:
        heap, rss = table[kind]["heap"], table[kind]["rss"]
        label = labels[kind.split(" ")[0]] + kind[len(kind.split(" ")[0]) :]
        print(f"| {label} | {heap:.1f} | {rss:.1f} | {rss / floor:.2f}× |")
        if kind not in KINDS:
            continue  # the compared tree: printed, not recorded
        for measure, value in (("heap", heap), ("RSS", rss)):
            if kind == "floor":
                results.add(f"idle {measure} per session: {labels[kind]}", value, "KiB")
            else:
                floor_value = table["floor"]["heap" if measure == "heap" else "rss"]
                results.add(
                    f"idle {measure} per session: {labels[kind]}",
                    value,
                    "KiB",
                    floor="bare websockets client",
                    floor_value=floor_value,
                )
    worst = max(table["session"].values())
    verdict = "met" if worst <= BUDGET_KIB else "NOT met"
    print(f"\nbudget ≤ {BUDGET_KIB:.0f} KiB per idle session (RealtimeSession, both): {verdict}")
    results.write(args.json)


if __name__ == "__main__":
    main()
