"""The server side of one Realtime session, independent of the transport carrying it.

:class:`Session` consumes validated-on-arrival client events (:meth:`Session.handle`, synchronous)
and produces server events through a ``sink`` callable, in the canonical orders of reference §6.
Work that takes time (paced responses, the idle timeout, the 60-minute limit) runs in tasks the
session owns and cancels in :meth:`Session.close`. The WebSocket edge (``connection.py``) is one
transport; a WebRTC call (``rtc_call.py``) drives the same class, with media instead of audio
events: :meth:`Session.receive_audio` takes the decoded microphone audio, and the session's
:attr:`Session.playback` buffer (present when the transport is not a WebSocket) holds the reply
audio its media track plays, instead of ``response.output_audio.delta`` events.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from . import wire
from .audio import AudioFormat
from .audio_buffer import AudioBuffer
from .brain import Brain
from .client_events import validate_client_event
from .config import apply_update, default_session, response_settings
from .errors import RealtimeError
from .hearing import Hearing, transcription_events
from .ids import IdFactory
from .items import Conversation, StoredItem
from .playback import PlaybackBuffer
from .responses import Pacing, ResponseRun
from .synth import SpeechSynthesizer
from .usage import input_usage
from .vad import EnergyVad, SpeechStarted, SpeechStopped, VadEvent, VadSettings
from .wire import EncodedEvent

__all__ = ["Session", "SessionOptions"]

log = logging.getLogger(__name__)

Event = dict[str, Any]
_MIN_COMMIT_MS = 100.0
_LOGPROBS = "item.input_audio_transcription.logprobs"
_HANDLERS: dict[str, Callable[[Session, Event], None]] = {}
"""``Session._on_<type>`` per client event type, filled as types arrive."""


@dataclass(frozen=True)
class SessionOptions:
    """What every session of one emulator shares (``transport``: of the session's own edge)."""

    brain: Brain
    speech: SpeechSynthesizer
    pacing: Pacing
    ids: IdFactory
    transport: str = "websocket"
    max_duration_s: float = 3600.0

    @property
    def server_playback(self) -> bool:
        """Whether the server plays the reply audio itself (WebRTC, SIP), not the client."""
        return self.transport != "websocket"


class Session:
    """One Realtime session: config, conversation, input buffer + VAD and responses.

    ``sink(event)`` receives every server event, with ``event_id`` set; but when ``deliver`` is
    given, paced audio deltas are awaited there instead, from the task that paces them (an edge
    can then write them without a hop through its writer task). ``on_close(code, reason)``
    is called when the session wants its transport closed (``session.close``, expiry);
    ``on_crash(exc)`` reports unexpected exceptions (brain bugs) without stopping the session.
    """

    def __init__(
        self,
        *,
        kind: str,
        model: str | None,
        options: SessionOptions,
        sink: Callable[[Event], None],
        on_close: Callable[[int, str], None],
        on_crash: Callable[[BaseException], None],
        initial_config: Mapping[str, Any] | None = None,
        deliver: Callable[[EncodedEvent], Awaitable[None]] | None = None,
    ) -> None:
        self._options = options
        self._ids = options.ids
        self._sink = sink
        self._deliver = deliver
        self._on_close = on_close
        self._on_crash = on_crash
        self.id = self._ids.make("sess")
        self.expires_at = int(time.time() + options.max_duration_s)
        self.config: Event = copy.deepcopy(dict(initial_config or default_session(kind, model)))
        if model is not None and self.config.get("type") == "realtime":
            self.config["model"] = model
        self.conversation = Conversation(self._ids.make("conv"))
        self._buffer = AudioBuffer()
        self._buffer_start_ms = 0.0
        self._vad: EnergyVad | None = None
        self._speech_item_id: str | None = None
        self._speech_start_ms = 0
        self._hearing = Hearing(options.brain, on_crash)
        self._active: ResponseRun | None = None
        self._out_of_band: set[ResponseRun] = set()
        self._voice_locked = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle_task: asyncio.Task[None] | None = None
        self._closed = False
        self._output_formats: dict[str, AudioFormat] = {}
        self.playback: PlaybackBuffer | None = None
        """Reply audio for the media track, when the server owns playback (else None)."""
        if options.server_playback:
            # Paced replies arrive a chunk at a time: start playing once two chunks are in, so
            # the next one always arrives a chunk ahead of need and the track never plays
            # silence between chunks (a jitter buffer of one chunk).
            pacing = options.pacing
            prebuffer_ms = 2 * pacing.chunk_ms if pacing.speed > 0 else 0
            prebuffer = prebuffer_ms * AudioFormat("audio/pcm").bytes_per_ms
            self.playback = PlaybackBuffer(self._playback_drained, prebuffer)
        self._configure_vad()

    # -- public -------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """``"realtime"`` or ``"transcription"``."""
        return str(self.config["type"])

    @property
    def active_response_id(self) -> str | None:
        """The response writing to the default conversation, if any."""
        return self._active.response_id if self._active else None

    def public_config(self) -> Event:
        """The effective config as ``session.created``/``session.updated`` carry it."""
        kind = self.kind
        obj = "realtime.session" if kind == "realtime" else "realtime.transcription_session"
        return {
            "type": kind,
            "object": obj,
            "id": self.id,
            **copy.deepcopy(self.config),
            "expires_at": self.expires_at,
        }

    def created_event(self) -> Event:
        """A ``session.created`` event for the current config (what each new edge gets first)."""
        return {
            "type": "session.created",
            "event_id": self._ids.event(),
            "session": self.public_config(),
        }

    def start(self) -> None:
        """Send ``session.created`` and start the session clock."""
        if not self._closed:
            self._sink(self.created_event())
        self._spawn(self._expire())

    def receive_audio(self, pcm24k: bytes) -> None:
        """Input audio from a media track (PCM16 mono 24 kHz), as if appended by the client."""
        if not self._closed:
            self._append(self._input_format.encode(pcm24k))

    def handle(self, event: Mapping[str, Any]) -> None:
        """Process one parsed client event; protocol errors become ``error`` events."""
        raw_id = event.get("event_id")
        client_event_id = raw_id if isinstance(raw_id, str) else None
        try:
            checked = validate_client_event(event, self._options.transport)
            kind = str(checked["type"])
            handler = _HANDLERS.get(kind)
            if handler is None:  # looked up once per type: appends arrive every 20 ms
                handler = _HANDLERS[kind] = getattr(Session, "_on_" + kind.replace(".", "_"))
            handler(self, checked)
        except RealtimeError as error:
            self.error(error, client_event_id)

    def error(self, error: RealtimeError, client_event_id: str | None = None) -> None:
        """Send an ``error`` event."""
        self._emit("error", error=error.payload(client_event_id))

    async def close(self) -> None:
        """Stop every task of the session; nothing is emitted afterwards."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- plumbing -----------------------------------------------------------------------------

    def _emit(self, type: str, **fields: Any) -> None:
        if self._closed:
            return
        if self.playback is not None:
            if type == "response.output_audio.delta":
                self._play(fields)  # the audio goes to the media track, not to the client
                return
            if type == "response.done":
                self._sink({"type": type, "event_id": self._ids.event(), **fields})
                self._output_formats.pop(fields["response"]["id"], None)
                self.playback.response_done(fields["response"]["id"])
                return
        self._sink({"type": type, "event_id": self._ids.event(), **fields})

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._track(task)
        return task

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            log.error("session task failed", exc_info=exc)
            self._on_crash(exc)

    @property
    def _turn_detection(self) -> Event | None:
        detection = self.config.get("audio", {}).get("input", {}).get("turn_detection")
        return detection if isinstance(detection, dict) else None

    @property
    def _input_format(self) -> AudioFormat:
        return AudioFormat.from_config(self.config.get("audio", {}).get("input", {}).get("format"))

    def _received_ms(self) -> float:
        return self._buffer_start_ms + self._input_format.duration_ms(len(self._buffer))

    # -- session.update -----------------------------------------------------------------------

    def _on_session_update(self, event: Event) -> None:
        old_format = self._input_format
        self.config = apply_update(self.config, event["session"], voice_locked=self._voice_locked)
        if self._input_format != old_format:
            self._reset_buffer(self._received_ms())
            self._vad = None
        self._configure_vad()
        self._emit("session.updated", session=self.public_config())

    def _on_session_close(self, event: Event) -> None:
        self._on_close(1000, "session closed by client")

    def _configure_vad(self) -> None:
        settings = VadSettings.from_turn_detection(self._turn_detection)
        if settings is None:
            self._vad, self._speech_item_id = None, None
        elif self._vad is None:
            self._vad = EnergyVad(settings, self._input_format, math.floor(self._received_ms()))
        else:
            self._vad.settings = settings

    # -- input audio buffer -------------------------------------------------------------------

    def _on_input_audio_buffer_append(self, event: Event) -> None:
        try:
            data = wire.b64decode(event["audio"])
        except (binascii.Error, ValueError) as exc:
            raise RealtimeError.invalid(
                "audio", "Invalid 'audio': expected base64-encoded audio bytes."
            ) from exc
        self._append(data)

    _on_session_input_audio_buffer_append = _on_input_audio_buffer_append

    def _append(self, data: bytes) -> None:
        self._buffer.append(data)
        if self._vad is not None:
            for vad_event in self._vad.feed(data):
                self._on_vad(vad_event)

    def _on_input_audio_buffer_commit(self, event: Event) -> None:
        buffered = self._input_format.duration_ms(len(self._buffer))
        if buffered < _MIN_COMMIT_MS:
            raise RealtimeError.commit_too_small(buffered)
        item_id = self._speech_item_id or self._ids.item()
        audio = bytes(self._buffer)
        self._reset_buffer(self._received_ms())
        self._commit_audio(item_id, audio)

    def _on_input_audio_buffer_clear(self, event: Event) -> None:
        self._reset_buffer(self._received_ms())
        self._emit("input_audio_buffer.cleared")

    def _reset_buffer(self, start_ms: float) -> None:
        self._buffer.clear()
        self._buffer_start_ms = start_ms
        self._speech_item_id = None
        if self._vad is not None:
            self._vad.reset()

    def _take_buffer(self, start_ms: float, end_ms: float) -> bytes:
        """Remove audio up to ``end_ms`` from the buffer; return the part from ``start_ms``."""
        audio_format = self._input_format
        align = 2 if audio_format.type == "audio/pcm" else 1

        def offset(ms: float) -> int:
            raw = round((ms - self._buffer_start_ms) * audio_format.bytes_per_ms)
            return min(len(self._buffer), max(0, raw - raw % align))

        low, high = offset(start_ms), offset(end_ms)
        audio = bytes(self._buffer)[low:high]
        self._buffer.drop_first(high)
        self._buffer_start_ms += audio_format.duration_ms(high)
        return audio

    def _on_vad(self, event: VadEvent) -> None:
        detection = self._turn_detection or {}
        if isinstance(event, SpeechStarted):
            settings = self._vad.settings if self._vad else VadSettings()
            start = max(event.at_ms - settings.prefix_padding_ms, math.ceil(self._buffer_start_ms))
            self._speech_item_id, self._speech_start_ms = self._ids.item(), start
            self._emit(
                "input_audio_buffer.speech_started",
                audio_start_ms=start,
                item_id=self._speech_item_id,
            )
            self._cancel_idle()
            if self.kind == "realtime" and detection.get("interrupt_response", True):
                if self._active:
                    self._active.cancel("turn_detected")
                if self.playback is not None and self.playback.playing:
                    self._clear_playback(None)  # the server truncates what was not heard
        elif isinstance(event, SpeechStopped):
            item_id = self._speech_item_id or self._ids.item()
            self._emit(
                "input_audio_buffer.speech_stopped", audio_end_ms=event.at_ms, item_id=item_id
            )
            audio = self._take_buffer(self._speech_start_ms, event.at_ms)
            self._speech_item_id = None
            self._commit_audio(item_id, audio)
            if self.kind == "realtime" and detection.get("create_response", True):
                self._auto_response()

    def _commit_audio(self, item_id: str, audio: bytes) -> None:
        """``committed`` + the user item (+ its transcription when enabled)."""
        audio_format = self._input_format
        item: Event = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        stored = StoredItem(item, {0: AudioBuffer(audio)}, audio_format.type)
        self._hearing.hear(item_id, audio, audio_format)
        previous = self.conversation.last_id()
        self._emit("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        self.conversation.insert(stored)
        self._emit("conversation.item.added", previous_item_id=previous, item=stored.public())
        self._emit("conversation.item.done", previous_item_id=previous, item=stored.public())
        transcription = self.config.get("audio", {}).get("input", {}).get("transcription")
        if isinstance(transcription, dict):
            self._transcribe(stored, transcription)

    def _transcribe(self, stored: StoredItem, transcription: Event) -> None:
        transcript = self._hearing.transcript(stored.id)
        with_logprobs = _LOGPROBS in (self.config.get("include") or [])
        for kind, fields in transcription_events(
            stored, transcript, transcription.get("model"), with_logprobs, self._ids.obfuscation
        ):
            self._emit(kind, **fields)
        content: Any = stored.item["content"]
        content[0]["transcript"] = transcript

    # -- conversation items -------------------------------------------------------------------

    def _on_conversation_item_create(self, event: Event) -> None:
        previous_id = event.get("previous_item_id")
        if previous_id not in (None, "root") and previous_id not in self.conversation:
            raise RealtimeError.item_not_found("previous_item_id", str(previous_id))
        stored = self._client_item(event["item"])
        previous = self.conversation.insert(stored, previous_id)
        self._emit("conversation.item.added", previous_item_id=previous, item=stored.public())
        self._emit("conversation.item.done", previous_item_id=previous, item=stored.public())

    def _client_item(self, item: Event) -> StoredItem:
        """A client-sent item as stored: id/object/status filled in, audio moved aside."""
        item = {
            "id": item.get("id") or self._ids.item(),
            "object": "realtime.item",
            "status": item.get("status") or "completed",
            **item,
        }
        item["object"] = "realtime.item"
        if item["id"] in self.conversation:
            raise RealtimeError.invalid(
                "item.id", f"Item with id '{item['id']}' already exists in the conversation."
            )
        stored = StoredItem(item, audio_format=self._input_format.type)
        for index, part in enumerate(item.get("content") or []):
            if part.get("type") != "input_audio":
                continue
            try:
                audio = base64.b64decode(part.pop("audio", ""), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise RealtimeError.invalid(
                    f"item.content[{index}].audio", "Invalid 'audio': expected base64 audio."
                ) from exc
            stored.audio[index] = AudioBuffer(audio)
            part.setdefault("transcript", None)
            self._hearing.hear(stored.id, audio, self._input_format)
            if part["transcript"]:  # a transcript the client supplies is what the model "hears"
                self._hearing.override(stored.id, part["transcript"])
        return stored

    def _on_conversation_item_retrieve(self, event: Event) -> None:
        stored = self.conversation.get(event["item_id"])
        self._emit("conversation.item.retrieved", item=stored.public(with_audio=True))

    def _on_conversation_item_delete(self, event: Event) -> None:
        self.conversation.delete(event["item_id"])
        self._emit("conversation.item.deleted", item_id=event["item_id"])

    def _on_conversation_item_truncate(self, event: Event) -> None:
        self._truncate(event["item_id"], event["content_index"], event["audio_end_ms"])

    def _truncate(self, item_id: str, index: int, end_ms: int) -> None:
        stored = self.conversation.get(item_id)
        content = stored.item.get("content")
        if stored.item.get("role") != "assistant" or not isinstance(content, list):
            raise RealtimeError.invalid(
                "item_id", "Only assistant messages with audio content can be truncated."
            )
        done_audio = index < len(content) and content[index].get("type") == "output_audio"
        # A part still streaming is in the conversation (its content_part.added was sent) but
        # not yet in ``content``: clients truncate it on barge-in before they cancel.
        streaming = index in stored.audio and stored.item.get("status") == "in_progress"
        if not (done_audio or streaming):
            raise RealtimeError.invalid(
                "content_index", f"Invalid content_index {index}: that content part is not audio."
            )
        audio = stored.audio.setdefault(index, AudioBuffer())
        audio_format = AudioFormat(stored.audio_format)
        actual_ms = int(audio_format.duration_ms(len(audio)))
        if end_ms > actual_ms:
            raise RealtimeError.truncate_too_long(actual_ms, end_ms)
        audio.keep_first(end_ms * audio_format.bytes_per_ms)
        if streaming:
            stored.truncated.add(index)
        if done_audio:
            # The server drops the transcript: it cannot align it with the cut audio (§9).
            content[index]["transcript"] = ""
        self._emit(
            "conversation.item.truncated",
            item_id=stored.id,
            content_index=index,
            audio_end_ms=end_ms,
        )

    # -- responses ----------------------------------------------------------------------------

    def _on_response_create(self, event: Event) -> None:
        if self.kind != "realtime":
            raise RealtimeError.invalid("type", "Transcription sessions do not create responses.")
        params: Event = event.get("response") or {}
        settings = response_settings(self.config, params)
        out_of_band = settings["conversation"] == "none"
        if not out_of_band and self._active is not None:
            raise RealtimeError.active_response(self._active.response_id)
        self._start_response(settings, self._context(params), out_of_band)

    def _on_response_cancel(self, event: Event) -> None:
        response_id = event.get("response_id")
        runs = [run for run in (self._active, *self._out_of_band) if run is not None]
        if response_id:
            run = next((r for r in runs if r.response_id == response_id), None)
        else:
            run = self._active
        if run is None:
            raise RealtimeError.cancel_not_active()
        run.cancel("client_cancelled")

    def _on_output_audio_buffer_clear(self, event: Event) -> None:
        # Only reachable over WebRTC/SIP, where the server owns playback (reference §2.3).
        self._clear_playback(event.get("response_id"))

    # -- server-side playback (WebRTC, SIP) ---------------------------------------------------

    def _play(self, fields: Mapping[str, Any]) -> None:
        """Queue a reply's audio delta for the media track (``started`` with its first audio)."""
        assert self.playback is not None
        response_id = fields["response_id"]
        audio_format = self._output_formats.get(response_id, AudioFormat("audio/pcm"))
        pcm = audio_format.decode(base64.b64decode(fields["delta"]))
        if self.playback.feed(response_id, fields["item_id"], fields["content_index"], pcm):
            self._emit("output_audio_buffer.started", response_id=response_id)

    def _playback_drained(self, response_id: str) -> None:
        self._emit("output_audio_buffer.stopped", response_id=response_id)

    def _clear_playback(self, response_id: str | None) -> None:
        """Stop the track: ``cleared``, then truncate the item at what the user heard."""
        played = self.playback.clear() if self.playback is not None else None
        rid = response_id or (played and played.response_id) or self.active_response_id or ""
        self._emit("output_audio_buffer.cleared", response_id=rid)
        if played is None or played.item_id is None or played.item_id not in self.conversation:
            return
        try:
            self._truncate(played.item_id, played.content_index, played.audio_end_ms)
        except RealtimeError:  # e.g. an item the client already truncated shorter
            log.debug("no server-side truncation of %s", played.item_id)

    def _auto_response(self) -> None:
        """A response the server starts itself (VAD speech stop, idle timeout)."""
        if self._active is not None:
            self.error(RealtimeError.active_response(self._active.response_id))
            return
        self._start_response(response_settings(self.config, {}), self._context({}), False)

    def _context(self, params: Mapping[str, Any]) -> list[Event]:
        inputs = params.get("input")
        if inputs is None:
            return [stored.public() for stored in self.conversation]
        context = []
        for index, entry in enumerate(inputs):
            if entry.get("type") == "item_reference":
                param = f"response.input[{index}].id"
                context.append(self.conversation.get(entry["id"], param).public())
            else:
                context.append(copy.deepcopy(entry))
        return context

    def _start_response(self, settings: Event, context: list[Event], out_of_band: bool) -> None:
        output = self.config.get("audio", {}).get("output", {})
        run = ResponseRun(
            response_id=self._ids.response(),
            settings=settings,
            turn=self._hearing.turn(context, settings, self.conversation),
            emit=self._emit,
            # Paced deltas straight to the edge when it takes them (no server playback): once
            # the session closes, its tasks are cancelled and no response resumes to send more.
            emit_paced=self._deliver if self.playback is None else None,
            ids=self._ids,
            brain=self._options.brain,
            speech=self._options.speech,
            pacing=self._options.pacing,
            conversation=None if out_of_band else self.conversation,
            on_finished=self._response_finished,
            on_crash=self._on_crash,
            speech_speed=float(output.get("speed") or 1.0),
            input_usage=input_usage(
                context, self.conversation, str(settings.get("instructions") or "")
            ),
        )
        self._output_formats[run.response_id] = AudioFormat.from_config(
            settings.get("audio", {}).get("output", {}).get("format")
        )
        if out_of_band:
            self._out_of_band.add(run)
        else:
            self._active = run
            self._cancel_idle()
        self._track(run.start())

    def _response_finished(self, run: ResponseRun) -> None:
        if run is self._active:
            self._active = None
            self._arm_idle(run)
        self._out_of_band.discard(run)
        if run.audio_ms > 0:
            self._voice_locked = True  # voice is fixed once the model has spoken

    # -- timers -------------------------------------------------------------------------------

    def _arm_idle(self, run: ResponseRun) -> None:
        detection = self._turn_detection
        if not detection or detection.get("type") != "server_vad":
            return
        idle_ms = detection.get("idle_timeout_ms")
        if not isinstance(idle_ms, int):
            return
        playback = 0.0
        if run.first_audio_at is not None:
            elapsed = asyncio.get_running_loop().time() - run.first_audio_at
            playback = max(0.0, run.audio_ms / 1000 - elapsed)
        self._cancel_idle()
        self._idle_task = self._spawn(self._idle_after(playback + idle_ms / 1000))

    def _cancel_idle(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
            self._idle_task = None

    async def _idle_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._idle_task = None
        if self._active is not None or (self._vad is not None and self._vad.speaking):
            return
        item_id = self._ids.item()
        start, end = math.ceil(self._buffer_start_ms), math.floor(self._received_ms())
        self._emit(
            "input_audio_buffer.timeout_triggered",
            audio_start_ms=start,
            audio_end_ms=max(start, end),
            item_id=item_id,
        )
        self._commit_audio(item_id, self._take_buffer(start, end))
        self._auto_response()

    async def _expire(self) -> None:
        await asyncio.sleep(self._options.max_duration_s)
        self.error(RealtimeError.session_expired())
        self._on_close(1000, "session expired")
