"""``realtime-agents demo``: a voice agent with a tool and a handoff, offline, in seconds.

Starts the Realtime API emulator in-process on a loopback port, connects a
:class:`~realtime_agents.session.RealtimeSession` to it over the ``websocket`` transport (or
``webrtc``, ``sip``, ``twilio``: found through the plugin entry points, as any installed
transport is; how each call reaches the session is in :mod:`.demo_lines`), says two user turns
and prints a timeline: what the user said, tool calls with arguments and results, the handoff,
what each agent said, and how long the first audio took to arrive after each turn. The reply
audio as the user heard it can be saved to a WAV file (PCM16 24 kHz mono).

The emulator's scripted brain plays the model: it calls ``get_weather`` when asked about the
weather, and hands off to billing when the user mentions an invoice. Nothing leaves the
machine; the API key is a placeholder the emulator accepts.

This module needs realtime-agents and realtime-agents-websocket (the ``demo`` extra); the
``demo`` command (:mod:`.plugin`) imports it only when it runs.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from realtime_agents.agent import RealtimeAgent
from realtime_agents.errors import RealtimeAgentsError
from realtime_agents.install import install_hint
from realtime_agents.plugins import default_host
from realtime_agents.session import RealtimeSession
from realtime_agents.tools import tool

from .demo_calls import TURN_TIMEOUT
from .demo_lines import LINES, MODEL, Call, Line
from .rules import RulesBrain

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
TRANSPORTS = tuple(LINES)
_SAMPLE_RATE = 24_000
_PCM16_BYTES_PER_MS = 48  # 24 kHz mono 16-bit
#: What to install when the transport is missing: (distribution, extra).
_PACKAGE_FOR = {
    "websocket": ("realtime-agents-emulator", "demo"),
    "webrtc": ("realtime-agents-webrtc", None),
    "sip": ("realtime-agents-sip", None),
    "twilio": ("realtime-agents-twilio", None),
}
#: Modules a transport's line needs besides the transport, and what installs them.
_MODULES_FOR = {"sip": ("sipmessage", ("realtime-agents-emulator", "sip"))}

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
    # A phone's caller speaks, and the emulator recognises no speech: it hears the n-th
    # audio turn as the n-th of these (text turns are read as they are).
    "transcripts": list(USER_TURNS),
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
        self._after = "the user's message"
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

    def user(self, text: str, *, spoken: bool = False) -> None:
        """The user's turn begins (``spoken``: a caller on a phone line speaks it)."""
        self.user_at = time.monotonic()
        self._after = "the caller stopped speaking" if spoken else "the user's message"
        self.line("user", f"{text} (spoken)" if spoken else text)

    def spoke(self) -> None:
        """The caller has finished speaking: the reply's latency counts from here."""
        if self.user_at is not None:
            self.user_at = time.monotonic()

    def attach(self, session: RealtimeSession[Any]) -> None:
        session.on("agent_tool_start", self._tool_start)
        session.on("agent_tool_end", self._tool_end)
        session.on("agent_handoff", self._handoff)
        session.on("agent_end", self._agent_end)
        session.on("error", self._error)

    def hear(self, pcm16: bytes) -> None:
        """Reply audio the user heard (PCM16 24 kHz); the first after a turn is timed."""
        self.audio += pcm16
        if self.user_at is None or not pcm16:
            return
        latency = (time.monotonic() - self.user_at) * 1000
        self.user_at = None
        self.latencies_ms.append(latency)
        self.line("audio", f"first audio {latency:.0f} ms after {self._after}")

    def _tool_start(self, event: Any) -> None:
        self.tool_calls += 1
        self.line("tool call", f"{event.tool.name}({event.arguments})")

    def _tool_end(self, event: Any) -> None:
        self.line("tool result", f"{event.tool.name} -> {event.output}")

    def _handoff(self, event: Any) -> None:
        self.handoffs += 1
        self.line("handoff", f"{event.from_agent.name} -> {event.to_agent.name}")

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
    installed plugins). ``save``: where to write the reply audio the user heard, as WAV.
    """
    out = out or sys.stdout
    if transport not in TRANSPORTS:
        choices = ", ".join(TRANSPORTS[:-1]) + f" or {TRANSPORTS[-1]}"
        print(
            f"realtime-agents demo: unknown transport {transport!r}; use {choices}", file=sys.stderr
        )
        return 2
    factory = _factory(transport, plugin_host or default_host())
    if isinstance(factory, str):
        print(f"realtime-agents demo: {factory}", file=sys.stderr)
        return 1
    timeline = Timeline(out)
    brain = RulesBrain.from_dict(DEMO_RULES)
    emulator = {"brain": brain, "audio_speed": audio_speed, "speech": "synthetic"}
    call = Call(build_agent(), factory, emulator, timeline, plugin_host)
    async with LINES[transport](call) as line:
        print(
            "realtime-agents demo: a voice agent talking to the local emulator (offline)", file=out
        )
        print(
            f"  emulator {line.address} | transport {transport} | audio x{audio_speed:g}", file=out
        )
        if line.spoken:
            print(_PHONE_NOTE, file=out)
        session = line.session
        timeline.line("connected", f"agent {session.current_agent.name}, model {MODEL}")
        for text in USER_TURNS:
            await _turn(line, timeline, text)
    timeline.print(timeline.summary())
    if save is not None:
        save_wav(save, bytes(timeline.audio))
        timeline.print(f"saved the agents' audio to {save}")
    return 1 if timeline.errors else 0


_PHONE_NOTE = (
    "  the caller speaks each turn (synthetic speech, which the emulator's script hears as the\n"
    "  words shown: it recognises no speech); the reply is what the caller heard, in real time"
)


def _factory(name: str, host: PluginHost) -> Callable[..., RealtimeTransportLayer] | str:
    """The installed transport ``name``'s factory, or what to install (one sentence)."""
    factory = host.transports.get(name)
    if factory is None:
        return f"the {name} transport is not installed; {install_hint(*_PACKAGE_FOR[name])}"
    module, (distribution, extra) = _MODULES_FOR.get(name, (None, ("", None)))
    if module is not None and importlib.util.find_spec(module) is None:
        hint = install_hint(distribution, extra)
        return f"the {name} demo needs {module}, which is not installed; {hint}"
    # Factories are the transports' classes; the lines pass them their options.
    return cast("Callable[..., RealtimeTransportLayer]", factory)


def save_wav(path: Path, pcm16: bytes) -> None:
    """Write PCM16 24 kHz mono audio (the Realtime API's format) to a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(_SAMPLE_RATE)
        wav.writeframes(pcm16)


async def _turn(line: Line, timeline: Timeline, text: str) -> None:
    """Say ``text`` and wait until an agent has answered it out loud, heard to the end."""
    answered = asyncio.ensure_future(
        line.session.wait_for("agent_end", lambda e: bool(e.output_text), timeout=TURN_TIMEOUT)
    )
    heard = asyncio.ensure_future(line.reply_heard())
    timeline.user(text, spoken=line.spoken)
    try:
        await line.say(text)
        await asyncio.gather(answered, heard)
    finally:
        for waiter in (answered, heard):
            waiter.cancel()


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
