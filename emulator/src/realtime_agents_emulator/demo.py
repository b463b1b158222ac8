"""``realtime-agents demo``: a voice agent with a tool and a handoff, offline, in seconds.

Starts the Realtime API emulator in-process on a loopback port, connects a
:class:`~realtime_agents.session.RealtimeSession` to it over the ``websocket`` transport (or
``webrtc``: found through the plugin entry points, as any installed transport is), sends two
user messages and prints a timeline: what the user said, tool calls with arguments and results,
the handoff, what each agent said, and how long the first audio took to arrive after each
message. The agents' reply audio can be saved to a WAV file (PCM16 24 kHz mono).

The emulator's scripted brain plays the model: it calls ``get_weather`` when asked about the
weather, and hands off to billing when the user mentions an invoice. Nothing leaves the
machine; the API key is a placeholder the emulator accepts.

This module needs realtime-agents and realtime-agents-websocket (the ``demo`` extra); the
``demo`` command (:mod:`.plugin`) imports it only when it runs.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from realtime_agents._install import install_hint
from realtime_agents.agent import RealtimeAgent
from realtime_agents.errors import RealtimeAgentsError
from realtime_agents.plugins import default_host
from realtime_agents.session import RealtimeSession
from realtime_agents.tools import tool

from .rules import RulesBrain
from .server import Emulator

if TYPE_CHECKING:
    from realtime_agents.plugins import PluginHost
    from realtime_agents.transport import RealtimeTransportLayer

__all__ = [
    "DEFAULT_AUDIO_SPEED",
    "TRANSPORTS",
    "USER_TURNS",
    "build_agent",
    "main",
    "run_demo",
    "save_wav",
]

#: Emulator audio pacing for the demo: four times real time.
DEFAULT_AUDIO_SPEED = 4.0
USER_TURNS = ("What's the weather in Paris?", "I have a question about my last invoice.")
#: The transports the demo can run over; the first is the default.
TRANSPORTS = ("websocket", "webrtc")
_SAMPLE_RATE = 24_000
_PCM16_BYTES_PER_MS = 48  # 24 kHz mono 16-bit
_TURN_TIMEOUT = 20.0
#: Seconds without reply audio after which a WebRTC reply's tail has arrived.
_TAIL_QUIET = 0.3
#: What to install when the transport is missing: (distribution, extra).
_PACKAGE_FOR = {
    "websocket": ("realtime-agents-emulator", "demo"),
    "webrtc": ("realtime-agents-webrtc", None),
}
#: The transport's options: over WebRTC the demo must neither record the microphone nor play
#: the reply on the speaker (the reply arrives as ``audio`` events, as over WebSocket).
_OPTIONS: dict[str, dict[str, Any]] = {
    "websocket": {},
    "webrtc": {"microphone": False, "speaker": False},
}

#: The emulator's script (see :mod:`.rules` for the format).
DEMO_RULES: dict[str, Any] = {
    "rules": [
        {
            "when": {"text": r"weather in (?P<city>\w+)"},
            "then": [{"call": "get_weather", "arguments": {"city": "{city}"}}],
        },
        {"when": {"tool": "get_weather"}, "then": "Right now it is {output}."},
        {"when": {"text": "invoice|bill|payment"}, "then": [{"call": "transfer_to_billing"}]},
        {
            "when": {"tool": "transfer_to_billing"},
            "then": "Hi, this is Billing. Your last invoice was 42 euros, paid on March 3rd.",
        },
    ],
    "fallback": "echo",
}


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The city's name.
    """
    return f"18 degrees and sunny in {city}"


def build_agent() -> RealtimeAgent[Any]:
    """The demo's front agent (with ``get_weather``) and its billing handoff."""
    billing: RealtimeAgent[Any] = RealtimeAgent(
        "Billing",
        "You answer questions about invoices and payments.",
        handoff_description="Invoices, payments and refunds.",
        voice="ash",
    )
    return RealtimeAgent(
        "Assistant",
        "You are a cheerful assistant. Use tools when they help; hand billing to Billing.",
        tools=[get_weather],
        handoffs=[billing],
        voice="ash",
    )


