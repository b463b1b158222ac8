"""``OpenAIRealtimeTransport``: everything an OpenAI transport does, except moving bytes.

Every OpenAI transport (WebSocket, WebRTC, SIP, Cloudflare, a mock) is this class plus a
:class:`~.channel.Channel`. The driver owns, per connection, one sans-I/O
:class:`~realtime_agents.protocol.OpenAIRealtimeProtocol` and one channel:

* an intent (``send_message``, ``interrupt``, ...) is a call on the protocol, then the events
  it queued are published and the client frames it queued are written;
* each incoming frame goes to ``protocol.receive_frame``; the events it produced are published
  on the bus in order, then whatever the protocol queued in answer (a held
  ``response.create``, a ``conversation.item.truncate`` on barge-in) is written at once.

Connecting: ``connecting`` → the key, model and URL are resolved (:meth:`build_request`) →
:meth:`create_channel` → ``channel.open`` → the initial ``session.update`` → the server's
first event (or :attr:`ready_event`) → ``connected``. A server that refuses the key or model
(an ``error`` event, then close 3000/4000) makes ``connect`` raise
:class:`~realtime_agents.errors.ConnectionFailedError` with the server's message and close
code. A connection that ends later ends ``disconnected``, with an ``error`` event first unless
the close was normal. Every message is redacted: keys never reach exceptions or events.

A plugin subclasses this class and implements :meth:`create_channel` (and, where its
connection is not a plain URL, overrides :meth:`build_request`); see "Writing a transport"
in core's README.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Concatenate, ParamSpec

from ..config import DEFAULT_MODEL, RealtimeSessionConfig
from ..errors import (
    ConnectionClosedError,
    ConnectionFailedError,
    RealtimeAgentsError,
    UserError,
)
from ..events import ConnectionStatus, ErrorEvent, FunctionCallEvent
from ..items import McpApprovalRequestItem, RealtimeItem
from ..protocol import SERVER_EVENT_TYPES, MediaMode, OpenAIRealtimeProtocol
from ..protocol.connection import cut_secret_links, redact
from ..transport import (
    ApiKey,
    ConnectOptions,
    RealtimeTransportLayer,
    UserMessage,
    resolve_api_key,
)
from .channel import NORMAL_CLOSE_CODES, Channel, ChannelRequest, CloseInfo, OnClose, OnFrame
from .channel import close_error as _close_error
from .handshake import Auth, auth_for, connect_url

__all__ = ["OpenAIRealtimeTransport"]

logger = logging.getLogger("realtime_agents.driver")

P = ParamSpec("P")


class OpenAIRealtimeTransport(RealtimeTransportLayer, abc.ABC):
    """The OpenAI Realtime API over some :class:`~.channel.Channel` (see the module docstring).

    Args:
        model: default model; ``connect(model=...)`` overrides it for one connection.
        api_key: default key (str or sync/async function); ``connect(api_key=...)`` wins;
            ``OPENAI_API_KEY`` is the last resort.
        url: default URL. Precedence: ``connect(url=...)`` (which also becomes the new
            default) > this > ``OPENAI_BASE_URL`` (as the ``openai`` client reads it;
            ``/realtime`` appended) > OpenAI's. ``connect(call_id=...)`` attaches to that
            call at the chosen address; otherwise a URL naming no model gets ``model=``.
        headers: extra headers (e.g. Azure's ``api-key``); an ``Authorization`` or
            ``api-key`` header here replaces the Bearer header.
        auth: ``"header"`` (``Authorization: Bearer``) or ``"subprotocol"`` (browser style;
            only ephemeral ``ek_`` keys unless ``use_insecure_api_key=True``).
        ready_timeout: how long ``connect`` waits for the server's first event, so that a
            refused key or model raises from ``connect``; None returns as soon as the channel
            is open (the JS SDK's behaviour).
        clock: seconds, for the wall-clock playback estimate (tests pass a fake clock).
    """

    #: The contract's events, and each server event under its own ``type``.
    event_names = RealtimeTransportLayer.event_names | SERVER_EVENT_TYPES
    #: How audio travels: ``"inline"`` in events, ``"track"`` on a media track or phone line.
    media: ClassVar[MediaMode] = "inline"
    #: The server event that makes a connection ready; None: the first event of any type.
    ready_event: ClassVar[str | None] = None
    #: Whether ``session.update`` carries audio formats: False where the connection itself
    #: negotiates the codec (a SIP call), so an update can never override it.
    sends_audio_formats: ClassVar[bool] = True

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: ApiKey | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth = "header",
        use_insecure_api_key: bool = False,
        ready_timeout: float | None = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        if auth not in ("header", "subprotocol"):
            raise UserError(f"auth must be 'header' or 'subprotocol', not {auth!r}")
        self._model = model or DEFAULT_MODEL
        self._api_key = api_key
        self._url = url
        self._headers = dict(headers or {})
        self._auth: Auth = auth
        self._use_insecure_api_key = use_insecure_api_key
        self._ready_timeout = ready_timeout
        self._clock = clock
        self._proto: OpenAIRealtimeProtocol | None = None
        self._channel: Channel | None = None
        self._opening: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._ready_error: str | None = None
        self._connect_error: ConnectionFailedError | None = None
        self._secret: str | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} model={self._model!r} status={self.status.value!r}>"

    # -- for subclasses ----------------------------------------------------------------------

    @abc.abstractmethod
    def create_channel(
        self, request: ChannelRequest, on_frame: OnFrame, on_close: OnClose
    ) -> Channel:
        """A new, unopened channel for one connection, delivering to the given callbacks."""

    def build_request(
        self, options: ConnectOptions, api_key: str | None, model: str
    ) -> ChannelRequest:
        """What to open for ``options``: URL (with the model), auth headers or subprotocols."""
        url = connect_url(model, url=options.url, call_id=options.call_id, default_url=self._url)
        headers, subprotocols = auth_for(
            api_key, self._headers, self._auth, use_insecure_api_key=self._use_insecure_api_key
        )
        return ChannelRequest(
            url=url, headers=headers, subprotocols=tuple(subprotocols), api_key=api_key
        )

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
    def protocol(self) -> OpenAIRealtimeProtocol | None:
        """The sans-I/O protocol of the current connection (None when there is none)."""
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
        server cannot be reached or refuses the key or model, and ConnectionClosedError if
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
        if self.status in (ConnectionStatus.CONNECTING, ConnectionStatus.CONNECTED):
            raise UserError(f"{type(self).__name__} is already {self.status.value}")
        self.set_status(ConnectionStatus.CONNECTING)
        task = asyncio.get_running_loop().create_task(
            self._open(options), name=f"{type(self).__name__} connect"
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
            proto = OpenAIRealtimeProtocol(
                model,
                media=self.media,
                clock=self._clock,
                wants=self._wants_while_connecting,
                secret=request.api_key,
                audio_formats=self.sends_audio_formats,
            )
            # Queued before opening: the server's first event may arrive with the handshake,
            # and this update (which carries the tracing choice) must go first.
            proto.session_update(self.prepare_session_config(options.initial_session_config or {}))
            channel = self.create_channel(request, self._on_frame, self._on_close)
            self._proto, self._channel = proto, channel
            self._ready = asyncio.get_running_loop().create_future()
            self._ready_error = None
            self._connect_error = None
            await channel.open(request)
            self._write_pending(proto, channel)
            await self._wait_ready()
            if self._channel is not channel:  # closed by the server right after opening
                raise self._connect_error or ConnectionFailedError("the connection closed")
            self._model = model
            if options.url:
                self._url = options.url
            self.set_status(ConnectionStatus.CONNECTED)
        except BaseException as exc:
            self._stop_waiting()
            if channel is not None:
                if self._channel is channel:
                    self._channel = None
                await channel.aclose()
            self._proto = None
            self.set_status(ConnectionStatus.DISCONNECTED)
            cut_secret_links(exc, self._secret)
            raise

    async def _request(self, options: ConnectOptions) -> tuple[ChannelRequest, str]:
        """Resolve key, model and URL into what to open (nothing is committed yet)."""
        key = await resolve_api_key(
            options.api_key if options.api_key is not None else self._api_key
        )
        key = key or os.environ.get("OPENAI_API_KEY") or None
        self._secret = key
        model = options.model or self._model
        return self.build_request(options, key, model), model

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
            waited_for = self.ready_event or "event"
            logger.warning(
                "%s: no %s from the server %.1fs after connecting; continuing",
                type(self).__name__,
                waited_for,
                self._ready_timeout,
            )
        finally:
            self._stop_waiting()

    def _stop_waiting(self) -> None:
        self._ready = None
        if self._proto is not None:
            self._proto.wants = self.has_listeners

    def _wants_while_connecting(self, name: str) -> bool:
        # An ``error`` before the first event explains a refused connection: always build it.
        return name == "error" or name == self.ready_event or self.has_listeners(name)

    # -- receiving -------------------------------------------------------------------------

    def _on_frame(self, channel: Channel, data: str | bytes) -> None:
        """One incoming message: publish the protocol's events, write what it queued."""
        proto = self._proto
        if channel is not self._channel or proto is None:
            return  # a replaced or closing connection
        try:
            proto.receive_frame(data)
        except Exception as exc:  # a protocol bug must not kill the connection
            # The traceback's frames, without the exception's text, which could quote the key.
            where = "".join(traceback.format_tb(exc.__traceback__))
            logger.error("receive_frame failed: %s\n%s", redact(repr(exc), self._secret), where)
            self.emit("error", ErrorEvent(error=cut_secret_links(exc, self._secret)))
        events = proto.events_received()
        emit = self.emit
        for name, payload in events:
            emit(name, payload)
        if self._ready is not None:
            self._check_ready(events)
        out = proto.data_to_send()
        if out and channel.is_open:
            channel.write(out)

    def _check_ready(self, events: Sequence[tuple[str, object]]) -> None:
        ready = self._ready
        if ready is None or ready.done():
            return
        errors = [payload for name, payload in events if name == "error"]
        if errors:
            self._ready_error = redact(_error_message(errors[-1]), self._secret)
        elif self.ready_event is None or any(name == self.ready_event for name, _ in events):
            ready.set_result(None)

    def _on_close(self, channel: Channel, info: CloseInfo) -> None:
        if channel is not self._channel:
            return
        self._channel = None
        if self.status is ConnectionStatus.CONNECTING:
            # connect() is still running: the failure is its to raise.
            failure = self._connect_failure(info)
            ready = self._ready
            if ready is not None and not ready.done():
                ready.set_exception(failure)
            else:
                self._connect_error = failure
            return
        self._proto = None
        if info.code not in NORMAL_CLOSE_CODES or info.error is not None:
            self.emit("error", ErrorEvent(error=self._closed_error(info)))
        self.set_status(ConnectionStatus.DISCONNECTED)

    def _closed_error(self, info: CloseInfo) -> BaseException:
        if isinstance(info.error, RealtimeAgentsError):
            return cut_secret_links(info.error, self._secret)
        reason = info.reason or (str(info.error) if info.error is not None else "")
        error = _close_error(info.code, reason, connecting=False, secret=self._secret)
        error.__cause__ = info.error
        return cut_secret_links(error, self._secret)

    def _connect_failure(self, info: CloseInfo) -> ConnectionFailedError:
        reason = self._ready_error or info.reason or (str(info.error) if info.error else "")
        error = _close_error(info.code, reason, connecting=True, secret=self._secret)
        assert isinstance(error, ConnectionFailedError)
        return error

    # -- sending -----------------------------------------------------------------------------

    def _live(self, what: str) -> tuple[OpenAIRealtimeProtocol, Channel]:
        proto, channel = self._proto, self._channel
        if proto is None or channel is None or self.status is not ConnectionStatus.CONNECTED:
            raise ConnectionClosedError(
                f"{what} needs a connected transport (status: {self.status.value})"
            )
        return proto, channel

    def _write_pending(self, proto: OpenAIRealtimeProtocol, channel: Channel) -> None:
        out = proto.data_to_send()
        if out and channel.is_open:
            channel.write(out)

    async def _flush(self, proto: OpenAIRealtimeProtocol, channel: Channel) -> None:
        """Publish the events an intent queued, then write its frames (with backpressure)."""
        for name, payload in proto.events_received():
            self.emit(name, payload)
        out = proto.data_to_send()
        if out:
            channel.write(out)
            await channel.drain()

    async def _run(
        self,
        intent: Callable[Concatenate[OpenAIRealtimeProtocol, P], None],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> None:
        """Apply one protocol intent on the live connection and flush what it queued."""
        proto, channel = self._live(intent.__name__)
        intent(proto, *args, **kwargs)
        try:
            await self._flush(proto, channel)
        except RealtimeAgentsError as exc:
            cut_secret_links(exc, self._secret)
            raise

    async def send_event(self, event: Mapping[str, Any]) -> None:
        """Send a raw client event; ``response.create``/``response.cancel`` are sequenced."""
        await self._run(OpenAIRealtimeProtocol.send_raw, event)

    async def request_response(self, response: Mapping[str, Any] | None = None) -> None:
        """Ask for a response (sent once no other response is in flight)."""
        await self._run(OpenAIRealtimeProtocol.request_response, response)

    async def cancel_response(self, response_id: str | None = None) -> None:
        """Cancel the ongoing response (only while one is ongoing; at most once)."""
        await self._run(OpenAIRealtimeProtocol.cancel_response, response_id)

    async def send_message(
        self,
        message: UserMessage,
        other_event_data: Mapping[str, Any] | None = None,
        *,
        trigger_response: bool = True,
    ) -> None:
        await self._run(
            OpenAIRealtimeProtocol.send_message,
            message,
            other_event_data,
            trigger_response=trigger_response,
        )

    async def add_image(self, image: str, *, trigger_response: bool = True) -> None:
        await self._run(OpenAIRealtimeProtocol.add_image, image, trigger_response=trigger_response)

    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        """Append input audio (base64 on the wire), commit if asked; dropped unless connected."""
        proto, channel = self._proto, self._channel
        if proto is None or channel is None or self.status is not ConnectionStatus.CONNECTED:
            return
        proto.send_audio(audio, commit=commit)
        # _flush, inlined (the microphone path: no coroutine, no context manager per chunk);
        # appending audio publishes no event.
        # Nor a drain coroutine unless the channel's buffer is over its limit.
        try:
            channel.write(proto.data_to_send())
            if channel.needs_drain:
                await channel.drain()
        except ConnectionClosedError:  # dropped meanwhile: like disconnected
            pass

    async def update_session_config(self, config: RealtimeSessionConfig) -> None:
        await self._run(OpenAIRealtimeProtocol.session_update, self.prepare_session_config(config))

    def prepare_session_config(self, config: RealtimeSessionConfig) -> RealtimeSessionConfig:
        """The session config as this transport sends it, on connect and on every update.

        Here the config as given. A transport whose medium fixes part of the session overrides
        it: Twilio's media streams carry µ-law 8 kHz only, so its transport corrects the audio
        formats of whatever the application asks for. (A connection that negotiates its codec
        itself, as a SIP call does, sets ``sends_audio_formats = False`` instead: then no update
        carries formats at all.)
        """
        return config

    async def send_function_call_output(
        self, tool_call: FunctionCallEvent, output: str, start_response: bool = True
    ) -> None:
        await self._run(
            OpenAIRealtimeProtocol.send_function_call_output, tool_call, output, start_response
        )

    async def interrupt(self, *, cancel_ongoing_response: bool = True) -> None:
        """Stop the assistant's audio now (``audio_interrupted``; truncate or clear; cancel)."""
        await self._run(
            OpenAIRealtimeProtocol.interrupt, cancel_ongoing_response=cancel_ongoing_response
        )

    async def reset_history(
        self, old_history: Sequence[RealtimeItem], new_history: Sequence[RealtimeItem]
    ) -> None:
        await self._run(OpenAIRealtimeProtocol.reset_history, old_history, new_history)

    async def send_mcp_response(
        self, approval_request: McpApprovalRequestItem, approved: bool, reason: str | None = None
    ) -> None:
        await self._run(
            OpenAIRealtimeProtocol.send_mcp_response, approval_request, approved, reason
        )

    def on_played(
        self,
        item_id: str,
        content_index: int = 0,
        *,
        ms: float | None = None,
        bytes: int | None = None,  # shadows the builtin: the protocol's name for it
    ) -> None:
        """Report how much of an item's audio has actually been played (``ms`` or ``bytes``).

        Once reported, barge-in truncates at the played position instead of the wall-clock
        estimate. Ignored when there is no connection.
        """
        if self._proto is not None:
            self._proto.on_played(item_id, content_index, ms=ms, bytes=bytes)

    # -- closing ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connection, fail a pending ``connect``, release every task; idempotent.

        Safe to call from inside this transport's own event handlers.
        """
        opening = self._opening
        if opening is not None and not opening.done() and opening is not asyncio.current_task():
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
        channel, self._channel = self._channel, None
        self._stop_waiting()
        if channel is not None:
            self.set_status(ConnectionStatus.DISCONNECTING)
            await channel.aclose()
        self._proto = None
        self.set_status(ConnectionStatus.DISCONNECTED)
        await self.close_handlers()


def _error_message(payload: object) -> str:
    """The server's message out of an ``error`` event payload (``code: message``)."""
    error = getattr(payload, "error", payload)
    if isinstance(error, Mapping):
        inner = error.get("error", error)
        if isinstance(inner, Mapping):
            code, message = inner.get("code"), inner.get("message")
            return f"{code}: {message}" if code and message else str(message or code or "")
    return str(error)
