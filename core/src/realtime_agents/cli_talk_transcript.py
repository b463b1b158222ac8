"""The live transcript of ``realtime-agents talk``: one line per speaker turn, written as it grows.

Deltas of two turns can interleave: the API transcribes the user's speech while the agent
already answers, so the user's words may still be arriving when the agent's start. A terminal
line cannot be reopened, so lines keep the conversation's order instead: a turn gets its
place when it is known (the user's audio item when it is added; the agent's reply at its
first delta), only the first unfinished line is written live, and a later one collects its
deltas until the lines before it end, then catches up at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Final

__all__ = ["TranscriptPrinter"]

#: Shown for a turn that ended without any text (e.g. the transcription failed).
NO_TEXT: Final = "(no transcript)"
#: Open turns at most: past this, the oldest is ended (a transcript that never came must not
#: hold back every later line, nor have them pile up).
_MAX_OPEN: Final = 16
#: Finished turns remembered, so that a late event of one does not open it again.
_REMEMBERED: Final = 256


class _Line:
    __slots__ = ("done", "speaker", "text", "written")

    def __init__(self, speaker: str) -> None:
        self.speaker = speaker
        self.text = ""
        self.written = -1  # characters of ``text`` on screen; -1: not even the speaker yet
        self.done = False


class TranscriptPrinter:
    """Turns keyed by any hashable (an item or response id) become ``speaker: text`` lines.

    ``write`` receives text to print as it is (it flushes); ``expect`` reserves a turn's
    place, ``add`` appends a delta, ``finish`` ends a turn (with its whole text, when known),
    ``close`` ends every turn still open. ``on_idle(bool)`` hears after each change whether
    every line is complete.
    """

    def __init__(
        self, write: Callable[[str], None], on_idle: Callable[[bool], None] | None = None
    ) -> None:
        self._write = write
        self._on_idle = on_idle
        self._lines: dict[Hashable, _Line] = {}
        self._finished: dict[Hashable, None] = {}  # an ordered set, oldest first

    def expect(self, key: Hashable, speaker: str) -> None:
        if self._line(key, speaker) is not None:
            self._show()

    def add(self, key: Hashable, speaker: str, delta: str) -> None:
        line = self._line(key, speaker)
        if line is not None and not line.done:
            line.text += delta
            self._show()

    def finish(self, key: Hashable, speaker: str, text: str | None = None) -> None:
        """End a turn; ``text`` (its whole text) completes what the deltas missed."""
        line = self._line(key, speaker)
        if line is None:
            return
        if text and text.startswith(line.text):  # deltas that disagree with it are kept
            line.text = text
        line.done = True
        self._show()

    def _line(self, key: Hashable, speaker: str) -> _Line | None:
        """The open line of ``key``, made if new; None once it is finished (late events)."""
        if key in self._finished:
            return None
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = _Line(speaker)
            if len(self._lines) > _MAX_OPEN:
                next(iter(self._lines.values())).done = True
        return line

    def close(self) -> None:
        """Finish every open turn (at the end of the session)."""
        for line in self._lines.values():
            line.done = True
        self._show()

    def _show(self) -> None:
        self._write_lines()
        if self._on_idle is not None:
            self._on_idle(not self._lines)

    def _write_lines(self) -> None:
        """Write the first unfinished line's new text, and every finished line before it."""
        while self._lines:
            key, line = next(iter(self._lines.items()))
            if line.written < 0:
                self._write(f"{line.speaker}: ")
                line.written = 0
            if line.done and not line.text:
                line.text = NO_TEXT
            if len(line.text) > line.written:
                self._write(line.text[line.written :])
                line.written = len(line.text)
            if not line.done:
                return
            self._write("\n")
            del self._lines[key]
            self._finished[key] = None
            if len(self._finished) > _REMEMBERED:
                del self._finished[next(iter(self._finished))]
