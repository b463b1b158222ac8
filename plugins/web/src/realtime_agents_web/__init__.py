"""A browser voice page for a realtime agent, with the agent's tools running in Python.

:class:`VoiceApp` mints ephemeral keys from the agent's config, serves a static page that
talks WebRTC straight to the Realtime API, and attaches a sideband session to each call so
tools, guardrails and handoffs run on the server. ``realtime-agents serve`` runs one.
"""

from __future__ import annotations

from .app import ASSETS, DEFAULT_BASE_URL, VoiceApp, WebError, asset

__all__ = ["ASSETS", "DEFAULT_BASE_URL", "VoiceApp", "WebError", "asset"]
