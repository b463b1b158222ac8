"""One model response: the canonical event sequence of reference §6, paced like real audio.

A :class:`ResponseRun` is created by the session (which has already checked that it may run),
emits ``response.created`` at once, then asks the brain for actions and streams them from a task.
Every event is emitted synchronously between awaits, so :meth:`ResponseRun.cancel` — called by the
session on ``response.cancel`` or a VAD barge-in — can close whatever is open (part, item) and send
``response.done`` immediately, in a well-defined order, and the task emits nothing afterwards.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .audio import AudioFormat, AudioStream, looped_chunks
from .audio_buffer import AudioBuffer
from .brain import Action, Brain, CallFunction, Fail, Say, Turn
from .errors import RealtimeError
from .ids import IdFactory
from .items import Conversation, StoredItem
from .synth import SpeechSynthesizer
from .usage import OUTPUT_AUDIO_TOKENS_PER_S, Usage, audio_tokens, text_tokens
from .wire import DeltaEvents, EncodedEvent, b64encode

__all__ = ["Pacing", "ResponseRun"]

log = logging.getLogger(__name__)

Emit = Callable[..., None]
"""``emit(type, **fields)``: send one server event (the sink adds ``event_id``)."""
EmitPaced = Callable[[EncodedEvent], Awaitable[None]]
"""``await emit_paced(event)``: send one paced audio delta (whole: ``event_id`` included)."""

_TOKEN = re.compile(r"\S+\s*|\s+")
_ARGUMENT_CHUNK = 16
_RATE_LIMIT_TOKENS = 40_000


@dataclass(frozen=True)
class Pacing:
    """How fast output is streamed.

    ``speed`` 1.0 sends audio in real time, 2.0 twice as fast, 0 as fast as possible.
    ``chunk_ms`` is the audio per ``response.output_audio.delta`` (a multiple of 20 ms).
    """

    speed: float = 1.0
    chunk_ms: int = 100

    def __post_init__(self) -> None:
        if self.speed < 0:
            raise ValueError("audio speed must be >= 0")
        if self.chunk_ms <= 0 or self.chunk_ms % 20:
            raise ValueError("audio chunk_ms must be a positive multiple of 20")


@dataclass
class _OpenPart:
    kind: str  # "audio" | "text"
    content_index: int
    text: str = ""


@dataclass(eq=False)
class ResponseRun:
    """A response in progress. ``conversation`` is ``None`` for out-of-band responses."""

    response_id: str
    settings: Mapping[str, Any]
    turn: Turn
    emit: Emit
    ids: IdFactory
    brain: Brain
    speech: SpeechSynthesizer
    pacing: Pacing
    conversation: Conversation | None
    on_finished: Callable[[ResponseRun], None]
    on_crash: Callable[[BaseException], None]
    speech_speed: float = 1.0
    input_usage: Usage = field(default_factory=Usage)
    emit_paced: EmitPaced | None = None
    """How paced audio deltas are emitted, awaited (default: ``emit``)."""
    status: str = "in_progress"
    output: list[StoredItem] = field(default_factory=list)
    audio_ms: float = 0.0
    """Milliseconds of audio emitted so far (all items)."""
    first_audio_at: float | None = None
    """Loop time of the first audio delta, for the idle timeout's playback estimate."""
    _usage: Usage = field(default_factory=Usage)
    _item: StoredItem | None = None
    _part: _OpenPart | None = None
    _task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Whether ``response.done`` has been sent."""
        return self._ended()

    def _ended(self) -> bool:
        # A method, not the property, inside the class: mypy would keep a narrowed property
        # value across awaits, during which a cancellation can end the response.
        return self.status != "in_progress"

    @property
    def out_of_band(self) -> bool:
        return self.conversation is None

    def start(self) -> asyncio.Task[None]:
        """Emit ``response.created`` and start streaming; returns the streaming task."""
        self.emit("response.created", response=self._response_object())
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self._task

    def cancel(self, reason: str) -> None:
        """End the response now as ``cancelled`` (``turn_detected`` / ``client_cancelled``)."""
        if self._ended():
            return
        self._close_open_output(status="incomplete")
        self._finish("cancelled", {"type": "cancelled", "reason": reason})

    async def _run(self) -> None:
        try:
            actions = self.brain.respond(self.turn)
            if inspect.isawaitable(actions):
                actions = await actions
            for action in list(actions):
                if self._ended():
                    return
                await self._perform(action)
            if not self._ended():
                self._finish("completed", None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a brain bug must not kill the connection
            log.exception("response %s failed", self.response_id)
            self.on_crash(exc)
            if not self._ended():
                self._fail(Fail(f"The scripted model raised {type(exc).__name__}: {exc}"))

    async def _perform(self, action: Action) -> None:
        if isinstance(action, Say):
            if "text" in (self.settings.get("output_modalities") or ["audio"]):
                await self._say_text(action)
            else:
                await self._say_audio(action)
        elif isinstance(action, CallFunction):
            await self._call(action)
        else:
            self._fail(action)

    # -- output items -------------------------------------------------------------------------

    def _open_item(self, item: dict[str, object]) -> StoredItem:
        stored = StoredItem(item, audio_format=self._format.type)
        self._item = stored
        self.output.append(stored)
        index = len(self.output) - 1
        self.emit(
            "response.output_item.added",
            response_id=self.response_id,
            output_index=index,
            item=stored.public(),
        )
        if self.conversation is not None:
            previous = self.conversation.insert(stored)
            self.emit("conversation.item.added", previous_item_id=previous, item=stored.public())
        return stored

    def _close_item(self, status: str) -> None:
        stored = self._item
        if stored is None:
            return
        self._item = None
        stored.item["status"] = status
        if self.conversation is not None and stored.id in self.conversation:
            self.emit(
                "conversation.item.done",
                previous_item_id=self._previous_id(stored),
                item=stored.public(),
            )
        self.emit(
            "response.output_item.done",
            response_id=self.response_id,
            output_index=self.output.index(stored),
            item=stored.public(),
        )

    def _previous_id(self, stored: StoredItem) -> str | None:
        assert self.conversation is not None
        previous = None
        for other in self.conversation:
            if other.id == stored.id:
                return previous
            previous = other.id
        return previous

    def _message(self) -> StoredItem:
        return self._open_item(
            {
                "id": self.ids.item(),
                "object": "realtime.item",
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
        )

    def _part_fields(self) -> dict[str, object]:
        assert self._item is not None
        assert self._part is not None
        return {
            "response_id": self.response_id,
            "item_id": self._item.id,
            "output_index": self.output.index(self._item),
            "content_index": self._part.content_index,
        }

    # -- say ----------------------------------------------------------------------------------

    @property
    def _format(self) -> AudioFormat:
        output = self.settings.get("audio", {}).get("output", {})
        return AudioFormat.from_config(output.get("format"))

    async def _say_audio(self, action: Say) -> None:
        pcm = await self.speech.synthesize(action.text, self.speech_speed)
        if self._ended():
            return
        budget_ms = self._budget_audio_ms()
        duration = action.audio_ms if action.audio_ms is not None else len(pcm) // 48
        cut = budget_ms is not None and duration > budget_ms
        if cut:
            duration = max(20, int(budget_ms or 0) // 20 * 20)
        stored = self._message()
        self._part = _OpenPart("audio", 0)
        self.emit(
            "response.content_part.added",
            **self._part_fields(),
            part={"type": "audio", "transcript": ""},
        )
        await self._stream_audio(stored, pcm, duration, _TOKEN.findall(action.text))
        if self._ended():
            return
        self._close_part()
        self._close_item("incomplete" if cut else "completed")
        if cut:
            self._finish("incomplete", {"type": "incomplete", "reason": "max_output_tokens"})

    async def _stream_audio(
        self, stored: StoredItem, pcm: bytes, duration_ms: int, tokens: list[str]
    ) -> None:
        """``pcm`` looped to ``duration_ms``, a delta per chunk of the pacing, in real time."""
        audio_format = self._format
        chunk_ms = self.pacing.chunk_ms
        count = max(1, -(-duration_ms // chunk_ms))  # no audio is still one (empty) delta
        chunks: Iterator[bytes] = (
            looped_chunks(pcm, duration_ms, chunk_ms) if duration_ms > 0 else iter([b""])
        )
        if audio_format.type != "audio/pcm":  # G.711: one resampler across the reply's chunks
            encoder = AudioStream(audio_format)
            chunks = (encoder.encode(data) for data in chunks)
        audio = stored.audio.setdefault(0, AudioBuffer())
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.first_audio_at = self.first_audio_at or started
        sent_tokens = 0
        # Per chunk only the audio changes (this runs once per delta of every session): the
        # part's fields, the format and the emit are looked up once, the event encoded around them.
        fields = self._part_fields()
        emit, emit_paced, usage, ids = self.emit, self.emit_paced, self._usage, self.ids
        deltas = DeltaEvents("response.output_audio.delta", fields)
        bytes_per_ms = audio_format.bytes_per_ms
        speed = self.pacing.speed
        chunk_s = self.pacing.chunk_ms / 1000 / speed if speed else 0.0
        for number, data in enumerate(chunks, 1):
            due = -(-len(tokens) * number // count)  # the transcript runs ahead of audio
            if due > sent_tokens:
                for token in tokens[sent_tokens:due]:
                    self._transcript_delta(token)
                sent_tokens = due
            if 0 not in stored.truncated:
                audio.append(data)
            ms = len(data) / bytes_per_ms
            self.audio_ms += ms
            usage.output_audio += audio_tokens(ms, OUTPUT_AUDIO_TOKENS_PER_S)
            if emit_paced is None:
                emit("response.output_audio.delta", **fields, delta=b64encode(data))
            else:
                await emit_paced(deltas.event(ids.event(), data))
                if self._ended():
                    return
            if number < count:
                if speed:  # asyncio.sleep's work, without its frame: this runs once per delta
                    waiter = loop.create_future()
                    loop.call_at(started + chunk_s * number, _wake, waiter)
                    await waiter
                else:
                    await asyncio.sleep(0)
                if self._ended():
                    return

    def _transcript_delta(self, token: str) -> None:
        assert self._part is not None
        self._part.text += token
        self._usage.output_text += text_tokens(token)
        self.emit(
            "response.output_audio_transcript.delta",
            **self._part_fields(),
            delta=token,
            obfuscation=self.ids.obfuscation(token),
        )

    async def _say_text(self, action: Say) -> None:
        text, cut = action.text, False
        budget = self._budget_tokens()
        if budget is not None and text_tokens(text) > budget:
            text, cut = text[: budget * 4], True
        self._message()
        self._part = _OpenPart("text", 0)
        self.emit(
            "response.content_part.added", **self._part_fields(), part={"type": "text", "text": ""}
        )
        for token in _TOKEN.findall(text):
            self._part.text += token
            self._usage.output_text += text_tokens(token)
            self.emit(
                "response.output_text.delta",
                **self._part_fields(),
                delta=token,
                obfuscation=self.ids.obfuscation(token),
            )
            await asyncio.sleep(0)
            if self._ended():
                return
        self._close_part()
        self._close_item("incomplete" if cut else "completed")
        if cut:
            self._finish("incomplete", {"type": "incomplete", "reason": "max_output_tokens"})

    def _close_part(self) -> None:
        part, stored = self._part, self._item
        if part is None or stored is None:
            return
        fields = self._part_fields()
        self._part = None
        if part.kind == "audio":
            self.emit("response.output_audio.done", **fields)
            self.emit("response.output_audio_transcript.done", **fields, transcript=part.text)
            self.emit(
                "response.content_part.done",
                **fields,
                part={"type": "audio", "transcript": part.text},
            )
            content: dict[str, object] = {"type": "output_audio", "transcript": part.text}
        else:
            self.emit("response.output_text.done", **fields, text=part.text)
            self.emit(
                "response.content_part.done", **fields, part={"type": "text", "text": part.text}
            )
            content = {"type": "output_text", "text": part.text}
        items = stored.item["content"]
        assert isinstance(items, list)
        items.append(content)

    def _close_open_output(self, status: str) -> None:
        self._close_part()
        self._close_item(status)

    # -- function calls -----------------------------------------------------------------------

    async def _call(self, action: CallFunction) -> None:
        call_id = action.call_id or self.ids.call()
        arguments = action.arguments_json
        stored = self._open_item(
            {
                "id": self.ids.item(),
                "object": "realtime.item",
                "type": "function_call",
                "status": "in_progress",
                "name": action.name,
                "call_id": call_id,
                "arguments": "",
            }
        )
        fields = {
            "response_id": self.response_id,
            "item_id": stored.id,
            "output_index": self.output.index(stored),
            "call_id": call_id,
        }
        for start in range(0, len(arguments), _ARGUMENT_CHUNK):
            delta = arguments[start : start + _ARGUMENT_CHUNK]
            self._usage.output_text += text_tokens(delta)
            self.emit("response.function_call_arguments.delta", **fields, delta=delta)
            await asyncio.sleep(0)
            if self._ended():
                return
        stored.item["arguments"] = arguments
        self.emit(
            "response.function_call_arguments.done", **fields, name=action.name, arguments=arguments
        )
        self._close_item("completed")

    # -- endings ------------------------------------------------------------------------------

    def _fail(self, action: Fail) -> None:
        error = RealtimeError(action.message, action.code, None, action.type)
        self.emit("error", error=error.payload(None))
        self._close_open_output(status="incomplete")
        self._finish(
            "failed",
            {
                "type": "failed",
                "error": {"type": action.type, "code": action.code, "message": action.message},
            },
        )

    def _finish(self, status: str, details: dict[str, object] | None) -> None:
        self.status = status
        response = self._response_object()
        response["status_details"] = details
        response["usage"] = self._total_usage().as_dict()
        self.emit("response.done", response=response)
        used = self._total_usage().total
        self.emit(
            "rate_limits.updated",
            rate_limits=[
                {
                    "name": "tokens",
                    "limit": _RATE_LIMIT_TOKENS,
                    "remaining": max(0, _RATE_LIMIT_TOKENS - used),
                    "reset_seconds": round(60 * used / _RATE_LIMIT_TOKENS, 3),
                }
            ],
        )
        task, current = self._task, asyncio.current_task()
        if task is not None and task is not current:
            task.cancel()
        self.on_finished(self)

    def _total_usage(self) -> Usage:
        return Usage(
            self.input_usage.input_text,
            self.input_usage.input_audio,
            self._usage.output_text,
            self._usage.output_audio,
        )

    def _budget_tokens(self) -> int | None:
        limit = self.settings.get("max_output_tokens")
        if not isinstance(limit, int):
            return None
        return max(0, limit - self._usage.output_text - self._usage.output_audio)

    def _budget_audio_ms(self) -> float | None:
        budget = self._budget_tokens()
        return None if budget is None else budget * 1000.0 / OUTPUT_AUDIO_TOKENS_PER_S

    def _response_object(self) -> dict[str, object]:
        return {
            "object": "realtime.response",
            "id": self.response_id,
            "status": self.status,
            "status_details": None,
            "output": [stored.public() for stored in self.output],
            "conversation_id": None if self.conversation is None else self.conversation.id,
            "output_modalities": copy.deepcopy(self.settings.get("output_modalities")),
            "max_output_tokens": self.settings.get("max_output_tokens"),
            "audio": copy.deepcopy(self.settings.get("audio")),
            "usage": None,
            "metadata": copy.deepcopy(self.settings.get("metadata")),
        }


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():  # a cancelled response leaves its timer to fire on nothing
        waiter.set_result(None)
