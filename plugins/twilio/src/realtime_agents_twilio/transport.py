"""``TwilioRealtimeTransportLayer``: a Twilio Media Streams call bridged to the Realtime API.

It *is* the WebSocket transport (a subclass: the Realtime side, the session's calls, the
events and the barge-in arithmetic are all the shared driver's), plus a second socket — the
one Twilio opened to your server — read by one task and written by another:

* Twilio → Realtime: ``start`` gives the stream sid; ``media`` (µ-law 8 kHz, which is also
  the session's input format: no re-encoding) → ``input_audio_buffer.append``; ``mark`` →
  :meth:`on_played` (what the caller heard); ``dtmf`` → a ``dtmf`` event; ``stop`` or a
  closed socket → the Realtime connection is closed. Every message is published on
  ``twilio_message``.
* Realtime → Twilio: each ``audio`` event becomes 20 ms ``media`` frames, each followed by a
  ``mark`` (:mod:`.playout`); ``audio_interrupted`` (server VAD or :meth:`interrupt`) sends
  ``clear`` and forgets frames not written yet. Playback is tracked from echoed marks only,
  so a barge-in truncates at the last mark the caller heard — also when the server had
  already sent all of the reply, which is when most barge-ins happen.
* Every session config is forced to µ-law 8 kHz both ways (:mod:`.formats`), in the driver's
  ``prepare_session_config``: on connect, on every update, and in a session's wire payload.

Why a subclass rather than a wrapper around a WebSocket transport: the session must see one
transport whose ``interrupt``, ``prepare_session_config`` and ``connect`` do the Twilio part
too; wrapping would mean forwarding the whole contract by hand.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Final

from realtime_agents.config import RealtimeSessionConfig
from realtime_agents.errors import ConnectionFailedError, RealtimeAgentsError, UserError
from realtime_agents.events import (
    AudioDoneEvent,
    AudioEvent,
    ConnectionChangeEvent,
    ConnectionStatus,
    ErrorEvent,
)
from realtime_agents.transport import ApiKey, ConnectOptions
from realtime_agents_websocket import OpenAIRealtimeWebSocket

from ._outbox import Outbox
from .formats import force_mulaw
from .messages import (
    TwilioDtmfEvent,
    TwilioMessage,
    TwilioMessageError,
    clear_message,
    parse_message,
)
from .playout import Playout
from .sockets import TwilioWebSocket

__all__ = ["DEFAULT_MAX_QUEUED_BYTES", "TwilioBacklogError", "TwilioRealtimeTransportLayer"]

logger = logging.getLogger("realtime_agents_twilio")

#: Frames waiting for the Twilio socket, at most: about 6 minutes of reply audio.
DEFAULT_MAX_QUEUED_BYTES: Final = 4 * 1024 * 1024
#: Items whose "nothing heard yet" was reported, remembered at most.
_MAX_REPORTED: Final = 64


class TwilioBacklogError(RealtimeAgentsError):
    """Reply audio was dropped: the Twilio socket is not taking frames fast enough."""


class TwilioRealtimeTransportLayer(OpenAIRealtimeWebSocket):
    """The OpenAI Realtime API for one Twilio media stream (see the module docstring).

    Args:
        twilio_websocket: the socket Twilio opened to your server, as a
            :class:`~.sockets.TwilioWebSocket` (``AiohttpTwilioSocket(ws)``,
            ``WebsocketsTwilioSocket(ws)``, or your own adapter).
        end_stream_on_close: when the Realtime connection ends (:meth:`close`, or the server),
            close the Twilio socket too, so the call moves on instead of going silent.
            False keeps the stream for another :meth:`connect` (after the 60-minute limit,
            say); then close it yourself with :meth:`end_stream`.
        max_queued_bytes: bound on frames waiting for the Twilio socket.
        options: every argument of :class:`~realtime_agents_websocket.OpenAIRealtimeWebSocket`.

    Publishes everything the WebSocket transport does (``audio`` carries the µ-law bytes the
    caller hears), plus ``twilio_message`` (:class:`~.messages.TwilioMessage`) and ``dtmf``
    (:class:`~.messages.TwilioDtmfEvent`).
    """

    event_names = OpenAIRealtimeWebSocket.event_names | {"twilio_message", "dtmf"}

    def __init__(
        self,
        *,
        twilio_websocket: TwilioWebSocket | None = None,
        end_stream_on_close: bool = True,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        **options: Any,
    ) -> None:
        if twilio_websocket is None:
            raise UserError(
                "TwilioRealtimeTransportLayer bridges one media stream: build it with the "
                "socket Twilio opened to your server, TwilioRealtimeTransportLayer("
                "twilio_websocket=AiohttpTwilioSocket(ws)), and pass the instance as the "
                "session's transport"
            )
        super().__init__(**options)
        self._twilio = twilio_websocket
        self._end_stream_on_close = end_stream_on_close
        self._outbox = Outbox(max_queued_bytes)
        self._playout = Playout()
        self._reported: dict[tuple[str, int], None] = {}
        self._stream_sid: str | None = None
        self._start: dict[str, Any] | None = None
        self._ended = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[None] | None = None
        self._closing = False
        self._dropping = False
        self._taps: dict[str, Callable[[Any], None]] = {
            "audio": self._play,
            "audio_done": self._audio_done,
            "turn_done": self._turn_done,
            "audio_interrupted": self._interrupted,
            "connection_change": self._status_changed,
        }

    # -- the stream ------------------------------------------------------------------------

    @property
    def stream_sid(self) -> str | None:
        """The media stream's sid, from Twilio's ``start`` message."""
        return self._stream_sid

    @property
    def start_message(self) -> dict[str, Any] | None:
        """The ``start`` object of Twilio's ``start`` message (``callSid``,
        ``customParameters``, ``mediaFormat``, ...)."""
        return self._start

    @property
    def stream_ended(self) -> bool:
        """Whether the Twilio stream is over (``stop``, a closed socket, or :meth:`end_stream`)."""
        return self._ended.is_set()

    async def wait_stream_end(self) -> None:
        """Return once the Twilio stream is over: keep your socket handler alive until then."""
        await self._ended.wait()

    async def end_stream(self) -> None:
        """Close the Twilio socket (the call goes on to the next TwiML verb, or hangs up)."""
        self._ended.set()
        await self._stop_bridge()
        with contextlib.suppress(Exception):  # already closed by Twilio: nothing to do
            await self._twilio.close()

    # -- connecting and closing --------------------------------------------------------------

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
        """Connect the Realtime side (µ-law both ways) and start bridging the Twilio stream.

        Raises ConnectionFailedError once the stream has ended; otherwise as the WebSocket
        transport.
        """
        if options is None:
            options = ConnectOptions(
                api_key=api_key,
                model=model,
                url=url,
                call_id=call_id,
                initial_session_config=initial_session_config,
            )
        if self._ended.is_set():
            raise ConnectionFailedError(
                "the Twilio media stream has ended: a TwilioRealtimeTransportLayer bridges one "
                "stream, build a new one for the next call"
            )
        await super().connect(options)
        self._start_bridge()

    def prepare_session_config(self, config: RealtimeSessionConfig) -> RealtimeSessionConfig:
        """The config with its audio formats forced to µ-law 8 kHz both ways (on connect and
        on every update)."""
        return force_mulaw(config)  # type: ignore[return-value]

    async def close(self) -> None:
        """Close the Realtime connection, and the Twilio stream unless told to keep it."""
        self._closing = True
        try:
            await super().close()
            await self._stop_bridge()
            if self._end_stream_on_close:
                await self.end_stream()
        finally:
            self._closing = False

    def _start_bridge(self) -> None:
        loop = asyncio.get_running_loop()
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read(), name="realtime_agents twilio reader")
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write(), name="realtime_agents twilio writer")

    async def _stop_bridge(self) -> None:
        """Stop reading and writing the Twilio socket (it stays open)."""
        current = asyncio.current_task()
        tasks = [t for t in (self._reader, self._writer, self._stopping) if t is not None]
        tasks = [t for t in tasks if t is not current and not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._outbox.purge()
        self._playout.clear()
        self._reported.clear()

    def _status_changed(self, event: ConnectionChangeEvent) -> None:
        # The server ended the connection (close() sets _closing): end the bridge too.
        if event.status is not ConnectionStatus.DISCONNECTED or self._closing:
            return
        if self._reader is None or self._reader.done():
            return  # not bridging (a failed connect, or already stopped)
        stop = self.end_stream() if self._end_stream_on_close else self._stop_bridge()
        self._stopping = asyncio.get_running_loop().create_task(
            stop, name="realtime_agents twilio stop"
        )

    # -- Twilio → Realtime -------------------------------------------------------------------

    async def _read(self) -> None:
        while True:
            frame = await self._twilio.receive()
            if frame is None or not await self._on_twilio(frame):
                break
        self._ended.set()
        await self.close()  # the caller is gone: so is the Realtime side

    async def _on_twilio(self, frame: str | bytes) -> bool:
        """Handle one Twilio message; False once the stream stopped."""
        try:
            message = parse_message(frame)
        except TwilioMessageError as exc:
            self.emit("error", ErrorEvent(error=exc))
            return True
        self.emit("twilio_message", message)
        handle = _HANDLERS.get(message.event)
        if handle is None:
            return True  # connected, and whatever Twilio adds later
        return await handle(self, message)

    async def _on_start(self, message: TwilioMessage) -> bool:
        start = message.data.get("start")
        start = start if isinstance(start, dict) else {}
        sid = message.data.get("streamSid") or start.get("streamSid")
        self._stream_sid = sid if isinstance(sid, str) else None
        self._start = start
        self._playout.clear()
        return True

    async def _on_media(self, message: TwilioMessage) -> bool:
        media = message.data.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        try:
            audio = base64.b64decode(payload or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            error = TwilioMessageError("a Twilio media message whose payload is not base64")
            self.emit("error", ErrorEvent(error=error))
            return True
        if audio:
            await self.send_audio(audio)
        return True

    async def _on_mark(self, message: TwilioMessage) -> bool:
        mark = message.data.get("mark")
        heard = self._playout.on_mark(mark.get("name") if isinstance(mark, dict) else None)
        if heard is not None:
            self.on_played(heard.item_id, heard.content_index, bytes=heard.bytes)
        return True

    async def _on_dtmf(self, message: TwilioMessage) -> bool:
        dtmf = message.data.get("dtmf")
        dtmf = dtmf if isinstance(dtmf, dict) else {}
        digit, track = dtmf.get("digit"), dtmf.get("track")
        if isinstance(digit, str):
            self.emit(
                "dtmf",
                TwilioDtmfEvent(digit, track if isinstance(track, str) else None, self._stream_sid),
            )
        return True

    async def _on_stop(self, message: TwilioMessage) -> bool:
        return False

    # -- Realtime → Twilio -------------------------------------------------------------------

    def emit(self, name: str, event: Any = None) -> None:
        """Publish ``event``; the Twilio side acts on audio and interruptions first."""
        tap = self._taps.get(name)
        if tap is not None:
            tap(event)
        super().emit(name, event)

    def has_listeners(self, name: str) -> bool:
        """Whether ``name`` is received: the Twilio side always takes the events it acts on."""
        return name in self._taps or super().has_listeners(name)

    def _play(self, event: AudioEvent) -> None:
        sid = self._stream_sid
        if sid is None:
            return  # no stream started: nobody to play to
        item, index = event.item_id or "", event.content_index
        if (item, index) not in self._reported:
            # Heard so far: nothing. Only Twilio's marks move this on (never the wall clock).
            self._reported[(item, index)] = None
            if len(self._reported) > _MAX_REPORTED:
                del self._reported[next(iter(self._reported))]
            self.on_played(item, index, bytes=0)
        self._send(self._playout.frames(sid, item, index, event.data))

    def _audio_done(self, event: AudioDoneEvent) -> None:
        if self._stream_sid is not None and event.item_id is not None:
            self._send(self._playout.flush(self._stream_sid, event.item_id, 0))

    def _turn_done(self, event: object) -> None:
        if self._stream_sid is not None:
            self._send(self._playout.flush_all(self._stream_sid))

    def _interrupted(self, event: object) -> None:
        self._outbox.purge()
        self._playout.clear()
        if self._stream_sid is not None:
            self._outbox.put([clear_message(self._stream_sid)])

    def _send(self, frames: list[str]) -> None:
        if not frames:
            return
        if self._outbox.put(frames):
            self._dropping = False
        elif not self._dropping:
            self._dropping = True
            error = TwilioBacklogError(
                "reply audio dropped: over "
                f"{self._outbox.max_bytes} bytes are waiting for the Twilio socket"
            )
            logger.warning("%s", error)
            super().emit("error", ErrorEvent(error=error))

    async def _write(self) -> None:
        try:
            await self._outbox.run(self._twilio)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket is gone: the reader sees it end
            logger.debug("writing to the Twilio socket failed: %r", exc)


_HANDLERS = {
    "start": TwilioRealtimeTransportLayer._on_start,
    "media": TwilioRealtimeTransportLayer._on_media,
    "mark": TwilioRealtimeTransportLayer._on_mark,
    "dtmf": TwilioRealtimeTransportLayer._on_dtmf,
    "stop": TwilioRealtimeTransportLayer._on_stop,
}
