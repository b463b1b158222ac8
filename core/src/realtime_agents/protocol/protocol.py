"""``OpenAIRealtimeProtocol``: the OpenAI Realtime wire protocol, without I/O.

One object per connection, shared by every OpenAI transport (WebSocket, WebRTC data channel,
SIP, Cloudflare); a new connection gets a new object, so there is nothing to reset. Data in,
events out, bytes out — as websockets' sans-I/O protocol:

* the transport feeds each frame it receives to :meth:`~OpenAIRealtimeProtocol.receive_frame`;
* the session's intents (:meth:`~OpenAIRealtimeProtocol.send_message`,
  :meth:`~OpenAIRealtimeProtocol.interrupt`, ...) queue client events and, for some, events;
* after every call — a frame *or* an intent — the transport publishes
  :meth:`~OpenAIRealtimeProtocol.events_received` (``(name, payload)`` pairs, in order) and
  sends :meth:`~OpenAIRealtimeProtocol.data_to_send` (JSON text frames, in order). A frame may
  queue client events too (a released ``response.create``, an item retrieve), and an intent
  events (``interrupt`` → ``audio_interrupted``).

``wants`` (a constructor keyword and a reassignable attribute) says whether anyone listens to
an event name, so payloads nobody would receive are never built.

The *media mode* says where assistant audio goes. ``"inline"`` (WebSocket, Cloudflare,
Twilio): in ``response.output_audio.delta`` events the client plays, so the protocol tracks
playback and a barge-in truncates the item at the heard position (then cancels). ``"track"``
(WebRTC, SIP): on a media track or phone line the server plays from its output audio buffer,
so ``output_audio_buffer.started``/``stopped``/``cleared`` say what plays, and a barge-in is
``response.cancel`` then ``output_audio_buffer.clear``, never a truncate.

No asyncio, no sockets, no threads: time comes from the ``clock`` given at construction
(seconds, ``time.monotonic`` by default), so tests drive it deterministically. Not
thread-safe: one owner calls it, as a transport's read loop and its send methods do.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..config import DEFAULT_MODEL, RealtimeSessionConfig
from ..errors import UserError
from ..events import AudioInterruptedEvent, FunctionCallEvent
from ..items import McpApprovalRequestItem, RealtimeItem
from .codec import WireCodec, default_codec
from .formats import WireAudioFormat
from .history import history_events
from .inbound import Events, MediaMode, ServerEventMapper, Wants
from .outbound import (
    CLEAR_OUTPUT_AUDIO_EVENT,
    COMMIT_FRAME,
    append_audio_frame,
    encode,
    function_call_output_event,
    mcp_approval_response_event,
    session_update_event,
    truncate_event,
    user_message_event,
)
from .payload import build_session_payload
from .playback import OutputAudioBuffer, PlaybackTracker
from .sequencer import ResponseCreateSequencer
from .server_events import MalformedServerEventError, OddAudioDeltaError

__all__ = [
    "Events",
    "MalformedServerEventError",
    "MediaMode",
    "OddAudioDeltaError",
    "OpenAIRealtimeProtocol",
    "Wants",
]

logger = logging.getLogger("realtime_agents.protocol")


class OpenAIRealtimeProtocol:
    """The sans-I/O OpenAI Realtime protocol (see the module docstring for who calls what)."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        clock: Callable[[], float] = time.monotonic,
        media: MediaMode = "inline",
        wants: Wants | None = None,
        secret: str | None = None,
        audio_formats: bool = True,
        codec: WireCodec | None = None,
    ) -> None:
        if media not in ("inline", "track"):
            raise UserError(f"media must be 'inline' or 'track', got {media!r}")
        #: The model named in ``session.update`` when the config has none.
        self.model = model
        #: Whether ``session.update`` carries audio formats (not on SIP: the call negotiates).
        self.audio_formats = audio_formats
        self._media: MediaMode = media
        #: JSON and base64 of the audio path (:mod:`.codec`): accelerated when installed.
        self.codec = codec = codec or default_codec()
        self._b64encode = codec.b64encode
        self._outbox: list[str] = []
        self._sequencer = ResponseCreateSequencer(self._queue)
        self._playback = PlaybackTracker(clock)
        self._buffer = OutputAudioBuffer()
        self._inbound = ServerEventMapper(
            media=media,
            playback=self._playback,
            buffer=self._buffer,
            sequencer=self._sequencer,
            queue=self._queue,
            on_speech_started=self._on_speech_started,
            wants=wants,
            codec=codec,
        )
        # Only to redact it: a server (or proxy) may echo the key in a frame we quote.
        self._inbound.secret = secret

    # -- state -------------------------------------------------------------------------------

    @property
    def media(self) -> MediaMode:
        """Where assistant audio goes: ``"inline"`` (in events) or ``"track"`` (server-played)."""
        return self._media

    @property
    def wants(self) -> Wants | None:
        """Whether anyone listens to an event name; None (the default) means everyone does.

        Events whose name it rejects are neither built nor queued (above all the private copy
        for ``*``); state changes regardless. Reassign it when listeners change.
        """
        return self._inbound.wants

    @wants.setter
    def wants(self, wants: Wants | None) -> None:
        self._inbound.wants = wants

    @property
    def session(self) -> dict[str, Any] | None:
        """The last ``session`` from ``session.created``/``session.updated``; don't mutate it."""
        return self._inbound.session

    @property
    def output_format(self) -> WireAudioFormat:
        """The session's output audio format (PCM16 24 kHz until the server says otherwise)."""
        return self._playback.format

    @property
    def interrupt_response(self) -> bool:
        """Whether the server cancels responses itself when the user speaks (turn detection)."""
        return self._inbound.interrupt_response

    @property
    def response_ongoing(self) -> bool:
        """Whether a response is between ``response.created`` and ``response.done``."""
        return self._sequencer.ongoing

    @property
    def audio_playing(self) -> bool:
        """Whether assistant audio may still be playing (what a barge-in would stop).

        Inline: tracked audio not yet played out. Track: between ``output_audio_buffer.started``
        and ``stopped``/``cleared`` (or an interrupt).
        """
        if self._media == "track":
            return self._buffer.playing
        return self._playback.playing

    def data_to_send(self) -> list[str]:
        """Return the client events queued so far (JSON text frames, in order) and forget them."""
        frames, self._outbox = self._outbox, []
        return frames

    def events_received(self) -> Events:
        """Return the events queued so far (``(name, payload)`` pairs, in order) and forget them."""
        inbound = self._inbound
        events, inbound.events = inbound.events, []
        return events

    def _queue(self, event: Mapping[str, Any]) -> None:
        self._outbox.append(encode(event))

    # -- inbound -----------------------------------------------------------------------------

    def receive_frame(self, frame: str | bytes) -> None:
        """Handle one frame from the server; its events go to :meth:`events_received`.

        Order: ``("*", ServerEvent)`` (a private copy), ``(type, ServerEvent)`` for known
        event types (``error`` is published as ``("error", ErrorEvent)`` instead), then the
        derived events, each only if :attr:`wants` it. Binary and non-JSON frames give one
        ``error`` carrying an :class:`UnreadableFrameError`; unknown types give only ``*``; a
        known event the protocol cannot read gives ``*`` and an ``error`` carrying a
        :class:`MalformedServerEventError` (so does an audio delta that is not strictly
        base64: no junk audio); a PCM16 delta of odd length is delivered and flagged once per
        item (:class:`OddAudioDeltaError`). Quoted frames and server ``error`` events never
        show ``secret`` (the constructor's key, kept only to redact it). Never raises.
        Client events it queues (retrieves,
        released creates, a barge-in's cancel) are in :meth:`data_to_send`.
        """
        self._inbound.receive_frame(frame)

    def _on_speech_started(self) -> None:
        """The user started speaking: stop the assistant unless the server already does."""
        if self._media == "inline":
            if self._playback.playing:
                # When the server cancels on speech itself, a second cancel only draws an error.
                self.interrupt(cancel_ongoing_response=not self.interrupt_response)
        elif not self.interrupt_response:
            self.interrupt()
        elif self._buffer.playing:
            # The server cancels and clears by itself; only the listeners need telling.
            self._buffer.on_stopped()
            self._inbound.publish("audio_interrupted", self._interrupted(self._buffer.response_id))

    # -- outbound ----------------------------------------------------------------------------

    def session_update(self, config: RealtimeSessionConfig | Mapping[str, Any] | None) -> None:
        """Queue ``session.update`` with :func:`build_session_payload` of ``config``.

        ``config["tracing"]``, when present, is remembered and sent after ``session.created``
        (tracing is never part of the payload; "auto" when never given).
        """
        if config and "tracing" in config:
            self._inbound.tracing = config["tracing"]
        payload = build_session_payload(config, model=self.model, audio_formats=self.audio_formats)
        self._queue(session_update_event(payload))

    def send_message(
        self,
        message: str | Mapping[str, Any],
        other_event_data: Mapping[str, Any] | None = None,
        *,
        trigger_response: bool = True,
    ) -> None:
        """Queue a user message (``conversation.item.create``), then ask for a response."""
        self._queue(user_message_event(message, other_event_data))
        if trigger_response:
            self._sequencer.request_auto()

    def add_image(self, image: str, *, trigger_response: bool = True) -> None:
        """Queue a user message holding one image (a data URL or URL)."""
        content = [{"type": "input_image", "image": image}]
        message = {"type": "message", "role": "user", "content": content}
        self.send_message(message, trigger_response=trigger_response)

    def send_audio(self, pcm: bytes, *, commit: bool = False) -> None:
        """Queue ``input_audio_buffer.append`` (and ``commit``, ending the user's turn)."""
        self._outbox.append(append_audio_frame(pcm, self._b64encode))
        if commit:
            self._outbox.append(COMMIT_FRAME)

    def send_function_call_output(
        self, call: FunctionCallEvent, output: str, start_response: bool = True
    ) -> None:
        """Queue a ``function_call_output`` item and the ``item_update`` event for it.

        The item_update carries the call as a completed item with its output (none when the
        call has no item id). ``start_response`` asks for the next response.
        """
        self._queue(function_call_output_event(call.call_id, output))
        if call.id is not None:
            self._inbound.publish("item_update", call.answered(output))
        else:
            logger.debug("function call %s has no item id: no item_update", call.call_id)
        if start_response:
            self._sequencer.request_auto()

    def send_raw(self, event: Mapping[str, Any]) -> None:
        """Queue any client event; ``response.create`` and ``response.cancel`` are sequenced.

        A raw ``response.create`` is a manual request: held until no response is ongoing,
        sent with its body. A raw ``response.cancel`` is dropped when no response is ongoing
        or one was already cancelled; once sent, late inline audio of that response is dropped.
        """
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            raise UserError("a client event is a mapping with a string 'type'")
        encode(event)  # fail before any state changes if it cannot be sent
        if event["type"] == "response.create":
            self._sequencer.request_manual(event)
        elif event["type"] == "response.cancel":
            response_id = event.get("response_id")
            self._cancel(event, response_id if isinstance(response_id, str) else None)
        else:
            self._queue(event)

    def request_response(self, response: Mapping[str, Any] | None = None) -> None:
        """Ask for a response: coalesced with others when ``response`` is None, else manual."""
        if response is None:
            self._sequencer.request_auto()
        else:
            self.send_raw({"type": "response.create", "response": dict(response)})

    def cancel_response(self, response_id: str | None = None) -> None:
        """Queue ``response.cancel`` for the ongoing response (only while one is, once).

        ``response_id`` names the response to cancel; a response that is not the ongoing one
        is over already, so nothing is sent. Inline, later audio of it is dropped.
        """
        ongoing = self._sequencer.ongoing_response_id
        if response_id is None:
            self._cancel()
        elif ongoing is None or ongoing == response_id:
            self._cancel({"type": "response.cancel", "response_id": response_id}, response_id)

    def _cancel(
        self, event: Mapping[str, Any] | None = None, response_id: str | None = None
    ) -> None:
        """``response.cancel`` through the sequencer; inline, drop the response's late audio."""
        response_id = response_id or self._sequencer.ongoing_response_id
        if self._sequencer.cancel(event) and self._media == "inline" and response_id is not None:
            self._playback.discard(response_id)  # audio still in flight is never played

    def reset_history(self, old: Sequence[RealtimeItem], new: Sequence[RealtimeItem]) -> None:
        """Queue the deletes and creates turning ``old`` into ``new`` on the server.

        Raises :class:`~realtime_agents.errors.UserError`, queueing nothing, when ``new``
        adds or changes an assistant message with audio.
        """
        for event in history_events(old, new):
            self._queue(event)

    def send_mcp_response(
        self, request: McpApprovalRequestItem, approved: bool, reason: str | None = None
    ) -> None:
        """Queue the answer to a hosted MCP server's approval request."""
        self._queue(mcp_approval_response_event(request, approved, reason))

    def interrupt(self, *, cancel_ongoing_response: bool = True) -> None:
        """Stop the assistant now; queue ``audio_interrupted`` when there was something to stop.

        Inline: queues ``conversation.item.truncate`` at the played position for each
        unfinished item (the playing one first; items queued behind it at 0), then, when
        asked, ``response.cancel`` (only while a response is ongoing, once). Audio arriving
        later for the interrupted responses is dropped. ``audio_interrupted`` (with the
        playing item's truncation) only when audio was playing.

        Truncate goes first (the JS SDK sends cancel first): the server handles events in
        order, and the truncate is what stops the model believing the user heard everything,
        so it should take effect as early as possible. Cancelling second is safe: a truncated
        item of an ongoing response is still cancelled with it.

        Track: ``response.cancel`` when asked (as above), then always
        ``output_audio_buffer.clear`` — the server knows better than the client what is still
        buffered, and truncates the conversation itself. ``audio_interrupted`` (no
        ``audio_end_ms``) when audio was playing or a response not yet cancelled was ongoing.
        """
        if self._media == "track":
            self._interrupt_track(cancel_ongoing_response)
            return
        truncations = self._playback.interrupt()
        for truncation in truncations:
            self._queue(truncate_event(*truncation))
        if cancel_ongoing_response:
            self._cancel()
        if truncations:
            self._inbound.publish("audio_interrupted", AudioInterruptedEvent(*truncations[0]))

    def _interrupt_track(self, cancel_ongoing_response: bool) -> None:
        buffer, sequencer = self._buffer, self._sequencer
        # A response already cancelled was interrupted before: listeners heard about it then.
        stopped = buffer.playing or (sequencer.ongoing and not sequencer.cancelled)
        response_id = buffer.response_id if buffer.playing else sequencer.ongoing_response_id
        if cancel_ongoing_response:
            self._cancel()
        self._queue(CLEAR_OUTPUT_AUDIO_EVENT)
        buffer.on_stopped()
        if stopped:
            self._inbound.publish("audio_interrupted", self._interrupted(response_id))

    def _interrupted(self, response_id: str | None) -> AudioInterruptedEvent:
        """Track mode's ``audio_interrupted``: the response's audio item if it was announced."""
        part = self._buffer.part_of(response_id)
        return AudioInterruptedEvent() if part is None else AudioInterruptedEvent(*part)

    def on_played(
        self,
        item_id: str,
        content_index: int = 0,
        *,
        ms: float | None = None,
        bytes: int | None = None,  # shadows the builtin: the name transports are written against
    ) -> None:
        """Report real playback: the first ``ms`` milliseconds (or ``bytes``) of an item played.

        Positions are cumulative and only move forward. Once called, truncation uses these
        reports instead of the wall clock; an item never reported counts as unheard. Only
        inline media is truncated; in track mode the server knows what played.
        """
        if (ms is None) == (bytes is None):
            raise UserError("on_played takes exactly one of ms= or bytes=")
        position = self._playback.bytes_to_ms(bytes) if bytes is not None else ms
        assert position is not None
        if not math.isfinite(position) or position < 0:
            raise UserError(f"on_played position must be a finite number >= 0, got {position!r}")
        self._playback.on_played(item_id, content_index, position)
