"""Audio formats, codecs and speech synthesis (synthetic, and espeak-ng via a stand-in)."""

from __future__ import annotations

import math
import stat
import sys
import textwrap
from pathlib import Path

import pytest
from emulator_helpers import openai_client, recv_until, user_text

from realtime_agents_emulator import AudioFormat, pcm16_silence, pcm16_tone
from realtime_agents_emulator.audio import AudioStream, looped_chunks, rms_dbfs
from realtime_agents_emulator.synth import SpeechSynthesizer, synthetic_speech


def test_formats() -> None:
    pcm, ulaw, alaw = (AudioFormat(t) for t in ("audio/pcm", "audio/pcmu", "audio/pcma"))
    assert (pcm.bytes_per_ms, ulaw.bytes_per_ms, alaw.bytes_per_ms) == (48, 8, 8)
    assert AudioFormat.from_config(None) == pcm
    assert AudioFormat.from_config({"type": "audio/pcma"}) == alaw
    with pytest.raises(ValueError, match="unsupported"):
        AudioFormat.from_config({"type": "audio/opus"})


@pytest.mark.parametrize("kind", ["audio/pcmu", "audio/pcma"])
def test_g711_round_trip_keeps_the_level(kind: str) -> None:
    fmt = AudioFormat(kind)
    tone = pcm16_tone(200, frequency=300)
    wire = fmt.encode(tone)
    assert len(wire) == 200 * 8
    back = fmt.decode(wire)
    assert abs(len(back) - len(tone)) <= 12
    assert abs(rms_dbfs(back) - rms_dbfs(tone)) < 1.0


@pytest.mark.parametrize("kind", ["audio/pcmu", "audio/pcma"])
def test_a_stream_of_packets_keeps_every_sample(kind: str) -> None:
    """A call's 20 ms packets, converted one by one, add up to the whole second: the
    resampler's state crosses packet edges (chunk by chunk, each packet loses 2 samples)."""
    fmt = AudioFormat(kind)
    second = pcm16_tone(1000, frequency=300)
    packets = [second[at : at + 960] for at in range(0, len(second), 960)]
    sender, receiver = AudioStream(fmt), AudioStream(fmt)
    wire = [sender.encode(packet) for packet in packets]
    assert all(len(packet) == 160 for packet in wire)
    heard = b"".join(receiver.decode(packet) for packet in wire)
    assert 24_000 - 4 <= len(heard) // 2 <= 24_000
    assert abs(rms_dbfs(heard) - rms_dbfs(second)) < 1.0
    chunked = b"".join(fmt.decode(packet) for packet in wire)
    assert len(chunked) // 2 <= 24_000 - 50 * 2  # what the stream exists for


def test_levels() -> None:
    assert rms_dbfs(pcm16_silence(20)) == -math.inf
    assert -14.0 < rms_dbfs(pcm16_tone(100)) < -13.0


@pytest.mark.parametrize("source_ms", [0, 7, 20, 30, 300])
@pytest.mark.parametrize(("duration_ms", "chunk_ms"), [(0, 20), (20, 20), (100, 20), (130, 40)])
def test_a_reply_is_its_speech_looped_to_its_duration_a_chunk_at_a_time(
    source_ms: int, duration_ms: int, chunk_ms: int
) -> None:
    speech = pcm16_tone(source_ms, frequency=333.0)
    chunks = list(looped_chunks(speech, duration_ms, chunk_ms))
    target = duration_ms * 48
    looped = (speech * (target // max(1, len(speech)) + 1))[:target] if speech else bytes(target)
    assert b"".join(chunks) == looped
    assert [len(chunk) for chunk in chunks[:-1]] == [chunk_ms * 48] * (len(chunks) - 1)
    assert len(chunks) == -(-duration_ms // chunk_ms)
    # A loop has few distinct chunks: each is made once, then the same object is given again.
    whole = [chunk for chunk in chunks if len(chunk) == chunk_ms * 48]
    if speech:
        offsets = len(speech) // math.gcd(len(speech), chunk_ms * 48)
        assert len({id(chunk) for chunk in whole}) <= offsets
    if source_ms == chunk_ms and duration_ms > chunk_ms:
        assert len({id(chunk) for chunk in whole}) == 1


def test_synthetic_speech_is_deterministic_and_follows_the_text() -> None:
    short, long = synthetic_speech("Hi."), synthetic_speech("A much longer sentence to say.")
    assert short == synthetic_speech("Hi.")
    assert len(short) == 200 * 48  # the 200 ms minimum
    assert len(long) == 30 * 60 * 48
    assert len(synthetic_speech("Hello", 2.0)) == 160 * 48  # 5 × 30 ms, padded to 20 ms frames
    assert all(len(audio) % 960 == 0 for audio in (short, long))
    assert rms_dbfs(long) > -35.0  # loud enough for the VAD when looped back


FAKE_ESPEAK = textwrap.dedent(
    """
    import math, struct, sys, wave
    if "--fail" in open(__file__).read().split("#MODE")[-1]:
        sys.exit(3)
    text = sys.argv[-1]
    rate = 22050
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 200 * n / rate)))
        for n in range(rate * len(text) // 10)
    )
    with wave.open(sys.stdout.buffer, "wb") as out:
        out.setnchannels(1); out.setsampwidth(2); out.setframerate(rate)
        out.writeframes(frames)
    """
)


def fake_espeak(folder: Path, fail: bool = False) -> Path:
    script = folder / "espeak-ng"
    mode = "#MODE --fail" if fail else "#MODE ok"
    script.write_text(f"#!{sys.executable}\n{FAKE_ESPEAK}\n{mode}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


async def test_espeak_engine_is_used_and_resampled(tmp_path: Path) -> None:
    synth = SpeechSynthesizer("espeak", espeak_path=str(fake_espeak(tmp_path)))
    assert synth.engine == "espeak-ng"
    audio = await synth.synthesize("0123456789")  # the stand-in speaks 100 ms per character
    assert len(audio) == 1000 * 48
    assert rms_dbfs(audio) > -20


async def test_espeak_failure_falls_back_to_synthetic(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    synth = SpeechSynthesizer("auto", espeak_path=str(fake_espeak(tmp_path, fail=True)))
    assert await synth.synthesize("Hello") == synthetic_speech("Hello")
    assert "espeak-ng failed" in caplog.text


def test_espeak_detection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert SpeechSynthesizer("auto").engine == "synthetic"
    with pytest.raises(RuntimeError, match="espeak-ng is not on PATH"):
        SpeechSynthesizer("espeak")
    fake_espeak(tmp_path)
    assert SpeechSynthesizer("auto").engine == "espeak-ng"
    assert SpeechSynthesizer("synthetic").engine == "synthetic"
    with pytest.raises(ValueError, match="unknown speech mode"):
        SpeechSynthesizer("loud")  # type: ignore[arg-type]


async def test_emulator_speaks_with_espeak_when_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_emulator
) -> None:
    fake_espeak(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}:{Path(sys.executable).parent}")
    emu = await make_emulator(speech="auto")
    assert emu.speech_engine == "espeak-ng"
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item=user_text("hi"))
        await conn.response.create()
        events = await recv_until(conn, "response.done")
    audio_ms = sum(len(e.delta) * 3 // 4 for e in events if e.type == "response.output_audio.delta")
    assert audio_ms == len("You said: hi") * 100 * 48
