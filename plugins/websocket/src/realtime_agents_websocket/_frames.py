"""A fast reader for the frames a Realtime server actually sends, sans I/O.

websockets' frame parser is a chain of generators: exact and general, and about 2 µs per
frame — as much as decoding the base64 audio inside it. Almost every frame of a Realtime
session is one complete, unmasked, unextended text frame, which takes a dozen byte operations
to read. :class:`FastFrameReader` reads exactly those (plus binary frames, pings and pongs)
and hands everything else back, from a frame boundary, to websockets' ``ClientProtocol``,
which then owns the connection until it ends: close frames (so the closing handshake is
websockets'), fragmented messages, reserved bits, masked or oversized frames (so protocol
errors are failed by websockets with the right close code).

It is only used on connections without extensions (no permessage-deflate) and only after the
opening handshake, whose bytes websockets parses itself.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["FastFrameReader"]

# First byte of a final frame with no reserved bits, by opcode.
_TEXT = 0x81
_BINARY = 0x82
_PING = 0x89
_PONG = 0x8A


class FastFrameReader:
    """Feed it bytes; it calls back for each complete frame, in order.

    :meth:`feed` returns None while it handles the stream, or the bytes (starting at a frame
    boundary) that the caller must give to websockets instead; from then on the reader is
    :attr:`done` and must not be fed again.
    """

    __slots__ = (
        "_buffer",
        "_max_size",
        "done",
        "on_binary",
        "on_invalid",
        "on_ping",
        "on_pong",
        "on_text",
    )

    def __init__(
        self,
        max_size: int | None,
        *,
        on_text: Callable[[str], None],
        on_binary: Callable[[bytes], None],
        on_ping: Callable[[bytes], None],
        on_pong: Callable[[bytes], None],
        on_invalid: Callable[[], None],
    ) -> None:
        self._max_size = max_size
        self._buffer = bytearray()
        self.on_text = on_text
        self.on_binary = on_binary
        self.on_ping = on_ping
        self.on_pong = on_pong
        self.on_invalid = on_invalid  # a text frame that is not UTF-8
        self.done = False

    def feed(self, data: bytes) -> bytes | None:
        """Read every complete frame of the stream so far (see the class docstring)."""
        buffer = self._buffer
        if buffer:
            buffer += data
            view: bytes | bytearray = buffer
        else:
            view = data
        with memoryview(view) as frames:
            pos = self._read(frames, len(view))
        if self.done:
            rest = bytes(view[pos:])
            buffer.clear()
            return rest
        if buffer:
            del buffer[:pos]
        elif pos < len(view):
            buffer += view[pos:]
        return None

    def _read(self, frames: memoryview, size: int) -> int:
        """Handle frames from offset 0; return where the unread part starts."""
        pos = 0
        max_size = self._max_size
        while size - pos >= 2:
            first, second = frames[pos], frames[pos + 1]
            length = second & 0x7F
            if second & 0x80:  # a masked frame from a server: websockets fails it
                self.done = True
                return pos
            if length < 126:
                start = pos + 2
            elif length == 126:
                if size - pos < 4:
                    return pos
                length = (frames[pos + 2] << 8) | frames[pos + 3]
                start = pos + 4
            else:
                if size - pos < 10:
                    return pos
                length = int.from_bytes(frames[pos + 2 : pos + 10], "big")
                start = pos + 10
            if max_size is not None and length > max_size:
                self.done = True  # websockets closes with 1009
                return pos
            end = start + length
            if end > size:
                return pos
            if first == _TEXT:
                try:
                    text = str(frames[start:end], "utf-8")
                except UnicodeDecodeError:
                    self.done = True
                    self.on_invalid()
                    return end
                self.on_text(text)
            elif first == _BINARY:
                self.on_binary(bytes(frames[start:end]))
            elif first == _PING and length <= 125:
                self.on_ping(bytes(frames[start:end]))
            elif first == _PONG and length <= 125:
                self.on_pong(bytes(frames[start:end]))
            else:  # close, fragments, reserved bits, bad control frames: websockets' job
                self.done = True
                return pos
            pos = end
        return pos
