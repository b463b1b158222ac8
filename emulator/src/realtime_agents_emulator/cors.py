"""CORS for the endpoints a browser calls directly: ``/v1/realtime/calls`` with an ephemeral
key (a voice page's WebRTC offer) and ``/v1/realtime/client_secrets``.

The real API answers browsers from any origin there (that is what ephemeral keys are for), so
a page served from another local port must be able to reach the emulator the same way: the
preflight (``OPTIONS``) is answered, and responses expose ``Location`` (the call id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["cors_middleware"]

_PATHS = ("/v1/realtime/calls", "/v1/realtime/client_secrets")
_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Expose-Headers": "Location",
    "Access-Control-Max-Age": "600",
}

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def cors_middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
    if not request.path.startswith(_PATHS):
        return await handler(request)
    if request.method == "OPTIONS":
        return web.Response(status=204, headers=_HEADERS)
    response = await handler(request)
    response.headers.update(_HEADERS)
    return response
