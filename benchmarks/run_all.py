"""Run every benchmark in this folder in its quick mode and print one table of their numbers.

    uv run python benchmarks/run_all.py                  # every benchmark, --quick (~1 minute)
    uv run python benchmarks/run_all.py --only import_time,idle_memory
    uv run python benchmarks/run_all.py --full           # their full sizes (many minutes)

A benchmark is any ``benchmarks/*.py`` not starting with ``_`` (helpers) other than this one.
Each runs in a process of its own with ``--quick --json FILE`` and writes its headline rows
there (the interface of ``_results.py``); nothing is parsed from the tables they print, which
``--verbose`` shows as they run. A benchmark whose prerequisites are missing (workerd for the
Cloudflare worker, aiortc for WebRTC) is listed as skipped with the reason; one that fails is
listed with its last error line, and the exit status is then 1. Quick numbers are smoke-sized:
read the ratios (each measured against its floor or peer in the same run), not the absolutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _results import machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT = 900.0  # seconds per benchmark in quick mode; --full waits without a bound


def _has_module(name: str) -> str | None:
    return None if importlib.util.find_spec(name) else f"{name} is not installed"


def _has_workerd() -> str | None:
    binary = ROOT / "tests" / "cloudflare" / "node_modules" / ".bin" / "workerd"
    return None if binary.exists() else "needs `npm ci --prefix tests/cloudflare` (workerd)"


def _agents_args() -> list[str]:
    # openai-agents-python is a peer only when its venv exists: creating it downloads
    return [] if (HERE / ".venv-agents" / "bin" / "python").exists() else ["--skip-agents"]


#: What a benchmark needs beyond the workspace (a reason when it is missing) ...
PREREQUISITES: dict[str, Callable[[], str | None]] = {
    "cloudflare_worker": _has_workerd,
    "webrtc_connect": lambda: _has_module("aiortc"),
    "webrtc_sessions": lambda: _has_module("aiortc"),
}
#: ... and the arguments it gets besides --quick and --json.
EXTRA_ARGS: dict[str, Callable[[], list[str]]] = {"websocket_transport": _agents_args}


def benchmarks() -> list[str]:
    """Every benchmark script's name, in a stable order."""
    names = (p.stem for p in HERE.glob("*.py") if not p.name.startswith("_"))
    return sorted(name for name in names if name != "run_all")


def run_one(name: str, full: bool, verbose: bool) -> dict[str, Any]:
    """Run ``name`` and return its JSON document, or ``{"error": ...}`` / ``{"skipped": ...}``."""
    missing = PREREQUISITES.get(name, lambda: None)()
    if missing:
        return {"skipped": missing}
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(HERE / f"{name}.py"), "--json", str(out)]
        command += [] if full else ["--quick"]
        command += EXTRA_ARGS.get(name, list)()
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                stdout=None if verbose else subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                timeout=None if full else TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"no result within {TIMEOUT:.0f} s"}
        seconds = time.monotonic() - started
        if done.returncode != 0 or not out.exists():
            lines = (done.stderr or "").strip().splitlines() or [f"exit status {done.returncode}"]
            return {"error": lines[-1], "seconds": seconds}
        document: dict[str, Any] = json.loads(out.read_text())
        document["seconds"] = seconds
        return document


def cell(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def table(documents: dict[str, dict[str, Any]]) -> list[str]:
    """The Markdown table of every row, failures and skips included."""
    lines = [
        "| benchmark | metric | value | floor / peer (same run) | ratio |",
        "|---|---|---:|---|---:|",
    ]
    for name, document in documents.items():
        if "skipped" in document or "error" in document:
            status = "skipped" if "skipped" in document else "FAILED"
            reason = document.get("skipped") or document.get("error")
            lines.append(f"| {name} | {status}: {reason} | | | |")
            continue
        for row in document["rows"]:
            value = f"{cell(row['value'])} {row['unit']}" if row["value"] is not None else "–"
            floor = row["floor"] or ""
            if row["floor_value"] is not None:
                floor += f" = {cell(row['floor_value'])} {row['unit']}"
            ratio = f"{row['ratio']:.2f}×" if row["ratio"] is not None else ""
            note = f" ({row['note']})" if row.get("note") else ""
            lines.append(f"| {name} | {row['metric']}{note} | {value} | {floor} | {ratio} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names (see --list)")
    parser.add_argument("--list", action="store_true", help="print the benchmarks and exit")
    parser.add_argument("--full", action="store_true", help="full sizes instead of --quick")
    parser.add_argument("--verbose", action="store_true", help="show each benchmark's tables")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write every document")
    args = parser.parse_args()
    known = benchmarks()
    if args.list:
        print("\n".join(known))
        return 0
    chosen = known if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in known]
    if unknown or not chosen:
        parser.error(
            f"unknown benchmark {', '.join(unknown) or '(none)'}; known: {', '.join(known)}"
        )
    where = machine()
    print(
        f"{where['cpu']} · {where['cpus']} CPUs · {where['os']} · Python {where['python']} · "
        + " · ".join(f"{k} {v}" for k, v in where["libraries"].items())
    )
    print("quick mode: smoke sizes, read the ratios" if not args.full else "full sizes")
    documents: dict[str, dict[str, Any]] = {}
    for name in chosen:
        print(f"… {name}", file=sys.stderr, flush=True)
        documents[name] = run_one(name, args.full, args.verbose)
    print("\n".join(table(documents)))
    took = ", ".join(f"{n} {d['seconds']:.0f} s" for n, d in documents.items() if "seconds" in d)
    print(f"\ntime: {took}")
    if args.json:
        args.json.write_text(json.dumps({"machine": where, "benchmarks": documents}, indent=1))
    return 1 if any("error" in d for d in documents.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
