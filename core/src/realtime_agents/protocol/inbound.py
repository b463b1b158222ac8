"""Server frames → transport events (js-sdk-behaviour §2.1).

What is queued for a frame, in order (appended to :attr:`ServerEventMapper.events`, which
the protocol drains):

* every JSON object with a string ``type`` → ``*`` (a private copy of the whole frame);
* each of the :data:`~.server_events.SERVER_EVENT_TYPES` → also its own ``type`` name, except
  ``error``, which is published as ``error`` (:class:`~realtime_agents.events.ErrorEvent`);
* then the derived events (``audio``, ``item_update``, ``function_call``, ...).

Frames that are not server events (binary frames, malformed JSON, arrays) give one ``error``
event and nothing else. Some events also queue client events (``conversation.item.retrieve``,
the tracing update) or release a held ``response.create``: the mapper shares the protocol's
playback state, sequencer and outbox. Audio handling depends on the media mode: *inline*
tracks each ``response.output_audio.delta`` for truncation; *track* mirrors the server's
``output_audio_buffer.*`` events instead.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypeAlias

from ..events import (
    AudioDoneEvent,
    AudioEvent,
    ErrorEvent,
    FunctionCallEvent,
    InputAudioTranscriptionEvent,
    ItemDeletedEvent,
    McpToolsListedEvent,
    OutputTextDeltaEvent,
    ServerEvent,
    TranscriptDeltaEvent,
    TurnStartedEvent,
)
from ..items import ItemStatus, RealtimeItem
from .codec import WireCodec, default_codec
from .connection import redact
from .formats import format_from_session
from .outbound import retrieve_item_event, session_update_event
from .playback import OutputAudioBuffer, PlaybackTracker
from .sequencer import ResponseCreateSequencer
from .server_events import (
    SERVER_EVENT_TYPES,
    MalformedServerEventError,
    OddAudioDeltaError,
    UnreadableFrameError,
    interrupt_response_of,
    turn_done_event,
    usage_from_response,
)
from .wire_items import (
    function_call_from_wire,
    mcp_approval_request_from_wire,
    mcp_call_from_wire,
    message_from_wire,
)

__all__ = ["Events", "MediaMode", "ServerEventMapper", "Wants"]

logger = logging.getLogger("realtime_agents.protocol")

#: ``(event name, payload)`` pairs to publish, in order.
Events: TypeAlias = list[tuple[str, object]]
#: Whether anyone listens to an event name (a transport passes ``emitter.has_listeners``).
Wants: TypeAlias = Callable[[str], bool]
#: Where assistant audio travels: in ``response.output_audio.delta`` events the client plays
#: (*inline*: WebSocket, Cloudflare, Twilio), or on a media track or phone line the server
#: plays (*track*: WebRTC, SIP).
MediaMode: TypeAlias = Literal["inline", "track"]
_Handler: TypeAlias = Callable[["ServerEventMapper", dict[str, Any], Events, Wants], None]

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


def _audio_delta_fields(event: Mapping[str, Any]) -> tuple[str, int, str]:
    """``item_id``, ``content_index`` and ``delta`` of an audio delta, type-checked."""
    delta = event["delta"]
    item_id = event["item_id"]
    content_index = event.get("content_index", 0)
    if type(item_id) is not str or type(content_index) is not int or type(delta) is not str:
        raise TypeError("item_id, content_index and delta must be str, int and str")
    return item_id, content_index, delta


def _remember(store: dict[str, Any], key: str, value: Any = None) -> None:
    store[key] = value
    if len(store) > _MAX_REMEMBERED:
        del store[next(iter(store))]


class ServerEventMapper:
    """Turns server frames into transport events, keeping the state the mapping needs.

    Events to publish are appended to :attr:`events` (the protocol drains it); ``queue`` takes
    client events to send. ``media`` picks the audio handlers: *inline* tracks every audio
    delta for truncation, *track* mirrors the server's output audio buffer instead.
    ``on_speech_started`` is the protocol's barge-in policy (``input_audio_buffer.speech_started``).
    """

    def __init__(
        self,
        *,
        media: MediaMode,
        playback: PlaybackTracker,
        buffer: OutputAudioBuffer,
        sequencer: ResponseCreateSequencer,
        queue: Callable[[Mapping[str, Any]], None],
        on_speech_started: Callable[[], None],
        wants: Wants | None = None,
        codec: WireCodec | None = None,
    ) -> None:
        codec = codec or default_codec()
        self._loads = codec.loads
        self._b64decode = codec.b64decode
        self._playback = playback
        self._buffer = buffer
        self._sequencer = sequencer
        self._queue = queue
        self._on_speech = on_speech_started
        #: Events to publish, in order, not yet drained.
        self.events: Events = []
        #: Whether anyone listens to an event name; None means everyone does.
        self.wants = wants
        #: The last ``session`` object of ``session.created``/``session.updated`` (a copy).
        self.session: dict[str, Any] | None = None
        #: Whether the server cancels a response itself when the user starts speaking.
        self.interrupt_response = False
        #: The tracing config to apply after ``session.created`` ("auto" unless told).
        self.tracing: object = "auto"
        #: Redacted from anything this mapper quotes (the key may be echoed back to us).
        self.secret: str | None = None
        self._answered_calls: dict[str, None] = {}
        self._odd_audio_items: dict[str, None] = {}
        self._call_responses: dict[str, str | None] = {}  # function_call item id → response id
        # Chosen once here rather than tested per frame: the audio path stays branch-free. The
        # tables are the class's (built once, below it): a table of bound methods per
        # connection cost ≈3 KiB of every idle session.
        self._handlers = _TRACK_HANDLERS if media == "track" else _INLINE_HANDLERS

    def receive_frame(self, frame: str | bytes) -> None:
        """Queue the events for one frame (see ``OpenAIRealtimeProtocol.receive_frame``)."""
        out = self.events
        if type(frame) is not str:
            out.append(_unreadable("binary frames are not server events", frame, self.secret))
            return
        loads = self._loads
        try:
            event = loads(frame)
        except ValueError:
            out.append(_unreadable("not JSON", frame, self.secret))
            return
        event_type = event.get("type") if type(event) is dict else None
        if type(event_type) is not str:
            out.append(_unreadable("no string 'type'", frame, self.secret))
            return
        wants = self.wants
        if wants is None:
            wants = _everything
        if wants("*"):
            # Re-parsing is a faster deep copy than copy.deepcopy, and a faithful one.
            out.append(("*", ServerEvent(event_type, loads(frame))))
        handler = self._handlers.get(event_type)
        if handler is None:
            return
        mark = len(out)
        if event_type != "error" and wants(event_type):
            out.append((event_type, ServerEvent(event_type, event)))
        try:
            handler(self, event, out, wants)
        except Exception as exc:
            del out[mark:]
            out.append(("error", ErrorEvent(MalformedServerEventError(event_type, exc, event))))

    def publish(self, name: str, payload: object) -> None:
        """Queue one event the protocol made (not from a frame), if anyone wants it."""
        wants = self.wants
        if wants is None or wants(name):
            self.events.append((name, payload))

    def _on_other(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        """A known event with no derived behaviour: published under its own name only."""

    def _on_output_audio_delta(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        response_id = event.get("response_id")
        if self._playback.is_discarded(response_id):
            return  # late audio of an interrupted response: never played
        item_id, content_index, delta = _audio_delta_fields(event)
        data = self._audio_of(delta, item_id, out)
        self._playback.on_delta(response_id, item_id, content_index, len(data))
        if wants("audio"):
            out.append(("audio", AudioEvent(data, response_id, item_id, content_index)))

    def _on_untracked_audio_delta(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        # Track media: the server plays (and truncates) this audio itself, so stray deltas
        # are only published, never tracked or discarded.
        item_id, content_index, delta = _audio_delta_fields(event)
        data = self._audio_of(delta, item_id, out)
        if wants("audio"):
            audio = AudioEvent(data, event.get("response_id"), item_id, content_index)
            out.append(("audio", audio))

    def _audio_of(self, delta: str, item_id: str, out: Events) -> bytes:
        """A delta's audio (ValueError unless strictly base64); odd-length PCM16 is flagged."""
        data = self._b64decode(delta)
        odd = len(data) & 1 and self._playback.format.bytes_per_sample == 2
        if odd and item_id not in self._odd_audio_items:
            # Once per item: the audio is still passed on, as received.
            _remember(self._odd_audio_items, item_id)
            out.append(("error", ErrorEvent(OddAudioDeltaError(item_id, len(data)))))
        return data

    def _on_content_part_added(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        part = _mapping_field(event, "part")
        if part.get("type") in ("audio", "output_audio"):
            content_index = event.get("content_index", 0)
            if type(content_index) is not int:
                raise TypeError("content_index must be an integer")
            response_id, item_id = _str_field(event, "response_id"), _str_field(event, "item_id")
            self._buffer.on_audio_part(response_id, item_id, content_index)

    def _on_buffer_started(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        response_id = event.get("response_id")
        self._buffer.on_started(response_id if type(response_id) is str else None)

    def _on_buffer_stopped(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        self._buffer.on_stopped()

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
            started = TurnStartedEvent(response_id if type(response_id) is str else None, event)
            out.append(("turn_started", started))

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
        if wants("usage_update"):
            out.append(("usage_update", usage))
        if wants("turn_done"):
            out.append(("turn_done", turn_done_event(response, usage)))

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

    def _on_transcription(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        """The user's words: published, and the whole item retrieved (it now has them)."""
        item_id = _str_field(event, "item_id")
        transcript = _str_field(event, "transcript")
        content_index = event.get("content_index", 0)
        if type(content_index) is not int:
            raise TypeError("content_index must be an integer")
        self._queue(retrieve_item_event(item_id))
        if wants("input_audio_transcription"):
            transcription = InputAudioTranscriptionEvent(item_id, transcript, content_index, event)
            out.append(("input_audio_transcription", transcription))

    def _on_retrieve_item(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        """Ask for the whole item rather than rebuilding it from partial events."""
        if event["type"] == "mcp_list_tools.in_progress" and not event.get("item_id"):
            return
        self._queue(retrieve_item_event(_str_field(event, "item_id")))

    def _on_speech_started(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        self._on_speech()

    def _on_session_created(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        session = self._cache_session(event)
        self._apply_tracing(session.get("tracing"))

    def _on_session_updated(self, event: dict[str, Any], out: Events, wants: Wants) -> None:
        self._cache_session(event)

    def _cache_session(self, event: dict[str, Any]) -> dict[str, Any]:
        # A private copy: listeners of the per-type event share the frame's dicts.
        session = copy.deepcopy(_mapping_field(event, "session"))
        self.session = session
        self._playback.format = format_from_session(session, "output")
        self.interrupt_response = interrupt_response_of(session)
        return session

    def _apply_tracing(self, server_tracing: object) -> None:
        """Send the initial config's tracing once the session exists (it is set only once)."""
        tracing = self.tracing
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
            out.append(("error", ErrorEvent(_redacted(event, self.secret))))
        self._sequencer.on_error(event)


def _handler_tables() -> tuple[dict[str, _Handler], dict[str, _Handler]]:
    """The frame handlers by event type, for the *inline* and the *track* media modes."""
    m = ServerEventMapper
    inline: dict[str, _Handler] = {
        "response.output_audio.delta": m._on_output_audio_delta,
        "response.output_audio.done": m._on_output_audio_done,
        "response.output_audio_transcript.delta": m._on_transcript_delta,
        "response.output_text.delta": m._on_output_text_delta,
        "response.created": m._on_response_created,
        "response.done": m._on_response_done,
        "response.output_item.added": m._on_output_item,
        "response.output_item.done": m._on_output_item,
        "conversation.item.added": m._on_conversation_item,
        "conversation.item.done": m._on_conversation_item,
        "conversation.item.retrieved": m._on_conversation_item,
        "conversation.item.deleted": m._on_item_deleted,
        "conversation.item.input_audio_transcription.completed": m._on_transcription,
        "conversation.item.truncated": m._on_retrieve_item,
        "response.mcp_call.in_progress": m._on_retrieve_item,
        "mcp_list_tools.in_progress": m._on_retrieve_item,
        "input_audio_buffer.speech_started": m._on_speech_started,
        "session.created": m._on_session_created,
        "session.updated": m._on_session_updated,
        "error": m._on_error,
    }
    track = {
        **inline,
        "response.output_audio.delta": m._on_untracked_audio_delta,
        "response.content_part.added": m._on_content_part_added,
        "output_audio_buffer.started": m._on_buffer_started,
        "output_audio_buffer.stopped": m._on_buffer_stopped,
        "output_audio_buffer.cleared": m._on_buffer_stopped,
    }
    for table in (inline, track):
        for name in SERVER_EVENT_TYPES:
            table.setdefault(name, m._on_other)
    return inline, track


_INLINE_HANDLERS, _TRACK_HANDLERS = _handler_tables()


def _redacted(event: dict[str, Any], secret: str | None) -> dict[str, Any]:
    """``event`` with the key (and anything shaped like a key) redacted: servers quote keys."""
    text = json.dumps(event)
    clean = redact(text, secret)
    return event if clean == text else dict(json.loads(clean))


def _unreadable(reason: str, frame: str | bytes, secret: str | None) -> tuple[str, object]:
    return ("error", ErrorEvent(UnreadableFrameError(reason, frame, secret)))
