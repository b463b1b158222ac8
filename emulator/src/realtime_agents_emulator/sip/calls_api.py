"""``POST /v1/realtime/calls/{call_id}/accept|reject|refer|hangup`` for SIP calls (aiohttp).

Each route authenticates like the rest of the REST API (``Authorization: Bearer``), reads its
JSON body and calls the :class:`~.service.SipService`; every answer is 200 with an empty body,
as the real API's (the official client returns None). Errors use the API's JSON shape: 401 for
a bad key, 400 for a bad body or a call in the wrong state, 404 for an unknown call or one
that is over — ``accept`` of a call whose caller hung up is a 404 on the real API too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from .. import wire
from ..errors import RealtimeError
from ..rest import bearer, error_response
from .service import CallGone, SipService

__all__ = ["ACTIONS", "handle"]

ACTIONS = ("accept", "reject", "refer", "hangup")

KeyCheck = Callable[[str | None], RealtimeError | None]


async def handle(request: web.Request, service: SipService, check_key: KeyCheck) -> web.Response:
    """Run the action the path names (one of :data:`ACTIONS`) on the call it names."""
    call_id = request.match_info["call_id"]
    action = request.path.rstrip("/").rsplit("/", 1)[-1]  # the hangup route has no {action}
    error = check_key(bearer(request))
    if error is not None:
        return error_response(401, error)
    try:
        body = await _body(request)
        if action == "accept":
            await service.accept(call_id, body)
        elif action == "reject":
            status = body.get("status_code", 603)
            if not isinstance(status, int) or isinstance(status, bool):
                raise RealtimeError.invalid("status_code", "Invalid 'status_code': not an integer.")
            await service.reject(call_id, status)
        elif action == "refer":
            target = body.get("target_uri")
            if not isinstance(target, str) or not target:
                raise RealtimeError.missing_parameter("target_uri")
            await service.refer(call_id, target)
        else:
            await service.hangup(call_id)
    except CallGone:
        return error_response(404, RealtimeError.call_not_found(call_id))
    except RealtimeError as exc:
        return error_response(400, exc)
    return web.Response(status=200)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read() if request.can_read_body else b""
    if not raw.strip():
        return {}
    try:
        body = wire.decode(raw.decode("utf-8", "replace"))
    except RealtimeError:
        raise RealtimeError(
            "We could not parse the JSON body of your request.", "invalid_json"
        ) from None
    if not isinstance(body, dict):
        raise RealtimeError("The body of your request must be a JSON object.", "invalid_type")
    return body
