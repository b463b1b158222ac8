"""The README's demo: ``realtime-agents demo`` runs offline and prints a readable timeline.

The demo lives in the emulator (core never imports it) and is a command of its plugin.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

import realtime_agents_emulator.plugin
import realtime_agents_websocket.plugin
from realtime_agents.cli import main
from realtime_agents.plugins import PluginHost, build_plugin_manager
from realtime_agents_emulator.demo import run_demo

TIMELINE = [
    r"realtime-agents demo: a voice agent talking to the local emulator \(offline\)",
    r"  emulator ws://127\.0\.0\.1:\d+/v1/realtime \| transport websocket \| audio x\S+",
    r" +\+\d+\.\d{3}s  connected   agent Assistant, model gpt-realtime",
    r" +\+\d+\.\d{3}s  user        What's the weather in Paris\?",
    r' +\+\d+\.\d{3}s  tool call   get_weather\(\{"city":"Paris"\}\)',
    r" +\+\d+\.\d{3}s  tool result get_weather -> 18 degrees and sunny in Paris",
    r" +\+\d+\.\d{3}s  audio       first audio \d+ ms after the user's message",
    r" +\+\d+\.\d{3}s  Assistant   Right now it is 18 degrees and sunny in Paris\.",
    r" +\+\d+\.\d{3}s  user        I have a question about my last invoice\.",
    r" +\+\d+\.\d{3}s  handoff     Assistant -> Billing",
    r" +\+\d+\.\d{3}s  audio       first audio \d+ ms after the user's message",
    r" +\+\d+\.\d{3}s  Billing     Hi, this is Billing\. "
    r"Your last invoice was 42 euros, paid on March 3rd\.",
    r"done in \d+\.\d s: 2 user turns, 1 tool call, 1 handoff, \d+\.\d s of agent audio; "
    r"first-audio latency: \d+ ms, \d+ ms",
]


def make_host(*plugins: object) -> PluginHost:
    """A plugin host that sees only ``plugins`` (never the installed entry points)."""
    return PluginHost(build_plugin_manager(plugins=plugins, load_entry_points=False))


def check_timeline(output: str) -> None:
    lines = output.splitlines()
    assert len(lines) == len(TIMELINE), output
    for line, pattern in zip(lines, TIMELINE, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}"


async def test_demo_in_process() -> None:
    out = io.StringIO()
    host = make_host(realtime_agents_websocket.plugin)
    assert await run_demo(audio_speed=0, out=out, plugin_host=host) == 0
    check_timeline(out.getvalue())


def test_demo_console_script() -> None:
    """The command of the README, as installed in the workspace (real entry points)."""
    script = Path(sys.executable).with_name("realtime-agents")
    result = subprocess.run(
        [str(script), "demo"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    check_timeline(result.stdout)


def test_demo_rejects_a_negative_speed(capsys: pytest.CaptureFixture[str]) -> None:
    host = make_host(realtime_agents_emulator.plugin)
    with pytest.raises(SystemExit):
        main(["demo", "--audio-speed", "-1"], host=host)
    assert "cannot be negative" in capsys.readouterr().err


def test_demo_command_passes_the_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    import realtime_agents_emulator.demo as demo

    speeds: list[float] = []
    monkeypatch.setattr(demo, "main", lambda *, audio_speed: speeds.append(audio_speed) or 0)
    host = make_host(realtime_agents_emulator.plugin)
    assert main(["demo"], host=host) == 0
    assert main(["demo", "--audio-speed", "0"], host=host) == 0
    assert speeds == [demo.DEFAULT_AUDIO_SPEED, 0.0]


async def test_demo_without_the_websocket_transport_says_what_to_install(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_demo(audio_speed=0, out=io.StringIO(), plugin_host=make_host()) == 1
    err = capsys.readouterr().err
    assert "pip install ./core ./plugins/websocket './emulator[demo]'" in err  # works today
    assert "pip install 'realtime-agents-emulator[demo]'" in err  # once published
