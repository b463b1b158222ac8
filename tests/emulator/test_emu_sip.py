"""The SIP edge, driven by a real SIP phone: SIPp (Debian's ``sip-tester``) over loopback.

SIPp places calls from the scenarios in ``sip/`` carrying a µ-law tone (a raw file written by
each test: SIPp would send a WAV header as audio). The application side is what a user writes:
an aiohttp webhook receiver that verifies ``realtime.call.incoming`` with the official
``openai`` client's ``webhooks.unwrap``, then ``realtime.calls.accept|reject|refer|hangup`` and
a ``?call_id=`` WebSocket through that same client. The reply audio is recorded by a UDP
socket of the test that the caller's SDP names as its media address, and checked by level, not
bytes. Ports are chosen free per test; every SIPp run and wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from openai import (
    AsyncOpenAI,
    AuthenticationError,
    BadRequestError,
    InvalidWebhookSignatureError,
    NotFoundError,
)
from openai.types.webhooks import RealtimeCallIncomingWebhookEvent
from sip_helpers import RtpRecorder, Sipp, write_tone
from sipmessage import Request
from websockets.exceptions import ConnectionClosedOK

from realtime_agents_emulator import (
    AudioFormat,
    EchoBrain,
    Emulator,
    Rule,
    RulesBrain,
    Say,
)
from realtime_agents_emulator.ids import IdFactory
from realtime_agents_emulator.responses import Pacing
from realtime_agents_emulator.session import Session, SessionOptions
from realtime_agents_emulator.sip.call import SipCall
from realtime_agents_emulator.sip.messages import header_list, parse
from realtime_agents_emulator.sip.rtp import RtpPacket, TelephoneEvent
from realtime_agents_emulator.sip.sdp import OfferError, answer, parse_offer
from realtime_agents_emulator.sip.webhook import check_secret, new_secret, sign
from realtime_agents_emulator.synth import SpeechSynthesizer

LONG_REPLY_MS = 3000
TRANSCRIPT = "I need a table for two"
BRAIN = RulesBrain(
    [
        Rule(audio=1, transcript=TRANSCRIPT, then=[Say("A table for two, done.")]),
        Rule(audio=2, transcript="long story", then=[Say("a" * 40, audio_ms=LONG_REPLY_MS)]),
        Rule(audio=3, transcript="stop", then=[]),
    ]
)


# -- helpers ----------------------------------------------------------------------------------


class Hooks:
    """The application's webhook endpoint: verifies each delivery as users are told to."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[RealtimeCallIncomingWebhookEvent] = asyncio.Queue()
        self.refused: list[str] = []
        self.client: AsyncOpenAI | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hooks"

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        assert self.client is not None
        body = await request.read()
        try:
            event = self.client.webhooks.unwrap(body, dict(request.headers))
        except InvalidWebhookSignatureError as exc:
            self.refused.append(str(exc))
            return web.Response(status=400)
        assert isinstance(event, RealtimeCallIncomingWebhookEvent)
        self.events.put_nowait(event)
        return web.Response(status=200)

    async def next(self) -> RealtimeCallIncomingWebhookEvent:
        return await asyncio.wait_for(self.events.get(), 10)


@pytest.fixture
async def hooks() -> AsyncIterator[Hooks]:
    receiver = Hooks()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def recorder() -> AsyncIterator[RtpRecorder]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        RtpRecorder, local_addr=("127.0.0.1", 0)
    )
    yield protocol
    transport.close()


async def phone_emulator(make_emulator: Any, hooks: Hooks, **options: Any) -> Emulator:
    emu: Emulator = await make_emulator(
        sip_port=0, webhook_url=hooks.url, brain=options.pop("brain", BRAIN), **options
    )
    hooks.client = client_for(emu)
    return emu


def client_for(emu: Emulator) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="sk-test", base_url=emu.base_url, webhook_secret=emu.webhook_secret, max_retries=0
    )


def sip_port(emu: Emulator) -> int:
    assert emu.sip is not None
    return emu.sip.port


class RawSip(asyncio.DatagramProtocol):
    """A bare UDP SIP endpoint, for what SIPp cannot script: every message it receives, whole."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.put_nowait(data.decode())

    async def message(self) -> str:
        return await asyncio.wait_for(self.received.get(), 5)

    async def status(self) -> str:
        """The next message's first line (``SIP/2.0 180 Ringing``)."""
        return (await self.message()).split("\r\n", 1)[0]


