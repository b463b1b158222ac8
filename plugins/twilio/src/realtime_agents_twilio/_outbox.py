"""Frames on their way to Twilio: one writer task, bounded, purgeable.

The server sends reply audio faster than real time and Twilio buffers it for playback, so
frames are written as fast as the socket takes them, in order, by one task. The backlog is
bounded in bytes; past the bound, new audio is dropped (the caller would hear it minutes
late anyway) and the transport reports it once. :meth:`Outbox.purge` forgets frames not yet
written: on barge-in they must never reach the caller.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

from .sockets import TwilioWebSocket

__all__ = ["Outbox"]


class Outbox:
    """Text frames for one Twilio socket; :meth:`run` writes them."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._frames: deque[str] = deque()
        self._bytes = 0
        self._wake = asyncio.Event()

    def put(self, frames: Iterable[str]) -> bool:
        """Queue ``frames`` (all or none); False when they would pass the bound."""
        frames = list(frames)
        size = sum(map(len, frames))
        if self._bytes + size > self.max_bytes:
            return False
        self._frames.extend(frames)
        self._bytes += size
        self._wake.set()
        return True

    def purge(self) -> None:
        """Forget every frame not written yet."""
        self._frames.clear()
        self._bytes = 0

    async def run(self, socket: TwilioWebSocket) -> None:
        """Write frames as they come, until cancelled or the socket refuses one."""
        frames = self._frames
        while True:
            if not frames:
                self._wake.clear()
                await self._wake.wait()
                continue
            frame = frames.popleft()
            self._bytes -= len(frame)
            await socket.send(frame)
