"""The README's demo: ``realtime-agents demo`` runs offline and prints a readable timeline.

The demo lives in the emulator (core never imports it) and is a command of its plugin. Over
each transport it runs as a subprocess of the installed command: over ``sip`` a real SIP
call (UDP, RTP) reaches a webhook app through the emulator's SIP edge, over ``twilio`` the
Twilio double dials a local Media Streams server; their saved reply is what the caller heard.
"""

from __future__ import annotations

import array
import io
import os
import re
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import pytest

import realtime_agents_emulator.plugin
import realtime_agents_websocket.plugin
from realtime_agents.cli import main
from realtime_agents.install import install_hint
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


#: Where each transport's call enters the emulator (the header's address).
ADDRESS = {
    "websocket": r"ws://127\.0\.0\.1:\d+/v1/realtime",
    "webrtc": r"http://127\.0\.0\.1:\d+/v1/realtime/calls",
    "sip": r"sip:openai@127\.0\.0\.1:\d+",
    "twilio": r"ws://127\.0\.0\.1:\d+/v1/realtime",
}
PHONES = ("sip", "twilio")
#: On a phone line the timeline says the turns are spoken, and times the reply from the
#: end of the caller's speech.
PHONE_NOTE = [
    r"  the caller speaks each turn \(synthetic speech, which the emulator's script hears as the",
    r"  words shown: it recognises no speech\); the reply is what the caller heard, in real time",
]


def expected_timeline(transport: str) -> list[str]:
    header = rf"  emulator {ADDRESS[transport]} \| transport {transport} \| audio x\S+"
    if transport not in PHONES:
        return [TIMELINE[0], header, *TIMELINE[2:]]
    lines = [TIMELINE[0], header, *PHONE_NOTE]
    for line in TIMELINE[2:]:
        if "  user  " in line:
            line += r" \(spoken\)"
        line = line.replace("after the user's message", "after the caller stopped speaking")
        lines.append(line)
    return lines


def check_timeline(
    output: str, *, transport: str = "websocket", extra: tuple[str, ...] = ()
) -> None:
    lines = output.splitlines()
    expected = [*expected_timeline(transport), *extra]
    assert len(lines) == len(expected), output
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}"


def run_script(
    *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``realtime-agents ARGUMENTS`` as installed in the workspace (real entry points)."""
    script = Path(sys.executable).with_name("realtime-agents")
    return subprocess.run(
        [str(script), *arguments],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def reported_seconds(output: str) -> float:
    """The seconds of agent audio the demo's summary line reports."""
    return float(re.findall(r"(\d+\.\d) s of agent audio", output)[0])


def read_reply(path: Path) -> tuple[float, int]:
    """A saved reply's duration in seconds and its peak sample, checking its format."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        samples = array.array("h", wav.readframes(wav.getnframes()))
        return wav.getnframes() / 24000, max(abs(sample) for sample in samples)


async def test_demo_in_process() -> None:
    out = io.StringIO()
    host = make_host(realtime_agents_websocket.plugin)
    assert await run_demo(audio_speed=0, out=out, plugin_host=host) == 0
    check_timeline(out.getvalue())


def test_demo_console_script() -> None:
    """The command of the README, as installed in the workspace (real entry points)."""
    result = run_script("demo")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    check_timeline(result.stdout)


@pytest.mark.parametrize("transport", ["websocket", "webrtc", "sip", "twilio"])
def test_demo_saves_the_reply_over_each_transport(transport: str, tmp_path: Path) -> None:
    saved = tmp_path / "reply.wav"
    result = run_script("demo", "--transport", transport, "--save", str(saved))
    assert (result.returncode, result.stderr) == (0, "")
    check_timeline(
        result.stdout,
        transport=transport,
        extra=(rf"saved the agents' audio to {re.escape(str(saved))}",),
    )
    seconds, peak = read_reply(saved)
    # The emulator's synthetic speech for the two replies lasts about 7 s; over WebRTC the
    # Opus round trip may shave or pad a frame or two at each reply's edges, and a SIP
    # caller's reply runs from its first voiced 20 ms packet to its last (the synthetic
    # voice's quiet punctuation at the edges is left out with the line's silence).
    assert seconds == pytest.approx(7.0, abs=0.3)
    assert round(seconds, 1) == reported_seconds(result.stdout)
    assert peak > 2000  # speech-like, not silence


def test_demo_unknown_transport_is_one_line(tmp_path: Path) -> None:
    result = run_script("demo", "--transport", "carrier-pigeon", "--save", str(tmp_path / "r.wav"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "realtime-agents demo: unknown transport 'carrier-pigeon'; "
        "use websocket, webrtc, sip or twilio\n"
    )
    assert not (tmp_path / "r.wav").exists()


@pytest.mark.parametrize("transport", ["webrtc", "sip", "twilio"])
def test_demo_over_a_transport_not_installed_says_what_to_install(transport: str) -> None:
    result = run_script(
        "demo", "--transport", transport, env={"REALTIME_AGENTS_DISABLE_PLUGINS": transport}
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"realtime-agents demo: the {transport} transport is not installed; "
        f"{install_hint(f'realtime-agents-{transport}')}\n"
    )


def test_demo_rejects_a_negative_speed(capsys: pytest.CaptureFixture[str]) -> None:
    host = make_host(realtime_agents_emulator.plugin)
    with pytest.raises(SystemExit):
        main(["demo", "--audio-speed", "-1"], host=host)
    assert "cannot be negative" in capsys.readouterr().err


def test_demo_command_passes_the_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    import realtime_agents_emulator.demo as demo

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(demo, "main", lambda **options: calls.append(options) or 0)
    host = make_host(realtime_agents_emulator.plugin)
    assert main(["demo"], host=host) == 0
    assert (
        main(["demo", "--audio-speed", "0", "--transport", "webrtc", "--save", "r.wav"], host=host)
        == 0
    )
    assert calls == [
        {"audio_speed": demo.DEFAULT_AUDIO_SPEED, "transport": "websocket", "save": None},
        {"audio_speed": 0.0, "transport": "webrtc", "save": Path("r.wav")},
    ]


async def test_demo_without_the_websocket_transport_says_what_to_install(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_demo(audio_speed=0, out=io.StringIO(), plugin_host=make_host()) == 1
    err = capsys.readouterr().err
    assert err.startswith("realtime-agents demo: the websocket transport is not installed; ")
    assert err.count("\n") == 1
    assert "pip install ./core ./plugins/websocket './emulator[demo]'" in err  # works today
    assert "pip install 'realtime-agents-emulator[demo]'" in err  # once published


async def test_demo_over_sip_without_the_sip_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The SIP line needs the emulator's SIP edge (its ``sip`` extra), not only the transport."""
    import importlib.util

    import realtime_agents_sip.plugin

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "sipmessage" else find_spec(name, *args),
    )
    host = make_host(realtime_agents_sip.plugin)
    assert await run_demo(audio_speed=0, out=io.StringIO(), plugin_host=host, transport="sip") == 1
    assert capsys.readouterr().err == (
        "realtime-agents demo: the sip demo needs sipmessage, which is not installed; "
        f"{install_hint('realtime-agents-emulator', 'sip')}\n"
    )