@contextlib.asynccontextmanager
async def raw_sip(
    host: str = "127.0.0.1",
) -> AsyncIterator[tuple[asyncio.DatagramTransport, RawSip, int]]:
    """``(transport, peer, local port)`` of a :class:`RawSip` endpoint on ``host``; closed after."""
    loop = asyncio.get_running_loop()
    transport, peer = await loop.create_datagram_endpoint(RawSip, local_addr=(host, 0))
    try:
        yield transport, peer, transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


async def events_until(conn: Any, last: str, timeout: float = 10) -> list[dict[str, Any]]:
    """Server events of an openai realtime connection (as dicts) up to the first ``last``."""
    events = []
    while True:
        event = await asyncio.wait_for(conn.recv(), timeout)
        events.append(event.model_dump(exclude_unset=True))
        if event.type == last:
            return events


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


# -- end to end -------------------------------------------------------------------------------


async def test_a_call_is_announced_accepted_heard_and_answered(
    make_emulator: Any, hooks: Hooks, recorder: RtpRecorder, tmp_path: Path
) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    write_tone(tmp_path, ("silence", 600), ("tone", 1000), ("silence", 2400))
    sipp = Sipp(
        tmp_path, "caller_hangs_up.xml", sip_port(emu), "-key", "rtp_rx_port", str(recorder.port)
    )
    sipp.command += ["-d", "4000"]  # how long the caller stays after the ACK
    async with sipp:
        incoming = await hooks.next()
        call_id = incoming.data.call_id
        headers = [(h.name, h.value) for h in incoming.data.sip_headers]
        names = [name for name, _ in headers]
        assert names[:5] == ["Via", "From", "To", "Call-ID", "CSeq"]  # the INVITE's order
        assert ("X-Customer-Id", "cust-42") in headers
        assert ("Subject", "SIPp test call") in headers

        await client.realtime.calls.accept(
            call_id,
            type="realtime",
            model="gpt-realtime",
            instructions="Take bookings.",
            audio={"input": {"transcription": {"model": "whisper-1"}}},
        )
        async with client.realtime.connect(call_id=call_id) as conn:
            events = await events_until(conn, "output_audio_buffer.stopped")
        messages = await sipp.finish()

    names = kinds(events)
    assert names[0] == "session.created"
    assert events[0]["session"]["instructions"] == "Take bookings."
    order = [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
        "output_audio_buffer.started",
        "response.done",
        "output_audio_buffer.stopped",
    ]
    assert [name for name in names if name in order] == order
    transcript = next(e for e in events if e["type"].endswith("transcription.completed"))
    assert transcript["transcript"] == TRANSCRIPT
    assert "response.output_audio.delta" not in names  # the reply went down the phone line
    # The reply reached the caller: 20 ms PCMU packets, in sequence, and not silence.
    packets = recorder.packets
    assert {p.payload_type for p in packets} == {0}
    assert {len(p.payload) for p in packets} == {160}
    assert all(
        (b.sequence - a.sequence) % 65536 == 1 and (b.timestamp - a.timestamp) % 2**32 == 160
        for a, b in itertools.pairwise(packets)
    )
    assert packets[0].marker
    assert len(recorder.voiced()) >= 10  # at least 200 ms of voice
    assert "SIP/2.0 200 OK" in messages
    assert "BYE sip:openai@" in messages

    assert emu.sip is not None
    (call,) = emu.sip.calls
    await call.wait_ended()
    assert (call.state, call.ended_by, call.codec) == ("ended", "caller", "audio/pcmu")
    assert call.webhook is not None
    assert call.webhook.delivered
    assert call.packets_received >= 150  # the 4 s tone file, less what was in flight at BYE


