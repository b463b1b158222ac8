"""The WebRTC calls of one emulator: answering offers, finding live calls, hanging up.

:class:`CallDesk` serves ``POST /v1/realtime/calls`` (a new :class:`~.rtc_call.RtcCall` with its
:class:`~.session.Session`), ``POST /v1/realtime/calls/{call_id}/hangup`` and sideband
connections (``?call_id=``), and lists the calls for tests. aiortc is imported only when a call
is created: without the ``webrtc`` extra the endpoint answers 501 and nothing else changes.
SIP calls live elsewhere (``sip/``); the emulator asks the desk first, then the SIP edge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .auth import ClientSecret, KeyStore
from .calls import CallRequestError, read_offer
from .config import apply_update, default_session
from .connection import ServerConnection
from .errors import RealtimeError
from .faults import FaultPlan, Faults
from .ids import IdFactory
from .rest import bearer, error_response
from .session import Session, SessionOptions

if TYPE_CHECKING:
    from .rtc_call import RtcCall

__all__ = ["CallDesk", "DeskServices"]

log = logging.getLogger(__name__)

_NO_WEBRTC = (
    "This emulator cannot answer WebRTC calls: install its webrtc extra "
    "(pip install 'realtime-agents-emulator[webrtc]'), which adds aiortc."
)


@dataclass(frozen=True)
class DeskServices:
    """What the desk takes from its emulator."""

    keys: KeyStore
    ids: IdFactory
    faults: FaultPlan
    session_options: Callable[[], SessionOptions]  # for a new call's session
    model_ok: Callable[[str], bool]
    on_crash: Callable[[BaseException], None]
    record_events: bool
    next_number: Callable[[], int]  # shared with WebSocket connections, as in the log lines
    arrived: asyncio.Condition  # notified when a call is listed
    stopping: Callable[[], bool]


class CallDesk:
    """Every WebRTC call of one emulator (``calls``) and the live ones by id."""

    def __init__(self, services: DeskServices) -> None:
        self._services = services
        self.calls: list[RtcCall] = []
        """Every call whose offer was answered, in order of arrival."""
        self._live: dict[str, tuple[RtcCall, Session]] = {}

    def is_live(self, call_id: str) -> bool:
        return call_id in self._live

    async def close_all(self) -> None:
        """End every call (the emulator stops)."""
        await asyncio.gather(
            *(call.close(1001, "emulator stopped") for call in self.calls if not call.closed)
        )

    async def serve_sideband(self, conn: ServerConnection, call_id: str) -> None:
        """Run a sideband connection on a live call until it closes."""
        call, session = self._live[call_id]
        call.attach(conn)
        try:
            await conn.serve(session, sideband=True)
        finally:
            call.detach(conn)

    # -- REST ---------------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        """``POST /v1/realtime/calls``: 201 with the answer SDP, or the API's JSON error."""
        try:
            from . import rtc_call  # noqa: F401  (aiortc: the webrtc extra)
        except ImportError as exc:
            log.warning("POST /v1/realtime/calls needs aiortc: %s", exc)
            return error_response(501, RealtimeError(_NO_WEBRTC, "webrtc_unavailable"))
        services = self._services
        key = bearer(request)
        error, secret = services.keys.check_realtime_key(key)
        if error is not None:
            return error_response(401, error)
        try:
            faults = services.faults.take(request.query.getall("fault", []))
        except ValueError as exc:
            return error_response(400, RealtimeError.invalid("fault", str(exc)))
        try:
            offer = await read_offer(request)
            initial = self._config(request, secret, offer.session)
        except CallRequestError as exc:
            return error_response(exc.status, exc.error)
        return await self._answer(request, offer.sdp, initial, key, faults)

    async def hangup(self, request: web.Request) -> web.Response | None:
        """``POST …/{call_id}/hangup`` for a live WebRTC call; None for another call id."""
        error = self._services.keys.check_api_key(bearer(request))
        if error is not None:
            return error_response(401, error)
        live = self._live.get(request.match_info["call_id"])
        if live is None:
            return None
        await live[0].hangup()
        return web.Response(status=200)

    def _config(
        self,
        request: web.Request,
        secret: ClientSecret | None,
        requested: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The call's session: the key's minted session (or the defaults), then the request's
        ``session`` part merged in; the model must be a realtime one."""
        base = secret.session if secret else None
        if base is not None and base["type"] != "realtime":
            raise CallRequestError(
                400, RealtimeError.invalid("session.type", "WebRTC calls need a realtime session.")
            )
        model = str(
            (requested or {}).get("model")
            or (base or {}).get("model")
            or request.query.get("model")
            or "gpt-realtime"
        )
        if not self._services.model_ok(model):
            raise CallRequestError(400, RealtimeError.invalid_model(model))
        config = dict(base) if base else default_session("realtime", model)
        if requested:
            config = apply_update(config, requested, voice_locked=False)
        config["model"] = model
        return config

    async def _answer(
        self,
        request: web.Request,
        sdp: str,
        initial: dict[str, Any],
        key: str | None,
        faults: Faults,
    ) -> web.Response:
        from .rtc_call import InvalidOffer, RtcCall

        services = self._services
        call = RtcCall(
            "rtc_" + services.ids.hex(16),
            ids=services.ids,
            faults=faults,
            on_crash=services.on_crash,
            record_events=services.record_events,
            number=services.next_number(),
            api_key=key,
            remote=request.remote,
            on_ended=self._ended,
        )
        session = Session(
            kind="realtime",
            model=str(initial["model"]),
            options=services.session_options(),
            sink=call.dispatch,
            on_close=call.request_close,
            on_crash=services.on_crash,
            initial_config=initial,
        )
        try:
            answer = await call.answer(sdp, session)
        except InvalidOffer as exc:
            error = RealtimeError(f"Invalid SDP offer: {exc}.", "invalid_offer", "sdp")
            return error_response(400, error)
        self._live[call.call_id] = (call, session)
        async with services.arrived:
            self.calls.append(call)
            services.arrived.notify_all()
        if services.stopping():  # stop() began during the answer, too early to see this call
            await call.close(1001, "emulator stopped")
            return error_response(503, RealtimeError.server_error("The server is shutting down."))
        return web.Response(
            status=201,
            text=answer,
            content_type="application/sdp",
            headers={"Location": call.location},
        )

    def _ended(self, call: RtcCall) -> None:
        self._live.pop(call.call_id, None)
