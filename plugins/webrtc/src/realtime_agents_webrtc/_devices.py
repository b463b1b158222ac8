"""The system's audio devices, behind a small interface (tests plug in files or queues).

:class:`AudioDevices` opens a microphone (an async iterator of PCM16 24 kHz mono chunks, as
they are recorded) and a speaker (a callable taking such chunks). :class:`SoundDevices`
implements it with ``sounddevice`` (PortAudio), installed by the ``[audio]`` extra; it is
imported only when a transport actually needs a device.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Final, Protocol, runtime_checkable

from realtime_agents.errors import UserError
from realtime_agents.install import install_hint

from ._media import FRAME_SAMPLES, SAMPLE_RATE

__all__ = ["AudioDevices", "Microphone", "SoundDevices", "Speaker", "no_microphone_error"]

#: A speaker: called with each chunk of PCM16 24 kHz mono to play, in order.
Speaker = Callable[[bytes], None]
_INSTALL_HINT: Final = (
    install_hint("realtime-agents-webrtc", "audio")
    + ", on a machine with a sound card and PortAudio (Debian: apt-get install libportaudio2)"
)


@runtime_checkable
class Microphone(Protocol):
    """Recorded PCM16 24 kHz mono, chunk by chunk, in real time; ``close`` stops recording."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...
    def close(self) -> None: ...


class AudioDevices(Protocol):
    """Opens the microphone and the speaker; each returns None when there is no such device."""

    def open_microphone(self) -> Microphone | None: ...
    def open_speaker(self) -> tuple[Speaker, Callable[[], None]] | None:
        """``(play, close)``, or None without an output device."""
        ...


def no_microphone_error(reason: str) -> UserError:
    """The error for a microphone that cannot be used, naming the three ways to send audio."""
    return UserError(
        f"no microphone for OpenAIRealtimeWebRTC ({reason}). Send audio one of three ways: "
        "pass media_stream=<an aiortc MediaStreamTrack> (e.g. aiortc.contrib.media.MediaPlayer"
        "(...).audio); call send_audio(pcm16_24khz_mono) yourself (microphone=False); or "
        f"{_INSTALL_HINT}"
    )


class SoundDevices:
    """The default input and output devices through ``sounddevice`` (the ``[audio]`` extra)."""

    def __init__(self) -> None:
        self._sd: Any = None

    def _module(self) -> Any:
        if self._sd is None:
            try:
                self._sd = importlib.import_module("sounddevice")
            except (ImportError, OSError) as exc:  # OSError: PortAudio itself is missing
                raise no_microphone_error(f"sounddevice is unavailable: {exc}") from None
        return self._sd

    def _has(self, kind: str) -> bool:
        sd = self._module()
        try:
            sd.query_devices(kind=kind)
        except Exception:  # no such device: PortAudio raises its own error type
            return False
        return True

    def open_microphone(self) -> Microphone | None:
        if not self._has("input"):
            return None
        return _SoundDeviceMicrophone(self._module())

    def open_speaker(self) -> tuple[Speaker, Callable[[], None]] | None:
        if not self._has("output"):
            return None
        stream = self._module().RawOutputStream(samplerate=SAMPLE_RATE, channels=1, dtype="int16")
        stream.start()
        # PortAudio's blocking write copies into its own ring buffer; 20 ms chunks return fast.
        return stream.write, stream.close


class _SoundDeviceMicrophone:
    """sounddevice's input callback (a PortAudio thread) handing chunks to the event loop."""

    def __init__(self, sd: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=100)
        self._stream = sd.RawInputStream(
            samplerate=SAMPLE_RATE,
            channels=1,
            dtype="int16",
            blocksize=FRAME_SAMPLES,
            callback=self._on_audio,
        )
        self._stream.start()

    def _on_audio(self, data: Any, frames: int, time: Any, status: Any) -> None:
        self._loop.call_soon_threadsafe(self._put, bytes(data))

    def _put(self, chunk: bytes) -> None:
        if not self._queue.full():  # a stalled loop loses audio rather than memory
            self._queue.put_nowait(chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()
