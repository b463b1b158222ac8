"""OpenAIRealtimeWebRTC against a minimal aiortc server (tests/webrtc/webrtc_peer.py) on loopback.

These pin down the transport's own duties — the SDP exchange and its errors, media in and
out, muting, interrupts, how a call ends, what is released; test_rtc_emulator.py runs the
same transport against the protocol-faithful emulator.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import av
import pytest
from webrtc_helpers import (
    FakeDevices,
    FakeMicrophone,
    disconnected,
    dominant_hz,
    leftover_tasks,
    make,
    seconds,
    voiced,
)
from webrtc_peer import RTCPeer, tone

from realtime_agents.errors import ConnectionFailedError, UserError
from realtime_agents_webrtc import OpenAIRealtimeWebRTC
from realtime_agents_webrtc._media import PacedInput, ReplyDecoder

pytestmark = pytest.mark.timeout(30)


async def test_api_key_sends_multipart_and_waits_for_session_updated(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    statuses: list[str] = []
    transport.on("connection_change", lambda e: statuses.append(e.status))
    await transport.connect(api_key=peer.api_key, model="gpt-realtime")
    call = peer.calls[0]
    assert transport.status == "connected"
    assert transport.call_id == "rtc_0"
    assert peer.requests[0]["content_type"] == "multipart/form-data"
    assert peer.requests[0]["session"] == {"type": "realtime", "model": "gpt-realtime"}
    assert call.received[0]["type"] == "session.update"
    # The SDP negotiated the codec (Opus): the session names no PCM formats.
    assert "format" not in json.dumps(call.received[0])
    await transport.close()
    assert statuses == ["connecting", "connected", "disconnecting", "disconnected"]
    assert transport.call_id is None


async def test_ephemeral_key_sends_the_raw_offer(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    await transport.connect(api_key="ek_peer")
    assert peer.requests[0]["content_type"] == "application/sdp"
    assert peer.requests[0]["auth"] == "Bearer ek_peer"
    await transport.close()


async def test_a_refused_key_raises_the_servers_message_without_the_key(peer: RTCPeer) -> None:
    key = "sk-wrong-0123456789abcdefghij"
    transport = make(peer.calls_url)
    with pytest.raises(ConnectionFailedError) as caught:
        await transport.connect(api_key=key)
    assert caught.value.code == 401
    assert "failed with status 401: Incorrect API key provided" in str(caught.value)
    assert key not in str(caught.value)
    assert key not in repr(caught.value)
    assert transport.status == "disconnected"
    await transport.connect(api_key=peer.api_key)  # a failed connect leaves it retryable
    await transport.close()


async def test_an_unusable_answer_fails_the_connect(peer: RTCPeer) -> None:
    peer.answer_sdp = "this is not SDP"
    transport = make(peer.calls_url)
    with pytest.raises(ConnectionFailedError, match="SDP answer is unusable"):
        await transport.connect(api_key=peer.api_key)
    assert transport.status == "disconnected"
    assert transport.peer_connection is None


async def test_an_unreachable_server_is_a_connection_error() -> None:
    transport = make("http://127.0.0.1:9/v1/realtime/calls")  # discard port: refused
    with pytest.raises(ConnectionFailedError, match="could not reach"):
        await transport.connect(api_key="sk-x-0123456789")


async def test_ice_that_never_connects_fails_within_open_timeout(peer: RTCPeer) -> None:
    # An answer whose only candidate points at a port nobody listens on.
    real = make(peer.calls_url)
    await real.connect(api_key=peer.api_key)
    sdp = peer.calls[0].pc.localDescription.sdp
    await real.close()
    lines = [line for line in sdp.splitlines() if not line.startswith("a=candidate")]
    at = next(i for i, line in enumerate(lines) if line.startswith("a=ice-ufrag"))
    lines.insert(at, "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host")
    peer.answer_sdp = "\r\n".join(lines) + "\r\n"
    transport = make(peer.calls_url, open_timeout=1.0)
    with pytest.raises(ConnectionFailedError, match=r"did not open within 1\.0s"):
        await transport.connect(api_key=peer.api_key)
    assert transport.status == "disconnected"


async def test_a_call_id_option_points_at_the_sideband(peer: RTCPeer) -> None:
    with pytest.raises(UserError, match="WebSocket transport with call_id"):
        await make(peer.calls_url).connect(api_key=peer.api_key, call_id="rtc_1")


async def test_concurrent_connects_share_one_call(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    await asyncio.gather(*(transport.connect(api_key=peer.api_key) for _ in range(3)))
    assert len(peer.calls) == 1
    assert transport.status == "connected"
    with pytest.raises(UserError):  # once connected, a second connect is a mistake
        await transport.connect(api_key=peer.api_key)
    await transport.close()


async def test_send_audio_plays_on_the_track_then_commits(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    await transport.connect(api_key=peer.api_key)
    call = peer.calls[0]
    await transport.send_audio(tone(600, 440), commit=True)
    await call.wait_for("input_audio_buffer.commit")
    heard = voiced(bytes(call.heard))
    assert 0.5 <= seconds(heard) <= 0.7  # all of it arrived before the commit
    assert 420 <= dominant_hz(heard) <= 460
    assert not [e for e in call.received if e["type"] == "input_audio_buffer.append"]
    await transport.close()


async def test_the_reply_reaches_the_sink_and_audio_events(peer: RTCPeer) -> None:
    sunk = bytearray()
    transport = make(peer.calls_url, audio_sink=sunk.extend)
    events: list = []
    transport.on("audio", events.append)
    await transport.connect(api_key=peer.api_key)
    await peer.calls[0].speak(tone(800, 660), response_id="resp_7", item_id="item_7")
    await asyncio.sleep(0.3)  # the last frames cross the jitter buffer
    await transport.close()
    reply = b"".join(e.data for e in events)
    assert {(e.response_id, e.item_id) for e in events} == {("resp_7", "item_7")}
    assert 0.7 <= seconds(voiced(reply)) <= 0.9
    assert 630 <= dominant_hz(voiced(reply)) <= 690
    assert 0.7 <= seconds(voiced(bytes(sunk))) <= 0.9  # the sink gets the track as it plays
    assert seconds(bytes(sunk)) > seconds(reply)  # ... silence between replies included


async def test_mute_sends_silence_and_unmute_resumes(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    await transport.connect(api_key=peer.api_key)
    call = peer.calls[0]
    await transport.mute(True)
    assert transport.muted is True
    await transport.send_audio(tone(400, 440), commit=True)
    await call.wait_for("input_audio_buffer.commit")
    assert voiced(bytes(call.heard)) == b""
    await transport.mute(False)
    assert transport.muted is False
    await transport.send_audio(tone(400, 440))
    await transport.send_audio(bytes(4800), commit=True)
    await asyncio.sleep(0.1)
    assert 0.3 <= seconds(voiced(bytes(call.heard))) <= 0.5
    await transport.close()


async def test_interrupt_clears_the_buffer_and_emits_audio_interrupted(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    interrupted: list = []
    audio: list = []
    transport.on("audio_interrupted", interrupted.append)
    transport.on("audio", audio.append)
    await transport.connect(api_key=peer.api_key)
    call = peer.calls[0]
    speaking = asyncio.ensure_future(call.speak(tone(3000, 660), "resp_9", "item_9"))
    await transport.wait_for("audio", timeout=5)
    await transport.interrupt()
    heard_until = len(audio)
    await call.wait_for("output_audio_buffer.clear")
    await asyncio.sleep(0.2)
    assert len(interrupted) == 1
    assert interrupted[0].item_id == "item_9"
    assert len(audio) == heard_until  # nothing published after the interrupt
    call.output.clear()
    await speaking
    await transport.close()


async def test_the_callers_track_is_sent_and_never_stopped(peer: RTCPeer) -> None:
    track = PacedInput()
    transport = make(peer.calls_url, media_stream=track)
    await transport.connect(api_key=peer.api_key)
    await track.feed(tone(500, 440))
    await track.played()
    await asyncio.sleep(0.2)
    assert 0.4 <= seconds(voiced(bytes(peer.calls[0].heard))) <= 0.6
    with pytest.raises(UserError, match="media_stream"):
        await transport.send_audio(b"\x00\x00" * 480)
    await transport.close()
    assert track.readyState == "live"
    track.stop()


async def test_a_media_recorder_sink_records_the_reply(peer: RTCPeer, tmp_path) -> None:
    from aiortc.contrib.media import MediaRecorder

    path = tmp_path / "reply.wav"
    transport = make(peer.calls_url, audio_sink=MediaRecorder(str(path)))
    await transport.connect(api_key=peer.api_key)
    await peer.calls[0].speak(tone(500, 660))
    await asyncio.sleep(0.3)  # the last frames cross the jitter buffer
    await transport.close()
    decoder = ReplyDecoder()
    with av.open(str(path)) as container:
        pcm = b"".join(decoder.decode(frame) for frame in container.decode(audio=0))
    assert 0.4 <= seconds(voiced(pcm)) <= 0.7


async def test_a_peer_that_hangs_up_ends_the_call_without_error(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    errors: list = []
    transport.on("error", errors.append)
    await transport.connect(api_key=peer.api_key)
    ended = disconnected(transport)
    await peer.calls[0].pc.close()
    await ended
    assert errors == []
    await transport.close()


async def test_a_peer_that_vanishes_is_an_error_after_the_grace_period(peer: RTCPeer) -> None:
    transport = make(peer.calls_url, disconnect_grace=0.3)
    errors: list = []
    transport.on("error", errors.append)
    await transport.connect(api_key=peer.api_key)
    await asyncio.sleep(0.3)  # media flows: silence from the server's track
    ended = disconnected(transport)
    peer.calls[0].output.stop()  # not one more packet, no goodbye
    await ended
    assert len(errors) == 1
    assert "keepalive failed: no media from the server for 0.3s" in str(errors[0].error)
    await transport.close()


async def test_the_microphone_is_used_when_there_is_one(peer: RTCPeer) -> None:
    devices = FakeDevices(FakeMicrophone(tone(400, 440)))
    transport = make(peer.calls_url, microphone=None, speaker=None, audio_devices=devices)
    await transport.connect(api_key=peer.api_key)
    await peer.calls[0].speak(tone(300, 660))
    await asyncio.sleep(0.3)
    assert 0.3 <= seconds(voiced(bytes(peer.calls[0].heard))) <= 0.5
    assert 0.2 <= seconds(voiced(bytes(devices.played))) <= 0.4  # the speaker played it
    await transport.send_audio(b"\x00\x00" * 480)  # send_audio takes over from the mic
    assert devices.microphone is not None
    assert devices.microphone.closed
    await transport.close()
    assert devices.speaker_closed


async def test_no_microphone_names_the_three_ways_to_send_audio(peer: RTCPeer) -> None:
    transport = make(peer.calls_url, microphone=True, audio_devices=FakeDevices(None))
    with pytest.raises(UserError) as caught:
        await transport.connect(api_key=peer.api_key)
    message = str(caught.value)
    assert "media_stream=" in message
    assert "send_audio(" in message
    assert "realtime-agents-webrtc[audio]" in message
    assert transport.status == "disconnected"
    # Without a device and without insisting, send_audio is the input.
    auto = make(peer.calls_url, microphone=None, audio_devices=FakeDevices(None))
    await auto.connect(api_key=peer.api_key)
    await auto.close()


async def test_nothing_is_left_after_close(peer: RTCPeer) -> None:
    transport = make(peer.calls_url)
    await transport.connect(api_key=peer.api_key)
    pc = transport.peer_connection
    await transport.send_audio(tone(100))
    await transport.close()
    assert transport.peer_connection is None
    assert pc.connectionState == "closed"
    assert all(t.stopped for t in pc.getTransceivers())
    await peer.stop()
    assert await leftover_tasks() == []


async def test_openai_base_url_on_loopback_needs_no_ice_options(
    peer: RTCPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No STUN (no DNS lookup) and loopback candidates, chosen because the server is local.
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{peer.port}/v1")
    transport = OpenAIRealtimeWebRTC(microphone=False, speaker=False)
    await transport.connect(api_key=peer.api_key)
    assert transport.status == "connected"
    offer = transport.peer_connection.localDescription.sdp
    candidates = [line for line in offer.splitlines() if line.startswith("a=candidate")]
    assert candidates
    assert all(" 127.0.0.1 " in line and "typ host" in line for line in candidates)
    await transport.close()


async def test_a_message_over_max_message_size_ends_the_call(peer: RTCPeer) -> None:
    transport = make(peer.calls_url, max_message_size=64 * 1024)
    errors: list = []
    transport.on("error", errors.append)
    await transport.connect(api_key=peer.api_key)
    ended = disconnected(transport)
    peer.calls[0].send({"type": "rate_limits.updated", "rate_limits": [], "pad": "x" * 100_000})
    await ended
    (error,) = errors
    assert "message too big" in str(error.error)
    assert "1009" in str(error.error)
    await transport.close()


async def test_change_peer_connection_may_adjust_or_replace_it(peer: RTCPeer) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection

    seen: list[Any] = []

    async def adjust(pc: RTCPeerConnection) -> None:
        seen.append(pc)

    transport = make(peer.calls_url, change_peer_connection=adjust)
    await transport.connect(api_key=peer.api_key)
    assert seen == [transport.peer_connection]
    await transport.close()

    replacement = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    replaced = make(peer.calls_url, change_peer_connection=lambda pc: replacement)
    await replaced.connect(api_key=peer.api_key)
    assert replaced.peer_connection is replacement
    assert replaced.status == "connected"
    await replaced.close()
    assert replacement.connectionState == "closed"


async def test_without_the_audio_extra_insisting_on_devices_says_how_to_get_them(
    peer: RTCPeer,
) -> None:
    # No sound card here (test_sound_devices.py runs the real backend with a null device).
    microphone = make(peer.calls_url, microphone=True, audio_devices=None)
    with pytest.raises(UserError, match=r"no microphone.*media_stream=.*\[audio\]"):
        await microphone.connect(api_key=peer.api_key)
    speaker = make(peer.calls_url, speaker=True, audio_devices=FakeDevices(speaker=False))
    with pytest.raises(UserError, match=r"no speaker.*audio_sink="):
        await speaker.connect(api_key=peer.api_key)
    assert peer.calls == []  # refused before any call was made
