"""How the workers of ``realtime-agents-emulator --workers N`` reach each other's calls.

Every worker serves the same public port (the kernel spreads connections over them with
``SO_REUSEPORT``) and, to be addressable on its own, a private loopback port. State that lives
in one worker stays there: a WebRTC call belongs to the worker that answered its offer, a SIP
call to the worker that runs the SIP edge. A request naming a call this worker does not know
(``?call_id=`` sidebands, ``POST /v1/realtime/calls/{call_id}/…``) is routed: the worker asks
its peers, on their private ports, which one knows the call, and forwards the request (a
WebSocket is relayed frame by frame in both directions) to that owner, which answers as if it
had taken the request itself. Call ids keep the API's shape; a lookup costs one loopback request
per peer, paid when a call is reached from another worker, never per audio frame.

Minted client secrets (``ek_…``) carry the session config they were minted with, too large to
fit a key that travels in a header or a browser subprotocol; so the minting worker hands each
secret to every peer before it answers, and the key works whichever worker a client reaches.

Peers prove themselves with a random token the supervisor gives every worker
(``X-Emulator-Peer``); a request carrying it is never forwarded again, so routing cannot loop.
Every response names the worker that sent it (``X-Emulator-Worker``, ``X-Emulator-Pid``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from . import wire
from .auth import ClientSecret
from .errors import RealtimeError
from .rest import error_response

__all__ = ["PEER_HEADER", "PID_HEADER", "WORKER_HEADER", "WorkerRouter"]

log = logging.getLogger(__name__)

PEER_HEADER = "X-Emulator-Peer"
WORKER_HEADER = "X-Emulator-Worker"
PID_HEADER = "X-Emulator-Pid"
_MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # as the emulator's own WebSocket limit
_FORWARDED_HEADERS = ("Authorization", "Content-Type", "OpenAI-Beta")
_LOOKUP_TIMEOUT = aiohttp.ClientTimeout(total=5.0)
_FORWARD_TIMEOUT = aiohttp.ClientTimeout(total=60.0)
# Close codes a relay may repeat: 1005/1006/1015 are never sent in a close frame.
_UNSENDABLE_CODES = (1004, 1005, 1006, 1015)


class WorkerRouter:
    """One worker's view of the others: answers their lookups, forwards to them.

    Args:
        index: this worker's number (0 runs the SIP edge).
        host: the loopback address every private port listens on.
        private_ports: every worker's private port, by index (this one's included).
        token: the secret shared by the workers of one emulator.
        ping_interval: WebSocket pings on relayed client connections, as the emulator's own.
    """

    def __init__(
        self,
        index: int,
        *,
        host: str,
        private_ports: Mapping[int, int],
        token: str,
        ping_interval: float | None,
    ) -> None:
        self.index = index
        self._host = f"[{host}]" if ":" in host else host
        self._peers = {i: port for i, port in private_ports.items() if i != index}
        self._token = token
        self._ping_interval = ping_interval
        self._pid = str(os.getpid())
        self._http: aiohttp.ClientSession | None = None
        self._relays: set[web.WebSocketResponse] = set()
        self._knows: Callable[[str], bool] = lambda call_id: False
        self._add_secret: Callable[[ClientSecret], None] = lambda secret: None

    # -- wiring into the worker's application -------------------------------------------------

    def install(
        self,
        app: web.Application,
        *,
        knows_call: Callable[[str], bool],
        add_secret: Callable[[ClientSecret], None],
    ) -> None:
        """Add the peer-only routes (before the app's catch-all) and the worker headers."""
        self._knows, self._add_secret = knows_call, add_secret
        app.router.add_get("/_emulator/calls/{call_id}", self._lookup)
        app.router.add_post("/_emulator/secrets", self._receive_secret)
        app.on_response_prepare.append(self._name_worker)

    async def close(self) -> None:
        """Close relayed WebSockets (1001, as the emulator's own) and the peer connections."""
        await asyncio.gather(
            *(ws.close(code=1001, message=b"emulator stopped") for ws in list(self._relays)),
            return_exceptions=True,
        )
        if self._http is not None:
            await self._http.close()
            self._http = None

    def from_peer(self, request: web.Request) -> bool:
        """True if a peer sent ``request`` (it must be answered here, never forwarded)."""
        return hmac.compare_digest(request.headers.get(PEER_HEADER, ""), self._token)

    # -- routing ------------------------------------------------------------------------------

    async def forward(self, request: web.Request, call_id: str) -> web.StreamResponse | None:
        """Answer ``request`` through the worker that knows ``call_id``; None when no peer does
        (or a peer sent it): then this worker answers (e.g. ``call_not_found``)."""
        if self.from_peer(request):
            return None
        is_websocket = request.path == "/v1/realtime"
        if is_websocket and not web.WebSocketResponse().can_prepare(request).ok:
            return None  # a plain GET: refused alike everywhere
        port = await self._owner(call_id)
        if port is None:
            return None
        if is_websocket:
            return await self._relay(request, port)
        return await self._forward_http(request, port)

    async def share_secret(self, secret: ClientSecret) -> None:
        """Hand a freshly minted secret to every peer (before the client sees it)."""
        body = wire.encode(
            {"value": secret.value, "expires_at": secret.expires_at, "session": secret.session}
        )
        results = await asyncio.gather(
            *(self._post_secret(port, body) for port in self._peers.values()),
            return_exceptions=True,
        )
        for index, result in zip(self._peers, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("worker %d did not take a client secret: %s", index, result)

    async def _post_secret(self, port: int, body: str) -> None:
        url = f"http://{self._host}:{port}/_emulator/secrets"
        async with self._client().post(url, data=body, headers=self._peer_headers()) as reply:
            reply.raise_for_status()

    async def _owner(self, call_id: str) -> int | None:
        """The private port of the peer that knows ``call_id``, if one does."""
        ports = list(self._peers.values())
        known = await asyncio.gather(*(self._asks(port, call_id) for port in ports))
        return next((port for port, yes in zip(ports, known, strict=True) if yes), None)

    async def _asks(self, port: int, call_id: str) -> bool:
        url = f"http://{self._host}:{port}/_emulator/calls/{call_id}"
        try:
            async with self._client().get(
                url, headers=self._peer_headers(), timeout=_LOOKUP_TIMEOUT
            ) as reply:
                return reply.status == 200
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("call lookup on port %d failed: %s", port, exc)
            return False

    # -- forwarding ---------------------------------------------------------------------------

    async def _forward_http(self, request: web.Request, port: int) -> web.Response:
        url = f"http://{self._host}:{port}{request.path_qs}"
        body = await request.read()
        try:
            async with self._client().request(
                request.method,
                url,
                data=body,
                headers=self._forwarded_headers(request),
                timeout=_FORWARD_TIMEOUT,
            ) as reply:
                payload = await reply.read()
                headers = {
                    name: reply.headers[name]
                    for name in ("Content-Type", "Location")
                    if name in reply.headers
                }
                return web.Response(status=reply.status, body=payload, headers=headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("forwarding %s to port %d failed: %s", request.path, port, exc)
            return error_response(502, RealtimeError.server_error("The call's worker is gone."))

    async def _relay(self, request: web.Request, port: int) -> web.StreamResponse:
        """Relay a WebSocket to the owner: its handshake first, then frames both ways."""
        url = f"http://{self._host}:{port}{request.path_qs}"
        try:
            upstream = await self._client().ws_connect(
                url,
                protocols=_subprotocols(request),
                headers=self._forwarded_headers(request),
                max_msg_size=_MAX_MESSAGE_BYTES,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0),
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("relaying a sideband to port %d failed: %s", port, exc)
            return error_response(502, RealtimeError.server_error("The call's worker is gone."))
        ws = web.WebSocketResponse(
            protocols=("realtime",),
            heartbeat=self._ping_interval,
            max_msg_size=_MAX_MESSAGE_BYTES,
            timeout=2.0,
        )
        try:
            await ws.prepare(request)
            self._relays.add(ws)
            await _pump(ws, upstream)
        finally:
            self._relays.discard(ws)
            await upstream.close()
        return ws

    # -- the peer-only routes -----------------------------------------------------------------

    async def _lookup(self, request: web.Request) -> web.Response:
        if not self.from_peer(request):
            return _not_found(request)
        known = self._knows(request.match_info["call_id"])
        return web.Response(status=200 if known else 404)

    async def _receive_secret(self, request: web.Request) -> web.Response:
        if not self.from_peer(request):
            return _not_found(request)
        body = wire.decode(await request.text())
        self._add_secret(
            ClientSecret(
                value=str(body["value"]),
                expires_at=int(body["expires_at"]),
                session=dict(body["session"]),
            )
        )
        return web.Response(status=204)

    async def _name_worker(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers[WORKER_HEADER] = str(self.index)
        response.headers[PID_HEADER] = self._pid

    # -- helpers ------------------------------------------------------------------------------

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:  # made in the worker's loop, on first use
            self._http = aiohttp.ClientSession(auto_decompress=False)
        return self._http

    def _peer_headers(self) -> dict[str, str]:
        return {PEER_HEADER: self._token}

    def _forwarded_headers(self, request: web.Request) -> dict[str, str]:
        headers = {
            name: request.headers[name] for name in _FORWARDED_HEADERS if name in request.headers
        }
        headers.update(self._peer_headers())
        return headers


async def _pump(client: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse) -> None:
    """Copy frames both ways until either side closes; the close (code, reason) goes across."""
    down = asyncio.ensure_future(_copy(upstream, client))
    up = asyncio.ensure_future(_copy(client, upstream))
    try:
        await asyncio.wait((down, up), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (down, up):
            task.cancel()
        await asyncio.gather(down, up, return_exceptions=True)


async def _copy(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> None:
    try:
        while True:
            message = await source.receive()
            if message.type is aiohttp.WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type is aiohttp.WSMsgType.BINARY:
                await sink.send_bytes(message.data)
            elif message.type is aiohttp.WSMsgType.CLOSE:
                await sink.close(code=_sendable(message.data), message=_reason(message.extra))
                return
            elif message.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                continue  # answered by each side's own autoping
            else:  # CLOSING, CLOSED, ERROR: the source went away without a close of its own
                await sink.close(code=_sendable(source.close_code or 1011), message=b"")
                return
    except (ConnectionResetError, RuntimeError):
        return  # the sink closed under us: the other direction carries its close


def _sendable(code: Any) -> int:
    if not isinstance(code, int) or not 1000 <= code <= 4999 or code in _UNSENDABLE_CODES:
        return 1000
    return code


def _reason(extra: Any) -> bytes:
    return extra.encode("utf-8")[:123] if isinstance(extra, str) else b""


def _subprotocols(request: web.Request) -> list[str]:
    header = request.headers.get("Sec-WebSocket-Protocol", "")
    return [part.strip() for part in header.split(",") if part.strip()]


def _not_found(request: web.Request) -> web.Response:
    return error_response(
        404, RealtimeError(f"Invalid URL ({request.method} {request.path})", None)
    )
