"""The emulator as a command, ``realtime-agents-emulator --workers N``, for load benchmarks.

:func:`serve_workers` is a drop-in for ``concurrent_sessions.serve`` (the same pipe protocol:
it sends the ``ws://`` URL, then answers ``open``/``close``/``stop``): it runs the emulator's
own command in a subprocess with ``--workers N``, so the emulator may use every core, and
stops it with SIGTERM. The command's loop lag cannot be observed from outside, so ``close``
answers an empty list (the table shows "–"); :func:`tree_cpu_seconds` counts the CPU of the
whole process tree (supervisor and workers).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

MODEL = "gpt-realtime"
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def serve_workers(conn: Any, speech_ms: int, chunk_ms: int, workers: int, cpu: int | None) -> None:
    """Child process: the emulator command with ``workers`` processes until told to stop,
    pinned to ``cpu`` if given (its processes inherit the pinning)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "rules.json"
        rules.write_text(
            json.dumps({"rules": [{"then": [{"say": "a long story", "audio_ms": speech_ms}]}]})
        )
        command = [
            sys.executable,
            "-m",
            "realtime_agents_emulator.cli",
            *("--port", "0", "--workers", str(workers), "--brain", str(rules)),
            *("--audio-speed", "1", "--audio-chunk-ms", str(chunk_ms), "--speech", "synthetic"),
            *("--log-level", "warning"),
        ]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            found = re.search(r"listening on http://([\d.]+:\d+) ", first)
            if not found:
                raise RuntimeError(f"the emulator did not start: {first!r}")
            conn.send(f"ws://{found.group(1)}/v1/realtime?model={MODEL}")
            while (command_ := conn.recv()) != "stop":
                if command_ == "close":
                    conn.send([])  # its loop lag is not visible from here
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    conn.send("stopped")


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and every live descendant (Linux)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended meanwhile
    return total
