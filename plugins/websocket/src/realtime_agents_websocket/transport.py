"""``OpenAIRealtimeWebSocket``: the Realtime API over one WebSocket, as a transport.

An I/O adapter around core's sans-I/O ``realtime_agents.protocol.OpenAIRealtimeProtocol``:
every intent (``send_message``, ``interrupt``, ...) becomes a call on the protocol followed by
writing whatever client events it queued; every incoming frame goes through
``protocol.receive_frame`` and the events it returns are published on the bus in order,
after which anything the protocol queued in response (a deferred ``response.create``, a
``conversation.item.truncate`` on barge-in) is written at once.

Connection states and events:

``connect`` → ``connecting`` → handshake → initial ``session.update`` → the server's first
event (``session.created``) → ``connected``. A server that rejects the key or model (close
3000/4000 after an ``error`` event) makes ``connect`` raise
:class:`~realtime_agents.errors.ConnectionFailedError` with the server's message and close
code. A connection the server closes or loses later ends ``disconnected``, with an ``error``
event first unless the close was normal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

from realtime_agents.config import DEFAULT_MODEL, RealtimeSessionConfig
from realtime_agents.errors import (
    ConnectionClosedError,
    ConnectionFailedError,
    RealtimeAgentsError,
    UserError,
)
from realtime_agents.events import ConnectionStatus, ErrorEvent, FunctionCallEvent
from realtime_agents.items import McpApprovalRequestItem, RealtimeItem
from realtime_agents.protocol import OpenAIRealtimeProtocol
from realtime_agents.protocol import connection as wire
from realtime_agents.transport import (
    ApiKey,
    ConnectOptions,
    RealtimeTransportLayer,
    UserMessage,
    resolve_api_key,
)

from ._channel import Channel, ChannelSettings, CloseInfo, WebSocketRequest
from ._errors import NORMAL_CLOSE_CODES, close_error, map_websockets_exceptions
from ._handshake import Auth, auth_for, proxy_applies
from ._sansio import SansIOChannel
from ._socket import CreateWebSocket, SocketChannel

__all__ = ["DEFAULT_MAX_SIZE", "Backend", "OpenAIRealtimeWebSocket"]

logger = logging.getLogger("realtime_agents_websocket")

#: Largest incoming message accepted: a 15 MiB audio event is 20 MiB as base64 JSON.
DEFAULT_MAX_SIZE: Final = 32 * 1024 * 1024

Backend = Literal["auto", "sansio", "websockets"]


class OpenAIRealtimeWebSocket(RealtimeTransportLayer):
    """The OpenAI Realtime API over a WebSocket (server-side: the API key stays on the server).

    Args:
        model: default model; ``connect(model=...)`` overrides it for one connection.
        api_key: default key (str or sync/async function); ``connect(api_key=...)`` wins;
            ``OPENAI_API_KEY`` is the last resort.
        url: default URL. Precedence: ``connect(url=...)`` (which also becomes the new
            default) > ``connect(call_id=...)`` > this > ``wss://api.openai.com/v1/realtime?model=``.
        headers: extra handshake headers (e.g. Azure's ``api-key``); an ``Authorization`` or
            ``api-key`` header here replaces the Bearer header.
        auth: ``"header"`` (``Authorization: Bearer``) or ``"subprotocol"`` (browser style,
            the key in ``Sec-WebSocket-Protocol``; only ephemeral ``ek_`` keys unless
            ``use_insecure_api_key=True``).
        create_websocket: ``create_websocket(request) -> WebSocketLike`` (or awaitable):
            open the socket yourself (custom stacks, Workers-style fetch upgrades).
        backend: ``"sansio"`` (our protocol driving websockets' sans-I/O client: fastest),
            ``"websockets"`` (websockets' asyncio client: proxies), or ``"auto"`` (sansio
            unless a proxy applies to the URL).
        ready_timeout: how long ``connect`` waits for the server's first event, so that a
            rejected key or model raises from ``connect``; None returns right after the
            handshake (as the JS SDK does).
        ping_interval, ping_timeout: keepalive pings (None disables).
        open_timeout, close_timeout: bounds on the handshake and on the closing handshake.
        max_size: largest incoming message in bytes (None: no limit).
        compression: ``"deflate"`` to offer permessage-deflate. Off by default: audio is
            base64 and barely compresses, while deflate costs CPU on every frame.
        ssl: TLS context for ``wss://`` (default: a verifying context).
        clock: seconds, for the wall-clock playback estimate (tests pass a fake clock).
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: ApiKey | None = None,
        url: str | None = None,
        use_insecure_api_key: bool = False,
        create_websocket: CreateWebSocket | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth = "header",
        backend: Backend = "auto",
        ready_timeout: float | None = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        open_timeout: float | None = 10.0,
        close_timeout: float = 5.0,
        max_size: int | None = DEFAULT_MAX_SIZE,
        compression: Literal["deflate"] | None = None,
        ssl: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        if auth not in ("header", "subprotocol"):
            raise UserError(f"auth must be 'header' or 'subprotocol', not {auth!r}")
        if backend not in ("auto", "sansio", "websockets"):
            raise UserError(f"backend must be 'auto', 'sansio' or 'websockets', not {backend!r}")
        self._model = model or DEFAULT_MODEL
        self._api_key = api_key
        self._url = url
        self._headers = dict(headers or {})
        self._auth = auth
        self._use_insecure_api_key = use_insecure_api_key
        self._create_websocket = create_websocket
        self._backend = backend
        self._ready_timeout = ready_timeout
        self._settings = ChannelSettings(
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_size=max_size,
            compression=compression,
            ssl=ssl,
        )
        self._clock = clock
        self._proto = OpenAIRealtimeProtocol(self._model, clock=clock)
        self._channel: Channel | None = None
        self._opening: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._ready_error: str | None = None
        self._connect_error: ConnectionFailedError | None = None
        self._secret: str | None = None
        #: What receive_frame may skip building: nothing nobody listens to, except that while
        #: connecting an ``error`` always matters (it explains a refused connection).
        self._frame_wants: Callable[[str], bool] = self.has_listeners

    def __repr__(self) -> str:
        return f"<{type(self).__name__} model={self._model!r} status={self._status.value!r}>"

    # -- properties ----------------------------------------------------------------------

    @property
    def model(self) -> str:
        """The model of the current (or next) connection."""
        return self._model

    @property
    def url(self) -> str | None:
        """The default URL (set by the constructor or the last ``connect(url=...)``)."""
        return self._url

    @property
    def protocol(self) -> OpenAIRealtimeProtocol:
        """The sans-I/O protocol object of the current connection (read-only use)."""
        return self._proto

    # -- connecting ------------------------------------------------------------------------

    async def connect(
        self,
        options: ConnectOptions | None = None,
        *,
        api_key: ApiKey | None = None,
        model: str | None = None,
        url: str | None = None,
        call_id: str | None = None,
        initial_session_config: RealtimeSessionConfig | None = None,
    ) -> None:
        """Open the connection and send the initial ``session.update``.

        Pass a :class:`~realtime_agents.transport.ConnectOptions` or its fields as keywords.
        Raises UserError if already connecting or connected, ConnectionFailedError if the
        server cannot be reached or rejects the key or model, and ConnectionClosedError if
        :meth:`close` is called meanwhile. A failed connect leaves the transport retryable.
        """
        if options is None:
            options = ConnectOptions(
                api_key=api_key,
                model=model,
                url=url,
                call_id=call_id,
                initial_session_config=initial_session_config,
            )
        if self._status in (ConnectionStatus.CONNECTING, ConnectionStatus.CONNECTED):
            raise UserError(f"{type(self).__name__} is already {self._status.value}")
        self._set_status(ConnectionStatus.CONNECTING)
        task = asyncio.get_running_loop().create_task(
            self._open(options), name="realtime_agents_websocket connect"
        )
        self._opening = task
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            raise ConnectionClosedError(
                "close() was called before the connection was ready"
            ) from None
        finally:
            if self._opening is task:
                self._opening = None

    async def _open(self, options: ConnectOptions) -> None:
        channel: Channel | None = None
        try:
            request, model = await self._request(options)
            channel = self._new_channel(request)
            proto = OpenAIRealtimeProtocol(model, clock=self._clock)
            # Queued before the handshake: the server's first event may arrive with the 101
            # response, and this update (which carries the tracing choice) must go first.
            proto.session_update(options.initial_session_config or {})
            self._proto = proto
            self._channel = channel
            self._ready = asyncio.get_running_loop().create_future()
            self._frame_wants = self._wants_while_connecting
            self._ready_error = None
            self._connect_error = None
            with map_websockets_exceptions(connecting=True, secret=self._secret):
                await channel.open(request)
            self._write_pending(channel)
            await self._wait_ready()
            if self._channel is not channel:  # closed by the server right after opening
                raise self._connect_error or ConnectionFailedError("the connection closed")
            self._model = model
            if options.url:
                self._url = options.url
            self._set_status(ConnectionStatus.CONNECTED)
        except BaseException:
            self._stop_waiting()
            if channel is not None:
                if self._channel is channel:
                    self._channel = None
                await channel.aclose()
            self._proto.reset()
            self._set_status(ConnectionStatus.DISCONNECTED)
            raise

    async def _request(self, options: ConnectOptions) -> tuple[WebSocketRequest, str]:
        """Resolve key, model and URL into the handshake to send (nothing is committed yet)."""
        key = await resolve_api_key(
            options.api_key if options.api_key is not None else self._api_key
        )
        key = key or os.environ.get("OPENAI_API_KEY") or None
        self._secret = key
        model = options.model or self._model
        url = wire.realtime_url(
            model, url=options.url, call_id=options.call_id, default_url=self._url
        )
        headers, subprotocols = auth_for(
            key, self._headers, self._auth, use_insecure_api_key=self._use_insecure_api_key
        )
        request = WebSocketRequest(
            url=url, headers=headers, subprotocols=tuple(subprotocols), api_key=key
        )
        return request, model

    def _new_channel(self, request: WebSocketRequest) -> Channel:
        if self._create_websocket is not None:
            return SocketChannel(
                self._settings, self._on_frame, self._on_close, self._create_websocket
            )
        backend = self._backend
        if backend == "auto":
            backend = "websockets" if proxy_applies(request.url) else "sansio"
        if backend == "websockets":
            return SocketChannel(self._settings, self._on_frame, self._on_close)
        return SansIOChannel(self._settings, self._on_frame, self._on_close)

    async def _wait_ready(self) -> None:
        ready = self._ready
        if ready is None:
            return
        if self._ready_timeout is None and not ready.done():
            self._stop_waiting()
            return
        try:
            async with asyncio.timeout(self._ready_timeout):
                await ready
        except TimeoutError:
            logger.warning(
                "no event from the server %.1fs after connecting; continuing", self._ready_timeout
            )
        finally:
            self._stop_waiting()

    # -- receiving -------------------------------------------------------------------------

    def _on_frame(self, channel: Channel, data: str | bytes) -> None:
        """One incoming message: publish the protocol's events, write what it queued."""
        if channel is not self._channel:
            return  # a replaced or closing socket
        proto = self._proto
        try:
            events = proto.receive_frame(data, self._frame_wants)
        except Exception as exc:  # a protocol bug must not kill the connection
            logger.exception("receive_frame failed")
            self.emit("error", ErrorEvent(error=exc))
            return
        emit = self.emit
        for name, payload in events:
            emit(name, payload)
        if self._ready is not None:
            self._check_ready(events)
        out = proto.data_to_send()
        if out and channel.is_open:
            channel.write(out)

    def _stop_waiting(self) -> None:
        self._ready = None
        self._frame_wants = self.has_listeners

    def _wants_while_connecting(self, name: str) -> bool:
        # An ``error`` before the first event explains a failed connect: always build it.
        return name == "error" or self.has_listeners(name)

    def _check_ready(self, events: Sequence[tuple[str, object]]) -> None:
        ready = self._ready
        if ready is None or ready.done():
            return
        errors = [payload for name, payload in events if name == "error"]
        if errors:
            self._ready_error = wire.redact(_error_message(errors[-1]), self._secret)
        else:
            ready.set_result(None)

    def _on_close(self, channel: Channel, info: CloseInfo) -> None:
        if channel is not self._channel:
            return
        self._channel = None
        if self._status is ConnectionStatus.CONNECTING:
            # connect() is still running: the failure is its to raise.
            failure = self._connect_failure(info)
            ready = self._ready
            if ready is not None and not ready.done():
                ready.set_exception(failure)
            else:
                self._connect_error = failure
            return
        self._proto.reset()
        if info.code not in NORMAL_CLOSE_CODES or info.error is not None:
            self.emit("error", ErrorEvent(error=self._closed_error(info)))
        self._set_status(ConnectionStatus.DISCONNECTED)

    def _closed_error(self, info: CloseInfo) -> BaseException:
        if isinstance(info.error, RealtimeAgentsError):
            return info.error
        reason = info.reason or (str(info.error) if info.error is not None else "")
        error = close_error(info.code, reason, connecting=False, secret=self._secret)
        error.__cause__ = info.error
        return error

    def _connect_failure(self, info: CloseInfo) -> ConnectionFailedError:
        reason = self._ready_error or info.reason or (str(info.error) if info.error else "")
        error = close_error(info.code, reason, connecting=True, secret=self._secret)
        assert isinstance(error, ConnectionFailedError)
        return error

    # -- sending -----------------------------------------------------------------------------

    def _live(self, what: str) -> Channel:
        channel = self._channel
        if channel is None or self._status is not ConnectionStatus.CONNECTED:
            raise ConnectionClosedError(
                f"{what} needs a connected transport (status: {self._status.value})"
            )
        return channel

    def _write_pending(self, channel: Channel) -> None:
        out = self._proto.data_to_send()
        if out and channel.is_open:
            channel.write(out)

    async def _flush(self, channel: Channel) -> None:
        out = self._proto.data_to_send()
        if out:
            channel.write(out)
            await channel.drain()

    def _emit_all(self, events: Sequence[tuple[str, object]]) -> None:
        for name, payload in events:
            self.emit(name, payload)

    async def send_event(self, event: Mapping[str, Any]) -> None:
        """Send a raw client event; ``response.create`` goes through the sequencer."""
        channel = self._live("send_event")
        self._proto.send_raw(event)
        await self._flush(channel)

    async def request_response(self, response: Mapping[str, Any] | None = None) -> None:
        """Ask for a response (sequenced: sent once no other response is in flight)."""
        channel = self._live("request_response")
        self._proto.request_response(response)
        await self._flush(channel)

    async def send_message(
        self,
        message: UserMessage,
        other_event_data: Mapping[str, Any] | None = None,
        *,
        trigger_response: bool = True,
    ) -> None:
        channel = self._live("send_message")
        self._proto.send_message(message, other_event_data, trigger_response=trigger_response)
        await self._flush(channel)

    async def add_image(self, image: str, *, trigger_response: bool = True) -> None:
        channel = self._live("add_image")
        self._proto.add_image(image, trigger_response=trigger_response)
        await self._flush(channel)

    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        """Append PCM (base64 on the wire), then commit if asked. Dropped unless connected."""
        channel = self._channel
        if channel is None or self._status is not ConnectionStatus.CONNECTED:
            return
        self._proto.send_audio(audio, commit=commit)
        with contextlib.suppress(ConnectionClosedError):  # dropped meanwhile: like disconnected
            await self._flush(channel)

    async def update_session_config(self, config: RealtimeSessionConfig) -> None:
        channel = self._live("update_session_config")
        self._proto.session_update(config)
        await self._flush(channel)

    async def send_function_call_output(
        self, tool_call: FunctionCallEvent, output: str, start_response: bool = True
    ) -> None:
        channel = self._live("send_function_call_output")
        self._emit_all(self._proto.send_function_call_output(tool_call, output, start_response))
        await self._flush(channel)

    async def interrupt(self, *, cancel_ongoing_response: bool = True) -> None:
        """Stop the assistant's audio now: ``audio_interrupted``, cancel and truncate."""
        channel = self._live("interrupt")
        self._emit_all(self._proto.interrupt(cancel_ongoing_response=cancel_ongoing_response))
        await self._flush(channel)

    async def reset_history(
        self, old_history: Sequence[RealtimeItem], new_history: Sequence[RealtimeItem]
    ) -> None:
        channel = self._live("reset_history")
        self._proto.reset_history(old_history, new_history)
        await self._flush(channel)

    async def send_mcp_response(
        self, approval_request: McpApprovalRequestItem, approved: bool, reason: str | None = None
    ) -> None:
        channel = self._live("send_mcp_response")
        self._proto.send_mcp_response(approval_request, approved, reason)
        await self._flush(channel)

    def on_played(
        self,
        item_id: str,
        content_index: int = 0,
        *,
        ms: float | None = None,
        bytes: int | None = None,
    ) -> None:
        """Report how much of an item's audio has actually been played (playback tracker).

        Once reported, barge-in truncates at the played position instead of the wall-clock
        estimate. Give either ``ms`` or ``bytes`` (of output audio) played so far.
        """
        self._proto.on_played(item_id, content_index, ms=ms, bytes=bytes)

    # -- closing ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connection, cancel a pending ``connect``, release every task; idempotent."""
        opening = self._opening
        if opening is not None and not opening.done():
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
        channel, self._channel = self._channel, None
        self._stop_waiting()
        if channel is not None:
            self._set_status(ConnectionStatus.DISCONNECTING)
            await channel.aclose()
        self._proto.reset()
        self._set_status(ConnectionStatus.DISCONNECTED)
        await self.close_handlers()


def _error_message(payload: object) -> str:
    """The server's message out of an ``error`` event payload (code: message)."""
    error = getattr(payload, "error", payload)
    if isinstance(error, Mapping):
        inner = error.get("error", error)
        if isinstance(inner, Mapping):
            code, message = inner.get("code"), inner.get("message")
            return f"{code}: {message}" if code and message else str(message or code or "")
    return str(error)
