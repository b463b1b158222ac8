"""WebRTC transport for realtime-agents, on aiortc (work in progress)."""

from __future__ import annotations

__all__: list[str] = []