async def test_barge_in_clears_the_reply_and_the_line_goes_quiet(
    make_emulator: Any, hooks: Hooks, recorder: RtpRecorder, tmp_path: Path
) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    # Turn 1 (short answer), turn 2 (a 3 s answer), then the caller talks over it: turn 3.
    write_tone(
        tmp_path,
        ("silence", 500),
        ("tone", 400),
        ("silence", 2400),  # turn 1's answer (about 1.3 s) plays out
        ("tone", 400),
        ("silence", 1000),  # turn 2's answer (3 s) starts …
        ("tone", 400),  # … and the caller talks over it
        ("silence", 1500),
    )
    sipp = Sipp(
        tmp_path, "caller_hangs_up.xml", sip_port(emu), "-key", "rtp_rx_port", str(recorder.port)
    )
    sipp.command += ["-d", "6800"]
    async with sipp:
        call_id = (await hooks.next()).data.call_id
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")
        async with client.realtime.connect(call_id=call_id) as conn:
            events = await events_until(conn, "output_audio_buffer.cleared")
            events += await events_until(conn, "response.done")  # turn 3's (empty) response
        await sipp.finish()

    names = kinds(events)
    starts = [i for i, name in enumerate(names) if name == "input_audio_buffer.speech_started"]
    assert len(starts) == 3
    cleared = names.index("output_audio_buffer.cleared")
    assert starts[2] < cleared  # the caller's voice cleared the playing reply
    truncated = next(e for e in events if e["type"] == "conversation.item.truncated")
    assert 0 < truncated["audio_end_ms"] < LONG_REPLY_MS
    cancelled = [
        e for e in events if e["type"] == "response.done" and e["response"]["status"] == "cancelled"
    ]
    assert cancelled == []  # the reply had been fully generated (audio_speed 0): only playback
    # On the line: turn 2's voice stops early, then silence to the end of the call.
    voiced = recorder.voiced()
    bursts = [i for i, j in itertools.pairwise(voiced) if j - i > 10]
    long_reply = [i for i in voiced if i > bursts[0]]
    assert long_reply, "the long reply was heard"
    assert long_reply[-1] - long_reply[0] < LONG_REPLY_MS // 20 - 10
    assert len(recorder.packets) - long_reply[-1] > 25  # ≥ 0.5 s of silence after the clear


async def test_the_application_clears_the_reply(
    make_emulator: Any, hooks: Hooks, recorder: RtpRecorder, tmp_path: Path
) -> None:
    # What OpenAIRealtimeSIP.interrupt() sends: the server owns playback, so the client asks
    # it to stop (output_audio_buffer.clear, accepted on a call's sideband).
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    write_tone(tmp_path, ("silence", 500), ("tone", 400), ("silence", 2500))
    sipp = Sipp(
        tmp_path, "caller_hangs_up.xml", sip_port(emu), "-key", "rtp_rx_port", str(recorder.port)
    )
    sipp.command += ["-d", "3400"]
    async with sipp:
        call_id = (await hooks.next()).data.call_id
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")
        async with client.realtime.connect(call_id=call_id) as conn:
            await events_until(conn, "output_audio_buffer.started")
            for _ in range(250):  # until the caller has heard some of it (then it is truncated)
                if recorder.voiced():
                    break
                await asyncio.sleep(0.02)
            await conn.output_audio_buffer.clear()
            events = await events_until(conn, "conversation.item.truncated")
        await sipp.finish()
    assert kinds(events)[-2:] == ["output_audio_buffer.cleared", "conversation.item.truncated"]
    assert "error" not in kinds(events)
    assert events[-1]["audio_end_ms"] > 0
    assert len(recorder.voiced()) < 20  # the ~1.3 s reply was cut short on the line


async def test_refer_then_hangup_reach_the_caller(
    make_emulator: Any, hooks: Hooks, recorder: RtpRecorder, tmp_path: Path
) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    write_tone(tmp_path, ("silence", 500))
    sipp = Sipp(
        tmp_path, "transferred.xml", sip_port(emu), "-key", "rtp_rx_port", str(recorder.port)
    )
    async with sipp:
        call_id = (await hooks.next()).data.call_id
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")
        async with client.realtime.connect(call_id=call_id) as conn:
            await events_until(conn, "session.created")
            await client.realtime.calls.refer(call_id, target_uri="tel:+14155550123")
            assert emu.sip is not None
            (call,) = emu.sip.calls
            for _ in range(100):  # the caller's 202, then hang up
                if ("REFER", 202) in call.responses:
                    break
                await asyncio.sleep(0.02)
            await client.realtime.calls.hangup(call_id)
            with pytest.raises(ConnectionClosedOK):
                await events_until(conn, "never")  # the sideband closes with the call
        messages = await sipp.finish()

    assert "Refer-To: <tel:+14155550123>" in messages
    assert ("REFER", 202) in call.responses
    await call.wait_ended()
    assert (call.state, call.ended_by) == ("ended", "server")
    for _ in range(100):
        if ("BYE", 200) in call.responses:
            break
        await asyncio.sleep(0.02)
    assert ("BYE", 200) in call.responses
    with pytest.raises(NotFoundError):
        await client.realtime.calls.hangup(call_id)


