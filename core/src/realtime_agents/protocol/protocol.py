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

import binascii
import copy
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeAlias

from ..config import DEFAULT_MODEL, RealtimeSessionConfig
from ..errors import UserError
from ..events import (
    AudioDoneEvent,
    AudioEvent,
    AudioInterruptedEvent,
    ErrorEvent,
    FunctionCallEvent,
    ItemDeletedEvent,
    McpToolsListedEvent,
    OutputTextDeltaEvent,
    ServerEvent,
    TranscriptDeltaEvent,
    TurnStartedEvent,
)
from ..items import FunctionCallItem, ItemStatus, McpApprovalRequestItem, RealtimeItem
from .formats import WireAudioFormat, format_from_session
from .history import history_events
from .inbound import (
    SERVER_EVENT_TYPES,
    MalformedServerEventError,
    b64_decoded_length,
    interrupt_response_of,
    turn_done_event,
    usage_from_response,
)
from .outbound import (
    COMMIT_FRAME,
    append_audio_frame,
    encode,
    function_call_output_event,
    mcp_approval_response_event,
    retrieve_item_event,
    session_update_event,
    truncate_event,
    user_message_event,
)
from .payload import build_session_payload
from .playback import PlaybackTracker
from .sequencer import ResponseCreateSequencer
from .wire_items import (
    function_call_from_wire,
    mcp_approval_request_from_wire,
    mcp_call_from_wire,
    message_from_wire,
)

__all__ = ["Events", "OpenAIRealtimeProtocol", "Wants"]

logger = logging.getLogger("realtime_agents.protocol")

#: ``(event name, payload)`` pairs to publish, in order.
Events: TypeAlias = list[tuple[str, object]]
#: Whether anyone listens to an event name (a transport passes ``emitter.has_listeners``).
Wants: TypeAlias = Callable[[str], bool]
_Handler: TypeAlias = Callable[[dict[str, Any], Events, Wants], None]

#: How many answered call ids / response-owned function-call items to remember.
_MAX_REMEMBERED: Final = 1024


def _everything(name: str) -> bool:
    return True


def _str_field(event: Mapping[str, Any], key: str) -> str:
    value = event[key]
    if type(value) is not str:
        raise TypeError(f"{key} must be a string, got {type(value).__name__}")
    return value


