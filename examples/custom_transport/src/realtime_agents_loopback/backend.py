"""``LoopbackBackend``: an in-process stand-in for a model's server.

It plays the model's side of a conversation: it hears user turns, asks a *brain* (plain
functions you pass) what to answer, and delivers the answer over time as the transport
contract's typed events: text word by word, speech in 20 ms chunks of PCM16 24 kHz audio.

A real transport receives its server's own messages and builds these events at its edge;
this "server" is Python in the same process, so it builds them directly. Swap this module
for a client of your backend when you copy the template.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from realtime_agents.errors import ConnectionClosedError
from realtime_agents.events import (
    AudioDoneEvent,
    AudioEvent,
    AudioInterruptedEvent,
    FunctionCallEvent,
    InputAudioTranscriptionEvent,
    ItemDeletedEvent,
    OutputTextDeltaEvent,
    TranscriptDeltaEvent,
    TurnDoneEvent,
    TurnDoneResponse,
    TurnStartedEvent,
    Usage,
)
from realtime_agents.items import (
    AssistantMessageItem,
    FunctionCallItem,
    InputAudio,
    InputImage,
    InputText,
    ItemStatus,
    OutputAudio,
    OutputText,
    RealtimeItem,
    UserContent,
    UserMessageItem,
)

__all__ = ["CallTool", "LoopbackBackend", "LoopbackConnection", "Reply", "Say", "echo"]

_BYTES_PER_MS = 48  # PCM16 mono at 24 kHz
_CHUNK_MS = 20


@attrs.frozen
class Say:
    """Say ``text``: as text, or as speech lasting ``audio_ms`` with ``text`` as transcript."""

    text: str
    audio_ms: int | None = None


@attrs.frozen
class CallTool:
    """Call the tool ``name`` with ``arguments`` instead of saying anything."""

    name: str
    arguments: Mapping[str, Any] = attrs.field(factory=dict)


Reply: TypeAlias = Say | CallTool
#: ``publish(event_name, payload)``: the transport's ``emit``.
Publish: TypeAlias = Callable[[str, Any], None]


def echo(words: str) -> Reply:
    """The default brain: say back what the user said."""
    return Say(f"You said: {words}" if words else "I'm listening.")


def _length_of(pcm: bytes) -> str:
    # The loopback has no speech recognition: what it "hears" is how long you spoke.
    return f"{len(pcm) // _BYTES_PER_MS} ms of audio"


def _report(output: str) -> Reply:
    return Say(f"The tool said: {output}")


class LoopbackBackend:
    """The model behind every loopback connection; one backend serves any number of them.

    ``respond(words)`` answers a user turn, ``hear(pcm)`` is what the model makes of a user's
    audio turn, ``after_tool(output)`` answers a tool's output. ``audio_speed`` 1 delivers
    speech in real time, 0 as fast as the event loop allows (tests).
    """

    def __init__(
        self,
        respond: Callable[[str], Reply] = echo,
        *,
        hear: Callable[[bytes], str] = _length_of,
        after_tool: Callable[[str], Reply] = _report,
        audio_speed: float = 1.0,
    ) -> None:
        self.respond = respond
        self.hear = hear
        self.after_tool = after_tool
        self.audio_speed = audio_speed
        self.connections: list[LoopbackConnection] = []  # every one opened, closed ones too

    def open(self, publish: Publish, lost: Callable[[BaseException], None]) -> LoopbackConnection:
        """A new connection: its events go to ``publish``; ``lost`` hears that it dropped."""
        connection = LoopbackConnection(self, publish, lost)
        self.connections.append(connection)
        return connection


@attrs.define
class _Turn:
    """The response being delivered, and what of it has gone out so far."""

    response_id: str
    item_id: str
    task: asyncio.Task[Any] | None
    said: str = ""
    audio_ms: int = 0
    speech: bool = False
    call: FunctionCallItem | None = None

    def output(self, status: ItemStatus) -> RealtimeItem:
        if self.call is not None:
            return attrs.evolve(self.call, status=status)
        part = OutputAudio(transcript=self.said) if self.speech else OutputText(self.said)
        return AssistantMessageItem(self.item_id, (part,), status=status)


class LoopbackConnection:
    """One connection, seen from the server: the conversation and its responses.

    Responses run one at a time, in the order asked, each in a task this connection owns;
    :meth:`close` cancels them all.
    """

    def __init__(
        self, backend: LoopbackBackend, publish: Publish, lost: Callable[[BaseException], None]
    ) -> None:
        self.backend = backend
        self.config: dict[str, Any] = {}
        self.closed = False
        self._publish = publish
        self._lost = lost
        self._ids = itertools.count(1)
        self._audio = bytearray()
        self._answer: Callable[[], Reply] | None = None  # to the latest turn, not asked yet
        self._turn: _Turn | None = None
        self._last: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what the client sends -------------------------------------------------------------

    def add_text(self, words: str, *, respond: bool) -> None:
        self._add_user(InputText(words))
        self._answer = functools.partial(self.backend.respond, words)
        if respond:
            self.respond()

    def add_image(self, url: str, *, respond: bool) -> None:
        self._add_user(InputImage(url))  # the loopback model cannot see: it answers as before
        if respond:
            self.respond()

    def append_audio(self, pcm: bytes) -> None:
        self._audio += pcm

    def commit_audio(self) -> None:
        """End the user's audio turn: the model hears it (answering waits for :meth:`respond`)."""
        words = self.backend.hear(bytes(self._audio))
        self._audio.clear()
        item_id = self._add_user(InputAudio())
        self._publish("input_audio_transcription", InputAudioTranscriptionEvent(item_id, words))
        self._answer = functools.partial(self.backend.respond, words)

    def add_tool_output(self, call: FunctionCallEvent, output: str, *, respond: bool) -> None:
        self._publish("item_update", call.answered(output, item_id=call.id or self._id("item")))
        self._answer = functools.partial(self.backend.after_tool, output)
        if respond:
            self.respond()

    def update_config(self, config: Mapping[str, Any]) -> None:
        self.config.update(config)  # kept for inspection: the loopback model ignores it

    def reset_history(self, old: Sequence[RealtimeItem], new: Sequence[RealtimeItem]) -> None:
        """Confirm a history edit item by item, as a server would."""
        kept = {item.item_id for item in new}
        for item in old:
            if item.item_id not in kept:
                self._publish("item_deleted", ItemDeletedEvent(item.item_id))
        for item in new:
            self._publish("item_update", item)

    def respond(self) -> None:
        """Answer the latest turn once the responses asked before it have finished."""
        answer, self._answer = self._answer or functools.partial(self.backend.respond, ""), None
        before = self._last
        task = self._last = asyncio.get_running_loop().create_task(
            self._deliver(answer(), before), name="loopback response"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def interrupt(self, *, cancel_response: bool) -> None:
        """Stop the speech being delivered now (and, if asked, a response without speech)."""
        turn = self._turn
        if turn is None or not (turn.speech or cancel_response):
            return
        if turn.speech:
            stop = AudioInterruptedEvent(turn.item_id, audio_end_ms=turn.audio_ms)
            self._publish("audio_interrupted", stop)
        self._stop(turn)

    def cancel(self, response_id: str | None) -> None:
        """Stop the ongoing response (when it is ``response_id``); audio already out stays."""
        turn = self._turn
        if turn is not None and response_id in (None, turn.response_id):
            self._stop(turn)

    async def close(self) -> None:
        """Stop every response without another event: the connection is going away."""
        self.closed, self._turn = True, None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drop(self) -> None:
        """Go away abruptly, as a server that crashed (for tests of peer loss)."""
        if not self.closed:
            # The transport hears it first, so nothing calls this connection while it closes.
            self._lost(ConnectionClosedError("the loopback backend dropped the connection"))
            await self.close()

    # -- delivering a response -------------------------------------------------------------

    async def _deliver(self, reply: Reply, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await asyncio.wait([before])  # never two responses at once
        turn = self._turn = _Turn(self._id("resp"), self._id("item"), asyncio.current_task())
        self._publish("turn_started", TurnStartedEvent(turn.response_id))
        if isinstance(reply, CallTool):
            self._call(turn, reply)
        elif reply.audio_ms is None:
            await self._write(turn, reply.text)
        else:
            await self._speak(turn, reply.text, reply.audio_ms)
        self._finish(turn, "completed")

    async def _write(self, turn: _Turn, text: str) -> None:
        for delta in _deltas(text):
            turn.said += delta
            event = OutputTextDeltaEvent(turn.item_id, delta, turn.response_id)
            self._publish("output_text_delta", event)
            await asyncio.sleep(0)

    async def _speak(self, turn: _Turn, text: str, audio_ms: int) -> None:
        turn.speech, turn.said = True, text
        if text:
            delta = TranscriptDeltaEvent(turn.item_id, text, turn.response_id)
            self._publish("audio_transcript_delta", delta)
        pcm, step = _tone(audio_ms), _CHUNK_MS * _BYTES_PER_MS
        for start in range(0, len(pcm), step):
            chunk = pcm[start : start + step]
            turn.audio_ms += len(chunk) // _BYTES_PER_MS
            self._publish("audio", AudioEvent(chunk, turn.response_id, turn.item_id))
            await asyncio.sleep(_CHUNK_MS / 1000 * self.backend.audio_speed)
        self._publish("audio_done", AudioDoneEvent(turn.item_id, turn.response_id))

    def _call(self, turn: _Turn, reply: CallTool) -> None:
        call_id, arguments = self._id("call"), json.dumps(dict(reply.arguments))
        turn.call = FunctionCallItem(turn.item_id, reply.name, arguments, call_id)
        self._publish("item_update", turn.call)  # the call enters the history, then asks to run
        event = FunctionCallEvent(
            reply.name, call_id, arguments, id=turn.item_id, response_id=turn.response_id
        )
        self._publish("function_call", event)

    def _stop(self, turn: _Turn) -> None:
        if turn.task is not None:
            turn.task.cancel()  # no event of it after this one
        self._finish(turn, "cancelled")

    def _finish(self, turn: _Turn, status: str) -> None:
        if self._turn is not turn:
            return
        self._turn = None
        item = turn.output("completed" if status == "completed" else "incomplete")
        self._publish("item_update", item)
        tokens = len(turn.said.split()) or 1
        usage = Usage(requests=1, output_tokens=tokens, total_tokens=tokens)
        self._publish("usage_update", usage)
        done = TurnDoneResponse(turn.response_id, (item,), usage, status)
        self._publish("turn_done", TurnDoneEvent(done))

    def _add_user(self, part: UserContent) -> str:
        item_id = self._id("item")
        self._publish("item_update", UserMessageItem(item_id, (part,)))
        return item_id

    def _id(self, kind: str) -> str:
        return f"{kind}_{next(self._ids)}"


def _deltas(text: str) -> list[str]:
    """``text`` in word-sized pieces that join back to exactly ``text``."""
    first, *rest = text.split(" ")
    return [piece for piece in [first, *(" " + word for word in rest)] if piece]


def _tone(ms: int) -> bytes:
    """``ms`` of a quiet 400 Hz square wave, PCM16 24 kHz mono: audible, and clearly no voice."""
    period = b"\x00\x08" * 30 + b"\x00\xf8" * 30
    return (period * (ms // 2 + 1))[: ms * _BYTES_PER_MS]
