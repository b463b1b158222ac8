"""End to end: a real SIP phone (SIPp) calls the emulator's SIP edge, and the example phone agent
(``plugins/sip/examples/phone_agent.py``) answers it.

The path is the production one, on loopback: SIPp's INVITE carries a µ-law tone (a raw file)
→ the emulator posts a signed ``realtime.call.incoming`` → the example's aiohttp server verifies
it with the official client, accepts the call with the agent's config (``calls.accept``) and
attaches ``RealtimeSession(agent, transport=OpenAIRealtimeSIP)`` by ``call_id`` → the emulator's
brain rules play the model (an order number → ``lookup_order``; a person → the transfer; goodbye
→ ``end_call``) → the reply is spoken into RTP, recorded by the test at the media address the
caller's SDP names, and checked by level (voice, not silence). The example only gains what a
user would want too: its events connection goes where its client goes
(``OpenAIRealtimeSIP.from_client``), ``max_calls`` (486 beyond it) and an ``on_session`` hook,
through which the test watches each call's session.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from openai import AsyncOpenAI
from phone_app import Watch, load_example
from sip_helpers import RtpRecorder, Sipp, write_tone

from realtime_agents_emulator import AudioFormat, CallFunction, Emulator, Rule, RulesBrain, Say

SCENARIOS = Path(__file__).parent / "scenarios"
ORDER = "Where is my order 42?"
STORY_MS = 3000
RULES = [
    Rule(text=r"order (?P<id>\d+)", then=[CallFunction("lookup_order", {"order_id": "{id}"})]),
    Rule(text="person", then=[CallFunction("transfer_to_support", {})]),
    Rule(text="goodbye", then=[CallFunction("end_call", {})]),
    Rule(text="story", then=[Say("Once upon a time, a long story.", audio_ms=STORY_MS)]),
    Rule(text="^stop$", then=[]),
    Rule(tool="lookup_order", then=[Say("{output}", audio_ms=1000)]),
    Rule(tool="transfer_to_support", then=[Say("{output}", audio_ms=400)]),
    Rule(tool="end_call", then=[]),
]
#: The app's greeting (a response.create with no user turn) is what no rule matches.
GREETING = Say("Hello, the shop.", audio_ms=500)
WATCHED_TRANSPORT_EVENTS = (
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_transcription",
    "input_audio_buffer.dtmf_event_received",
    "output_audio_buffer.started",
    "output_audio_buffer.cleared",
    "audio_interrupted",
    "audio",
)
WATCHED_SESSION_EVENTS = ("agent_tool_start", "agent_tool_end", "agent_end")


@dataclass
class Line:
    """The emulator, the example's server in front of it, and the calls' sessions."""

    emulator: Emulator
    server: Any
    watches: asyncio.Queue[Watch]

    @property
    def sip_port(self) -> int:
        assert self.emulator.sip is not None
        return self.emulator.sip.port

    def hears(self, *transcripts: str) -> None:
        """The next calls' audio turns are heard as ``transcripts``, in order."""
        self.emulator.brain = RulesBrain(RULES, transcripts, fallback=[GREETING])

    async def next_call(self) -> Watch:
        return await asyncio.wait_for(self.watches.get(), 10)

    async def calls_finished(self) -> None:
        """Every call task of the app ended (bounded: a session left hanging fails here)."""
        await asyncio.wait_for(asyncio.gather(*self.server.calls.values()), 5)


@pytest.fixture
async def line(make_emulator: Any) -> AsyncIterator[Line]:
    # The webhook URL must be known before the emulator starts, and the app needs the
    # emulator's URL: the app's socket is bound first and served once the app exists.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    emulator: Emulator = await make_emulator(
        sip_port=0,
        webhook_url=f"http://127.0.0.1:{port}/openai/webhook",
        brain=RulesBrain(RULES, fallback=[GREETING]),
    )
    client = AsyncOpenAI(
        api_key="sk-phone-e2e",
        base_url=emulator.base_url,
        webhook_secret=emulator.webhook_secret,
        max_retries=0,
    )
    watches: asyncio.Queue[Watch] = asyncio.Queue()

    def on_session(call: Any, session: Any) -> None:
        watch = Watch(call, session)
        watch.follow(session.transport, *WATCHED_TRANSPORT_EVENTS)
        watch.follow(session, *WATCHED_SESSION_EVENTS)
        watches.put_nowait(watch)

    server = load_example().PhoneServer(client, on_session=on_session)
    runner = web.AppRunner(server.app(), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield Line(emulator, server, watches)
    finally:
        await runner.cleanup()  # cancels calls still running (none, in a passing test)
        await client.close()


@pytest.fixture
async def recorder() -> AsyncIterator[RtpRecorder]:
    ear = await RtpRecorder.open()
    yield ear
    ear.close()


def bursts(voiced: list[int]) -> list[list[int]]:
    """Voiced packet indexes grouped into bursts (a gap of over 200 ms splits them)."""
    groups: list[list[int]] = []
    for index in voiced:
        if groups and index - groups[-1][-1] <= 10:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def leftover_tasks() -> list[asyncio.Task[Any]]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and task.get_name().startswith(("realtime_agents", "call "))
    ]


