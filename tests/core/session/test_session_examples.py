"""Every file in examples/ runs against the in-process emulator and exits 0, quietly.

Each runs in its own interpreter with warnings as errors, so an example that leaves a task
pending or a socket open fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
DOCS_EXAMPLES = {
    "create_agent", "multi_agents", "create_session", "configure_session", "turn_detection",
    "handle_audio", "define_tool", "tool_approval_event", "guardrails", "guardrail_settings",
    "audio_interrupted", "session_interrupt", "session_history", "history_updated",
    "update_history", "websocket_session", "transport_events", "send_message", "thin_client",
    "tool_history",
}  # fmt: skip


def test_every_docs_example_has_a_script() -> None:
    assert {p.stem for p in SCRIPTS} >= DOCS_EXAMPLES


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_example_runs(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=EXAMPLES,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip()