async def test_reject_answers_the_invite_with_the_status(
    make_emulator: Any, hooks: Hooks, tmp_path: Path
) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    async with Sipp(tmp_path, "rejected.xml", sip_port(emu)) as sipp:
        call_id = (await hooks.next()).data.call_id
        await client.realtime.calls.reject(call_id, status_code=486)
        messages = await sipp.finish()
    assert "SIP/2.0 486 Busy Here" in messages
    assert emu.sip is not None
    (call,) = emu.sip.calls
    assert (call.state, call.ended_by) == ("rejected", "server")
    with pytest.raises(NotFoundError):  # a call that is over cannot be accepted any more
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")


async def test_options_is_answered(make_emulator: Any, hooks: Hooks, tmp_path: Path) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    async with Sipp(tmp_path, "options.xml", sip_port(emu)) as sipp:
        messages = await sipp.finish()
    assert "SIP/2.0 200 OK" in messages
    assert emu.sip is not None
    assert emu.sip.calls == []


async def test_cancel_while_ringing_ends_the_call(
    make_emulator: Any, hooks: Hooks, tmp_path: Path
) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    async with Sipp(tmp_path, "cancelled.xml", sip_port(emu)) as sipp:
        messages = await sipp.finish()
    incoming = await hooks.next()
    assert "SIP/2.0 487 Request Terminated" in messages
    assert emu.sip is not None
    (call,) = emu.sip.calls
    assert (call.state, call.ended_by) == ("cancelled", "caller")
    # The caller hung up before the application answered: accept says the call is gone.
    with pytest.raises(NotFoundError):
        await client.realtime.calls.accept(
            incoming.data.call_id, type="realtime", model="gpt-realtime"
        )


INVITE = (
    "INVITE sip:openai@127.0.0.1:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-repeat-1;rport\r\n"
    "From: <sip:+15551230000@127.0.0.1>;tag=caller-1\r\n"
    "To: <sip:openai@127.0.0.1>\r\n"
    "Call-ID: repeat-1@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@127.0.0.1:{local}>\r\n"
    "Max-Forwards: 70\r\n"
    'Authorization: Digest username="caller", response="secret"\r\n'
    "X-Tag: one\r\n"
    "Via-Extra: x\r\n"
    "X-Tag: two\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: {length}\r\n\r\n{sdp}"
)
SDP = "v=0\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"


async def test_a_repeated_invite_is_answered_again_and_a_reject_is_repeated_until_ack(
    make_emulator: Any, hooks: Hooks
) -> None:
    # SIPp cannot script this: it takes the second 180 for a lost one and resends forever.
    emu = await phone_emulator(make_emulator, hooks)
    async with raw_sip() as (transport, peer, local):
        invite = INVITE.format(port=sip_port(emu), local=local, length=len(SDP), sdp=SDP)
        transport.sendto(invite.encode(), ("127.0.0.1", sip_port(emu)))
        assert await peer.status() == "SIP/2.0 100 Trying"
        assert await peer.status() == "SIP/2.0 180 Ringing"
        incoming = await hooks.next()
        transport.sendto(invite.encode(), ("127.0.0.1", sip_port(emu)))  # as if 180 was lost
        assert await peer.status() == "SIP/2.0 180 Ringing"
        assert hooks.client is not None
        await hooks.client.realtime.calls.reject(incoming.data.call_id)  # no status: 603
        assert await peer.status() == "SIP/2.0 603 Decline"
        # Without an ACK, the final answer is repeated (500 ms later, then less often).
        assert await peer.status() == "SIP/2.0 603 Decline"
    assert emu.sip is not None
    (call,) = emu.sip.calls
    assert call.invite_retransmissions == 1
    assert hooks.events.empty()  # one webhook for the call
    # The webhook's headers: the INVITE's, in order and with repeats, without Authorization.
    assert [(h.name, h.value) for h in incoming.data.sip_headers][-6:] == [
        ("Max-Forwards", "70"),
        ("X-Tag", "one"),
        ("Via-Extra", "x"),
        ("X-Tag", "two"),
        ("Content-Type", "application/sdp"),
        ("Content-Length", str(len(SDP))),
    ]
    assert all(h.name != "Authorization" for h in incoming.data.sip_headers)


