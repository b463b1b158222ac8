"""The ``webrtc`` entry point (the transport registers here once it is complete: issue 10)."""

from __future__ import annotations

__all__: list[str] = []
