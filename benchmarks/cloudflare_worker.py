"""Cloudflare Worker: cold start to the first ``session.created``, and the cost of a delta in
Pyodide, next to a raw JavaScript worker doing the same ``fetch()`` upgrade, in one run.

    uv run python benchmarks/cloudflare_worker.py              # 5 cold starts, 5 turns each
    uv run python benchmarks/cloudflare_worker.py --runs 1     # a smoke run

Everything runs on this machine, offline: the emulator in this process (audio at full speed),
real workerd (``tests/cloudflare/node_modules``, after ``npm ci --prefix tests/cloudflare``)
with the layer-3 test worker (``tests/cloudflare/js/worker.mjs``), which boots the npm Pyodide
(0.28.2 = Python 3.13, 314.0.6 = Python 3.14) and mounts our wheels.

* **cold start**: a new workerd process, then one request that boots Pyodide, imports core and
  the plugin, and connects ``CloudflareRealtimeTransportLayer`` (fetch upgrade → accept →
  ``session.created``); timed from this process, from sending the request to its answer. The
  raw JS worker's cold start is the same request without Python: fetch upgrade →
  ``session.created``.
* **per delta**: on a warm worker, one response of 2000 audio deltas (20 ms each) served by
  the replay peer (``_replay.py``: the emulator's recorded turn, written as fast as the socket
  takes it, so the worker is the bottleneck); the time from asking to ``response.done``,
  divided by the deltas. Python: every frame through the transport's channel, the shared
  driver and protocol, to an ``audio`` handler. Raw JS: ``JSON.parse`` and a base64 decode per
  frame. Timed inside workerd with ``performance.now()``; workerd runs one request at a time
  here, so wall time is the worker's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cloudflare"))

from _replay import ReplayPeer, record_turn  # noqa: E402
from _results import Results, add_json_argument, machine_line  # noqa: E402
from cf_bundle import build_bundle  # noqa: E402
from cf_runtimes import PYODIDES, free_port, post_json, workerd  # noqa: E402
from cf_workerd import write_config  # noqa: E402

from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say  # noqa: E402

COMPAT = "2026-11-01"
DELTAS = 2000
QUESTION = "go"


async def cold_start(bundle: Path, work: Path, pyodide: str, route: str, url: str) -> float:
    """Milliseconds from sending the first request to a new workerd to its answer."""
    port = free_port()
    config = write_config(work, pyodide=pyodide, compat=COMPAT, port=port, bundle=bundle)
    async with workerd(config, port, timeout=60):
        started = time.perf_counter()
        await post_json(f"http://127.0.0.1:{port}{route}", {"url": url, "question": "Hi"}, 120)
        return (time.perf_counter() - started) * 1000


async def warm_turns(
    bundle: Path, work: Path, pyodide: str, url: str, turns: int
) -> dict[str, list[dict[str, Any]]]:
    """``turns`` turns of each kind on one warm worker, alternating Python and raw JS."""
    port = free_port()
    config = write_config(work, pyodide=pyodide, compat=COMPAT, port=port, bundle=bundle)
    body = {"url": url, "question": QUESTION}
    out: dict[str, list[dict[str, Any]]] = {"python": [], "raw": []}
    async with workerd(config, port, timeout=60):
        await post_json(f"http://127.0.0.1:{port}/bench/python", body, 120)  # boot + warm-up
        await post_json(f"http://127.0.0.1:{port}/bench/raw", body, 120)
        for _ in range(turns):
            for kind in ("python", "raw"):
                out[kind].append(
                    await post_json(f"http://127.0.0.1:{port}/bench/{kind}", body, 120)
                )
    return out


def per_delta_us(turn: dict[str, Any]) -> float:
    return float(turn["turnMs"]) * 1000 / max(int(turn["deltas"]), 1)


async def main(runs: int, results: Results) -> None:
    brain = RulesBrain([Rule(then=[Say("benchmark", audio_ms=DELTAS * 20)])])
    emulator = Emulator(audio_speed=0, audio_chunk_ms=20, brain=brain, speech="synthetic")
    await emulator.start()
    url = f"{emulator.ws_url}?model=gpt-realtime"
    try:
        recorded = await record_turn(url)
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            bundle = build_bundle(work / "bundle")
            print(machine_line())
            print(f"workerd compat {COMPAT}; {runs} cold starts and {runs} warm turns per row\n")
            async with ReplayPeer(recorded).serving() as replay_url:
                await report(work, bundle, url, replay_url, runs, results)
    finally:
        await emulator.stop()


async def report(
    work: Path, bundle: Path, url: str, replay_url: str, runs: int, results: Results
) -> None:
    n = 0

    def fresh() -> Path:
        nonlocal n
        n += 1
        return work / f"w{n}"

    print("| worker | cold start → session.created, ms (median, min–max) |")
    print("|---|---:|")
    raw = [await cold_start(bundle, fresh(), "pyodide", "/bench/raw", url) for _ in range(runs)]
    print(f"| raw JS fetch upgrade | {summary(raw)} |")
    for python, package in PYODIDES.items():
        cold = [
            await cold_start(bundle, fresh(), package, "/bench/python", url) for _ in range(runs)
        ]
        name = f"Python {python} (Pyodide `{package}`) + CloudflareRealtimeTransportLayer"
        print(f"| {name} | {summary(cold)} |")
        results.add(
            f"cold start → session.created ms: Python {python} + CloudflareRealtimeTransportLayer",
            statistics.median(cold),
            "ms",
            floor="raw JS fetch upgrade",
            floor_value=statistics.median(raw),
        )
    print("\n| worker | warm connect, ms | deltas per turn | µs per delta (median) | vs raw JS |")
    print("|---|---:|---:|---:|---:|")
    for python, package in PYODIDES.items():
        turns = await warm_turns(bundle, fresh(), package, replay_url, runs)
        py = statistics.median(per_delta_us(t) for t in turns["python"])
        js = statistics.median(per_delta_us(t) for t in turns["raw"])
        py_connect = statistics.median(float(t["connectMs"]) for t in turns["python"])
        js_connect = statistics.median(float(t["connectMs"]) for t in turns["raw"])
        deltas = turns["python"][0]["deltas"]
        print(
            f"| raw JS (same workerd as the next row) | {js_connect:.1f} "
            f"| {turns['raw'][0]['deltas']} | {js:.1f} | 1.00× |"
        )
        print(
            f"| Python {python}: transport → `audio` handler | {py_connect:.1f} "
            f"| {deltas} | {py:.1f} | {py / js:.2f}× |"
        )
        results.add(
            f"µs per audio delta in a warm worker: Python {python}",
            py,
            "µs",
            floor="raw JS, same workerd",
            floor_value=js,
        )


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts and warm turns per row")
    parser.add_argument("--quick", action="store_true", help="one cold start and turn per row")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results = Results("cloudflare_worker", quick=args.quick)
    asyncio.run(main(1 if args.quick else args.runs, results))
    results.write(args.json)