def _mapping_field(event: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = event[key]
    if not isinstance(value, dict):
        raise TypeError(f"{key} must be an object, got {type(value).__name__}")
    return value


def _remember(store: dict[str, Any], key: str, value: Any = None) -> None:
    store[key] = value
    if len(store) > _MAX_REMEMBERED:
        del store[next(iter(store))]


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
        self._session: dict[str, Any] | None = None
        self._interrupt_response = False
        self._tracing: object = "auto"
        self._answered_calls: dict[str, None] = {}
        self._call_responses: dict[str, str | None] = {}  # function_call item id → response id
        self._handlers: dict[str, _Handler] = {
            "response.output_audio.delta": self._on_output_audio_delta,
            "response.output_audio.done": self._on_output_audio_done,
            "response.output_audio_transcript.delta": self._on_transcript_delta,
            "response.output_text.delta": self._on_output_text_delta,
            "response.created": self._on_response_created,
            "response.done": self._on_response_done,
            "response.output_item.added": self._on_output_item,
            "response.output_item.done": self._on_output_item,
            "conversation.item.added": self._on_conversation_item,
            "conversation.item.done": self._on_conversation_item,
            "conversation.item.retrieved": self._on_conversation_item,
            "conversation.item.deleted": self._on_item_deleted,
            "conversation.item.input_audio_transcription.completed": self._on_retrieve_item,
            "conversation.item.truncated": self._on_retrieve_item,
            "response.mcp_call.in_progress": self._on_retrieve_item,
            "mcp_list_tools.in_progress": self._on_retrieve_item,
            "input_audio_buffer.speech_started": self._on_speech_started,
            "session.created": self._on_session_created,
            "session.updated": self._on_session_updated,
            "error": self._on_error,
        }
        for name in SERVER_EVENT_TYPES:
            self._handlers.setdefault(name, self._on_other)

    # -- state -------------------------------------------------------------------------------

    @property
    def session(self) -> dict[str, Any] | None:
        """The last ``session`` from ``session.created``/``session.updated``; don't mutate it."""
        return self._session

    @property
    def output_format(self) -> WireAudioFormat:
        """The session's output audio format (PCM16 24 kHz until the server says otherwise)."""
        return self._playback.format

    @property
    def interrupt_response(self) -> bool:
        """Whether the server cancels responses itself when the user speaks (turn detection)."""
        return self._interrupt_response

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
        self._session = None
        self._interrupt_response = False
        self._tracing = "auto"
        self._answered_calls.clear()
        self._call_responses.clear()

    def _queue(self, event: Mapping[str, Any]) -> None:
        self._outbox.append(encode(event))

    # -- inbound -----------------------------------------------------------------------------

    def receive_frame(self, frame: str | bytes, wants: Wants | None = None) -> Events:
        """Handle one frame from the server; return the events to publish, in order.

        Order: ``("*", ServerEvent)`` (a private copy), ``(type, ServerEvent)`` for known
        event types (``error`` is published as ``("error", ErrorEvent)`` instead), then the
        derived events. ``wants(name)`` False skips building that payload; None means
        everything is wanted. Binary and non-JSON frames give ``[]``; unknown types give
        only ``*``; a known event the protocol cannot read gives ``*`` and an ``error``
        event carrying a :class:`MalformedServerEventError`. Never raises for any input.
        """
        if type(frame) is not str:
            return []
        try:
            event = json.loads(frame)
        except ValueError:
            return []
        if type(event) is not dict:
            return []
        event_type = event.get("type")
        if type(event_type) is not str:
            return []
        if wants is None:
            wants = _everything
        out: Events = []
        if wants("*"):
            # Re-parsing is a faster deep copy than copy.deepcopy, and a faithful one.
            out.append(("*", ServerEvent(event_type, json.loads(frame))))
        handler = self._handlers.get(event_type)
        if handler is None:
            return out
        mark = len(out)
        if event_type != "error" and wants(event_type):
            out.append((event_type, ServerEvent(event_type, event)))
        try:
            handler(event, out, wants)
        except Exception as exc:
            del out[mark:]
            out.append(("error", ErrorEvent(MalformedServerEventError(event_type, exc, event))))
        return out

    def _on_other(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        """A known event with no derived behaviour: published under its own name only."""

    def _on_output_audio_delta(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        response_id = event.get("response_id")
        if self._playback.is_discarded(response_id):
            return  # late audio of an interrupted response: never played
        delta = event["delta"]
        item_id = event["item_id"]
        content_index = event.get("content_index", 0)
        if type(item_id) is not str or type(content_index) is not int or type(delta) is not str:
            raise TypeError("item_id, content_index and delta must be str, int and str")
        if wants("audio"):
            data = binascii.a2b_base64(delta)
            self._playback.on_delta(response_id, item_id, content_index, len(data))
            out.append(("audio", AudioEvent(data, response_id, item_id, content_index)))
        else:
            self._playback.on_delta(response_id, item_id, content_index, b64_decoded_length(delta))

    def _on_output_audio_done(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        item_id = _str_field(event, "item_id")
        self._playback.on_audio_done(item_id, event.get("content_index", 0))
        if wants("audio_done"):
            out.append(("audio_done", AudioDoneEvent(item_id, event.get("response_id"))))

    def _on_transcript_delta(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        if wants("audio_transcript_delta"):
            payload = TranscriptDeltaEvent(
                _str_field(event, "item_id"), _str_field(event, "delta"), event.get("response_id")
            )
            out.append(("audio_transcript_delta", payload))

    def _on_output_text_delta(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        if wants("output_text_delta"):
            payload = OutputTextDeltaEvent(
                _str_field(event, "item_id"), _str_field(event, "delta"), event.get("response_id")
            )
            out.append(("output_text_delta", payload))

    def _on_response_created(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        response = _mapping_field(event, "response")
        response_id = response.get("id")
        self._sequencer.on_response_created(response_id if isinstance(response_id, str) else None)
        if wants("turn_started"):
            out.append(("turn_started", TurnStartedEvent(event)))

    def _on_response_done(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        # The response is over whatever its payload looks like: release the sequencer first.
        response = event.get("response")
        response_id = response.get("id") if isinstance(response, dict) else None
        self._playback.on_response_done(response_id)
        self._sequencer.on_response_done()
        for item_id in [k for k, v in self._call_responses.items() if v == response_id]:
            del self._call_responses[item_id]
        response = _mapping_field(event, "response")
        usage = usage_from_response(response)
        turn_done = turn_done_event(response, usage)
        if wants("usage_update"):
            out.append(("usage_update", usage))
        if wants("turn_done"):
            out.append(("turn_done", turn_done))

    def _on_output_item(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        item = _mapping_field(event, "item")
        done = event["type"] == "response.output_item.done"
        kind = item.get("type")
        response_id = event.get("response_id")
        if kind == "function_call":
            _remember(self._call_responses, _str_field(item, "id"), response_id)
            self._function_call(item, response_id, None, out, wants)
        elif kind in ("mcp_call", "mcp_tool_call"):
            call = mcp_call_from_wire(item, status="completed" if done else "in_progress")
            self._item_update(call, out, wants)
        elif kind == "message":
            status: ItemStatus = "completed" if done else "in_progress"
            self._item_update(message_from_wire(item, default_status=status), out, wants)

    def _on_conversation_item(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        item = _mapping_field(event, "item")
        event_type = event["type"]
        done = event_type == "conversation.item.done"
        retrieved = event_type == "conversation.item.retrieved"
        previous = None if retrieved else event.get("previous_item_id")
        kind = item.get("type")
        if kind == "message":
            status: ItemStatus = (
                "in_progress" if event_type == "conversation.item.added" else "completed"
            )
            message = message_from_wire(item, default_status=status, previous_item_id=previous)
            self._item_update(message, out, wants)
        elif kind == "mcp_list_tools" and done:
            tools = item.get("tools") or []
            if not isinstance(tools, list):
                raise TypeError("mcp_list_tools tools must be a list")
            label = item.get("server_label")
            listed = McpToolsListedEvent(label if isinstance(label, str) else "", tools)
            if wants("mcp_tools_listed"):
                out.append(("mcp_tools_listed", listed))
        elif kind == "mcp_approval_request" and done:
            request = mcp_approval_request_from_wire(item)
            self._item_update(request, out, wants)
            if wants("mcp_approval_request"):
                out.append(("mcp_approval_request", request))
        elif kind in ("mcp_call", "mcp_tool_call"):
            call = mcp_call_from_wire(item, status="completed" if done else "in_progress")
            self._item_update(call, out, wants)
            if done and wants("mcp_tool_call_completed"):
                out.append(("mcp_tool_call_completed", call))
        elif kind == "function_call" and not retrieved:
            item_id = _str_field(item, "id")
            # Only calls the model made in a response (never client-created items) run tools.
            if item_id in self._call_responses:
                self._function_call(item, self._call_responses[item_id], previous, out, wants)

    def _function_call(
        self,
        item: Mapping[str, Any],
        response_id: str | None,
        previous_item_id: str | None,
        out: Events,
        wants: Wants,
    ) -> None:
        """``item_update`` + ``function_call`` for a completed call, once per ``call_id``.

        ``response.output_item.done`` and ``conversation.item.done`` both carry the finished
        call; whichever arrives first publishes it.
        """
        if item.get("status") != "completed":
            return
        tool_item = function_call_from_wire(item, previous_item_id=previous_item_id)
        key = tool_item.call_id or tool_item.item_id
        if key in self._answered_calls:
            return
        call = FunctionCallEvent(
            name=tool_item.name,
            call_id=tool_item.call_id or "",
            arguments=tool_item.arguments,
            id=tool_item.item_id,
            previous_item_id=tool_item.previous_item_id,
            response_id=response_id,
        )
        _remember(self._answered_calls, key)
        self._item_update(tool_item, out, wants)
        if wants("function_call"):
            out.append(("function_call", call))

    def _item_update(self, item: RealtimeItem | None, out: Events, wants: Wants) -> None:
        if item is not None and wants("item_update"):
            out.append(("item_update", item))

    def _on_item_deleted(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        item_id = _str_field(event, "item_id")
        if wants("item_deleted"):
            out.append(("item_deleted", ItemDeletedEvent(item_id)))

    def _on_retrieve_item(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        """Ask for the whole item rather than rebuilding it from partial events."""
        if event["type"] == "mcp_list_tools.in_progress" and not event.get("item_id"):
            return
        self._queue(retrieve_item_event(_str_field(event, "item_id")))

    def _on_speech_started(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        if not self._playback.playing:
            return
        # When the server cancels on speech itself, a second cancel would only draw an error.
        events = self.interrupt(cancel_ongoing_response=not self._interrupt_response)
        out.extend(pair for pair in events if wants(pair[0]))

    def _on_session_created(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        self._cache_session(event)
        assert self._session is not None
        self._apply_tracing(self._session.get("tracing"))

    def _on_session_updated(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        self._cache_session(event)

    def _cache_session(self, event: dict[str, Any]) -> None:
        session = copy.deepcopy(_mapping_field(event, "session"))
        self._session = session
        self._playback.format = format_from_session(session, "output")
        self._interrupt_response = interrupt_response_of(session)

    def _apply_tracing(self, server_tracing: object) -> None:
        """Send the initial config's tracing once the session exists (it is set only once)."""
        tracing = self._tracing
        if (
            tracing != "auto"
            and isinstance(server_tracing, Mapping)
            and not isinstance(tracing, str)
        ):
            logger.warning(
                "tracing is already configured for this session and cannot be changed; "
                "keeping the server's tracing config"
            )
            return
        value = dict(tracing) if isinstance(tracing, Mapping) else tracing
        self._queue(session_update_event({"type": "realtime", "tracing": value}))

    def _on_error(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        if wants("error"):
            out.append(("error", ErrorEvent(event)))
        self._sequencer.on_error(event)

    # -- outbound ----------------------------------------------------------------------------

    def session_update(self, config: RealtimeSessionConfig | Mapping[str, Any] | None) -> None:
        """Queue ``session.update`` with :func:`build_session_payload` of ``config``.

        ``config["tracing"]``, when present, is remembered and sent after ``session.created``
        (tracing is never part of the payload; "auto" when never given).
        """
        if config and "tracing" in config:
            self._tracing = config["tracing"]
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

        Queues ``response.cancel`` (only while a response is ongoing, once) when asked, then
        ``conversation.item.truncate`` at the played position for each unfinished item (the
        playing one first; items queued behind it at 0). Audio arriving later for the
        interrupted responses is dropped.
        """
        if cancel_ongoing_response:
            response_id = self._sequencer.ongoing_response_id
            if self._sequencer.cancel() and response_id is not None:
                self._playback.discard(response_id)
        truncations = self._playback.interrupt()
        for truncation in truncations:
            self._queue(truncate_event(*truncation))
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
