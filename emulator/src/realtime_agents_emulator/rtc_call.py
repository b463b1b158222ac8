"""One WebRTC call: the emulator's peer connection around a :class:`~.session.Session`.

A :class:`RtcCall` is created by ``POST /v1/realtime/calls``. It answers the caller's SDP offer
with a server ``RTCPeerConnection`` (loopback host candidates only, no STUN) that carries

* the ``oai-events`` data channel — the call's :class:`~.edge.Edge`: client events in, server
  events out (every event of the session except ``response.output_audio.delta``, whose audio
  goes on the track); ``session.created`` goes out as soon as the channel opens;
* the caller's audio track, decoded and resampled into :meth:`Session.receive_audio`;
* the model's voice, a :class:`~.rtc_media.VoiceTrack` playing the session's playback buffer.

Sideband WebSocket connections (``?call_id=``) attach to the call (:meth:`RtcCall.attach`): they
receive every server event of the session too and may send client events.

The call ends when the caller closes its peer connection or data channel, on
``POST …/hangup`` (:meth:`RtcCall.hangup`), on ``session.close`` or expiry, or when the emulator
stops; sideband connections are then closed (1000). Fault injection mirrors a WebSocket
connection: :meth:`drop` (the server vanishes: its transports stop without a goodbye, so the
caller hears nothing more), :meth:`stall` (nothing read or sent; the channel stays open),
:meth:`close` (a hang-up with a goodbye), and the count faults of :class:`~.faults.Faults`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)

from . import wire
from .connection import ServerConnection
from .edge import Edge, Event
from .errors import RealtimeError
from .faults import Faults
from .ids import IdFactory
from .rtc_ice import loopback_candidates
from .rtc_media import VoiceTrack, hear
from .session import Session

__all__ = ["EVENTS_CHANNEL", "InvalidOffer", "RtcCall"]

EVENTS_CHANNEL = "oai-events"
_PATH = "/v1/realtime/calls"
# RFC 8841 §6: a peer that does not say how large a message it takes accepts 64 KiB.
_DEFAULT_MAX_MESSAGE = 65536
_MAX_MESSAGE = re.compile(r"^a=max-message-size:(\d+)\s*$", re.MULTILINE)


class InvalidOffer(ValueError):
    """The SDP offer cannot be answered (the message says why)."""


class RtcCall(Edge):
    """A WebRTC call as the emulator saw it, in order of arrival in ``emu.calls``.

    Observability, as for :class:`~.connection.ServerConnection`: ``call_id``,
    ``client_events`` / ``server_events`` (those of the data channel; sideband connections keep
    their own), ``session``, ``api_key``, ``accepted`` (the offer was answered), ``ended_by``
    (``"client"``, ``"server"`` or ``None`` while live), ``sidebands``, ``invalid_frames``,
    ``events_sent``; ``await wait_for_client_event(...)``, ``wait_for_server_event(...)``,
    ``wait_closed()``. Faults: ``faults``, :meth:`inject`, :meth:`drop`, :meth:`stall`,
    :meth:`close`, :meth:`send_event`, :meth:`send_error`, :meth:`send_text`,
    :meth:`send_binary`, :meth:`send_malformed`.
    """

    setup_timeout_s: float = 3.0
    """A call whose peer connection is not connected this long after the answer is ended as
    lost. A caller that gives up before DTLS completes says nothing the server can hear (aiortc
    would retry its handshake for minutes); on loopback connecting takes tens of ms."""

    def __init__(
        self,
        call_id: str,
        *,
        ids: IdFactory,
        faults: Faults,
        on_crash: Callable[[BaseException], None],
        record_events: bool = True,
        number: int = 0,
        api_key: str | None = None,
        remote: str | None = None,
        on_ended: Callable[[RtcCall], None] | None = None,
    ) -> None:
        super().__init__(
            ids=ids,
            faults=faults,
            on_crash=on_crash,
            record_events=record_events,
            number=number,
            api_key=api_key,
            log_name="call",
        )
        self.call_id = call_id
        self.sidebands: list[ServerConnection] = []
        """Sideband WebSocket connections attached now."""
        self.ended_by: str | None = None
        self._remote = remote
        self._on_ended = on_ended
        self._pc: RTCPeerConnection | None = None
        self._channel: RTCDataChannel | None = None
        self._voice: VoiceTrack | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ending: asyncio.Task[None] | None = None
        self._stalled = False
        self._max_message = _DEFAULT_MAX_MESSAGE

    def __repr__(self) -> str:
        return f"<RtcCall {self.call_id} accepted={self.accepted} closed={self.closed}>"

    @property
    def location(self) -> str:
        """The path of the call, as the ``Location`` header gives it."""
        return f"{_PATH}/{self.call_id}"

    # -- setting up ---------------------------------------------------------------------------

    async def answer(self, offer_sdp: str, session: Session) -> str:
        """Answer the caller's offer; the answer SDP (all candidates in it: no trickle).

        Raises :class:`InvalidOffer` for an offer without audio, or one aiortc cannot use.
        """
        self._session = session
        self._max_message = _max_message_size(offer_sdp)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pc = pc
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            if not any(t.kind == "audio" for t in pc.getTransceivers()):
                raise InvalidOffer("the offer has no audio media section")
            playback = session.playback
            assert playback is not None, "a call's session plays its own audio"
            self._voice = VoiceTrack(playback.take)
            pc.addTrack(self._voice)
            with loopback_candidates():
                # aiortc gathers candidates here, and never trickles: the answer has them all.
                await pc.setLocalDescription(await pc.createAnswer())
        except InvalidOffer:
            await self._discard()
            raise
        except Exception as exc:  # aiortc rejects malformed SDP with assorted exceptions
            await self._discard()
            raise InvalidOffer(str(exc) or type(exc).__name__) from exc
        self.accepted = True
        self._start_writer()
        self._spawn(self._connected_in_time())
        self._log.opened(_PATH, {"call_id": self.call_id}, self._remote)
        return pc.localDescription.sdp

    async def _connected_in_time(self) -> None:
        await asyncio.sleep(self.setup_timeout_s)
        if self._pc is not None and self._pc.connectionState != "connected":
            self._end("client", f"lost: not connected within {self.setup_timeout_s:g} s")

    async def _discard(self) -> None:
        """An offer that was not answered: release what it created; the call never existed."""
        if self._voice is not None:
            self._voice.stop()
        if self._pc is not None:
            await self._pc.close()
        self._done.set()

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != EVENTS_CHANNEL or self._channel is not None:
            return  # the Realtime API speaks on oai-events only
        self._channel = channel
        channel.on("message", self._on_message)
        channel.on("close", lambda: self._end("client"))
        assert self._session is not None
        self._session.start()  # session.created, now that it can be delivered

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(hear(track, self._on_audio))

    def _on_audio(self, pcm: bytes) -> None:
        if self._session is not None and not (self._stalled or self._ending):
            self._session.receive_audio(pcm)

    def _on_connection_state(self) -> None:
        state = self._pc.connectionState if self._pc is not None else "closed"
        if state == "closed":  # the caller closed its peer connection (a DTLS goodbye)
            self._end("client")
        elif state == "failed":  # ICE gave up: the caller vanished
            self._end("client", "lost: the peer connection failed")

    def _on_message(self, message: str | bytes) -> None:
        if not (self._stalled or self.closed or self._ending):
            self._on_frame(message)

    # -- sideband -----------------------------------------------------------------------------

    def attach(self, connection: ServerConnection) -> None:
        """Let a sideband connection receive the call's server events from now on."""
        self.sidebands.append(connection)

    def detach(self, connection: ServerConnection) -> None:
        with contextlib.suppress(ValueError):
            self.sidebands.remove(connection)

    def dispatch(self, event: Event) -> None:
        """The session's sink: every edge of the call gets every server event."""
        self.session_sink(event)
        for sideband in self.sidebands:
            sideband.session_sink(event)

    # -- ending -------------------------------------------------------------------------------

    async def hangup(self) -> None:
        """End the call from the server side (``POST …/hangup``), with a goodbye."""
        await self.close(1000, "hung up")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Hang up: close the peer connection properly (the caller sees its channel close).

        ``code`` and ``reason`` only go to the log: a data channel has no close code.
        """
        self._dead = True
        self._end("server", f"hung up by the server ({reason or code})")
        await self._wait_ended()

    async def drop(self) -> None:
        """Vanish: stop the transports without a goodbye; the caller hears nothing more."""
        self._kill(reset=False)
        await self._wait_ended()

    async def reset(self) -> None:
        """The same as :meth:`drop`: UDP has no reset."""
        await self.drop()

    def stall(self) -> None:
        """Play dead: read nothing, send nothing (no event, no audio); the channel stays open.

        ICE keeps answering connectivity checks (aioice does that by itself), so a caller
        notices only by its own timeouts.
        """
        self._dead = True
        self._stalled = True
        if self._voice is not None:
            self._voice.pause()

    async def send_binary(self, data: bytes) -> None:
        """Send one binary message on the data channel (the Realtime API never does)."""
        channel = self._channel
        if not self._dead and channel is not None and channel.readyState == "open":
            channel.send(data)

    def _kill(self, *, reset: bool) -> None:
        self._dead = True
        self._end("server", "dropped by the server without a goodbye", goodbye=False)

    def _end(self, by: str, how: str = "", *, goodbye: bool = True) -> None:
        """Start ending the call (once)."""
        if self._ending is not None or self.closed:
            return
        self.ended_by = by
        self._dead = True
        how = how or "hung up by the client"
        self._ending = asyncio.get_running_loop().create_task(self._shutdown(how, goodbye))

    async def _wait_ended(self) -> None:
        if self._ending is not None and self._ending is not asyncio.current_task():
            await asyncio.shield(self._ending)

    async def _shutdown(self, how: str, goodbye: bool) -> None:
        try:
            if self._session is not None:
                await self._session.close()
            if not goodbye:
                await self._silence_transports()
            if self._voice is not None:
                self._voice.stop()
            if self._pc is not None:
                await self._pc.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._stop_writer()
            await asyncio.gather(*(s.close(1000, "call ended") for s in list(self.sidebands)))
        except Exception as exc:  # an emulator bug: the call still ends
            self._internal_error(exc, "ending the call")
        finally:
            self._log.ended(how)
            self._done.set()
            if self._on_ended is not None:
                self._on_ended(self)

    async def _silence_transports(self) -> None:
        """Stop the ICE transports first, so closing sends the caller nothing (no DTLS or SCTP
        goodbye can get out)."""
        pc = self._pc
        if pc is None:
            return
        ice = [t.receiver.transport.transport for t in pc.getTransceivers()]
        if pc.sctp is not None:
            ice.append(pc.sctp.transport.transport)
        for transport in ice:
            with contextlib.suppress(Exception):
                await transport.stop()

    # -- writing ------------------------------------------------------------------------------

    async def _send_event(self, event: Event) -> None:
        """An event larger than the caller takes in one message becomes an ``error`` (the
        channel would refuse it; e.g. ``conversation.item.retrieved`` of a long audio turn)."""
        if self._max_message:
            size = len(wire.encode(event).encode())
            if size > self._max_message:
                message = (
                    f"The {event.get('type')} event ({size} bytes) is larger than the data "
                    f"channel's maximum message size ({self._max_message} bytes)."
                )
                event = self._error_event(RealtimeError(message, "event_too_large"), None)
        await super()._send_event(event)

    async def _send_raw(self, text: str) -> bool:
        channel = self._channel
        if self._dead or channel is None or channel.readyState != "open":
            return False
        channel.send(text)
        return True

    def _spawn(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _max_message_size(sdp: str) -> int:
    """The largest data-channel message the offerer accepts (0: no limit)."""
    found = _MAX_MESSAGE.search(sdp)
    return int(found.group(1)) if found else _DEFAULT_MAX_MESSAGE
