"""The audio files of ``realtime-agents talk``: what it reads (as is, or converted by PyAV,
for real) and the reply WAV it writes as the audio arrives."""

from __future__ import annotations

import array
import itertools
import math
import struct
import wave
from pathlib import Path

import pytest

from realtime_agents.cli_talk_audio import ReplyWriter, read_pcm16
from realtime_agents.cli_talk_errors import TalkError


def tone(rate: int, seconds: float, channels: int = 1, hz: float = 440.0) -> bytes:
    """A sine at ``hz`` as PCM16, ``channels`` interleaved copies."""
    count = int(rate * seconds)
    samples = (int(12_000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(count))
    return array.array("h", (s for sample in samples for s in [sample] * channels)).tobytes()


def write(path: Path, frames: bytes, *, rate: int, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return path


def crossings(pcm: bytes) -> int:
    """Sign changes: twice the frequency per second of a pure tone."""
    samples = array.array("h", pcm)
    return sum((a < 0) != (b < 0) for a, b in itertools.pairwise(samples))


def test_the_api_format_is_read_as_it_is(tmp_path: Path) -> None:
    pcm = tone(24_000, 0.5)
    assert read_pcm16(write(tmp_path / "a.wav", pcm, rate=24_000)) == pcm


@pytest.mark.parametrize(("rate", "channels"), [(16_000, 2), (44_100, 1), (8_000, 1)])
def test_other_rates_and_channels_are_converted(tmp_path: Path, rate: int, channels: int) -> None:
    path = write(tmp_path / "a.wav", tone(rate, 1.0, channels), rate=rate, channels=channels)
    pcm = read_pcm16(path)
    assert abs(len(pcm) - 48_000) <= 2 * 64  # one second at 24 kHz, give or take a few samples
    assert crossings(pcm) == pytest.approx(880, abs=6)  # still 440 Hz


def test_a_float_wav_wave_cannot_read_is_converted(tmp_path: Path) -> None:
    """IEEE float samples (format 3): the standard library refuses them, PyAV does not."""
    samples = [0.4 * math.sin(2 * math.pi * 440 * n / 24_000) for n in range(24_000)]
    data = struct.pack(f"<{len(samples)}f", *samples)
    fmt = struct.pack("<HHIIHH", 3, 1, 24_000, 24_000 * 4, 4, 32)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    riff += b"data" + struct.pack("<I", len(data)) + data
    path = tmp_path / "float.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    pcm = read_pcm16(path)
    assert abs(len(pcm) - 48_000) <= 2 * 64
    assert max(array.array("h", pcm)) == pytest.approx(0.4 * 32767, rel=0.02)


def test_a_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TalkError, match=r"^cannot read .*: it is a directory$"):
        read_pcm16(tmp_path)


def test_the_reply_is_written_as_it_arrives(tmp_path: Path) -> None:
    path = tmp_path / "reply.wav"
    writer = ReplyWriter(path)
    assert not path.exists()  # nothing before the first audio
    writer.write(tone(24_000, 0.25))
    writer.write(tone(24_000, 0.5))
    writer.close()
    writer.close()  # idempotent
    assert writer.seconds == 0.75
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24_000)
        assert wav.getnframes() == 18_000


def test_without_a_path_only_the_length_is_kept() -> None:
    writer = ReplyWriter(None)
    writer.write(bytes(4800))
    writer.close()
    assert writer.seconds == 0.1
