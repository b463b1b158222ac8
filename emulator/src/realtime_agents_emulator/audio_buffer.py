"""Audio that grows a chunk at a time: the input buffer and the audio of stored items.

Every session appends 20 ms of input audio and stores 20 ms of reply audio each 20 ms. A
``bytearray`` grown that way reallocates as it grows: each step copies everything so far into
fresh memory that the kernel must zero first, and at a few hundred sessions that copying cost
the emulator more than a fifth of its CPU. :class:`AudioBuffer` keeps the chunks as they came
and joins them only when the audio is read whole (a commit, a retrieve, a truncate), which a
session does a few times per turn rather than fifty times a second. A chunk is kept by
reference: a reply looped from one utterance stores the same few chunk objects again and again
(see :func:`~.audio.looped_chunks`), and bytes are not tracked by the garbage collector.
"""

from __future__ import annotations

__all__ = ["AudioBuffer"]


class AudioBuffer:
    """Bytes appended in chunks; ``bytes(buffer)`` joins them (and keeps the join)."""

    __slots__ = ("_chunks", "_size")

    def __init__(self, data: bytes = b"") -> None:
        self._chunks: list[bytes] = [bytes(data)] if data else []
        self._size = len(data)

    def __len__(self) -> int:
        return self._size

    def __bytes__(self) -> bytes:
        if not self._chunks:
            return b""
        joined = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
        self._chunks = [joined]
        return joined

    def __repr__(self) -> str:
        return f"<AudioBuffer {self._size} bytes in {len(self._chunks)} chunks>"

    def append(self, data: bytes) -> None:
        """Keep ``data`` as it is (no copy until the audio is read whole)."""
        if data:
            self._chunks.append(data)
            self._size += len(data)

    def clear(self) -> None:
        self._chunks.clear()
        self._size = 0

    def keep_first(self, nbytes: int) -> None:
        """Drop everything after the first ``nbytes`` (a truncate)."""
        if nbytes < self._size:
            self._replace(bytes(self)[: max(0, nbytes)])

    def drop_first(self, nbytes: int) -> None:
        """Drop the first ``nbytes`` (audio a turn has taken)."""
        if nbytes > 0:
            self._replace(bytes(self)[nbytes:])

    def _replace(self, data: bytes) -> None:
        self._chunks = [data] if data else []
        self._size = len(data)