async def test_a_call_is_verified_accepted_answered_with_a_tool_and_ended_by_the_caller(
    line: Line, recorder: RtpRecorder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    line.hears(ORDER)
    # The greeting plays first; then the caller asks; the answer (1 s) plays; then BYE.
    write_tone(tmp_path, ("silence", 1200), ("tone", 600), ("silence", 2500))
    sipp = Sipp(
        tmp_path, "caller_hangs_up.xml", line.sip_port, "-key", "rtp_rx_port", str(recorder.port)
    )
    sipp.command += ["-d", "4800"]
    async with sipp:
        watch = await line.next_call()
        messages = await sipp.finish()
    await line.calls_finished()  # the caller's BYE ended the session, and the call's task

    assert "SIP/2.0 200 OK" in messages
    assert "BYE sip:openai@" in messages
    (call,) = line.emulator.sip.calls if line.emulator.sip else []
    assert call.webhook is not None
    assert call.webhook.delivered  # signed, and the example's unwrap took it
    assert (call.state, call.ended_by) == ("ended", "caller")
    assert watch.call.call_id == call.call_id
    # The caller's turn as the app's session saw it, then the tool the "model" called.
    turn = [name for name in watch.names() if name.startswith(("input_audio", "agent_tool"))]
    assert turn == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_transcription",
        "agent_tool_start",
        "agent_tool_end",
    ]
    assert watch.of("input_audio_transcription")[0].transcript == ORDER
    (ended,) = watch.of("agent_tool_end")
    assert ended.tool.name == "lookup_order"
    assert ended.output == "Order 42 shipped yesterday and arrives tomorrow."
    said = [event.output_text for event in watch.of("agent_end")]
    assert said == ["Hello, the shop.", "", ended.output]  # greeting, the call, the answer
    assert watch.of("audio") == []  # the voice went down the phone line, not to the app
    # On the line: 20 ms PCMU packets in sequence; the greeting, then the answer, voiced.
    packets = recorder.packets
    assert {(p.payload_type, len(p.payload)) for p in packets} == {(0, 160)}
    assert all((b.sequence - a.sequence) % 65536 == 1 for a, b in itertools.pairwise(packets))
    spoken = [len(burst) for burst in bursts(recorder.voiced())]
    assert len(spoken) == 2
    assert spoken[0] >= 15  # the 500 ms greeting
    assert spoken[1] >= 35  # the 1 s answer
    assert "failed" not in caplog.text
    assert leftover_tasks() == []


async def test_the_caller_barges_in_and_the_line_goes_quiet(
    line: Line, recorder: RtpRecorder, tmp_path: Path
) -> None:
    line.hears("tell me a story", "stop")
    write_tone(
        tmp_path,
        ("silence", 1200),
        ("tone", 500),  # "tell me a story": a 3 s answer starts about 0.5 s later
        ("silence", 1500),
        ("tone", 500),  # "stop", over the answer
        ("silence", 1500),
    )
    sipp = Sipp(
        tmp_path, "caller_hangs_up.xml", line.sip_port, "-key", "rtp_rx_port", str(recorder.port)
    )
    sipp.command += ["-d", "5200"]
    async with sipp:
        watch = await line.next_call()
        await sipp.finish()
    await line.calls_finished()

    assert len(watch.of("input_audio_buffer.speech_started")) == 2
    cleared = watch.names().index("output_audio_buffer.cleared")
    second = [i for i, n in enumerate(watch.log) if n[0] == "input_audio_buffer.speech_started"][1]
    assert second < cleared  # the caller's voice stopped the answer
    assert len(watch.of("audio_interrupted")) == 1  # the session learnt of it
    _greeting, story = bursts(recorder.voiced())
    assert len(story) < STORY_MS // 20 - 20  # cut well short of its 150 packets
    assert len(recorder.packets) - story[-1] > 25  # then ≥ 0.5 s of silence on the line


