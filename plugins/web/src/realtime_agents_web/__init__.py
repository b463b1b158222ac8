"""A browser voice page for a realtime agent, with the agent's tools running in Python.

:class:`VoiceApp` mints ephemeral keys from the agent's config, serves a static page that
talks WebRTC straight to the Realtime API, and attaches a sideband session to each call so
tools, guardrails and handoffs run on the server. ``realtime-agents serve`` runs one.

Names are imported on first use, so discovering the plugin (``realtime-agents --help``)
imports neither aiohttp nor the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from realtime_agents.lazy import lazy_exports

__all__ = ["ASSETS", "DEFAULT_BASE_URL", "VoiceApp", "WebError", "asset"]

_EXPORTS: dict[str, str] = dict.fromkeys(__all__, ".app")

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .app import ASSETS, DEFAULT_BASE_URL, VoiceApp, WebError, asset
