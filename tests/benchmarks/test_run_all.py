"""benchmarks/run_all.py and the ``--quick``/``--json`` interface every benchmark offers.

Every benchmark in quick mode takes about a minute on this 2-core machine, over the half
minute a test may take, so ``run_all`` runs here on the cheap ones (import time, the WebSocket
pipeline without sockets, WebRTC connect); every other benchmark is checked to offer the
interface, and ``tests/websocket/test_ws_benchmark_smoke.py`` runs the transport benchmark.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
RUN_ALL = BENCHMARKS / "run_all.py"
CHEAP = ("import_time", "websocket_pipeline", "webrtc_connect")
ROW_KEYS = {"metric", "value", "unit", "floor", "floor_value", "ratio"}


def run_all(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN_ALL), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def listed() -> list[str]:
    out = run_all("--list")
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def check_document(document: dict[str, Any]) -> None:
    assert document["quick"] is True
    assert document["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert document["rows"], "a benchmark reports at least one number"
    for row in document["rows"]:
        assert set(row) - {"note"} == ROW_KEYS
        assert isinstance(row["metric"], str)
        assert row["value"] is None or row["value"] >= 0
        if row["ratio"] is not None:  # derived from the two numbers of the same run
            assert row["floor"]
            assert row["ratio"] == pytest.approx(row["value"] / row["floor_value"], rel=0.01)


def test_every_script_is_listed() -> None:
    stems = (p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))
    scripts = sorted(stem for stem in stems if stem != "run_all")
    assert listed() == scripts
    assert {"import_time", "idle_memory", *CHEAP} <= set(scripts)


def test_every_benchmark_offers_quick_and_json() -> None:
    for name in listed():
        out = subprocess.run(
            [sys.executable, str(BENCHMARKS / f"{name}.py"), "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert out.returncode == 0, f"{name}: {out.stderr[-2000:]}"
        assert "--quick" in out.stdout, name
        assert "--json PATH" in out.stdout, name


def test_cheap_benchmarks_through_run_all(tmp_path: Path) -> None:
    collected = tmp_path / "all.json"
    out = run_all("--only", ",".join(CHEAP), "--json", str(collected))
    assert out.returncode == 0, out.stderr[-3000:]
    documents = json.loads(collected.read_text())["benchmarks"]
    assert sorted(documents) == sorted(CHEAP)
    for name in CHEAP:
        check_document(documents[name])
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| benchmark | metric | value | floor / peer (same run) | ratio |"
    rows = sum(len(documents[name]["rows"]) for name in CHEAP)
    assert len(table) == 1 + rows  # the header, then one line per row (the rule starts with |-)
    session = next(line for line in table if "import RealtimeSession (warm .pyc)" in line)
    assert "import asyncio = " in session
    assert session.endswith("× |")


def test_unknown_benchmark_is_one_line_and_an_error() -> None:
    out = run_all("--only", "import_time,no_such_bench")
    assert out.returncode == 2
    assert out.stdout == ""
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .endswith("error: unknown benchmark no_such_bench; known: " + ", ".join(listed()))
    )
