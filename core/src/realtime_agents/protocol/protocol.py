"""``OpenAIRealtimeProtocol``: the OpenAI Realtime wire protocol, without I/O.

One object per connection, shared by every OpenAI transport (WebSocket, WebRTC data channel,
SIP, Cloudflare). Data in, events out, bytes out — as websockets' sans-I/O protocol:

* the transport feeds each text frame it receives to :meth:`~OpenAIRealtimeProtocol.receive_frame`
  and publishes the returned ``(name, payload)`` pairs, in order;
* the session's intents (:meth:`~OpenAIRealtimeProtocol.send_message`,
  :meth:`~OpenAIRealtimeProtocol.interrupt`, ...) queue client events; the transport sends
  :meth:`~OpenAIRealtimeProtocol.data_to_send` after every call, *including* after
  ``receive_frame`` (a frame may release a held ``response.create`` or ask to retrieve an item).

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
from ..items import FunctionCallItem, McpApprovalRequestItem, RealtimeItem
from .formats import WireAudioFormat
from .history import history_events
from .inbound import Events, ServerEventMapper, Wants
from .outbound import (
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
from .playback import PlaybackTracker
from .sequencer import ResponseCreateSequencer
from .server_events import MalformedServerEventError

__all__ = ["Events", "MalformedServerEventError", "OpenAIRealtimeProtocol", "Wants"]

logger = logging.getLogger("realtime_agents.protocol")


class OpenAIRealtimeProtocol:
    """The sans-I/O OpenAI Realtime protocol (see the module docstring for who calls what)."""

    def __init__(
        self, model: str = DEFAULT_MODEL, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        #: The model named in ``session.update`` when the config has none.
        self.model = model
        self._outbox: list[str] = []
        self._sequencer = ResponseCreateSequencer(self._queue)
        self._playback = PlaybackTracker(clock)
        self._inbound = ServerEventMapper(
            playback=self._playback,
            sequencer=self._sequencer,
            queue=self._queue,
            interrupt=lambda cancel: self.interrupt(cancel_ongoing_response=cancel),
        )

    # -- state -------------------------------------------------------------------------------

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
        """Whether assistant audio may still be playing (what a barge-in would truncate)."""
        return self._playback.playing

    def data_to_send(self) -> list[str]:
        """Return the client events queued so far (JSON text frames, in order) and forget them."""
        frames, self._outbox = self._outbox, []
        return frames

    def reset(self) -> None:
        """Forget the connection: call on close and before each (re)connect.

        Drops playback state, waiting ``response.create`` requests (a new sequencer
        generation), the cached session, remembered calls, the tracing setting, and anything
        queued but not yet drained: none of it applies to the next connection.
        """
        self._outbox.clear()
        self._sequencer.reset()
        self._playback.reset()
        self._inbound.reset()

    def _queue(self, event: Mapping[str, Any]) -> None:
        self._outbox.append(encode(event))

    # -- inbound -----------------------------------------------------------------------------

    def receive_frame(self, frame: str | bytes, wants: Wants | None = None) -> Events:
        """Handle one frame from the server; return the events to publish, in order.

        Order: ``("*", ServerEvent)`` (a private copy), ``(type, ServerEvent)`` for known
        event types (``error`` is published as ``("error", ErrorEvent)`` instead), then the
        derived events. ``wants(name)`` False skips building that payload (above all the
        copy for ``*``); None means everything is wanted. Binary and non-JSON frames give
        ``[]``; unknown types give only ``*``; a known event the protocol cannot read gives
        ``*`` and an ``error`` carrying a :class:`MalformedServerEventError`. Never raises.
        Client events it queues (retrieves, released creates) are in :meth:`data_to_send`.
        """
        return self._inbound.receive_frame(frame, wants)

    # -- outbound ----------------------------------------------------------------------------

    def session_update(self, config: RealtimeSessionConfig | Mapping[str, Any] | None) -> None:
        """Queue ``session.update`` with :func:`build_session_payload` of ``config``.

        ``config["tracing"]``, when present, is remembered and sent after ``session.created``
        (tracing is never part of the payload; "auto" when never given).
        """
        if config and "tracing" in config:
            self._inbound.tracing = config["tracing"]
        self._queue(session_update_event(build_session_payload(config, model=self.model)))

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
        self._outbox.append(append_audio_frame(pcm))
        if commit:
            self._outbox.append(COMMIT_FRAME)

    def send_function_call_output(
        self, call: FunctionCallEvent, output: str, start_response: bool = True
    ) -> Events:
        """Queue a ``function_call_output`` item; return the ``item_update`` to publish.

        The item_update carries the call as a completed item with its output (absent when
        the call has no item id). ``start_response`` asks for the next response.
        """
        self._queue(function_call_output_event(call.call_id, output))
        events: Events = []
        if call.id is not None:
            item = FunctionCallItem(
                item_id=call.id,
                name=call.name,
                arguments=call.arguments,
                call_id=call.call_id,
                output=output,
                status="completed",
                previous_item_id=call.previous_item_id,
            )
            events.append(("item_update", item))
        else:
            logger.debug("function call %s has no item id: no item_update", call.call_id)
        if start_response:
            self._sequencer.request_auto()
        return events

    def send_raw(self, event: Mapping[str, Any]) -> None:
        """Queue any client event; ``response.create`` and ``response.cancel`` are sequenced.

        A raw ``response.create`` is a manual request: held until no response is ongoing,
        sent with its body. A raw ``response.cancel`` is dropped when no response is ongoing
        or one was already cancelled; once sent, late audio of that response is dropped.
        """
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            raise UserError("a client event is a mapping with a string 'type'")
        encode(event)  # fail before any state changes if it cannot be sent
        if event["type"] == "response.create":
            self._sequencer.request_manual(event)
        elif event["type"] == "response.cancel":
            response_id = event.get("response_id") or self._sequencer.ongoing_response_id
            if self._sequencer.cancel(event) and isinstance(response_id, str):
                self._playback.discard(response_id)  # audio still in flight is never played
        else:
            self._queue(event)

    def request_response(self, response: Mapping[str, Any] | None = None) -> None:
        """Ask for a response: coalesced with others when ``response`` is None, else manual."""
        if response is None:
            self._sequencer.request_auto()
        else:
            self.send_raw({"type": "response.create", "response": dict(response)})

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

    def interrupt(self, *, cancel_ongoing_response: bool = True) -> Events:
        """Stop the assistant now; return ``audio_interrupted`` if audio was playing.

        Queues ``conversation.item.truncate`` at the played position for each unfinished item
        (the playing one first; items queued behind it at 0), then, when asked,
        ``response.cancel`` (only while a response is ongoing, once). Audio arriving later for
        the interrupted responses is dropped.

        Truncate goes first (the JS SDK sends cancel first): the server handles events in
        order, and the truncate is what stops the model believing the user heard everything,
        so it should take effect as early as possible. Cancelling second is safe: a truncated
        item of an ongoing response is still cancelled with it.
        """
        truncations = self._playback.interrupt()
        for truncation in truncations:
            self._queue(truncate_event(*truncation))
        if cancel_ongoing_response:
            response_id = self._sequencer.ongoing_response_id
            if self._sequencer.cancel() and response_id is not None:
                self._playback.discard(response_id)
        if not truncations:
            return []
        first = truncations[0]
        return [("audio_interrupted", AudioInterruptedEvent(*first))]

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
        reports instead of the wall clock; an item never reported counts as unheard.
        """
        if (ms is None) == (bytes is None):
            raise UserError("on_played takes exactly one of ms= or bytes=")
        position = self._playback.bytes_to_ms(bytes) if bytes is not None else ms
        assert position is not None
        if not math.isfinite(position) or position < 0:
            raise UserError(f"on_played position must be a finite number >= 0, got {position!r}")
        self._playback.on_played(item_id, content_index, position)
