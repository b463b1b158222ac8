"""The benchmark script runs (tiny sizes, without the openai-agents venv)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "websocket_transport.py"


def test_benchmark_runs_with_tiny_sizes() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--skip-agents"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| OpenAIRealtimeWebSocket, sans-I/O backend | none |" in out.stdout
    assert "Barge-in" in out.stdout
