"""Audio files and devices for ``realtime-agents talk``: the input WAV, the reply WAV, the mic.

The Realtime API speaks PCM16, 24 kHz, mono. A WAV already in that format is read with the
standard library's ``wave``; anything else (another rate, stereo, 8-bit or float samples, a
WAV header ``wave`` cannot parse) is decoded and resampled with PyAV, imported only then, so
core stays pure Python. The reply is written with ``wave`` as it arrives, so a long session
holds no audio in memory. The microphone check imports ``sounddevice`` (the webrtc transport's
``[audio]`` extra) only for ``--mic``.
"""

from __future__ import annotations

import importlib
import wave
from pathlib import Path
from typing import Any, Final

from .cli_talk_errors import TalkError
from .install import install_hint

__all__ = [
    "SAMPLE_RATE",
    "ReplyWriter",
    "check_microphone",
    "check_writable",
    "read_pcm16",
]

SAMPLE_RATE: Final = 24_000
_SAMPLE_WIDTH: Final = 2
#: Less than this is no turn at all (the API refuses to commit under 100 ms of audio).
_MIN_BYTES: Final = SAMPLE_RATE * _SAMPLE_WIDTH // 10


def read_pcm16(path: Path) -> bytes:
    """The audio of ``path`` as PCM16 24 kHz mono; TalkError when it cannot be read."""
    try:
        with wave.open(str(path), "rb") as wav:
            params = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
            pcm = wav.readframes(wav.getnframes()) if params == (1, 2, SAMPLE_RATE) else None
    except FileNotFoundError:
        raise TalkError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise TalkError(f"cannot read {path}: it is a directory") from None
    except OSError as exc:
        raise TalkError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (wave.Error, EOFError) as exc:  # not a WAV wave reads: PyAV may know the format
        pcm, params = None, None
        reason = str(exc) or "truncated"
    else:
        reason = ""
    if pcm is None:
        pcm = _convert(path, params, reason)
    if len(pcm) < _MIN_BYTES:
        raise TalkError(f"{path} holds {len(pcm) // 48} ms of audio; a turn needs at least 100 ms")
    return pcm


def _convert(path: Path, params: tuple[int, int, int] | None, reason: str) -> bytes:
    """Decode and resample ``path`` with PyAV (an optional dependency)."""
    what = (
        f"it is {params[2]} Hz, {params[0]} channel(s), {8 * params[1]}-bit"
        if params
        else f"it is not a PCM WAV file ({reason})"
    )
    try:
        av: Any = importlib.import_module("av")
    except ImportError:
        raise TalkError(
            f"cannot read {path}: {what}; talk reads 24 kHz mono 16-bit WAV files as they "
            f"are, and converts others with PyAV: {install_hint('av', published={'av'})}"
        ) from None
    try:
        return _decode(av, path)
    except av.error.FFmpegError as exc:
        message = f"cannot read {path}: {what}, and PyAV cannot decode it"
        raise TalkError(f"{message} ({exc.strerror or exc})") from None


def _decode(av: Any, path: Path) -> bytes:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[bytes] = []
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise TalkError(f"cannot read {path}: it has no audio stream")
        for frame in container.decode(audio=0):
            chunks.extend(
                bytes(out.planes[0])[: out.samples * 2] for out in resampler.resample(frame)
            )
        chunks.extend(bytes(out.planes[0])[: out.samples * 2] for out in resampler.resample(None))
    return b"".join(chunks)


class ReplyWriter:
    """Writes the reply audio to a PCM16 24 kHz mono WAV as it arrives.

    The file is created with the first audio (a run that fails before any leaves none behind);
    :meth:`close` completes the header. ``seconds`` is what was written.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.bytes = 0
        self._wav: wave.Wave_write | None = None

    @property
    def seconds(self) -> float:
        return self.bytes / (SAMPLE_RATE * _SAMPLE_WIDTH)

    def write(self, pcm: bytes) -> None:
        self.bytes += len(pcm)
        if self.path is None:
            return
        if self._wav is None:
            self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 (closed by close())
            self._wav.setnchannels(1)
            self._wav.setsampwidth(_SAMPLE_WIDTH)
            self._wav.setframerate(SAMPLE_RATE)
        self._wav.writeframesraw(pcm)

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None


def check_writable(path: Path) -> None:
    """TalkError unless a file can be created at ``path`` (checked before the session)."""
    if path.is_dir():
        raise TalkError(f"cannot write {path}: it is a directory")
    if not path.parent.is_dir():
        raise TalkError(f"cannot write {path}: no such directory {path.parent}")


def check_microphone() -> None:
    """TalkError unless ``sounddevice`` is installed and sees an input device."""
    hint = (
        install_hint("realtime-agents-webrtc", "audio")
        + ", on a machine with PortAudio (Debian: apt-get install libportaudio2)"
    )
    try:
        sd: Any = importlib.import_module("sounddevice")
    except ImportError:
        raise TalkError(f"--mic needs the webrtc transport's audio extra; {hint}") from None
    except OSError as exc:  # sounddevice is there, PortAudio is not
        raise TalkError(f"--mic needs PortAudio ({exc}); {hint}") from None
    try:
        sd.query_devices(kind="input")
    except Exception:  # PortAudio's own error type: there is no input device
        raise TalkError(
            "--mic found no microphone (PortAudio sees no input device); "
            "use --input FILE.wav to send a recording instead"
        ) from None
