"""What every REST endpoint of the emulator shares: the bearer key and the JSON error body."""

from __future__ import annotations

from aiohttp import web

from . import wire
from .errors import RealtimeError

__all__ = ["bearer", "error_response"]


def bearer(request: web.Request) -> str | None:
    """The key of an ``Authorization: Bearer …`` header (None when there is none)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def error_response(status: int, error: RealtimeError) -> web.Response:
    """The API's error reply: ``{"error": {"message", "type", "param", "code"}}``."""
    body = {
        "error": {
            "message": error.message,
            "type": error.type,
            "param": error.param,
            "code": error.code,
        }
    }
    return web.Response(status=status, text=wire.encode(body), content_type="application/json")
