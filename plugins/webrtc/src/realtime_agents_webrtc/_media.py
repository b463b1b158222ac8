"""Audio on the peer connection's tracks: what we send, and the reply we receive.

* :class:`PacedInput` is the outgoing track when the caller gives none: PCM16 24 kHz mono fed
  by ``send_audio`` (or the microphone pump), played out as 20 ms frames on the real-time
  grid — aiortc pulls frames as fast as ``recv`` returns them, so the track paces itself.
* :class:`OutgoingAudio` is what the sender actually holds: it forwards another track's
  frames, as silence while muted. aiortc stops the track a sender holds when the connection
  ends, so the caller's ``media_stream`` never sits there directly: only this proxy does.
* :class:`ReplyDecoder` turns the server's frames (Opus, 48 kHz stereo once decoded) into
  PCM16 24 kHz mono with PyAV's resampler.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Final

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

__all__ = ["FRAME_BYTES", "SAMPLE_RATE", "OutgoingAudio", "PacedInput", "ReplyDecoder"]

#: The API's PCM: 16-bit, mono, 24 kHz.
SAMPLE_RATE: Final = 24_000
FRAME_SAMPLES: Final = SAMPLE_RATE // 50  # 20 ms
FRAME_BYTES: Final = FRAME_SAMPLES * 2
_TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
#: How far ahead of real time ``feed`` may queue before it waits (2 s of audio).
MAX_AHEAD_BYTES: Final = 2 * SAMPLE_RATE * 2


def pcm_frame(pcm: bytes, pts: int) -> av.AudioFrame:
    """One PCM16 24 kHz mono frame, stamped for aiortc (``pts`` in samples)."""
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(pcm) // 2)
    frame.planes[0].update(pcm)
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = _TIME_BASE
    return frame


class PacedInput(MediaStreamTrack):
    """An audio track playing queued PCM16 24 kHz mono in real time; silence when empty."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._pts = 0
        self._start: float | None = None
        self._room = asyncio.Event()
        self._room.set()
        self._empty = asyncio.Event()
        self._empty.set()

    async def feed(self, pcm: bytes) -> None:
        """Queue audio; waits while more than 2 s is queued (so a file streams in real time)."""
        while len(self._buffer) > MAX_AHEAD_BYTES and self.readyState == "live":
            self._room.clear()
            await self._room.wait()
        if self.readyState != "live":
            return
        self._buffer += pcm
        if self._buffer:
            self._empty.clear()

    async def played(self) -> None:
        """Return once everything queued so far has gone out (or the track ended)."""
        while not self._empty.is_set() and self.readyState == "live":
            await self._empty.wait()

    def clear(self) -> None:
        """Forget what is queued (a caller switching sources)."""
        self._buffer.clear()
        self._release()

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        delay = self._start + self._pts / SAMPLE_RATE - now
        if delay > 0:
            await asyncio.sleep(delay)
        chunk = bytes(self._buffer[:FRAME_BYTES])
        del self._buffer[:FRAME_BYTES]
        self._release()
        frame = pcm_frame(chunk.ljust(FRAME_BYTES, b"\x00"), self._pts)
        self._pts += FRAME_SAMPLES
        return frame

    def _release(self) -> None:
        if len(self._buffer) <= MAX_AHEAD_BYTES:
            self._room.set()
        if not self._buffer:
            self._empty.set()

    def stop(self) -> None:
        super().stop()
        self._buffer.clear()
        self._room.set()
        self._empty.set()


class OutgoingAudio(MediaStreamTrack):
    """Forwards ``source``'s frames, silenced while :attr:`muted`; never stops ``source``."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self._source = source
        self.muted = False

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._source.recv()
        assert isinstance(frame, av.AudioFrame), "media_stream must carry audio frames"
        if not self.muted:
            return frame
        silent = av.AudioFrame(
            format=frame.format.name, layout=frame.layout.name, samples=frame.samples
        )
        for plane in silent.planes:
            plane.update(bytes(plane.buffer_size))
        silent.sample_rate, silent.pts, silent.time_base = (
            frame.sample_rate,
            frame.pts,
            frame.time_base,
        )
        return silent


class ReplyDecoder:
    """The server's decoded frames as PCM16 24 kHz mono bytes (PyAV resamples and down-mixes)."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)

    def decode(self, frame: av.AudioFrame) -> bytes:
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2] for out in self._resampler.resample(frame)
        )