async def test_dtmf_digits_reach_the_sideband(
    make_emulator: Any, hooks: Hooks, tmp_path: Path
) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    sipp = Sipp(tmp_path, "dtmf.xml", sip_port(emu), "-d", "1500")
    async with sipp:
        call_id = (await hooks.next()).data.call_id
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")
        async with client.realtime.connect(call_id=call_id) as conn:
            events = await events_until(conn, "input_audio_buffer.dtmf_event_received")
        await sipp.finish()
    digit = events[-1]
    assert digit["event"] == "5"
    assert "event_id" not in digit  # as the SDK's model has it
    assert isinstance(digit["received_at"], int)
    assert emu.sip is not None
    assert emu.sip.calls[0].dtmf == ["5"]  # the end packet came three times: one digit


async def test_stopping_the_emulator_hangs_up_a_pcma_call(
    make_emulator: Any, hooks: Hooks, recorder: RtpRecorder, tmp_path: Path
) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    emu.brain = RulesBrain([Rule(then=[Say("Welcome to the line.")])])  # calls take it from now
    client = hooks.client
    assert client is not None
    pcma = AudioFormat("audio/pcma")
    # The caller listens to the greeting (about 1.2 s), then says something.
    write_tone(tmp_path, ("silence", 2500), ("tone", 400), ("silence", 2000), codec=pcma)
    sipp = Sipp(tmp_path, "hung_up.xml", sip_port(emu), "-key", "rtp_rx_port", str(recorder.port))
    async with sipp:
        call_id = (await hooks.next()).data.call_id
        await client.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")
        async with client.realtime.connect(call_id=call_id) as conn:
            await conn.response.create()  # greet the caller, as phone agents do
            greeting = await events_until(conn, "output_audio_buffer.stopped")
            turn = await events_until(conn, "output_audio_buffer.stopped")  # heard in A-law
        await emu.stop()
        messages = await sipp.finish()
    assert "BYE sip:sipp@" in messages
    assert emu.sip is not None
    (call,) = emu.sip.calls
    assert (call.codec, call.state, call.ended_by) == ("audio/pcma", "ended", "server")
    assert "input_audio_buffer.speech_started" not in kinds(greeting)
    said = [e["transcript"] for e in greeting + turn if e["type"].endswith("transcript.done")]
    assert said == ["Welcome to the line."] * 2
    assert kinds(turn)[:2] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
    ]
    assert {p.payload_type for p in recorder.packets} == {8}
    voiced = recorder.voiced(pcma)
    assert len(voiced) >= 20  # two replies
    assert max(j - i for i, j in itertools.pairwise(voiced)) > 25  # with a pause between


async def test_the_command_line_serves_sip(tmp_path: Path) -> None:
    secret = new_secret()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "realtime_agents_emulator.cli",
        "--port",
        "0",
        "--sip-port",
        "0",
        "--webhook-url",
        "http://127.0.0.1:9/hooks",
        "--webhook-secret",
        secret,
        "--speech",
        "synthetic",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = await asyncio.wait_for(process.stdout.readline(), 10)
            assert line, "the emulator exited before its banner"
            lines.append(line.decode().rstrip())
        banner = "\n".join(lines)
        assert secret not in banner
        assert "POST http://127.0.0.1:9/hooks, signed with the one given" in banner
        uri = next(line for line in lines if "SIP (UDP):" in line).split()[-1]
        port = int(uri.rsplit(":", 1)[1])
        async with Sipp(tmp_path, "options.xml", port) as sipp:
            await sipp.finish()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()
    assert secret not in stderr.decode()


# -- the Calls API's refusals -----------------------------------------------------------------


async def test_calls_api_refusals(make_emulator: Any, hooks: Hooks, tmp_path: Path) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    client = hooks.client
    assert client is not None
    with pytest.raises(NotFoundError):
        await client.realtime.calls.accept("rtc_nope", type="realtime", model="gpt-realtime")
    async with Sipp(tmp_path, "rejected.xml", sip_port(emu)) as sipp:
        call_id = (await hooks.next()).data.call_id
        with pytest.raises(BadRequestError, match="threshold"):  # the Calls API refuses it
            await client.realtime.calls.accept(
                call_id,
                type="realtime",
                model="gpt-realtime",
                audio={"input": {"turn_detection": {"type": "server_vad", "threshold": 0.4}}},
            )
        with pytest.raises(BadRequestError, match="voice"):
            await client.realtime.calls.accept(
                call_id, type="realtime", model="gpt-realtime", extra_body={"voice": "marin"}
            )
        with pytest.raises(BadRequestError, match="answered"):
            await client.realtime.calls.refer(call_id, target_uri="tel:+1")
        async with AsyncOpenAI(api_key="nope", base_url=emu.base_url, max_retries=0) as bad_key:
            with pytest.raises(AuthenticationError):
                await bad_key.realtime.calls.reject(call_id, status_code=486)
        await client.realtime.calls.reject(call_id, status_code=486)  # still ringing: works
        await sipp.finish()


