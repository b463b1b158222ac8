"""One call's media: the outgoing track, the reply reader, the sink, the microphone pump.

A :class:`CallMedia` lives exactly as long as one peer connection and releases everything it
started in :meth:`CallMedia.aclose`: its tasks, its own tracks, the microphone, the speaker,
a ``MediaRecorder`` it started. It never stops the caller's ``media_stream``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc.contrib.media import MediaRecorder, MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ._devices import Microphone
from ._media import OutgoingAudio, PacedInput, ReplyDecoder

__all__ = ["AudioSink", "CallMedia"]

logger = logging.getLogger("realtime_agents_webrtc")

#: Where the reply goes: a callable taking PCM16 24 kHz mono chunks, or an aiortc recorder.
AudioSink = Callable[[bytes], object] | MediaRecorder


class CallMedia:
    """The media of one connection (see the module docstring).

    Args:
        source: the caller's track, or None for our paced track (``send_audio``/microphone).
        microphone: recorded chunks to feed our paced track, if the microphone is the input.
        sink: where the decoded reply goes besides ``on_audio``; ``speaker_close`` releases a
            speaker sink.
        on_audio: called with each decoded reply chunk (PCM16 24 kHz mono).
        on_lost: called once if no frame arrives for ``grace`` seconds (a server's track
            plays silence between replies, so a gap means the peer is gone).
        on_sink_error: called once if the sink raises (later failures are only logged).
    """

    def __init__(
        self,
        *,
        source: MediaStreamTrack | None,
        microphone: Microphone | None,
        sink: AudioSink | None,
        speaker_close: Callable[[], None] | None,
        on_audio: Callable[[bytes], None],
        on_lost: Callable[[float], None],
        on_sink_error: Callable[[BaseException], None],
        grace: float | None,
    ) -> None:
        self.paced = PacedInput() if source is None else None
        self.outgoing = OutgoingAudio(source or self.paced)  # type: ignore[arg-type]
        self._microphone = microphone
        self._sink = sink
        self._speaker_close = speaker_close
        self._on_audio = on_audio
        self._on_lost = on_lost
        self._on_sink_error = on_sink_error
        self._sink_failed = False
        self._grace = grace
        #: Set once the call is up: from then on, a silent gap of ``grace`` ends it.
        self.armed = False
        self._relay: MediaRelay | None = None
        self._recording = False
        self._tasks: set[asyncio.Task[None]] = set()
        if microphone is not None and self.paced is not None:
            self._start(self._pump(microphone, self.paced), "microphone")

    def _start(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"realtime_agents_webrtc {what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def uses_microphone(self) -> bool:
        return self._microphone is not None

    def release_microphone(self) -> None:
        """Stop recording; the paced track then carries only what ``send_audio`` queues."""
        microphone, self._microphone = self._microphone, None
        if microphone is not None:
            microphone.close()
            if self.paced is not None:
                self.paced.clear()

    async def _pump(self, microphone: Microphone, paced: PacedInput) -> None:
        async for chunk in microphone:
            if self._microphone is not microphone:
                return
            await paced.feed(chunk)

    def on_remote_track(self, track: MediaStreamTrack) -> None:
        """The server's track arrived: read it (and record it, for a ``MediaRecorder`` sink)."""
        if track.kind != "audio":
            return
        if isinstance(self._sink, MediaRecorder):
            self._relay = MediaRelay()
            self._sink.addTrack(self._relay.subscribe(track, buffered=False))
            self._start(self._start_recorder(self._sink), "recorder start")
            track = self._relay.subscribe(track, buffered=False)
        self._start(self._read(track), "reply reader")

    async def _start_recorder(self, recorder: MediaRecorder) -> None:
        await recorder.start()
        self._recording = True

    async def _read(self, track: MediaStreamTrack) -> None:
        decoder = ReplyDecoder()
        grace = self._grace
        while True:
            try:
                async with asyncio.timeout(grace):
                    frame = await track.recv()
            except MediaStreamError:
                return  # the track ended with the connection
            except TimeoutError:
                if not self.armed:
                    continue  # still connecting: open_timeout bounds that
                assert grace is not None
                self._on_lost(grace)
                return
            pcm = decoder.decode(frame)  # type: ignore[arg-type]
            if pcm:
                self._deliver(pcm)

    def _deliver(self, pcm: bytes) -> None:
        sink = self._sink
        if sink is not None and not isinstance(sink, MediaRecorder):
            try:
                sink(pcm)
            except Exception as exc:
                if not self._sink_failed:
                    self._sink_failed = True
                    self._on_sink_error(exc)
                else:
                    logger.debug("audio_sink failed again: %r", exc)
        self._on_audio(pcm)

    async def aclose(self) -> None:
        """Stop our tasks, tracks, microphone, speaker and recorder (never the caller's track)."""
        self.release_microphone()
        self.outgoing.stop()
        if self.paced is not None:
            self.paced.stop()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._recording and isinstance(self._sink, MediaRecorder):
            self._recording = False
            with contextlib.suppress(Exception):  # the file is the caller's; we only finish it
                await self._sink.stop()
        if self._speaker_close is not None:
            close, self._speaker_close = self._speaker_close, None
            close()
