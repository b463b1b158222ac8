"""Every file in examples/ runs against the in-process emulator and exits 0, quietly.

Each runs in its own interpreter with warnings as errors, so an example that leaves a task
pending or a socket open fails here. The phone examples are servers that call themselves
once: a Twilio double dials ``twilio_server.py``, a SIP phone calls the emulator's SIP edge,
whose webhook reaches ``sip_phone_agent.py``; what the caller heard is checked here too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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


#: One example per transport besides the docs' (customWebRTCTransport is a docs example).
TRANSPORT_EXAMPLES = {"custom_webrtc_transport", "twilio_server", "sip_phone_agent"}
#: What each phone example's offline call prints: the agent's words (the server's log) and
#: how much of them the caller heard.
PHONE_CALLS = {
    "twilio_server": [
        r'TwiML: <\?xml version="1\.0" encoding="UTF-8"\?><Response><Connect>'
        r'<Stream url="wss://127\.0\.0\.1:\d+/media-stream"/></Connect></Response>',
        r"Receptionist: Hello, Sunny Bakery, how can I help\?",
        r"caller heard the greeting: (?P<greeting>\d+\.\d) s",
        r"caller: \(speaks\) When do you open tomorrow\?",
        r"Receptionist: We open at 7 in the morning\.",
        r"caller heard the answer: (?P<answer>\d+\.\d) s",
    ],
    "sip_phone_agent": [
        r"call answered \(sip:openai@127\.0\.0\.1:\d+\)",
        r"Receptionist: Hello, Sunny Bakery, how can I help\?",
        r"caller heard the greeting: (?P<greeting>\d+\.\d) s of voice",
        r"caller: \(speaks\) What time do you close today\?",
        r"Receptionist: We close at 6 in the evening today\.",
        r"caller heard the answer: (?P<answer>\d+\.\d) s of voice",
    ],
}


def run_example(script: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-W", "error", str(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=EXAMPLES,
        check=False,
        env=env,
    )


def test_every_transport_has_an_example() -> None:
    assert {p.stem for p in SCRIPTS} >= TRANSPORT_EXAMPLES


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_example_runs(script: Path) -> None:
    result = run_example(script)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip()
    if script.stem in PHONE_CALLS:
        check_phone_call(result.stdout, PHONE_CALLS[script.stem])


def check_phone_call(output: str, expected: list[str]) -> None:
    lines = output.splitlines()
    assert len(lines) == len(expected), output
    heard: dict[str, float] = {}
    for line, pattern in zip(lines, expected, strict=True):
        found = re.fullmatch(pattern, line)
        assert found, f"{line!r} does not match {pattern!r}"
        heard.update({name: float(value) for name, value in found.groupdict().items()})
    # The emulator's synthetic voice lasts 60 ms a character (its gaps are not voice): the
    # caller heard most of each reply, on the phone line, not merely its transcript.
    assert heard["greeting"] >= 1.2
    assert heard["answer"] >= 1.2


@pytest.mark.parametrize("stem", sorted(PHONE_CALLS))
def test_a_phone_example_live_without_a_key_is_one_line(stem: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    result = run_example(EXAMPLES / f"{stem}.py", "--live", env=env)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.count("\n") == 1
    assert "OPENAI_API_KEY" in result.stderr
