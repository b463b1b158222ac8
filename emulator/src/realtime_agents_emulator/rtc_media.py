"""The media of a WebRTC call: the caller's microphone in, the model's voice out.

* :func:`hear` reads the caller's audio track (aiortc decodes Opus to 48 kHz stereo s16 frames),
  resamples it with PyAV to PCM16 mono 24 kHz (what the Realtime API's input path takes) and
  hands it on, until the track ends.
* :class:`VoiceTrack` is the outgoing audio track: 20 ms frames of PCM16 mono 24 kHz on the
  real-time grid (aiortc pulls frames as fast as ``recv`` returns them, so the track paces
  itself), taken from a source such as :meth:`~.playback.PlaybackBuffer.take` — silence when
  there is nothing to say. aiortc encodes it to Opus.

The track always plays in real time, whatever the emulator's ``audio_speed``: a media track
cannot be played faster than the clock. ``audio_speed`` still decides how fast the scripted
model's audio reaches the playback buffer (0: the whole reply at once), and so how soon
``response.done`` comes relative to what is heard.
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import Callable

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

__all__ = ["FRAME_BYTES", "VoiceTrack", "hear"]

RATE = 24000
FRAME_SAMPLES = RATE // 50  # 20 ms
FRAME_BYTES = 2 * FRAME_SAMPLES
_TIME_BASE = fractions.Fraction(1, RATE)


async def hear(track: MediaStreamTrack, on_pcm: Callable[[bytes], None]) -> None:
    """Feed ``on_pcm`` with the track's audio as PCM16 mono 24 kHz until the track ends."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if not isinstance(frame, av.AudioFrame):
            continue
        for out in resampler.resample(frame):
            # A plane may be padded past its samples: keep 2 bytes per (mono s16) sample.
            on_pcm(bytes(out.planes[0])[: 2 * out.samples])


class VoiceTrack(MediaStreamTrack):
    """An audio track of 20 ms PCM16 mono 24 kHz frames from ``source(nbytes)``, paced to the
    clock. :meth:`pause` holds frames back (a stalled server sends nothing)."""

    kind = "audio"

    def __init__(self, source: Callable[[int], bytes]) -> None:
        super().__init__()
        self._source = source
        self._start: float | None = None
        self._pts = 0
        self._running = asyncio.Event()
        self._running.set()

    def pause(self) -> None:
        """Send nothing more until the track stops."""
        self._running.clear()

    def stop(self) -> None:
        super().stop()
        self._running.set()  # wakes a paused recv, which then sees the track ended

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += FRAME_SAMPLES
            await asyncio.sleep(max(0.0, self._start + self._pts / RATE - loop.time()))
        await self._running.wait()
        if self.readyState != "live":
            raise MediaStreamError
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(self._source(FRAME_BYTES))
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        return frame
