"""The driver's :class:`~realtime_agents.driver.Channel` over a WebRTC call.

One channel is one ``RTCPeerConnection``: the ``oai-events`` data channel carries the JSON
events (the driver's frames), one ``sendrecv`` audio transceiver carries the media
(:class:`~._callmedia.CallMedia`). Opening = offer → ``POST`` to the calls URL → answer →
ICE/DTLS/SCTP → the data channel opens. aiortc's exceptions and states are mapped here, once.

How a call ends by itself (``on_close``): the peer connection ``failed`` (ICE or DTLS gave
up) → code 1006 with an error; the server closed the data channel or the connection (a
hang-up) → 1000; media stopped arriving for the grace period (aiortc has no
``disconnected`` state, so the reply track's silence-less gap stands for it) → 1006.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

import aiohttp
import attrs
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)

from realtime_agents.driver import Channel, ChannelRequest, CloseInfo, OnClose, OnFrame
from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError, UserError
from realtime_agents.protocol.connection import redact

from ._callmedia import CallMedia
from ._ice import host_addresses
from ._sdp import Answer, exchange, hangup

__all__ = ["DATA_CHANNEL", "CallRequest", "CallSettings", "ChangePeerConnection", "WebRTCChannel"]

logger = logging.getLogger("realtime_agents_webrtc")

#: The data channel the Realtime API reads and writes events on.
DATA_CHANNEL: Final = "oai-events"
#: ``write`` keeps queueing past this, ``drain`` waits until the buffer is below it.
_HIGH_WATER: Final = 1024 * 1024

#: ``change_peer_connection(pc)``: adjust (or replace) the peer connection before the offer.
ChangePeerConnection = Callable[
    [RTCPeerConnection], RTCPeerConnection | Awaitable[RTCPeerConnection | None] | None
]


@attrs.frozen(kw_only=True)
class CallRequest(ChannelRequest):
    """A :class:`ChannelRequest` for a call: also the model (for the ``session`` part)."""

    model: str


@attrs.frozen(kw_only=True)
class CallSettings:
    """How calls are set up; see :class:`~.transport.OpenAIRealtimeWebRTC` for each."""

    ice_servers: Sequence[Mapping[str, Any]]
    host_addresses: Sequence[str] | None
    change_peer_connection: ChangePeerConnection | None
    open_timeout: float | None
    close_timeout: float
    max_message_size: int | None


class WebRTCChannel(Channel):
    """One WebRTC call moving the transport's frames (see the module docstring)."""

    def __init__(
        self, settings: CallSettings, media: CallMedia, on_frame: OnFrame, on_close: OnClose
    ) -> None:
        self._settings = settings
        self.media = media
        self._on_frame = on_frame
        self._on_close = on_close
        self._pc: RTCPeerConnection | None = None
        self._dc: RTCDataChannel | None = None
        self._opened: asyncio.Future[None] | None = None
        self._ended = False
        self._release_task: asyncio.Task[None] | None = None
        self._request: CallRequest | None = None
        self._was_open = False
        #: The call's id from the answer's ``Location`` (for a sideband WebSocket).
        self.call_id: str | None = None

    @property
    def is_open(self) -> bool:
        dc = self._dc
        return not self._ended and dc is not None and dc.readyState == "open"

    @property
    def peer_connection(self) -> RTCPeerConnection | None:
        return self._pc

    # -- opening ---------------------------------------------------------------------------

    async def open(self, request: ChannelRequest) -> None:
        assert isinstance(request, CallRequest)
        self._request = request
        try:
            async with asyncio.timeout(self._settings.open_timeout):
                await self._open(request)
        except TimeoutError:
            await self._release()
            raise ConnectionFailedError(
                f"the WebRTC connection did not open within {self._settings.open_timeout}s "
                "(no ICE/DTLS connection: check ice_servers and host_addresses)"
            ) from None
        except BaseException:
            await self._release()
            raise

    async def _open(self, request: CallRequest) -> None:
        loop = asyncio.get_running_loop()
        self._opened = loop.create_future()
        pc = await self._peer_connection()
        dc = pc.createDataChannel(DATA_CHANNEL)
        self._dc = dc
        pc.addTransceiver(self.media.outgoing, direction="sendrecv")
        pc.on("track", self.media.on_remote_track)
        pc.on("connectionstatechange", self._on_state)
        dc.on("open", self._on_open)
        dc.on("message", self._on_message)
        dc.on("close", self._on_dc_close)
        offer = await pc.createOffer()
        with host_addresses(self._settings.host_addresses):
            await pc.setLocalDescription(offer)  # gathers every candidate (no trickle)
        answer = await self._exchange(request, pc.localDescription.sdp)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
        except ValueError as exc:  # aiortc's SDP parser and its checks raise ValueError
            reason = redact(str(exc), request.api_key)
            raise ConnectionFailedError(f"the server's SDP answer is unusable: {reason}") from None
        await self._opened

    async def _exchange(self, request: CallRequest, offer: str) -> Answer:
        """The SDP exchange. Cancelled meanwhile (``close()`` during ``connect``), it is let
        finish (bounded): the server may have made the call, and its id is needed to hang up."""

        async def post() -> Answer:
            async with aiohttp.ClientSession() as http:
                answer = await exchange(
                    http,
                    request.url,
                    offer,
                    headers=request.headers,
                    api_key=request.api_key,
                    session={"type": "realtime", "model": request.model},
                )
            self.call_id = answer.call_id
            return answer

        task = asyncio.get_running_loop().create_task(post(), name="realtime_agents_webrtc sdp")
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._settings.close_timeout):
                    await task
            task.cancel()
            raise

    async def _peer_connection(self) -> RTCPeerConnection:
        servers = [RTCIceServer(**dict(server)) for server in self._settings.ice_servers]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        self._pc = pc
        change = self._settings.change_peer_connection
        if change is not None:
            changed = change(pc)
            if inspect.isawaitable(changed):
                changed = await changed
            if changed is not None and changed is not pc:
                if not isinstance(changed, RTCPeerConnection):
                    raise UserError("change_peer_connection must return an RTCPeerConnection")
                await pc.close()
                self._pc = pc = changed
        return pc

    def _on_open(self) -> None:
        self._was_open = True
        self.media.armed = True
        if self._opened is not None and not self._opened.done():
            self._opened.set_result(None)

    def _fail_opening(self, message: str) -> bool:
        opened = self._opened
        if opened is None or opened.done():
            return False
        opened.set_exception(ConnectionFailedError(message))
        return True

    # -- receiving ---------------------------------------------------------------------------

    def _on_message(self, message: str | bytes) -> None:
        if self._ended:
            return
        limit = self._settings.max_message_size
        if limit is not None and len(message) > limit:
            # aiortc reassembles messages of any size: the limit protects memory, as a
            # WebSocket's max_size does (hence the same close code).
            text = f"message too big: {len(message)} bytes > max_message_size={limit}"
            self.end(CloseInfo(1009, text, ConnectionClosedError(f"{text} (close code 1009)")))
            return
        self._on_frame(self, message)

    def _on_state(self) -> None:
        pc = self._pc
        if pc is None or self._ended:
            return
        state = pc.connectionState
        if state == "failed":
            text = "the WebRTC connection failed (ICE or DTLS gave up)"
            if not self._fail_opening(text):
                self.end(CloseInfo(1006, text, ConnectionClosedError(text)))
        elif state == "closed" and not self._fail_opening(
            "the server closed the WebRTC connection while opening"
        ):
            self.end(CloseInfo(1000, "the server ended the call"))

    def _on_dc_close(self) -> None:
        if self._ended:
            return
        if not self._fail_opening("the server closed the data channel while opening"):
            self.end(CloseInfo(1000, "the server closed the data channel"))

    def media_lost(self, seconds: float) -> None:
        """The reply track went quiet (no frames at all) for ``seconds``: the peer is gone."""
        # Media flows every 20 ms for the life of a call: it is the call's keepalive.
        text = f"keepalive failed: no media from the server for {seconds:g}s"
        self.end(CloseInfo(1006, text, ConnectionClosedError(text)))

    def end(self, info: CloseInfo) -> None:
        """The call ended by itself: release it in the background and tell the transport."""
        if self._ended:
            return
        self._ended = True
        self._release_task = asyncio.get_running_loop().create_task(
            self._release(), name="realtime_agents_webrtc call release"
        )
        self._on_close(self, info)

    # -- sending -------------------------------------------------------------------------------

    def write(self, frames: Sequence[str]) -> None:
        dc = self._dc
        if not self.is_open or dc is None:
            raise ConnectionClosedError("the WebRTC data channel is closed")
        for frame in frames:
            dc.send(frame)

    async def drain(self) -> None:
        dc = self._dc
        if dc is None or self._ended:
            raise ConnectionClosedError("the WebRTC data channel is closed")
        if dc.bufferedAmount <= _HIGH_WATER:
            return
        low = asyncio.get_running_loop().create_future()
        dc.bufferedAmountLowThreshold = _HIGH_WATER // 2

        def on_low() -> None:
            if not low.done():
                low.set_result(None)

        dc.once("bufferedamountlow", on_low)
        dc.once("close", on_low)
        await low
        if not self.is_open:
            raise ConnectionClosedError("the WebRTC data channel closed while sending")

    # -- closing -------------------------------------------------------------------------------

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        self._ended = True
        if self._release_task is None:
            self._release_task = asyncio.get_running_loop().create_task(
                self._release(), name="realtime_agents_webrtc call release"
            )
        await self.wait_released()

    def abort(self) -> None:
        if self._release_task is None:
            self._ended = True
            self._release_task = asyncio.get_running_loop().create_task(
                self._release(), name="realtime_agents_webrtc call release"
            )

    async def wait_released(self) -> None:
        """Return once the peer connection and the media are released (bounded)."""
        task = self._release_task
        if task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.close_timeout):
                    await asyncio.shield(task)

    async def _release(self) -> None:
        self._ended = True
        pc, self._pc = self._pc, None
        await self.media.aclose()
        if pc is not None:
            try:
                await pc.close()  # stops transceivers, senders, receivers and their tasks
            except Exception as exc:
                logger.debug("RTCPeerConnection.close failed: %r", exc)
        if self.call_id is not None and not self._was_open and self._request is not None:
            # The server made the call but ICE/DTLS never connected, so no goodbye can reach
            # it over the connection: tell it over HTTP instead of leaving it to time out.
            await hangup(self._request, self.call_id, timeout=self._settings.close_timeout)