# -- the parts, without a phone ---------------------------------------------------------------


def test_webhook_secrets_are_whsec_base64_and_never_quoted() -> None:
    secret = new_secret()
    assert check_secret(secret) == secret
    for bad in ("s3cret-value", "whsec_not base64!"):
        with pytest.raises(ValueError, match="whsec_<base64>") as caught:
            check_secret(bad)
        assert bad not in str(caught.value)
    with pytest.raises(ValueError, match="whsec_"):
        Emulator(sip_port=0, webhook_secret="s3cret-value")


def test_signatures_verify_with_the_official_client() -> None:
    secret = new_secret()
    body = (
        b'{"object":"event","id":"evt_1","type":"realtime.call.incoming","created_at":1,'
        b'"data":{"call_id":"rtc_1","sip_headers":[]}}'
    )
    import time

    now = int(time.time())
    headers = {
        "webhook-id": "wh_1",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret, "wh_1", now, body),
    }
    client = AsyncOpenAI(api_key="sk-test", webhook_secret=secret)
    event = client.webhooks.unwrap(body, headers)
    assert isinstance(event, RealtimeCallIncomingWebhookEvent)
    with pytest.raises(InvalidWebhookSignatureError):
        client.webhooks.unwrap(body.replace(b"rtc_1", b"rtc_2"), headers)
    with pytest.raises(InvalidWebhookSignatureError):
        client.webhooks.unwrap(body, headers, secret=new_secret())


def test_sdp_offers_and_answers() -> None:
    offer = parse_offer(
        "v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 9 RTP/AVP 96\r\n"
        "m=audio 4000 RTP/AVP 18 8 0 101\r\nc=IN IP4 127.0.0.1\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
    )
    assert (offer.address, offer.port, offer.payload_type, offer.dtmf_payload_type) == (
        "127.0.0.1",
        4000,
        8,  # the caller's preference among the codecs the emulator speaks
        101,
    )
    assert offer.codec == "audio/pcma"
    sdp = answer(offer, "127.0.0.1", 5004, 1)
    assert "m=audio 5004 RTP/AVP 8 101\r\n" in sdp
    assert "a=rtpmap:8 PCMA/8000" in sdp
    with pytest.raises(OfferError, match="no common codec"):
        parse_offer("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 18\r\n")
    with pytest.raises(OfferError, match="no audio"):
        parse_offer("v=0\r\n")


async def test_a_refused_webhook_is_tried_three_times(make_emulator: Any, hooks: Hooks) -> None:
    emu = await phone_emulator(make_emulator, hooks)
    assert hooks.client is not None
    await hooks.client.close()
    hooks.client = AsyncOpenAI(api_key="sk-test", webhook_secret=new_secret())  # the wrong one
    assert emu.sip is not None
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        local = transport.get_extra_info("sockname")[1]
        invite = INVITE.format(port=emu.sip.port, local=local, length=len(SDP), sdp=SDP)
        transport.sendto(invite.encode(), ("127.0.0.1", emu.sip.port))
        for _ in range(250):
            call = emu.sip.calls[0] if emu.sip.calls else None
            if call is not None and call.webhook is not None:
                break
            await asyncio.sleep(0.02)
    finally:
        transport.close()
    assert call is not None
    assert call.webhook is not None
    assert call.webhook.statuses == [400, 400, 400]
    assert not call.webhook.delivered
    assert len(hooks.refused) == 3
    assert call.state == "ringing"  # the call still rings: the application may learn of it
    assert hooks.events.empty()


