"""The emulator server: one aiohttp application serving the Realtime WebSocket and REST API.

Routes:

* ``GET /v1/realtime?model=…`` (WebSocket; also ``?intent=transcription``, ``?call_id=…``):
  admission like the real server — the upgrade always succeeds, then a bad or missing key gets
  ``error`` + close 3000 and a missing/invalid model or the beta header gets ``error`` + close 4000;
* ``POST /v1/realtime/client_secrets``: mints ``ek_…`` keys;
* ``POST /v1/realtime/calls`` (WebRTC; needs the ``webrtc`` extra): answers an SDP offer with a
  call (``rtc_call.py``); ``POST /v1/realtime/calls/{call_id}/hangup`` ends it; a WebSocket with
  ``?call_id=`` attaches to it as a sideband connection;
* SIP (``sip_port=``; needs the ``sip`` extra): a UDP user agent server (``sip/``) whose calls
  are announced by a signed webhook and answered through ``POST /v1/realtime/calls/{call_id}/
  accept|reject|refer|hangup``; ``?call_id=`` attaches to them too;
* ``GET /healthz``: ``{"status": "ok"}``; anything else: the API's JSON 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import socket
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import wire
from .auth import ClientSecret, KeyStore
from .brain import Brain, EchoBrain
from .call_desk import CallDesk, DeskServices
from .config import SESSION, apply_update, default_session
from .connection import ServerConnection
from .cors import cors_middleware
from .errors import RealtimeError
from .faults import FaultPlan, Faults
from .ids import IdFactory
from .responses import Pacing
from .rest import bearer as _bearer
from .rest import error_response as _error_response
from .schema import Int, Nullable, Str, obj
from .session import Session, SessionOptions
from .synth import SpeechMode, SpeechSynthesizer

if TYPE_CHECKING:
    from .rtc_call import RtcCall
    from .sip.call import SipCall
    from .sip.service import SipService
    from .workers_routing import WorkerRouter

__all__ = ["Emulator"]

log = logging.getLogger(__name__)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # appends may carry 15 MiB of audio, base64-encoded
_DEFAULT_SECRET_TTL = 600
_CLIENT_SECRET_BODY = obj(
    session=SESSION,
    expires_after=Nullable(obj(anchor=Str(("created_at",)), seconds=Int(10, 7200))),
)
_REALTIME_MODEL = re.compile(r"realtime|^gpt-audio", re.IGNORECASE)


class Emulator:
    """A local, protocol-faithful OpenAI Realtime API server (WebSocket + REST).

    ``async with Emulator(audio_speed=0) as emu:`` starts it on a free loopback port;
    ``emu.base_url`` is what ``AsyncOpenAI(base_url=...)`` takes.

    Args:
        host: a loopback address (``127.0.0.1``, ``localhost`` or ``::1``); nothing else is served.
        port: the TCP port; 0 picks a free one.
        api_keys: accepted API keys; ``None`` accepts any ``sk-…`` key. Minted ``ek_…`` keys are
            always accepted until they expire.
        brain: the scripted model (default :class:`EchoBrain`).
        audio_speed: output audio pacing: 1.0 real time, 2.0 twice as fast, 0 as fast as possible.
        audio_chunk_ms: audio per ``response.output_audio.delta`` (a multiple of 20 ms).
        speech: ``"auto"`` (espeak-ng if on PATH, else synthetic), ``"espeak"`` or ``"synthetic"``.
        models: accepted model names; ``None`` accepts names containing "realtime" or starting
            with "gpt-audio".
        ping_interval: seconds between WebSocket pings (``None`` disables them).
        session_max_s: session lifetime before ``session_expired`` (the real limit is 60 min).
        seed: makes generated ids reproducible.
        record_events: keep every client and server event on each connection (turn off for
            long benchmarks; ``wait_for_*`` still sees events that arrive while it waits).
        sip_port: start the SIP edge on this UDP port (0 picks a free one; ``None``: no SIP).
        webhook_url: where the SIP edge posts ``realtime.call.incoming`` (``None``: nowhere).
        webhook_secret: the ``whsec_…`` secret that signs webhooks (``None``: a fresh one, in
            ``emu.webhook_secret``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_keys: Iterable[str] | None = None,
        brain: Brain | None = None,
        audio_speed: float = 1.0,
        audio_chunk_ms: int = 100,
        speech: SpeechMode = "auto",
        models: Iterable[str] | None = None,
        ping_interval: float | None = 20.0,
        session_max_s: float = 3600.0,
        seed: int | None = None,
        record_events: bool = True,
        sip_port: int | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        if host not in _LOOPBACK:
            raise ValueError(f"the emulator only listens on loopback addresses, not {host!r}")
        self.host = "127.0.0.1" if host == "localhost" else host
        self._requested_port = port
        self.brain: Brain = brain or EchoBrain()
        self._ids = IdFactory(seed)
        self._keys = KeyStore(api_keys, self._ids)
        self._pacing = Pacing(audio_speed, audio_chunk_ms)
        self._speech = SpeechSynthesizer(speech)
        self._models = None if models is None else frozenset(models)
        self._ping_interval = ping_interval
        self._session_max_s = session_max_s
        self._record_events = record_events
        self.faults = FaultPlan()
        """Faults for future connections: ``next_connection(...)``, ``every_connection(...)``."""
        self.connections: list[ServerConnection] = []
        """Every WebSocket connection, in order of arrival (rejected ones included)."""
        self.sip: SipService | None = None
        """The SIP edge once started with ``sip_port`` (its ``calls``, ``port``, ``uri``)."""
        self._sip_port = sip_port
        self._webhook_url = webhook_url
        self.webhook_secret = _webhook_secret(webhook_secret)
        """The ``whsec_…`` secret the SIP edge's webhooks are signed with."""
        self.crashes: list[BaseException] = []
        """Unexpected exceptions inside the emulator or the brain (tests assert it stays empty)."""
        self._runner: web.AppRunner | None = None
        self._router: WorkerRouter | None = None  # set for a worker of `--workers N`
        self._port: int | None = None
        self._handed_out = 0
        self._calls_handed_out = 0
        self._numbers = itertools.count(1)
        self._arrived = asyncio.Condition()
        self._desk = CallDesk(
            DeskServices(
                keys=self._keys,
                ids=self._ids,
                faults=self.faults,
                session_options=lambda: self._session_options("webrtc"),
                model_ok=self._model_ok,
                on_crash=self._crash,
                record_events=record_events,
                next_number=lambda: next(self._numbers),
                arrived=self._arrived,
                stopping=lambda: self._runner is None,
            )
        )

    # -- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``url + "/v1"``: the ``base_url`` of the ``openai`` client."""
        return self.url + "/v1"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT/v1/realtime``."""
        return "ws" + self.url[4:] + "/v1/realtime"

    @property
    def speech_engine(self) -> str:
        """``"espeak-ng"`` or ``"synthetic"``."""
        return self._speech.engine

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the port and start serving."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
        except BaseException:
            sock.close()
            raise
        await self._serve((sock,))

    async def start_worker(
        self, public: socket.socket, private: socket.socket, router: WorkerRouter
    ) -> None:
        """Serve as one worker of ``realtime-agents-emulator --workers N`` (see ``workers.py``):
        on ``public`` (bound with ``SO_REUSEPORT``, shared with the other workers) and on
        ``private`` (this worker's own port), reaching other workers' calls through ``router``.
        Both sockets are bound already; the emulator owns them from now on."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        self._router = router
        await self._serve((public, private))

    async def _serve(self, sockets: tuple[socket.socket, ...]) -> None:
        """Serve the API on bound ``sockets`` (the first one is the emulator's ``port``)."""
        app = web.Application(client_max_size=_MAX_MESSAGE_BYTES, middlewares=[cors_middleware])
        app.router.add_get("/v1/realtime", self._realtime)
        app.router.add_post("/v1/realtime/client_secrets", self._client_secrets)
        app.router.add_post("/v1/realtime/calls", self._desk.create)
        app.router.add_post("/v1/realtime/calls/{call_id}/hangup", self._hangup)
        app.router.add_post("/v1/realtime/calls/{call_id}/{action:accept|reject|refer}", self._sip)
        app.router.add_get("/healthz", self._health)
        if self._router is not None:
            self._router.install(app, knows_call=self._knows_call, add_secret=self._keys.add)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            for sock in sockets:
                sock.setblocking(False)
                await web.SockSite(runner, sock).start()
        except BaseException:
            for sock in sockets:
                sock.close()
            await runner.cleanup()
            raise
        self._port = sockets[0].getsockname()[1]
        self._runner = runner
        if self._sip_port is not None:
            try:
                await self._start_sip(self._sip_port)
            except BaseException:
                await self.stop()
                raise
        log.info("realtime emulator listening on %s", self.url)

    async def stop(self) -> None:
        """End every call and close every connection (code 1001), stop every task and release
        the port."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self.sip is not None:
            await self.sip.stop()
        await self._desk.close_all()
        await asyncio.gather(
            *(conn.close(1001, "emulator stopped") for conn in self.connections if not conn.closed)
        )
        for conn in self.connections:
            with contextlib.suppress(TimeoutError):
                await conn.wait_closed(timeout=2.0)
        if self._router is not None:
            await self._router.close()
        await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- observability ------------------------------------------------------------------------

    async def wait_for_connection(
        self, timeout: float = 5.0, index: int | None = None
    ) -> ServerConnection:
        """A connection, once it has arrived.

        ``index=None`` returns the first connection not yet returned by this method (so calling
        it twice gives the first and second connections); an int returns ``connections[index]``.
        """
        wanted = self._handed_out if index is None else index
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.connections) > wanted), timeout
            )
        if index is None:
            self._handed_out += 1
        return self.connections[wanted]

    @property
    def calls(self) -> list[RtcCall]:
        """Every WebRTC call whose offer was answered, in order of arrival."""
        return self._desk.calls

    async def wait_for_call(self, timeout: float = 5.0, index: int | None = None) -> RtcCall:
        """A WebRTC call, once answered (``index`` as for :meth:`wait_for_connection`)."""
        wanted = self._calls_handed_out if index is None else index
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.calls) > wanted), timeout
            )
        if index is None:
            self._calls_handed_out += 1
        return self.calls[wanted]

    def mint_client_secret(
        self, session: Mapping[str, Any] | None = None, ttl_seconds: int = _DEFAULT_SECRET_TTL
    ) -> ClientSecret:
        """Mint an ``ek_…`` key directly (as ``POST /v1/realtime/client_secrets`` does)."""
        body = {
            "session": dict(session or {"type": "realtime"}),
            "expires_after": {"anchor": "created_at", "seconds": ttl_seconds},
        }
        wire.check_finite(body)  # as for a REST body: no NaN in free-form fields either
        checked = _CLIENT_SECRET_BODY.check(body, "")
        assert isinstance(checked, dict)
        return self._mint(checked)

    def _crash(self, exc: BaseException) -> None:
        self.crashes.append(exc)

    # -- handlers -----------------------------------------------------------------------------

    async def _realtime(self, request: web.Request) -> web.StreamResponse:
        call_id = request.query.get("call_id")
        if call_id is not None:  # a sideband: served by the worker that owns the call
            forwarded = await self._forwarded(request, call_id)
            if forwarded is not None:
                return forwarded
        ws = web.WebSocketResponse(
            protocols=("realtime",),
            heartbeat=self._ping_interval,
            max_msg_size=_MAX_MESSAGE_BYTES,
            timeout=2.0,
        )
        if not ws.can_prepare(request).ok:
            return _error_response(
                400, RealtimeError("This endpoint only accepts WebSocket connections.", None)
            )
        await ws.prepare(request)
        fault_error: RealtimeError | None = None
        try:
            faults = self.faults.take(request.query.getall("fault", []))
        except ValueError as exc:
            faults, fault_error = Faults(), RealtimeError.invalid("fault", str(exc))
        conn = ServerConnection(
            request,
            ws,
            ids=self._ids,
            faults=faults,
            on_crash=self._crash,
            record_events=self._record_events,
            number=next(self._numbers),
            api_key=_request_key(request),
        )
        await self._arrival(conn)
        error, close_code, secret = self._admit(request)
        if error is None and fault_error is not None:
            error, close_code = fault_error, 4000
        if error is not None:
            await conn.reject(error, close_code)
            return ws
        if call_id is not None:
            await self._sideband(conn, call_id)
            return ws
        kind = "transcription" if request.query.get("intent") == "transcription" else "realtime"
        initial = secret.session if secret else None
        if initial is not None:
            kind = str(initial["type"])
        model = request.query.get("model") or (initial or {}).get("model")
        session = Session(
            kind=kind,
            model=model,
            options=self._session_options("websocket"),
            sink=conn.session_sink,
            deliver=conn.session_deliver,
            on_close=conn.request_close,
            on_crash=self._crash,
            initial_config=initial,
        )
        await conn.serve(session)
        return ws

    async def _arrival(self, conn: ServerConnection) -> None:
        async with self._arrived:
            self.connections.append(conn)
            self._arrived.notify_all()

    def _admit(self, request: web.Request) -> tuple[RealtimeError | None, int, ClientSecret | None]:
        """Check the key (close 3000), then the request shape (close 4000)."""
        error, secret = self._keys.check_realtime_key(_request_key(request))
        if error is not None:
            return error, 3000, None
        if _beta_requested(request):
            return RealtimeError.beta_shape_disabled(), 4000, None
        call_id = request.query.get("call_id")
        if call_id is not None:  # a sideband connection: the call's session has its model
            if not self._desk.is_live(call_id) and self._sip_call(call_id) is None:
                return RealtimeError.call_not_found(call_id), 4000, None
            return None, 0, secret
        transcription = secret.session["type"] == "transcription" if secret else False
        if transcription or request.query.get("intent") == "transcription":
            return None, 0, secret
        model = request.query.get("model") or (secret.session.get("model") if secret else None)
        if not model:
            return RealtimeError.missing_model(), 4000, None
        if not self._model_ok(model):
            return RealtimeError.invalid_model(model), 4000, None
        return None, 0, secret

    async def _sideband(self, conn: ServerConnection, call_id: str) -> None:
        sip_call = self._sip_call(call_id)
        if sip_call is not None:
            await sip_call.serve_sideband(conn)
            return
        await self._desk.serve_sideband(conn, call_id)

    async def _hangup(self, request: web.Request) -> web.StreamResponse:
        forwarded = await self._forwarded(request, request.match_info["call_id"])
        if forwarded is not None:
            return forwarded
        answered = await self._desk.hangup(request)  # a WebRTC call, or a bad key
        if answered is not None:
            return answered
        if self.sip is not None:
            return await self._sip_action(request)
        return _error_response(404, RealtimeError.call_not_found(request.match_info["call_id"]))

    async def _forwarded(self, request: web.Request, call_id: str) -> web.StreamResponse | None:
        """Another worker's answer for a call this worker does not know (``--workers``)."""
        if self._router is None or self._knows_call(call_id):
            return None
        return await self._router.forward(request, call_id)

    def _knows_call(self, call_id: str) -> bool:
        """True if ``call_id`` is one of this emulator's calls, live or not."""
        if any(call.call_id == call_id for call in self.calls):
            return True
        return self.sip is not None and any(call.call_id == call_id for call in self.sip.calls)

    # -- SIP calls ----------------------------------------------------------------------------

    async def _start_sip(self, port: int) -> None:
        try:
            from .sip.service import SipService
        except ImportError as exc:
            raise RuntimeError(
                "the SIP edge needs the emulator's sip extra "
                f"(pip install 'realtime-agents-emulator[sip]'): {exc}"
            ) from exc
        self.sip = SipService(
            host=self.host,
            port=port,
            webhook_url=self._webhook_url,
            webhook_secret=self.webhook_secret,
            session_options=lambda: self._session_options("sip"),
            ids=self._ids,
            on_crash=self._crash,
        )
        await self.sip.start()

    def _sip_call(self, call_id: str) -> SipCall | None:
        return self.sip.find(call_id) if self.sip is not None else None

    async def _sip(self, request: web.Request) -> web.StreamResponse:
        forwarded = await self._forwarded(request, request.match_info["call_id"])
        if forwarded is not None:
            return forwarded
        return await self._sip_action(request)

    async def _sip_action(self, request: web.Request) -> web.Response:
        if self.sip is None:
            call_id = request.match_info["call_id"]
            return _error_response(404, RealtimeError.call_not_found(call_id))
        from .sip import calls_api

        return await calls_api.handle(request, self.sip, self._keys.check_api_key)

    def _session_options(self, transport: str) -> SessionOptions:
        # Built per session: ``emu.brain`` may be replaced between connections.
        return SessionOptions(
            self.brain,
            self._speech,
            self._pacing,
            self._ids,
            transport=transport,
            max_duration_s=self._session_max_s,
        )

    def _model_ok(self, model: str) -> bool:
        if self._models is not None:
            return model in self._models
        return bool(_REALTIME_MODEL.search(model))

    async def _client_secrets(self, request: web.Request) -> web.Response:
        error = self._keys.check_api_key(_bearer(request))
        if error is not None:
            return _error_response(401, error)
        try:
            body = wire.decode(await request.read()) if request.can_read_body else {}
            wire.check_finite(body)
        except RealtimeError as exc:
            if exc.code == "invalid_json":  # the REST API's wording, not the WebSocket's
                exc = RealtimeError(
                    "We could not parse the JSON body of your request.", "invalid_json"
                )
            return _error_response(400, exc)
        try:
            checked = _CLIENT_SECRET_BODY.check(body or {}, "")
            assert isinstance(checked, dict)
            secret = self._mint(checked)
        except RealtimeError as exc:
            return _error_response(400, exc)
        if self._router is not None:  # valid on every worker before the client has it
            await self._router.share_secret(secret)
        return web.json_response(
            {
                "value": secret.value,
                "expires_at": secret.expires_at,
                "session": self._public_secret_session(secret),
            },
            dumps=wire.encode,
        )

    def _mint(self, body: Mapping[str, Any]) -> ClientSecret:
        requested = body.get("session") or {"type": "realtime"}
        ttl = (body.get("expires_after") or {}).get("seconds", _DEFAULT_SECRET_TTL)
        kind = str(requested.get("type", "realtime"))
        model = str(requested.get("model") or "gpt-realtime") if kind == "realtime" else None
        session = apply_update(default_session(kind, model), requested, voice_locked=False)
        return self._keys.mint(session, int(ttl))

    def _public_secret_session(self, secret: ClientSecret) -> dict[str, Any]:
        kind = secret.session["type"]
        obj_name = "realtime.session" if kind == "realtime" else "realtime.transcription_session"
        return {
            "type": kind,
            "object": obj_name,
            "id": self._ids.make("sess"),
            **secret.session,
            "expires_at": 0,
        }

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"}, dumps=wire.encode)

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error_response(
            404, RealtimeError(f"Invalid URL ({request.method} {request.path})", None)
        )


def _webhook_secret(secret: str | None) -> str:
    from .sip.webhook import check_secret, new_secret

    return new_secret() if secret is None else check_secret(secret)


def _subprotocols(request: web.Request) -> list[str]:
    header = request.headers.get("Sec-WebSocket-Protocol", "")
    return [part.strip() for part in header.split(",") if part.strip()]


def _request_key(request: web.Request) -> str | None:
    """The bearer key, or the browser form: subprotocol ``openai-insecure-api-key.<key>``."""
    key = _bearer(request)
    if key:
        return key
    prefix = "openai-insecure-api-key."
    for protocol in _subprotocols(request):
        if protocol.startswith(prefix):
            return protocol[len(prefix) :]
    return None


def _beta_requested(request: web.Request) -> bool:
    beta = request.headers.get("OpenAI-Beta", "")
    return "realtime" in beta or "openai-beta.realtime-v1" in _subprotocols(request)
