"""The errors of ``realtime-agents talk`` that end it with one line (never a traceback)."""

from __future__ import annotations

__all__ = ["ConnectionGone", "TalkError"]


class TalkError(Exception):
    """A problem the user can fix, reported as one line."""


class ConnectionGone(TalkError):
    """The connection ended before what talk waited for (an error event may have said why)."""
