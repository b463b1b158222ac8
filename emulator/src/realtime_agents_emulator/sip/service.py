"""The emulator's SIP edge: incoming calls, the webhook, and the Calls API's operations.

:class:`SipService` is the emulator playing OpenAI's SIP trunk endpoint. A caller's INVITE gets
``100 Trying`` and ``180 Ringing``, then the application hears of the call through a signed
``realtime.call.incoming`` webhook and decides through the Calls API (see ``calls_api.py``):
:meth:`accept` answers ``200 OK`` with SDP (repeated until the ACK) and starts the call's session
and media; :meth:`reject` answers with a final status (603 unless told otherwise); :meth:`refer`
sends REFER; :meth:`hangup` sends BYE. The caller may CANCEL while it rings, or BYE once
answered. A repeated INVITE (same Call-ID and CSeq) is answered with the last response again.
OPTIONS is answered wherever it comes from.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from sipmessage import Request, Response

from .. import wire
from ..config import SESSION, apply_update, default_session
from ..errors import RealtimeError
from ..ids import IdFactory
from ..session import Session, SessionOptions
from .call import SipCall
from .messages import ALLOW, header_list, response, tag
from .sdp import OfferError, answer, parse_offer
from .uas import SipSocket
from .webhook import WebhookSender

__all__ = ["CallGone", "SipService"]

log = logging.getLogger(__name__)

_DEFAULT_MODEL = "gpt-realtime"
# The Calls API refuses these (reference js-sdk-behaviour: "Calls API rejects them").
_REFUSED_TURN_DETECTION = ("threshold", "prefix_padding_ms", "silence_duration_ms")


class CallGone(Exception):
    """The call is unknown or over (the Calls API answers 404)."""


class SipService:
    """A UDP SIP user agent server on ``host:port`` feeding calls to Realtime sessions.

    ``calls`` lists every call in order of arrival (:class:`~.call.SipCall`).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        webhook_url: str | None,
        webhook_secret: str,
        session_options: Callable[[], SessionOptions],
        ids: IdFactory,
        on_crash: Callable[[BaseException], None],
    ) -> None:
        self.host = host
        self._requested_port = port
        self.webhook_url = webhook_url
        self._session_options = session_options  # per call: the emulator's brain may change
        self._ids = ids
        self._on_crash = on_crash
        self._webhooks = WebhookSender(webhook_url, webhook_secret, ids) if webhook_url else None
        self._socket: SipSocket | None = None
        self._numbers = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._answering: set[str] = set()  # accepted calls whose 200 OK is being prepared
        self.calls: list[SipCall] = []

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the SIP edge is not started")
        return self._socket.address[1]

    @property
    def uri(self) -> str:
        """Where to send calls: ``sip:openai@127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"sip:openai@{host}:{self.port}"

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        _, self._socket = await loop.create_datagram_endpoint(
            lambda: SipSocket(self, self._on_crash), local_addr=(self.host, self._requested_port)
        )
        log.info("SIP edge listening on %s (UDP)", self.uri)

    async def stop(self) -> None:
        """Turn away ringing calls (503), hang up live ones (BYE), release every socket."""
        for call in self.calls:
            if call.state == "ringing":
                self._final(call, 503)
            elif call.live:
                self._send_request(call, "BYE")
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(call.end("ended", "server") for call in self.calls))
        if self._webhooks is not None:
            await self._webhooks.close()
        if self._socket is not None:
            await self._socket.close()

    def find(self, call_id: str) -> SipCall | None:
        """The live (answered) call ``call_id``, for sideband connections."""
        call = self._call(call_id)
        return call if call is not None and call.live else None

    # -- the Calls API ------------------------------------------------------------------------

    async def accept(self, call_id: str, body: Mapping[str, Any]) -> None:
        """Answer the ringing call with a session configured by ``body`` (a session config).

        Raises :class:`CallGone` or :class:`RealtimeError` (a bad config, a call not ringing).
        """
        call = self._ringing(call_id)
        if call_id in self._answering:
            raise RealtimeError.invalid("call_id", f"Call '{call_id}' is being answered.")
        config = _session_config(body)
        self._answering.add(call_id)
        try:
            await self._answer(call, config)
        finally:
            self._answering.discard(call_id)

    async def _answer(self, call: SipCall, config: dict[str, Any]) -> None:
        session = Session(
            kind="realtime",
            model=str(config.get("model") or _DEFAULT_MODEL),
            options=self._session_options(),
            sink=call.dispatch,
            on_close=lambda code, reason: self._spawn(self._hang_up(call)),
            on_crash=self._on_crash,
            initial_config=config,
        )
        port = await call.open_media(session, self.host)
        if port is None:  # the caller gave up while the port was being bound
            raise CallGone(call.call_id)
        sdp = answer(call.offer, self.host, port, random.getrandbits(31)).encode()
        ok = response(
            call.invite,
            200,
            to_tag=call.local_tag,
            headers={"Contact": f"<{self.uri}>", "Allow": ALLOW},
            body=sdp,
        )
        call.state = "accepted"
        call.last_invite_response = self._sock.send_reliably(
            ("invite", call.sip_call_id), ok, call.source, lambda: self._no_ack(call)
        )
        session.start()
        call.start_media()
        log.info("sip call %d %s accepted (%s)", call.number, call.call_id, call.codec)

    async def reject(self, call_id: str, status_code: int = 603) -> None:
        call = self._ringing(call_id)
        if not 400 <= status_code <= 699:
            raise RealtimeError.invalid(
                "status_code", f"Invalid 'status_code': {status_code} is not a SIP error status."
            )
        self._final(call, status_code)
        await call.end("rejected", "server")

    async def refer(self, call_id: str, target_uri: str) -> None:
        call = self._live(call_id)
        self._send_request(call, "REFER", {"Refer-To": f"<{target_uri}>"})

    async def hangup(self, call_id: str) -> None:
        call = self._call(call_id)
        if call is None or call.over:
            raise CallGone(call_id)
        if call.state == "ringing":
            self._final(call, 603)
            await call.end("rejected", "server")
            return
        await self._hang_up(call)

    # -- SIP ----------------------------------------------------------------------------------

    def on_request(self, request: Request, raw: bytes, source: tuple[str, int]) -> None:
        method = request.method
        if method == "INVITE":
            self._on_invite(request, raw, source)
        elif method == "ACK":
            acknowledged = self._sock.settle(("invite", request.call_id))
            call = self._by_sip_id(request.call_id)
            if acknowledged and call is not None and call.state == "accepted":
                call.state = "confirmed"
        elif method == "CANCEL":
            self._on_cancel(request, source)
        elif method == "BYE":
            call = self._by_sip_id(request.call_id)
            self._sock.send(response(request, 200 if call else 481), source)
            if call is not None and not call.over:
                self._sock.settle(("invite", call.sip_call_id))
                self._spawn(call.end("ended", "caller"))
        elif method == "OPTIONS":
            headers = {"Allow": ALLOW, "Accept": "application/sdp"}
            self._sock.send(response(request, 200, to_tag=tag(), headers=headers), source)
        elif method == "NOTIFY":  # progress of a transfer we asked for: noted, nothing to do
            self._sock.send(response(request, 200), source)
        else:
            self._sock.send(response(request, 405, headers={"Allow": ALLOW}), source)

    def on_response(self, message: Response, source: tuple[str, int]) -> None:
        cseq = message.cseq
        call = self._by_sip_id(message.call_id)
        if call is None or message.code < 200:
            return
        if self._sock.settle((cseq.method, call.sip_call_id, cseq.sequence)):
            call.responses.append((cseq.method, message.code))

    def _on_invite(self, request: Request, raw: bytes, source: tuple[str, int]) -> None:
        call = self._by_sip_id(request.call_id)
        if call is not None:
            if request.cseq == call.invite.cseq:  # a retransmission: the same answer again
                call.invite_retransmissions += 1
                if call.last_invite_response is not None:
                    self._sock.send_bytes(call.last_invite_response, source)
            else:  # a re-INVITE: the call's media cannot change here
                self._sock.send(response(request, 488, to_tag=call.local_tag), source)
            return
        self._sock.send(response(request, 100), source)
        try:
            offer = parse_offer(request.body.decode("utf-8", "replace"))
        except OfferError as exc:
            log.info("refused a SIP call: %s", exc)
            refusal = response(request, 488, to_tag=tag(), headers={"Warning": f'399 - "{exc}"'})
            self._sock.send_reliably(("invite", request.call_id), refusal, source)
            return
        call = SipCall(
            self._ids.make("rtc"),
            number=next(self._numbers),
            invite=request,
            sip_headers=header_list(raw),
            source=source,
            offer=offer,
            local_tag=tag(),
        )
        self.calls.append(call)
        ringing = response(request, 180, to_tag=call.local_tag)
        call.last_invite_response = self._sock.send(ringing, source)
        log.info("sip call %d %s ringing: %s", call.number, call.call_id, request.call_id)
        if self._webhooks is not None:
            self._spawn(self._announce(call))

    def _on_cancel(self, request: Request, source: tuple[str, int]) -> None:
        call = self._by_sip_id(request.call_id)
        self._sock.send(response(request, 200 if call else 481), source)
        if call is not None and call.state == "ringing":
            self._final(call, 487)
            self._spawn(call.end("cancelled", "caller"))

    async def _announce(self, call: SipCall) -> None:
        assert self._webhooks is not None
        call.webhook = await self._webhooks.send(
            "realtime.call.incoming", {"call_id": call.call_id, "sip_headers": call.sip_headers}
        )

    def _final(self, call: SipCall, code: int) -> None:
        """A final error answer to the INVITE, repeated until the ACK."""
        message = response(call.invite, code, to_tag=call.local_tag)
        call.last_invite_response = self._sock.send_reliably(
            ("invite", call.sip_call_id), message, call.source
        )

    def _send_request(
        self, call: SipCall, method: str, headers: dict[str, str] | None = None
    ) -> None:
        message, destination = call.in_dialog(method, self.host, self.port, headers)
        key = (method, call.sip_call_id, message.cseq.sequence)
        self._sock.send_reliably(key, message, destination)

    async def _hang_up(self, call: SipCall) -> None:
        if call.live:
            self._send_request(call, "BYE")
            await call.end("ended", "server")

    def _no_ack(self, call: SipCall) -> None:
        """The 200 OK was never acknowledged (RFC 3261 §13.3.1.4): end the call with a BYE."""
        log.warning("sip call %d %s: no ACK for the 200 OK", call.number, call.call_id)
        self._spawn(self._hang_up(call))

    # -- lookups ------------------------------------------------------------------------------

    @property
    def _sock(self) -> SipSocket:
        if self._socket is None:
            raise RuntimeError("the SIP edge is not started")
        return self._socket

    def _call(self, call_id: str) -> SipCall | None:
        return next((c for c in self.calls if c.call_id == call_id), None)

    def _by_sip_id(self, sip_call_id: str) -> SipCall | None:
        return next((c for c in reversed(self.calls) if c.sip_call_id == sip_call_id), None)

    def _ringing(self, call_id: str) -> SipCall:
        call = self._call(call_id)
        if call is None or call.over:
            raise CallGone(call_id)
        if call.state != "ringing":
            raise RealtimeError.invalid("call_id", f"Call '{call_id}' was already answered.")
        return call

    def _live(self, call_id: str) -> SipCall:
        call = self._call(call_id)
        if call is None or call.over:
            raise CallGone(call_id)
        if not call.live:
            raise RealtimeError.invalid("call_id", f"Call '{call_id}' has not been answered.")
        return call

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            log.error("SIP task failed", exc_info=exc)
            self._on_crash(exc)


def _session_config(body: Mapping[str, Any]) -> dict[str, Any]:
    """The accepted call's session config: the body of ``accept`` over the defaults."""
    wire.check_finite(body)
    detection = (body.get("audio") or {}).get("input", {}).get("turn_detection") or {}
    for key in _REFUSED_TURN_DETECTION:
        if isinstance(detection, dict) and key in detection:
            raise RealtimeError(
                f"Unknown parameter: 'audio.input.turn_detection.{key}'.",
                "unknown_parameter",
                f"audio.input.turn_detection.{key}",
            )
    checked = SESSION.check(dict(body), "")
    assert isinstance(checked, dict)
    if checked.get("type") != "realtime":
        raise RealtimeError.invalid("type", "A call's session must be of type 'realtime'.")
    model = str(checked.get("model") or _DEFAULT_MODEL)
    return apply_update(default_session("realtime", model), checked, voice_locked=False)
