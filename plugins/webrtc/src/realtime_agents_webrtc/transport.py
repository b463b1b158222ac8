"""``OpenAIRealtimeWebRTC``: the Realtime API over a WebRTC call (aiortc), as a transport.

Core's :class:`~realtime_agents.driver.OpenAIRealtimeTransport` does the protocol, readiness
(``session.updated``), the response sequencer, track-mode barge-in, redaction and close codes;
this class adds the call (:mod:`._channel`), its media (:mod:`._callmedia`) and the choice of
where audio comes from and goes to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack

from realtime_agents.driver import (
    Channel,
    ChannelRequest,
    OnClose,
    OnFrame,
    OpenAIRealtimeTransport,
    auth_for,
)
from realtime_agents.driver.handshake import BASE_URL_ENV
from realtime_agents.errors import ConnectionClosedError, UserError
from realtime_agents.events import AudioEvent, ConnectionStatus, ErrorEvent
from realtime_agents.transport import ApiKey, ConnectOptions

from ._callmedia import AudioSink, CallMedia
from ._channel import CallRequest, CallSettings, ChangePeerConnection, WebRTCChannel
from ._devices import AudioDevices, Microphone, SoundDevices, Speaker, no_microphone_error
from ._reply import ReplyTagger, peek_needed

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_ICE_SERVERS",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "OpenAIRealtimeWebRTC",
]

logger = logging.getLogger("realtime_agents_webrtc")

#: Where calls are created (the SDP offer is POSTed here).
DEFAULT_BASE_URL: Final = "https://api.openai.com/v1/realtime/calls"
#: The usual public STUN server, so a client behind NAT finds its public address.
DEFAULT_ICE_SERVERS: Final[tuple[Mapping[str, Any], ...]] = (
    {"urls": "stun:stun.l.google.com:19302"},
)
#: Largest incoming event accepted: events are JSON text, and a session.updated with long
#: instructions and many tools is the largest a server sends (no audio on the data channel).
DEFAULT_MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024
#: After our paced track has played the last committed audio: time for it to cross the
#: network and the server's jitter buffer before ``input_audio_buffer.commit`` overtakes it.
_COMMIT_MARGIN: Final = 0.2


class OpenAIRealtimeWebRTC(OpenAIRealtimeTransport):
    """The OpenAI Realtime API over WebRTC: audio on media tracks, events on ``oai-events``.

    Takes the driver's ``model``, ``api_key``, ``headers``, ``ready_timeout`` and ``clock``
    (see :class:`~realtime_agents.driver.OpenAIRealtimeTransport`), and:

    Args:
        base_url: where the SDP offer is POSTed (default: ``OPENAI_BASE_URL`` +
            ``/realtime/calls`` when that is set, else OpenAI's). ``connect(url=...)`` wins.
        media_stream: an aiortc ``MediaStreamTrack`` (audio) to send. The caller owns it: it is
            never stopped here.
        audio_sink: where the reply goes: a callable receiving PCM16 24 kHz mono chunks, or an
            aiortc ``MediaRecorder`` (started on the call's track, stopped when the call ends).
        change_peer_connection: ``f(pc)`` (sync or async) to adjust the ``RTCPeerConnection``
            before the offer; it may return a replacement.
        ice_servers: ``RTCIceServer`` fields as dicts (default: public STUN, or none at all
            when the calls URL is on loopback). ``[]``: no DNS lookup, no outbound UDP.
        host_addresses: gather host candidates only on these addresses (default: aioice's
            choice, which leaves loopback out — or ``127.0.0.1`` when the calls URL is on
            loopback, e.g. the local emulator).
        microphone: ``True``: record the system microphone (the ``[audio]`` extra), an error
            naming the alternatives if there is none; ``False``: input only from
            :meth:`send_audio`; ``None`` (default): the microphone when there is one, and the
            first :meth:`send_audio` call releases it.
        speaker: play the reply on the system speaker: ``None`` (default) when there is one and
            no ``audio_sink``; ``True`` requires one; ``False`` never.
        audio_devices: the device backend (default: ``sounddevice``); tests pass their own.
        open_timeout: bound on the SDP exchange plus ICE/DTLS until the data channel opens.
        close_timeout: bound on releasing the peer connection.
        disconnect_grace: seconds without any frame on the reply track, once connected,
            before the call counts as lost (the server's track plays silence between
            replies); None never decides so (aioice's consent checks still end a dead call
            after about 30 s).
        max_message_size: largest incoming data-channel message in bytes (None: no limit);
            a larger one ends the call (close code 1009), as a WebSocket's ``max_size`` does.
    """

    media: ClassVar = "track"
    ready_event: ClassVar = "session.updated"
    #: The SDP negotiates the codec (Opus); a session.update naming PCM formats means nothing.
    sends_audio_formats: ClassVar = False

    def __init__(
        self,
        *,
        base_url: str | None = None,
        media_stream: MediaStreamTrack | None = None,
        audio_sink: AudioSink | None = None,
        change_peer_connection: ChangePeerConnection | None = None,
        ice_servers: Sequence[Mapping[str, Any]] | None = None,
        host_addresses: Sequence[str] | None = None,
        microphone: bool | None = None,
        speaker: bool | None = None,
        audio_devices: AudioDevices | None = None,
        model: str | None = None,
        api_key: ApiKey | None = None,
        headers: Mapping[str, str] | None = None,
        ready_timeout: float | None = 10.0,
        open_timeout: float | None = 10.0,
        close_timeout: float = 5.0,
        disconnect_grace: float | None = 5.0,
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            model=model,
            api_key=api_key,
            url=base_url,
            headers=headers,
            ready_timeout=ready_timeout,
            clock=clock,
        )
        if media_stream is not None and getattr(media_stream, "kind", None) != "audio":
            raise UserError("media_stream must be an aiortc MediaStreamTrack of kind 'audio'")
        if media_stream is not None and microphone:
            raise UserError("pass media_stream or microphone=True, not both")
        self._media_stream = media_stream
        self._call_headers = dict(headers or {})
        self._audio_sink = audio_sink
        self._microphone = microphone
        self._speaker = speaker
        self._devices: AudioDevices = audio_devices or SoundDevices()
        self._ice_servers = None if ice_servers is None else tuple(ice_servers)
        self._host_addresses = None if host_addresses is None else tuple(host_addresses)
        self._change_peer_connection = change_peer_connection
        self._open_timeout = open_timeout
        self._close_timeout = close_timeout
        self._max_message_size = max_message_size
        self._grace = disconnect_grace
        self._muted = False
        self._call: WebRTCChannel | None = None
        self._tagger = ReplyTagger()
        self._attempt: asyncio.Future[None] | None = None

    # -- the call -------------------------------------------------------------------------

    @property
    def call_id(self) -> str | None:
        """The call's id (``rtc_…``), for a sideband WebSocket (``connect(call_id=...)``)."""
        call = self._call
        return call.call_id if call is not None else None

    @property
    def peer_connection(self) -> RTCPeerConnection | None:
        """The current ``RTCPeerConnection`` (None when there is no call)."""
        call = self._call
        return call.peer_connection if call is not None else None

    def build_request(
        self, options: ConnectOptions, api_key: str | None, model: str
    ) -> ChannelRequest:
        """The calls URL and the Bearer header; a ``call_id`` belongs to a sideband socket."""
        if options.call_id:
            raise UserError(
                "OpenAIRealtimeWebRTC starts its own call (see its call_id); to attach to an "
                "existing call, connect a WebSocket transport with call_id=..."
            )
        headers, _ = auth_for(api_key, self._call_headers, "header", use_insecure_api_key=True)
        return CallRequest(
            url=self._calls_url(options), headers=headers, api_key=api_key, model=model
        )

    def _calls_url(self, options: ConnectOptions) -> str:
        url = options.url or self.url
        if url:
            if url.split(":", 1)[0].lower() in ("ws", "wss"):
                raise UserError(
                    f"OpenAIRealtimeWebRTC POSTs its SDP offer to an http(s) calls URL "
                    f"(such as {DEFAULT_BASE_URL}), not to the WebSocket URL "
                    f"{url.split('?', 1)[0]!r}: for a WebSocket, use transport='websocket'"
                )
            return url
        base = os.environ.get(BASE_URL_ENV)
        if base:
            return base.strip().rstrip("/") + "/realtime/calls"
        return DEFAULT_BASE_URL

    def create_channel(
        self, request: ChannelRequest, on_frame: OnFrame, on_close: OnClose
    ) -> Channel:
        speaker = self._open_speaker()
        try:
            microphone = self._open_microphone()
        except BaseException:
            if speaker is not None:
                speaker[1]()
            raise
        self._tagger = ReplyTagger()
        channel: WebRTCChannel | None = None

        def lost(seconds: float) -> None:
            if channel is not None:
                channel.media_lost(seconds)

        media = CallMedia(
            source=self._media_stream,
            microphone=microphone,
            sink=self._audio_sink if self._audio_sink is not None else (speaker and speaker[0]),
            speaker_close=speaker[1] if speaker is not None else None,
            on_audio=self._on_reply_audio,
            on_lost=lost,
            on_sink_error=self._on_sink_error,
            grace=self._grace,
        )
        media.outgoing.muted = self._muted
        settings = self._call_settings(request.url)
        channel = WebRTCChannel(settings, media, self._peeking(on_frame), on_close)
        self._call = channel
        return channel

    def _call_settings(self, url: str) -> CallSettings:
        """The settings of one call: a server on loopback needs no STUN, and loopback
        candidates (which aioice leaves out) are the only ones that can reach it."""
        local = _is_loopback(url)
        ice_servers = self._ice_servers
        if ice_servers is None:
            ice_servers = () if local else DEFAULT_ICE_SERVERS
        addresses = self._host_addresses
        if addresses is None and local:
            addresses = ("127.0.0.1",)
        return CallSettings(
            ice_servers=ice_servers,
            host_addresses=addresses,
            change_peer_connection=self._change_peer_connection,
            open_timeout=self._open_timeout,
            close_timeout=self._close_timeout,
            max_message_size=self._max_message_size,
        )

    def _open_microphone(self) -> Microphone | None:
        if self._media_stream is not None or self._microphone is False:
            return None
        try:
            microphone = self._devices.open_microphone()
        except UserError:
            if self._microphone:
                raise
            microphone = None
        if microphone is None and self._microphone:
            raise no_microphone_error("no audio input device found")
        if microphone is None:
            logger.info("no microphone: input audio comes from send_audio() only")
        return microphone

    def _open_speaker(self) -> tuple[Speaker, Callable[[], None]] | None:
        if self._audio_sink is not None or self._speaker is False:
            return None
        try:
            speaker = self._devices.open_speaker()
        except UserError:
            if self._speaker:
                raise
            return None
        if speaker is None and self._speaker:
            raise UserError(
                "no speaker for OpenAIRealtimeWebRTC: pass audio_sink=<callable or "
                "MediaRecorder>, listen to 'audio' events (speaker=False), or install "
                "realtime-agents-webrtc[audio] on a machine with an output device"
            )
        return speaker

    def _peeking(self, on_frame: OnFrame) -> OnFrame:
        tagger = self._tagger

        def on_call_frame(channel: Channel, frame: str | bytes) -> None:
            on_frame(channel, frame)
            if isinstance(frame, str) and peek_needed(frame):
                tagger.observe(frame)

        return on_call_frame

    def _on_reply_audio(self, pcm: bytes) -> None:
        tag = self._tagger.tag(pcm)
        if tag is not None and self.has_listeners("audio"):
            response_id, item_id, index = tag
            self.emit("audio", AudioEvent(pcm, response_id, item_id, index))

    def _on_sink_error(self, exc: BaseException) -> None:
        self.emit("error", ErrorEvent(error=exc))

    # -- connecting and closing ---------------------------------------------------------------

    async def connect(self, options: ConnectOptions | None = None, **kwargs: Any) -> None:
        """Start a call (see the driver); concurrent calls while connecting share one attempt."""
        shared = self._attempt
        if shared is not None and not shared.done():
            await asyncio.shield(shared)
            return
        attempt = asyncio.get_running_loop().create_future()
        attempt.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._attempt = attempt
        try:
            await super().connect(options, **kwargs)
        except BaseException as exc:
            if isinstance(exc, Exception):
                attempt.set_exception(exc)
            else:
                attempt.set_exception(ConnectionClosedError("the connect it shared was cancelled"))
            raise
        else:
            attempt.set_result(None)

    async def close(self) -> None:
        """End the call and release its peer connection, tracks and tasks; idempotent."""
        call = self._call
        await super().close()
        if call is not None:
            await call.wait_released()  # the call may have ended by itself, releasing alone
        if self._call is call:
            self._call = None

    # -- audio and muting ------------------------------------------------------------------------

    @property
    def muted(self) -> bool | None:
        return self._muted

    async def mute(self, muted: bool) -> None:
        """Send silence instead of the input (the track keeps running, as in a browser)."""
        self._muted = bool(muted)
        call = self._call
        if call is not None:
            call.media.outgoing.muted = self._muted

    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        """Play PCM16 24 kHz mono on the outgoing track (in real time: this waits when more
        than 2 s is queued); ``commit`` ends the turn once it has played. Dropped unless
        connected; the first call releases an automatically chosen microphone."""
        call = self._call
        if call is None or self.status is not ConnectionStatus.CONNECTED:
            return
        media = call.media
        if media.paced is None:
            raise UserError(
                "send_audio cannot be used with media_stream=...: the track is the input"
            )
        if media.uses_microphone:
            if self._microphone:
                raise UserError("send_audio cannot be used with microphone=True")
            logger.info("send_audio() called: the microphone is released")
            media.release_microphone()
        await media.paced.feed(audio)
        if commit:
            await media.paced.played()
            await asyncio.sleep(_COMMIT_MARGIN)
            await self.send_event({"type": "input_audio_buffer.commit"})

    async def interrupt(self, *, cancel_ongoing_response: bool = True) -> None:
        """``response.cancel`` (if one is ongoing), ``output_audio_buffer.clear``, and
        ``audio_interrupted``; ``audio`` events stop at once."""
        self._tagger.cut()
        await super().interrupt(cancel_ongoing_response=cancel_ongoing_response)


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
