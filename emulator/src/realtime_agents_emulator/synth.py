"""Speech for the scripted model's audio replies.

Two engines produce PCM16 mono 24 kHz:

* ``espeak-ng`` (used when the program is on ``PATH``): real, intelligible speech, run as a
  subprocess that writes a WAV file to stdout, then resampled to 24 kHz.
* ``synthetic``: a deterministic voiced signal whose length follows the text (60 ms per
  character at speed 1.0, at least 200 ms). It needs nothing installed, so it is what CI uses.

Results are padded to whole 20 ms frames so that output deltas stay frame-aligned.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import shutil
import wave
from array import array
from functools import lru_cache
from typing import Literal

from ._audioop import audioop
from .audio import PCM_RATE, pad_to_frame, samples_to_bytes

__all__ = ["SpeechMode", "SpeechSynthesizer", "synthetic_speech"]

log = logging.getLogger(__name__)

SpeechMode = Literal["auto", "espeak", "synthetic"]

_MS_PER_CHAR = 60
_MIN_MS = 200
_RAMP_SAMPLES = 120  # 5 ms raised-cosine ramps avoid clicks between characters
_VOWELS = frozenset("aeiouyAEIOUY")
_ESPEAK_TIMEOUT_S = 10.0


class SpeechSynthesizer:
    """Turns reply text into PCM16 24 kHz audio with the configured engine.

    ``mode="auto"`` uses espeak-ng when it is found on ``PATH`` and the synthetic signal otherwise;
    ``"espeak"`` requires espeak-ng (``RuntimeError`` if missing); ``"synthetic"`` never runs it.
    If an espeak-ng run fails, the synthetic signal is used and a warning is logged.
    """

    def __init__(self, mode: SpeechMode = "auto", espeak_path: str | None = None) -> None:
        if mode not in ("auto", "espeak", "synthetic"):
            raise ValueError(f"unknown speech mode {mode!r}")
        found = espeak_path or (shutil.which("espeak-ng") if mode != "synthetic" else None)
        if mode == "espeak" and not found:
            raise RuntimeError("speech='espeak' but espeak-ng is not on PATH")
        self._espeak = found if mode != "synthetic" else None

    @property
    def engine(self) -> str:
        """``"espeak-ng"`` or ``"synthetic"``: the engine replies are spoken with."""
        return "espeak-ng" if self._espeak else "synthetic"

    async def synthesize(self, text: str, speed: float = 1.0) -> bytes:
        """Speak ``text`` at ``speed`` (the session's ``audio.output.speed``)."""
        if self._espeak and text.strip():
            try:
                return pad_to_frame(await _run_espeak(self._espeak, text, speed))
            except (TimeoutError, OSError, RuntimeError, wave.Error) as exc:
                log.warning("espeak-ng failed (%s); using the synthetic signal", exc)
        return synthetic_speech(text, speed)


async def _run_espeak(program: str, text: str, speed: float) -> bytes:
    words_per_minute = str(max(80, min(450, round(175 * speed))))
    proc = await asyncio.create_subprocess_exec(
        program,
        "--stdout",
        "-s",
        words_per_minute,
        text,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        wav_bytes, stderr = await asyncio.wait_for(proc.communicate(), _ESPEAK_TIMEOUT_S)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"exit status {proc.returncode}: {stderr.decode(errors='replace')}")
    return _wav_to_pcm24k(wav_bytes)


def _wav_to_pcm24k(wav_bytes: bytes) -> bytes:
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    if channels == 2:
        frames = audioop.tomono(frames, 2, 0.5, 0.5)
    elif channels != 1:
        raise RuntimeError(f"unsupported channel count {channels}")
    if rate != PCM_RATE:
        frames, _ = audioop.ratecv(frames, 2, 1, rate, PCM_RATE, None)
    return bytes(frames)


@lru_cache(maxsize=256)
def synthetic_speech(text: str, speed: float = 1.0) -> bytes:
    """The deterministic stand-in for speech: one short voiced segment per character.

    Letters are two-harmonic tones whose pitch depends on the letter (vowels louder); spaces and
    punctuation are quiet gaps. Duration is ``max(200, 60 * len(text)) / speed`` ms, rounded up to
    a whole 20 ms frame.
    """
    speed = speed if speed > 0 else 1.0
    chars = text.strip() or " "
    char_samples = max(1, round(PCM_RATE * _MS_PER_CHAR / 1000 / speed))
    samples = array("h")
    for char in chars:
        samples.extend(_segment(char, char_samples))
    minimum = round(PCM_RATE * _MIN_MS / 1000 / speed)
    if len(samples) < minimum:
        samples.extend(array("h", [0]) * (minimum - len(samples)))
    return pad_to_frame(samples_to_bytes(samples))


def _segment(char: str, count: int) -> array[int]:
    if not char.isalnum():
        return array("h", [0]) * count
    pitch = 110.0 + 9.0 * (ord(char.lower()) % 32)
    amplitude = 0.3 if char in _VOWELS else 0.18
    step = 2.0 * math.pi * pitch / PCM_RATE
    ramp = min(_RAMP_SAMPLES, count // 2)
    out = array("h", bytes(2 * count))
    for n in range(count):
        edge = min(n, count - 1 - n)
        envelope = 0.5 - 0.5 * math.cos(math.pi * edge / ramp) if edge < ramp else 1.0
        value = math.sin(step * n) + 0.4 * math.sin(2.0 * step * n)
        out[n] = round(32767.0 * amplitude * envelope * value / 1.4)
    return out