class Timeline:
    """Prints what happens, with the time since the demo started."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.start = time.monotonic()
        self.user_at: float | None = None
        self.latencies_ms: list[float] = []
        self.audio = bytearray()
        self.tool_calls = 0
        self.handoffs = 0
        self.errors: list[str] = []
        self._reader_gone = False

    def print(self, text: str) -> None:
        """Print one line; a reader that went away (``| head``) silences the rest."""
        if self._reader_gone:
            return
        try:
            print(text, file=self.out, flush=True)
        except BrokenPipeError:
            self._reader_gone = True
            if self.out is sys.stdout:  # so the interpreter's last flush does not fail too
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    def line(self, label: str, text: str) -> None:
        stamp = f"+{time.monotonic() - self.start:.3f}s"
        self.print(f"  {stamp:>8}  {label:<11} {text}")

    def user(self, text: str) -> None:
        self.user_at = time.monotonic()
        self.line("user", text)

    def attach(self, session: RealtimeSession[Any]) -> None:
        session.on("agent_tool_start", self._tool_start)
        session.on("agent_tool_end", self._tool_end)
        session.on("agent_handoff", self._handoff)
        session.on("audio_start", self._audio_start)
        session.on("audio", self._audio)
        session.on("agent_end", self._agent_end)
        session.on("error", self._error)

    def _tool_start(self, event: Any) -> None:
        self.tool_calls += 1
        self.line("tool call", f"{event.tool.name}({event.arguments})")

    def _tool_end(self, event: Any) -> None:
        self.line("tool result", f"{event.tool.name} -> {event.output}")

    def _handoff(self, event: Any) -> None:
        self.handoffs += 1
        self.line("handoff", f"{event.from_agent.name} -> {event.to_agent.name}")

    def _audio_start(self, event: Any) -> None:
        if self.user_at is None:
            return
        latency = (time.monotonic() - self.user_at) * 1000
        self.user_at = None
        self.latencies_ms.append(latency)
        self.line("audio", f"first audio {latency:.0f} ms after the user's message")

    def _audio(self, event: Any) -> None:
        self.audio += event.data

    def _agent_end(self, event: Any) -> None:
        if event.output_text:
            self.line(event.agent.name, event.output_text)

    def _error(self, event: Any) -> None:
        self.errors.append(str(event.error))
        self.line("error", str(event.error))

    def summary(self) -> str:
        latencies = ", ".join(f"{ms:.0f} ms" for ms in self.latencies_ms) or "none"
        seconds = len(self.audio) / _PCM16_BYTES_PER_MS / 1000
        return (
            f"done in {time.monotonic() - self.start:.1f} s: {len(USER_TURNS)} user turns, "
            f"{self.tool_calls} tool call, {self.handoffs} handoff, "
            f"{seconds:.1f} s of agent audio; first-audio latency: {latencies}"
        )


async def run_demo(
    *,
    audio_speed: float = DEFAULT_AUDIO_SPEED,
    out: TextIO | None = None,
    plugin_host: PluginHost | None = None,
    transport: str = TRANSPORTS[0],
    save: Path | None = None,
) -> int:
    """Run the demo, printing the timeline to ``out``; returns the process exit code.

    ``transport`` (one of :data:`TRANSPORTS`) is looked up in ``plugin_host`` (default: the
    installed plugins). ``save``: where to write the agents' reply audio as a WAV file.
    """
    out = out or sys.stdout
    if transport not in TRANSPORTS:
        choices = " or ".join(TRANSPORTS)
        print(
            f"realtime-agents demo: unknown transport {transport!r}; use {choices}", file=sys.stderr
        )
        return 2
    made = _transport(transport, plugin_host or default_host())
    if made is None:
        hint = install_hint(*_PACKAGE_FOR[transport])
        print(
            f"realtime-agents demo: the {transport} transport is not installed; {hint}",
            file=sys.stderr,
        )
        return 1
    brain = RulesBrain.from_dict(DEMO_RULES)
    async with Emulator(brain=brain, audio_speed=audio_speed, speech="synthetic") as emulator:
        session: RealtimeSession[Any] = RealtimeSession(
            build_agent(), transport=made, model="gpt-realtime", plugin_host=plugin_host
        )
        url = _endpoint(emulator, transport)
        print(
            "realtime-agents demo: a voice agent talking to the local emulator (offline)", file=out
        )
        print(
            f"  emulator {url.split('?')[0]} | transport {transport} | audio x{audio_speed:g}",
            file=out,
        )
        timeline = Timeline(out)
        timeline.attach(session)
        async with session:
            await session.connect(api_key="sk-demo", url=url)
            timeline.line("connected", f"agent {session.current_agent.name}, model gpt-realtime")
            for text in USER_TURNS:
                await _turn(session, timeline, text, transport)
        timeline.print(timeline.summary())
        if save is not None:
            save_wav(save, bytes(timeline.audio))
            timeline.print(f"saved the agents' audio to {save}")
        return 1 if timeline.errors else 0


def _transport(name: str, host: PluginHost) -> RealtimeTransportLayer | None:
    """A new transport named ``name`` for the demo; None when it is not installed."""
    factory = host.transports.get(name)
    if factory is None:
        return None
    # Factories are the transports' classes; these options are theirs.
    return cast("Callable[..., RealtimeTransportLayer]", factory)(**_OPTIONS[name])


def _endpoint(emulator: Emulator, transport: str) -> str:
    """Where ``transport`` reaches the emulator: its WebSocket, or its WebRTC calls URL."""
    if transport == "webrtc":
        return f"{emulator.base_url}/realtime/calls"
    return f"{emulator.ws_url}?model=gpt-realtime"


def save_wav(path: Path, pcm16: bytes) -> None:
    """Write PCM16 24 kHz mono audio (the Realtime API's format) to a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(_SAMPLE_RATE)
        wav.writeframes(pcm16)


async def _turn(
    session: RealtimeSession[Any], timeline: Timeline, text: str, transport: str
) -> None:
    """Say ``text`` and wait until an agent has answered it out loud, to the audio's end."""
    answered = asyncio.ensure_future(
        session.wait_for("agent_end", lambda e: bool(e.output_text), timeout=_TURN_TIMEOUT)
    )
    heard = asyncio.ensure_future(_heard(session, timeline, transport))
    timeline.user(text)
    await session.send_message(text)
    await asyncio.gather(answered, heard)


async def _heard(session: RealtimeSession[Any], timeline: Timeline, transport: str) -> None:
    """Wait until the reply's audio has all arrived (so that ``--save`` gets all of it)."""
    if transport != "webrtc":
        await session.wait_for("audio_stopped", timeout=_TURN_TIMEOUT)
        return
    # Over WebRTC the reply plays in real time on the track, long after its text is complete;
    # the server says when its buffer drained, and the last frames are still in flight then
    # (the jitter buffer): they have arrived once the track has carried no reply for a while.
    await session.transport.wait_for("output_audio_buffer.stopped", timeout=_TURN_TIMEOUT)
    received = -1
    while received != len(timeline.audio):
        received = len(timeline.audio)
        await asyncio.sleep(_TAIL_QUIET)


def main(
    *,
    audio_speed: float = DEFAULT_AUDIO_SPEED,
    transport: str = TRANSPORTS[0],
    save: Path | None = None,
) -> int:
    """Entry point used by ``realtime-agents demo``."""
    try:
        return asyncio.run(run_demo(audio_speed=audio_speed, transport=transport, save=save))
    except (RealtimeAgentsError, TimeoutError, OSError) as exc:
        print(f"realtime-agents demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
