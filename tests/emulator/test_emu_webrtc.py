"""The WebRTC endpoint: a raw aiortc client over loopback against ``POST /v1/realtime/calls``.

Real peers on both sides (aiortc, loopback host candidates only, no STUN); audio is checked by
duration, level and pitch, never by bytes (Opus is lossy).
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import logging
import re
import signal
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import aioice.ice
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from emulator_helpers import Raw, check_emulator, openai_client
from openai import AuthenticationError, NotFoundError
from rtc_helpers import (
    Posted,
    RtcClient,
    client_addresses,
    frequency_hz,
    install_client_addresses,
    post,
    voiced,
    voiced_ms,
)

import realtime_agents_emulator
from realtime_agents_emulator import (
    CallFunction,
    Emulator,
    Rule,
    RulesBrain,
    Say,
    pcm16_silence,
    pcm16_tone,
)
from realtime_agents_emulator.playback import PlaybackBuffer, Played
from realtime_agents_emulator.rtc_call import RtcCall
from realtime_agents_emulator.rtc_ice import loopback_candidates

REPLY_MS = 600
A_HZ = 119.0  # the synthetic voice's pitch for the letter "a" (110 + 9 × 1)
BRAIN = RulesBrain(
    [
        Rule(audio="*", transcript="tell me", then=[Say("a" * 12, audio_ms=REPLY_MS)]),
        Rule(text="^long$", then=[Say("a" * 12, audio_ms=3000)]),
        Rule(text="weather", then=[CallFunction("get_weather", {"city": "Oslo"})]),
        Rule(tool="get_weather", then=[Say("tool said {output}")]),
    ]
)
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def user_text(text: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    }


@pytest.fixture
async def emu(make_emulator: Any) -> Emulator:
    return await make_emulator(brain=BRAIN)


@pytest.fixture
async def client() -> Any:
    made = RtcClient()
    yield made
    await made.close()


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


# -- connecting --------------------------------------------------------------------------------


async def test_ephemeral_key_with_raw_sdp(emu: Emulator, client: RtcClient) -> None:
    secret = emu.mint_client_secret({"type": "realtime", "instructions": "Be a pirate."})
    response = await client.post_raw(emu, secret.value)
    assert response.status == 201
    assert response.headers["Content-Type"].startswith("application/sdp")
    assert response.headers["Location"].startswith("/v1/realtime/calls/rtc_")
    candidates = [line for line in response.body.splitlines() if line.startswith("a=candidate:")]
    assert candidates  # all in the answer (no trickle), and loopback host candidates only
    assert all(" 127.0.0.1 " in line and " typ host" in line for line in candidates)
    await client.accept(response)
    created = await client.events.wait_for("session.created")
    assert created["session"]["instructions"] == "Be a pirate."
    call = await emu.wait_for_call()
    assert call.call_id == client.call_id
    assert types(call.server_events) == ["session.created"]


async def test_api_key_with_multipart_session(emu: Emulator, client: RtcClient) -> None:
    response = await client.post_multipart(
        emu, "sk-test", {"type": "realtime", "model": "gpt-realtime", "instructions": "Hi."}
    )
    await client.accept(response)
    created = await client.events.wait_for("session.created")
    assert created["session"]["instructions"] == "Hi."
    assert created["session"]["model"] == "gpt-realtime"


async def test_the_official_client_creates_a_call(emu: Emulator, client: RtcClient) -> None:
    openai = openai_client(emu)
    async with openai:
        raw = await openai.realtime.calls.with_raw_response.create(
            sdp=await client.offer(),
            session={"type": "realtime", "instructions": "Official."},
        )
    assert raw.status_code == 201
    assert raw.headers["Location"].startswith("/v1/realtime/calls/rtc_")
    answer = raw.parse()
    await client.accept(Posted(201, {"Location": raw.headers["Location"]}, answer.text))
    created = await client.events.wait_for("session.created")
    assert created["session"]["instructions"] == "Official."


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("sk-", "Incorrect API key provided"),
        ("ek_0000000000000000", "Incorrect API key provided"),
        (None, "Missing bearer or basic authentication in header"),
    ],
)
async def test_a_bad_key_gets_401_with_the_message(
    make_emulator: Any, client: RtcClient, key: str | None, message: str
) -> None:
    emu = await make_emulator(api_keys=["sk-the-right-one"])
    response = await client.post_raw(emu, key)
    assert response.status == 401
    error = response.json()["error"]
    assert error["message"].startswith(message)
    assert error["type"] == "invalid_request_error"
    assert emu.calls == []


@pytest.mark.parametrize(
    ("sdp", "code"),
    [
        ("garbage", "invalid_offer"),
        ("v=0\r\n", "invalid_offer"),
        ("", "missing_required_parameter"),
    ],
)
async def test_a_bad_offer_gets_400(emu: Emulator, client: RtcClient, sdp: str, code: str) -> None:
    response = await client.post_raw(emu, "sk-test", sdp=sdp)
    assert response.status == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, "sdp")
    assert emu.calls == []


async def test_a_bad_session_part_gets_400(emu: Emulator, client: RtcClient) -> None:
    response = await client.post_multipart(emu, "sk-test", {"type": "realtime", "voice": "x"})
    assert response.status == 400
    assert response.json()["error"]["code"] == "unknown_parameter"


async def test_another_content_type_gets_400(emu: Emulator, client: RtcClient) -> None:
    headers = {"Authorization": "Bearer sk-test", "Content-Type": "application/json"}
    posted = await post(emu, json.dumps({"sdp": await client.offer()}), headers)
    assert posted.status == 400
    assert posted.json()["error"]["code"] == "unsupported_content_type"


async def test_a_transcription_key_or_an_unknown_model_gets_400(
    emu: Emulator, client: RtcClient
) -> None:
    secret = emu.mint_client_secret({"type": "transcription"})
    response = await client.post_raw(emu, secret.value)
    assert response.status == 400
    assert response.json()["error"]["param"] == "session.type"
    response = await client.post_multipart(emu, "sk-test", {"type": "realtime", "model": "gpt-4"})
    assert response.status == 400
    assert response.json()["error"]["code"] == "invalid_model"


async def test_faults_by_query_parameter(emu: Emulator, client: RtcClient) -> None:
    response = await client.post_raw(emu, "sk-test", query="fault=nonsense")
    assert response.status == 400
    assert response.json()["error"]["param"] == "fault"
    closed = asyncio.Event()
    client.channel.on("close", closed.set)
    await client.accept(await client.post_raw(emu, "sk-test", query="fault=close_after:1"))
    await client.events.wait_for("session.created")
    await asyncio.wait_for(closed.wait(), 5)
    assert (await emu.wait_for_call()).ended_by == "server"


async def test_without_aiortc_the_endpoint_says_what_to_install(
    emu: Emulator, client: RtcClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer = await client.offer()
    monkeypatch.setitem(sys.modules, "aiortc", None)  # as if the webrtc extra were missing
    monkeypatch.delitem(sys.modules, "realtime_agents_emulator.rtc_call", raising=False)
    monkeypatch.delattr(realtime_agents_emulator, "rtc_call", raising=False)
    response = await client.post_raw(emu, "sk-test", sdp=offer)
    assert response.status == 501
    assert "realtime-agents-emulator[webrtc]" in response.json()["error"]["message"]


def test_the_server_imports_aiortc_only_for_calls() -> None:
    code = "import sys, realtime_agents_emulator.server; assert 'aiortc' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- events and audio --------------------------------------------------------------------------


async def test_a_text_turn_over_the_data_channel(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu, output_modalities=["text"])
    client.send(user_text("Hello"))
    client.send({"type": "response.create"})
    done = await client.events.wait_for("response.done")
    assert done["response"]["output"][0]["content"][0]["text"] == "You said: Hello"
    assert "output_audio_buffer.started" not in types(client.events)


async def test_a_spoken_turn_is_heard_and_answered_on_the_track(
    emu: Emulator, client: RtcClient
) -> None:
    await client.connect(emu, audio={"input": {"transcription": {"model": "whisper-1"}}})
    client.microphone.say(pcm16_tone(400, frequency=440) + pcm16_silence(400))
    committed = await client.events.wait_for("input_audio_buffer.committed")
    heard = await client.events.wait_for("conversation.item.input_audio_transcription.completed")
    assert heard["transcript"] == "tell me"
    stopped = await client.events.wait_for("output_audio_buffer.stopped", timeout=10)
    await asyncio.sleep(0.2)  # the last frames are still on their way through the jitter buffer

    # The microphone's tone reached the input buffer as 24 kHz mono at its pitch.
    client.send({"type": "conversation.item.retrieve", "item_id": committed["item_id"]})
    retrieved = await client.events.wait_for("conversation.item.retrieved")
    user_audio = base64.b64decode(retrieved["item"]["content"][0]["audio"])
    assert voiced_ms(user_audio) >= 300
    assert frequency_hz(voiced(user_audio)) == pytest.approx(440, rel=0.03)

    # The reply was played on the track, not sent as events: its length, level and pitch.
    assert "response.output_audio.delta" not in types(client.events)
    assert voiced_ms(bytes(client.audio)) == pytest.approx(REPLY_MS, abs=100)
    assert frequency_hz(voiced(bytes(client.audio))) == pytest.approx(A_HZ, rel=0.05)
    names = types(client.events)
    started = names.index("output_audio_buffer.started")
    assert names.index("response.content_part.added") < started < names.index("response.done")
    assert names.index("response.done") < names.index("output_audio_buffer.stopped")
    response_id = client.events[started]["response_id"]
    assert stopped["response_id"] == response_id


async def test_barge_in_stops_the_track_and_truncates_at_what_was_heard(
    emu: Emulator, client: RtcClient
) -> None:
    # No automatic answer to the interruption: the track must stay silent after the clear.
    detection = {"type": "server_vad", "create_response": False}
    await client.connect(emu, audio={"input": {"turn_detection": detection}})
    client.send(user_text("long"))  # 3 s of reply
    client.send({"type": "response.create"})
    started = await client.events.wait_for("output_audio_buffer.started")
    await client.wait_for_audio(lambda audio: voiced_ms(audio) >= 400)
    client.microphone.say(pcm16_tone(300, frequency=440))
    speech = await client.events.wait_for("input_audio_buffer.speech_started")
    cleared = await client.events.wait_for("output_audio_buffer.cleared")
    truncated = await client.events.wait_for("conversation.item.truncated")
    assert types(client.events).index(speech["type"]) < types(client.events).index(
        "output_audio_buffer.cleared"
    )
    assert cleared["response_id"] == started["response_id"]
    heard_at_clear = voiced_ms(bytes(client.audio))
    assert 400 <= truncated["audio_end_ms"] < 3000
    assert truncated["audio_end_ms"] == pytest.approx(heard_at_clear, abs=200)
    await _assert_track_goes_silent(client)
    assert "output_audio_buffer.stopped" not in types(client.events)
    call = await emu.wait_for_call()
    assert types(call.server_events).count("response.created") == 1


@pytest.mark.parametrize("audio_speed", [0, 1], ids=["reply-buffered", "reply-streaming"])
async def test_output_audio_buffer_clear_is_honoured(
    make_emulator: Any, client: RtcClient, audio_speed: float
) -> None:
    # At speed 1 the reply is still streaming when cleared (no response.cancel was sent).
    emu = await make_emulator(brain=BRAIN, audio_speed=audio_speed)
    await client.connect(emu)
    client.send(user_text("long"))
    client.send({"type": "response.create"})
    started = await client.events.wait_for("output_audio_buffer.started")
    await client.wait_for_audio(lambda audio: voiced_ms(audio) >= 200)
    client.send({"type": "output_audio_buffer.clear"})
    cleared = await client.events.wait_for("output_audio_buffer.cleared")
    assert cleared["response_id"] == started["response_id"]
    truncated = await client.events.wait_for("conversation.item.truncated")
    assert 200 <= truncated["audio_end_ms"] < 3000
    await _assert_track_goes_silent(client)
    # Nothing playing: a second clear reports the cleared buffer again, with no truncation.
    client.send({"type": "output_audio_buffer.clear"})
    await client.events.wait_for("output_audio_buffer.cleared", after=len(client.events))
    assert types(client.events).count("conversation.item.truncated") == 1


async def _assert_track_goes_silent(client: RtcClient) -> None:
    await asyncio.sleep(0.3)  # frames already sent before the clear are still arriving
    mark = len(client.audio)
    await asyncio.sleep(0.4)
    later = bytes(client.audio[mark:])
    assert len(later) > 0  # the track goes on (silence), it does not stop
    assert voiced_ms(later) == 0


# -- sideband and hang-up ----------------------------------------------------------------------


async def test_a_sideband_websocket_answers_a_tool_call(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu, tools=[WEATHER_TOOL], output_modalities=["text"])
    async with await Raw.connect(emu, query=f"call_id={client.call_id}") as sideband:
        created = await sideband.recv()
        assert created["type"] == "session.created"
        assert created["session"]["tools"][0]["name"] == "get_weather"
        client.send(user_text("weather please"))
        client.send({"type": "response.create"})
        events = await sideband.recv_until("response.done")
        call = next(e for e in events if e["type"] == "response.function_call_arguments.done")
        await sideband.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": call["call_id"],
                    "output": "sunny",
                },
            }
        )
        await sideband.send({"type": "response.create"})
        done = await client.events.wait_for(
            "response.done", where=lambda e: e["response"]["output"][0]["type"] == "message"
        )
        assert done["response"]["output"][0]["content"][0]["text"] == "tool said sunny"
        conn = await emu.wait_for_connection()
        assert conn.call_id == client.call_id
        assert [e["type"] for e in conn.client_events] == [
            "conversation.item.create",
            "response.create",
        ]
        async with await Raw.connect(emu, query=f"call_id={client.call_id}") as watcher:
            await watcher.recv()  # a second sideband on the same call: events reach all edges
            client.send(user_text("again"))
            client.send({"type": "response.create"})
            for edge in (sideband, watcher):
                texts = []
                while "You said: again" not in texts:
                    done = (await edge.recv_until("response.done"))[-1]
                    texts.append(done["response"]["output"][0]["content"][0]["text"])


async def test_a_sideband_for_an_unknown_call_is_closed_with_4000(emu: Emulator) -> None:
    async with await Raw.connect(emu, query="call_id=rtc_nope") as sideband:
        error = await sideband.recv()
        assert error["error"]["code"] == "call_not_found"
        assert (await sideband.close_message()).data == 4000


async def test_hangup_ends_the_call_and_its_sidebands(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu)
    closed = asyncio.Event()
    client.channel.on("close", closed.set)
    async with await Raw.connect(emu, query=f"call_id={client.call_id}") as sideband:
        await sideband.recv()
        async with openai_client(emu) as openai:
            await openai.realtime.calls.hangup(client.call_id)
        await asyncio.wait_for(closed.wait(), 5)
        assert (await sideband.close_message()).data == 1000
    call = await emu.wait_for_call()
    assert call.closed
    assert call.ended_by == "server"
    async with openai_client(emu) as openai:
        with pytest.raises(NotFoundError, match="Call not found"):
            await openai.realtime.calls.hangup(client.call_id)
    async with openai_client(emu, api_key="ek_nope") as openai:
        with pytest.raises(AuthenticationError, match="Incorrect API key"):
            await openai.realtime.calls.hangup(client.call_id)


async def test_the_client_hanging_up_ends_the_call(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu)
    call = await emu.wait_for_call()
    await client.pc.close()
    await call.wait_closed()
    assert call.ended_by == "client"


async def test_a_caller_gone_before_connecting_is_given_up(
    emu: Emulator, client: RtcClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RtcCall, "setup_timeout_s", 0.3)
    answer = await client.post_raw(emu, "sk-test")
    await client.pc.setRemoteDescription(RTCSessionDescription(answer.body, "answer"))
    await client.close()  # before ICE and DTLS complete: the server hears no goodbye
    call = await emu.wait_for_call()
    await call.wait_closed()
    assert call.ended_by == "client"
    assert types(call.server_events) == []


async def test_session_close_ends_the_call(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu)
    closed = asyncio.Event()
    client.channel.on("close", closed.set)
    client.send({"type": "session.close"})
    await asyncio.wait_for(closed.wait(), 5)
    assert (await emu.wait_for_call()).ended_by == "server"


# -- faults ------------------------------------------------------------------------------------


async def test_faults_drop_stall_and_close(emu: Emulator) -> None:
    clients = [RtcClient() for _ in range(3)]
    try:
        for made in clients:
            await made.connect(emu)
        dropped, stalled, closed = [await emu.wait_for_call() for _ in clients]
        goodbye = asyncio.Event()
        clients[2].channel.on("close", goodbye.set)
        await closed.close(1011, "fault injection")
        await asyncio.wait_for(goodbye.wait(), 5)  # a goodbye: the caller sees the channel close

        await dropped.drop()  # no goodbye: after the server has finished, the caller saw nothing
        await asyncio.sleep(0.2)
        assert dropped.closed
        assert clients[0].channel.readyState == "open"

        stalled.stall()  # nothing read, nothing sent; the channel stays open
        sent = len(stalled.server_events)
        clients[1].send(user_text("hello"))
        clients[1].send({"type": "response.create"})
        await asyncio.sleep(0.2)
        assert len(stalled.client_events) == 0
        assert len(stalled.server_events) == sent
        assert clients[1].channel.readyState == "open"
    finally:
        for made in clients:
            await made.close()


async def test_a_stalled_call_hears_nothing(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu)
    call = await emu.wait_for_call()
    async with await Raw.connect(emu, query=f"call_id={client.call_id}") as sideband:
        await sideband.recv()  # session.created; the sideband itself is not stalled
        call.stall()
        client.microphone.say(pcm16_tone(400, frequency=440) + pcm16_silence(300))
        await asyncio.sleep(0.8)  # the tone has reached the server by now
        await sideband.send({"type": "response.cancel"})  # its error marks "up to now"
        seen = types(await sideband.recv_until("error"))
        assert "input_audio_buffer.speech_started" not in seen


async def test_an_event_too_large_for_the_channel_becomes_an_error(
    emu: Emulator, client: RtcClient
) -> None:
    # The offer says the client takes messages of up to 16 KiB (aiortc offers 256 KiB).
    offer = (await client.offer()).replace("a=max-message-size:262144", "a=max-message-size:16384")
    assert "a=max-message-size:16384" in offer
    await client.accept(await client.post_raw(emu, "sk-test", sdp=offer))
    audio = base64.b64encode(pcm16_tone(500)).decode()  # 32 KB of base64
    item = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": audio}]}
    client.send({"type": "conversation.item.create", "item": {**item, "id": "item_big"}})
    await client.events.wait_for("conversation.item.done")
    client.send({"type": "conversation.item.retrieve", "item_id": "item_big"})
    error = await client.events.wait_for("error")
    assert error["error"]["code"] == "event_too_large"
    assert "conversation.item.retrieved" in error["error"]["message"]
    client.send({"type": "conversation.item.delete", "item_id": "item_big"})
    await client.events.wait_for("conversation.item.deleted")  # and the call goes on


async def test_injected_frames_reach_the_caller(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu)
    call = await emu.wait_for_call()
    raw: list[str | bytes] = []
    four = asyncio.Event()

    def on_message(message: str | bytes) -> None:
        raw.append(message)
        if len(raw) == 4:
            four.set()

    client.channel.on("message", on_message)
    await call.send_text('{"type": "rate_limits.updated", "rate_limits": []}')
    await call.send_binary(b"\x00\x01")
    await call.send_malformed()
    call.send_event({"type": "rate_limits.updated", "rate_limits": []})
    await asyncio.wait_for(four.wait(), 5)
    assert raw[1] == b"\x00\x01"
    assert raw[2].startswith('{"type": "response.output_audio.delta"')


async def test_count_faults_apply_to_calls(emu: Emulator, client: RtcClient) -> None:
    from realtime_agents_emulator import Faults

    emu.faults.next_connection(Faults(close_after_events=1))
    closed = asyncio.Event()
    client.channel.on("close", closed.set)
    await client.connect(emu)
    await client.events.wait_for("session.created")
    await asyncio.wait_for(closed.wait(), 5)


async def test_bad_frames_get_the_websocket_errors(emu: Emulator, client: RtcClient) -> None:
    await client.connect(emu)
    client.channel.send(b"\x00binary")
    client.channel.send("not json")
    client.send({"type": "input_audio_buffer.commit"})
    await client.events.wait_for(
        "error", where=lambda e: e["error"]["code"] == "input_audio_buffer_commit_empty"
    )
    codes = [e["error"]["code"] for e in client.events if e["type"] == "error"]
    assert codes == ["invalid_event", "invalid_json", "input_audio_buffer_commit_empty"]


# -- logs, leftovers, ICE -------------------------------------------------------------------------


async def test_calls_are_logged_without_the_key(
    make_emulator: Any, client: RtcClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="realtime_agents_emulator")
    key = "sk-secret-0123456789abcdef"
    emu = await make_emulator(api_keys=[key])
    await client.connect(emu, key)
    client.send({"type": "response.cancel"})
    await client.events.wait_for("error")
    await client.pc.close()
    await (await emu.wait_for_call()).wait_closed()
    lines = [r.getMessage() for r in caplog.records if r.name.endswith(".connection")]
    assert lines[0] == f"call 1 opened: /v1/realtime/calls?call_id={client.call_id} from 127.0.0.1"
    assert "call 1: client event response.cancel" in lines
    assert lines[-1] == "call 1 ended: hung up by the client"
    assert key not in caplog.text
    assert key[-8:] not in caplog.text


async def test_the_command_line_logs_calls_without_ice_noise() -> None:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "realtime_agents_emulator.cli", "--port", "0"),
        *("--speech", "synthetic"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        banner = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        base_url = re.search(r"\(base_url (\S+),", banner)
        assert base_url, banner
        client = RtcClient()
        await client.connect(SimpleNamespace(base_url=base_url.group(1)))  # type: ignore[arg-type]
        await client.events.wait_for("session.created")
        await client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0
    assert re.search(r"call \d+ opened: /v1/realtime/calls\?call_id=rtc_", stderr.decode())
    assert "aioice" not in stderr.decode()  # every candidate pair at INFO otherwise


async def test_nothing_is_left_after_the_emulator_stops() -> None:
    async with Emulator(brain=BRAIN, audio_speed=0, speech="synthetic") as emu:
        client = RtcClient()
        await client.connect(emu)
        client.send(user_text("long"))
        client.send({"type": "response.create"})
        await client.events.wait_for("output_audio_buffer.started")
        async with await Raw.connect(emu, query=f"call_id={client.call_id}") as sideband:
            await sideband.recv()
            await emu.stop()  # ends the call while it speaks, and closes the sideband
        await client.close()
    check_emulator(emu)
    assert all(call.closed for call in emu.calls)
    assert all(c.closed for c in emu.connections)
    await asyncio.sleep(0.05)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    gc.collect()
    peers = [o for o in gc.get_objects() if isinstance(o, RTCPeerConnection)]
    assert all(pc.connectionState == "closed" for pc in peers)


async def test_a_call_answered_while_the_emulator_stops_is_ended(
    client: RtcClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered, release = asyncio.Event(), asyncio.Event()
    answer = RtcCall.answer

    async def slow_answer(self: RtcCall, sdp: str, session: Any) -> str:
        text = await answer(self, sdp, session)
        answered.set()
        await release.wait()  # the emulator starts stopping here
        return text

    monkeypatch.setattr(RtcCall, "answer", slow_answer)
    emu = Emulator(audio_speed=0, speech="synthetic")
    await emu.start()
    posting = asyncio.create_task(client.post_raw(emu, "sk-test"))
    await answered.wait()
    stopping = asyncio.create_task(emu.stop())
    await asyncio.sleep(0)  # stop() has begun: the calls it ends are listed already
    release.set()
    response = await posting
    await stopping
    assert response.status == 503
    assert [call.closed for call in emu.calls] == [True]
    check_emulator(emu)


def test_loopback_wrappers_chain_with_other_wrappers() -> None:
    install_client_addresses()
    with loopback_candidates():  # installs the emulator's wrapper around the client's
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
        with client_addresses(["10.0.0.7"]):
            # The emulator's variable is set too here; the outermost wrapper answers.
            assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)[0] in (
                "127.0.0.1",
                "10.0.0.7",
            )
    with client_addresses(["10.0.0.7"]):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["10.0.0.7"]
    # Neither variable set: aioice's own function answers (it leaves loopback out).
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)


# -- the playback buffer, sans-I/O ---------------------------------------------------------------


def test_playback_plays_in_order_and_drains_after_done() -> None:
    drained: list[str] = []
    buffer = PlaybackBuffer(drained.append)
    assert buffer.feed("resp_1", "item_1", 0, b"\x01\x00" * 480) is True
    assert buffer.feed("resp_1", "item_1", 0, b"\x02\x00" * 480) is False
    assert buffer.take(960) == b"\x01\x00" * 480
    buffer.response_done("resp_1")
    assert drained == []
    assert buffer.playing
    assert buffer.take(1920) == b"\x02\x00" * 480 + bytes(960)  # then silence
    assert drained == ["resp_1"]
    assert not buffer.playing
    assert buffer.take(4) == bytes(4)


def test_playback_clear_reports_what_was_heard() -> None:
    buffer = PlaybackBuffer(lambda response_id: None)
    assert buffer.clear() is None
    buffer.feed("resp_1", "item_1", 0, bytes(48 * 300))
    buffer.take(48 * 120)
    assert buffer.clear() == Played("resp_1", "item_1", 0, 120)
    assert not buffer.playing
    assert buffer.take(2) == bytes(2)
    buffer.feed("resp_2", "item_2", 0, bytes(48))
    assert buffer.clear() == Played("resp_2", None, 0, 0)  # queued, nothing heard yet
    # A cleared response still streaming (cleared without a cancel) is not heard again.
    assert buffer.feed("resp_2", "item_2", 0, b"\x01\x00" * 24) is False
    assert not buffer.playing
    assert buffer.take(48) == bytes(48)


def test_playback_starts_once_its_prebuffer_is_filled() -> None:
    buffer = PlaybackBuffer(lambda response_id: None, prebuffer=960)
    buffer.feed("resp_1", "item_1", 0, b"\x01\x00" * 240)  # half the prebuffer: hold it back
    assert buffer.take(480) == bytes(480)
    buffer.feed("resp_1", "item_1", 0, b"\x01\x00" * 240)
    assert buffer.take(480) == b"\x01\x00" * 240  # now it plays, and goes on playing
    assert buffer.take(480) == b"\x01\x00" * 240
    buffer.feed("resp_2", "item_2", 0, b"\x02\x00" * 10)  # short, but done: no waiting
    buffer.response_done("resp_1")
    buffer.response_done("resp_2")
    assert buffer.take(20) == b"\x02\x00" * 10