async def test_one_call_is_answered_once(make_emulator: Any) -> None:
    emu: Emulator = await make_emulator(sip_port=0)
    assert emu.sip is not None
    async with raw_sip() as (transport, peer, local):
        invite = INVITE.format(port=emu.sip.port, local=local, length=len(SDP), sdp=SDP)
        transport.sendto(invite.encode(), ("127.0.0.1", emu.sip.port))
        assert await peer.status() == "SIP/2.0 100 Trying"
        assert await peer.status() == "SIP/2.0 180 Ringing"
        (call,) = emu.sip.calls
        async with client_for(emu) as client:
            results = await asyncio.gather(
                *(
                    client.realtime.calls.accept(
                        call.call_id, type="realtime", model="gpt-realtime"
                    )
                    for _ in range(2)
                ),
                return_exceptions=True,
            )
        assert sorted(type(r).__name__ for r in results) == ["BadRequestError", "NoneType"]
        assert await peer.status() == "SIP/2.0 200 OK"
        assert call.state == "accepted"


async def test_sip_over_ipv6_loopback(make_emulator: Any) -> None:
    emu: Emulator = await make_emulator(host="::1", sip_port=0)
    assert emu.sip is not None
    assert emu.sip.uri == f"sip:openai@[::1]:{emu.sip.port}"
    async with raw_sip("::1") as (transport, peer, local):
        invite = (
            INVITE.format(port=emu.sip.port, local=local, length=len(SDP), sdp=SDP)
            .replace("127.0.0.1", "[::1]")
            .encode()
        )
        transport.sendto(invite, ("::1", emu.sip.port))
        assert (await peer.message()).startswith("SIP/2.0 100")
        assert (await peer.message()).startswith("SIP/2.0 180")
        (call,) = emu.sip.calls
        async with client_for(emu) as client:
            await client.realtime.calls.accept(call.call_id, type="realtime", model="gpt-realtime")
            ok = await peer.message()
            assert ok.startswith("SIP/2.0 200 OK")
            assert f"Contact: <{emu.sip.uri}>" in ok
            assert "c=IN IP6 ::1" in ok
            await client.realtime.calls.hangup(call.call_id)
        bye = await peer.message()
        while not bye.startswith("BYE"):  # the 200 OK again (no ACK was sent), then the BYE
            bye = await peer.message()
        assert bye.startswith(f"BYE sip:caller@[::1]:{local} SIP/2.0")
        assert f"Via: SIP/2.0/UDP [::1]:{emu.sip.port};" in bye


async def test_media_opened_after_a_cancel_is_released() -> None:
    # accept() binds the RTP port before answering; a CANCEL handled meanwhile has already
    # ended the call, so open_media itself must release what it opened.
    invite = INVITE.format(port=5060, local=5062, length=len(SDP), sdp=SDP).encode()
    request = parse(invite)
    assert isinstance(request, Request)
    call = SipCall(
        "rtc_1",
        number=1,
        invite=request,
        sip_headers=header_list(invite),
        source=("127.0.0.1", 5062),
        offer=parse_offer(SDP),
        local_tag="t",
    )
    options = SessionOptions(
        EchoBrain(), SpeechSynthesizer("synthetic"), Pacing(0, 100), IdFactory(1), "sip"
    )
    session = Session(
        kind="realtime",
        model="gpt-realtime",
        options=options,
        sink=call.dispatch,
        on_close=lambda code, reason: None,
        on_crash=lambda exc: None,
    )
    await call.end("cancelled", "caller")
    descriptors = len(os.listdir("/proc/self/fd"))
    assert await call.open_media(session, "127.0.0.1") is None
    assert len(os.listdir("/proc/self/fd")) == descriptors  # the RTP socket was closed
    assert call.session is None


def test_rtp_framing() -> None:
    packet = RtpPacket(0, 65535, 2**32 - 1, 0x1234, b"\xff" * 160, marker=True)
    assert RtpPacket.parse(packet.to_bytes()) == packet
    # Two CSRCs, an extension and padding are skipped to reach the payload.
    header = struct.pack("!BBHII", 0xB2, 8, 1, 2, 3) + b"\0" * 8
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\0" * 4
    parsed = RtpPacket.parse(header + extension + b"abc" + b"\0\0\x03")
    assert (parsed.payload_type, parsed.payload) == (8, b"abc")
    with pytest.raises(ValueError, match="version"):
        RtpPacket.parse(b"\x00" * 12)
    event = TelephoneEvent.parse(bytes([11, 0x8A, 0x03, 0x20]))
    assert (event.digit, event.end, event.duration) == ("#", True, 800)
