"""The emulator's in-process SIP phone (``realtime_agents_emulator.sip.phone``) against its own
SIP edge over loopback: a whole call (ringing, answered, speech out, a reply heard on the ear
as it arrives, hang-up), the emulator's BYE answered, and a refused call as CallFailedError."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from openai import AsyncOpenAI

from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say
from realtime_agents_emulator.sip.phone import PCMU, Caller, CallFailedError, level
from realtime_agents_emulator.sip.rtp import RtpPacket
from realtime_agents_emulator.synth import synthetic_speech

KEY = "sk-sip-phone"
BRAIN = RulesBrain([Rule(audio=1, transcript="hello", then=[Say("Hi!", audio_ms=600)])])


def replied(phone: Caller) -> bool:
    """Voice was heard, and then 200 ms of silence."""
    voiced = phone.ear.voiced()
    return bool(voiced) and len(phone.ear.packets) - voiced[-1] > 10


async def accept(emulator: Emulator, call_id: str) -> None:
    async with AsyncOpenAI(api_key=KEY, base_url=emulator.base_url, max_retries=0) as client:
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")


async def test_a_call_speaks_hears_the_reply_and_hangs_up(make_emulator: Any) -> None:
    emulator: Emulator = await make_emulator(sip_port=0, brain=BRAIN)
    assert emulator.sip is not None
    followed: list[RtpPacket] = []
    phone = await Caller.dial(emulator.sip.port, followed.append)
    try:
        await phone.ringing()
        sip_call = emulator.sip.calls[0]
        assert sip_call.call_id.startswith("rtc_")
        await accept(emulator, sip_call.call_id)
        await phone.answered()
        speech = PCMU.encode(synthetic_speech("hello there"))
        await phone.play(speech + PCMU.encode(b"\0\0" * 24 * 700))  # then 700 ms of silence
        async with asyncio.timeout(10):  # the caller stays on the line until the reply ended
            while not replied(phone):
                await phone.play(PCMU.encode(b"\0\0" * 24 * 100))
        assert len(phone.ear.voiced()) >= 10  # at least 200 ms of the reply's voice
        assert followed == phone.ear.packets  # on_packet saw every packet, in order
        assert max(level(p.payload) for p in followed) > 2000
        await phone.hang_up()
        await sip_call.wait_ended()
        assert sip_call.ended_by == "caller"
    finally:
        phone.close()


async def test_the_emulators_bye_is_answered(make_emulator: Any) -> None:
    emulator: Emulator = await make_emulator(sip_port=0, brain=BRAIN)
    assert emulator.sip is not None
    phone = await Caller.dial(emulator.sip.port)
    try:
        await phone.ringing()
        call_id = emulator.sip.calls[0].call_id
        await accept(emulator, call_id)
        await phone.answered()
        async with AsyncOpenAI(api_key=KEY, base_url=emulator.base_url, max_retries=0) as client:
            await client.realtime.calls.hangup(call_id)
        async with asyncio.timeout(5):
            await phone.hung_up.wait()
        assert [request.method for request in phone.requests] == ["BYE"]
        await emulator.sip.calls[0].wait_ended()
    finally:
        phone.close()


async def test_a_refused_call_is_call_failed(make_emulator: Any) -> None:
    emulator: Emulator = await make_emulator(sip_port=0, brain=BRAIN)
    assert emulator.sip is not None
    phone = await Caller.dial(emulator.sip.port)
    try:
        await phone.ringing()
        call_id = emulator.sip.calls[0].call_id
        async with AsyncOpenAI(api_key=KEY, base_url=emulator.base_url, max_retries=0) as client:
            await client.realtime.calls.reject(call_id, status_code=486)
        with pytest.raises(CallFailedError, match=r"^the call was answered 486 Busy Here$"):
            await phone.answered()
    finally:
        phone.close()