async def test_the_app_interrupts_with_a_clear_and_no_truncate(
    line: Line, recorder: RtpRecorder, tmp_path: Path
) -> None:
    line.hears("tell me a story")
    write_tone(tmp_path, ("silence", 1200), ("tone", 500), ("silence", 3000))
    sipp = Sipp(
        tmp_path, "caller_hangs_up.xml", line.sip_port, "-key", "rtp_rx_port", str(recorder.port)
    )
    sipp.command += ["-d", "4500"]
    async with sipp:
        watch = await line.next_call()
        await watch.wait_for("input_audio_transcription")
        await watch.wait_for("output_audio_buffer.started", count=2)  # after the greeting's
        await asyncio.sleep(0.3)  # the caller hears some of it
        await watch.session.interrupt()
        sideband = line.emulator.connections[-1]
        await sideband.wait_for_client_event("output_audio_buffer.clear")
        await sipp.finish()
    await line.calls_finished()

    sent = [event["type"] for event in sideband.client_events]
    assert "conversation.item.truncate" not in sent  # the server owns playback
    assert "output_audio_buffer.cleared" in watch.names()
    assert len(watch.of("audio_interrupted")) == 1
    _greeting, story = bursts(recorder.voiced())
    assert len(story) < STORY_MS // 20 - 20
    assert len(recorder.packets) - story[-1] > 25


async def test_a_full_app_rejects_the_call_busy(line: Line, tmp_path: Path) -> None:
    line.server.max_calls = 0  # draining: no new calls here
    async with Sipp(tmp_path, "rejected.xml", line.sip_port) as sipp:
        messages = await sipp.finish()
    await line.calls_finished()
    assert "SIP/2.0 486 Busy Here" in messages
    assert line.emulator.sip is not None
    (call,) = line.emulator.sip.calls
    assert (call.state, call.ended_by) == ("rejected", "server")
    assert list(line.server.calls) == [call.call_id]
    assert line.watches.empty()  # no session was attached
    assert line.emulator.connections == []


async def test_the_agent_transfers_the_caller_with_refer(
    line: Line, recorder: RtpRecorder, tmp_path: Path
) -> None:
    line.hears("Can I talk to a person?")
    write_tone(tmp_path, ("silence", 1200), ("tone", 500), ("silence", 2000))
    sipp = Sipp(
        tmp_path,
        SCENARIOS / "referred.xml",
        line.sip_port,
        "-key",
        "rtp_rx_port",
        str(recorder.port),
    )
    async with sipp:
        watch = await line.next_call()
        messages = await sipp.finish()  # SIPp checked the REFER's target, answered 202, left
    await line.calls_finished()

    assert "REFER sip:sipp@" in messages
    assert "Refer-To: <sip:support@example.com>" in messages
    (started,) = watch.of("agent_tool_start")
    assert started.tool.name == "transfer_to_support"
    assert line.emulator.sip is not None
    (call,) = line.emulator.sip.calls
    assert ("REFER", 202) in call.responses
    assert call.ended_by == "caller"
    assert leftover_tasks() == []


async def test_the_agent_hangs_up_with_end_call(
    line: Line, recorder: RtpRecorder, tmp_path: Path
) -> None:
    line.hears("Thanks, goodbye")
    pcma = AudioFormat("audio/pcma")
    write_tone(tmp_path, ("silence", 1200), ("tone", 500), ("silence", 2000), codec=pcma)
    sipp = Sipp(tmp_path, "hung_up.xml", line.sip_port, "-key", "rtp_rx_port", str(recorder.port))
    async with sipp:
        watch = await line.next_call()
        messages = await sipp.finish()  # SIPp waited for the BYE and answered it
    await line.calls_finished()

    assert "BYE sip:sipp@" in messages
    (started,) = watch.of("agent_tool_start")
    assert started.tool.name == "end_call"
    assert line.emulator.sip is not None
    (call,) = line.emulator.sip.calls
    assert (call.state, call.ended_by) == ("ended", "server")
    assert leftover_tasks() == []


async def test_dtmf_reaches_the_session(line: Line, tmp_path: Path) -> None:
    async with Sipp(tmp_path, "dtmf.xml", line.sip_port, "-d", "1500") as sipp:
        watch = await line.next_call()
        digit = await watch.wait_for("input_audio_buffer.dtmf_event_received")
        await sipp.finish()
    await line.calls_finished()
    assert digit.data["event"] == "5"
    assert len(watch.of("input_audio_buffer.dtmf_event_received")) == 1
