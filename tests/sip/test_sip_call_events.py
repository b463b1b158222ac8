"""What the contract harness claims for OpenAIRealtimeSIP beyond the suite's own tests: the
caller's speech is transcribed (INPUT_TRANSCRIPTION) and ``interrupt()`` stops a reply on the
line (INTERRUPT), though the audio never passes through the transport; and the caller's BYE
ends the attached connection normally. A small in-process SIP phone (``sip_helpers.Caller``)
calls the emulator's SIP edge over loopback; the official client accepts the call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openai import AsyncOpenAI
from sip_helpers import Caller, g711

from realtime_agents.events import ConnectionStatus
from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say
from realtime_agents_sip import OpenAIRealtimeSIP

KEY = "sk-sip-call-events"
STORY_MS = 3000
BRAIN = RulesBrain(
    [Rule(audio=1, transcript="tell me a story", then=[Say("A story.", audio_ms=STORY_MS)])]
)


@pytest.fixture
async def call(make_emulator: Any) -> AsyncIterator[tuple[Emulator, Caller, str]]:
    emulator: Emulator = await make_emulator(sip_port=0, brain=BRAIN)
    assert emulator.sip is not None
    caller = await Caller.dial(emulator.sip.port)
    await caller.ringing()
    call_id = emulator.sip.calls[0].call_id
    async with AsyncOpenAI(api_key=KEY, base_url=emulator.base_url, max_retries=0) as client:
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")
    await caller.answered()
    try:
        yield emulator, caller, call_id
    finally:
        await emulator.stop()
        caller.close()


async def test_the_callers_speech_is_transcribed_and_interrupt_quiets_the_line(
    call: tuple[Emulator, Caller, str],
) -> None:
    emulator, caller, call_id = call
    transport = OpenAIRealtimeSIP(url=emulator.ws_url)
    heard: list[Any] = []
    interrupted: list[Any] = []
    transport.on("input_audio_transcription", heard.append)
    transport.on("audio_interrupted", interrupted.append)
    await transport.connect(api_key=KEY, call_id=call_id)
    started = asyncio.ensure_future(transport.wait_for("output_audio_buffer.started", timeout=5))
    await caller.play(g711(("tone", 500), ("silence", 700)))  # server VAD ends the turn
    await started
    await asyncio.sleep(0.3)  # some of the story is on the line
    await transport.interrupt()
    await transport.wait_for("output_audio_buffer.cleared", timeout=5)
    before = len(caller.ear.voiced())
    await asyncio.sleep(0.5)
    assert [event.transcript for event in heard] == ["tell me a story"]
    assert len(interrupted) == 1
    assert 0 < before < STORY_MS // 20 - 20  # cut short of its 150 packets …
    assert len(caller.ear.voiced()) == before  # … and quiet since
    await transport.close()


async def test_the_callers_bye_ends_the_connection_normally(
    call: tuple[Emulator, Caller, str],
) -> None:
    emulator, caller, call_id = call
    transport = OpenAIRealtimeSIP(url=emulator.ws_url)
    errors: list[Any] = []
    transport.on("error", errors.append)
    await transport.connect(api_key=KEY, call_id=call_id)
    await caller.hang_up()
    await transport.wait_for(
        "connection_change", lambda e: e.status is ConnectionStatus.DISCONNECTED, timeout=5
    )
    assert errors == []  # the call ended: a normal close, not a lost connection
    assert emulator.sip is not None
    assert (emulator.sip.calls[0].state, emulator.sip.calls[0].ended_by) == ("ended", "caller")
