"""What ``realtime-agents talk`` watches during a session: transcript, reply audio, errors, end.

:class:`Conversation` subscribes to a session and its transport: it prints the transcript
(:mod:`.cli_talk_transcript`), writes the reply audio (:class:`~.cli_talk_audio.ReplyWriter`),
prints each error as one line, and says when a reply is complete or the connection is gone.

When is a reply complete? Its ``turn_done`` says whether it had audio. Over WebSocket all of
it has arrived by then; over WebRTC the audio plays in real time on the track, long after the
reply's events (and its first frames may even arrive after ``turn_done``). So a reply with
audio is complete once some of its audio arrived and none has for :data:`TAIL_QUIET` seconds:
the one rule works for every transport, without knowing how it carries audio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NoReturn

from .cli_talk_errors import ConnectionGone, TalkError
from .cli_talk_transcript import TranscriptPrinter
from .events import ConnectionStatus
from .items import AssistantMessageItem, InputAudio, OutputAudio, UserMessageItem
from .protocol.connection import redact

if TYPE_CHECKING:
    from .cli_talk_audio import ReplyWriter
    from .events import (
        AudioEvent,
        ConnectionChangeEvent,
        ErrorEvent,
        InputAudioTranscriptionEvent,
        ServerEvent,
        TranscriptDeltaEvent,
        TurnDoneEvent,
    )
    from .items import RealtimeItem
    from .session import AgentEndEvent, RealtimeSession

__all__ = ["QUIET_ERRORS", "TAIL_QUIET", "Conversation", "error_code", "error_text"]

#: Seconds without reply audio after which a reply's audio has all arrived.
TAIL_QUIET: Final = 0.3
#: Seconds a complete reply waits for the user's transcript, which the API makes in parallel
#: with the reply and may finish after it.
TRANSCRIPT_GRACE: Final = 3.0
USER: Final = "user"
#: The raw server events (OpenAI's) for the user's words as they are transcribed; transports
#: of other backends do not send them, and the completed transcript still arrives.
_USER_DELTA: Final = "conversation.item.input_audio_transcription.delta"
_USER_FAILED: Final = "conversation.item.input_audio_transcription.failed"
#: Server errors that say nothing about the conversation: ``event_too_large`` answers the
#: library's own retrieve of a transcribed item whose audio does not fit in one WebRTC
#: data-channel message (the transcript has arrived already); ``response_cancel_not_active``
#: a cancel of a reply that had just ended by itself (barge-in races it).
QUIET_ERRORS: Final = frozenset({"event_too_large", "response_cancel_not_active"})


def error_text(error: object, api_key: str | None) -> str:
    """One line for an ``error`` event's payload (a server event or an exception), key redacted."""
    if isinstance(error, dict):
        inner = error.get("error")
        detail: dict[str, Any] = inner if isinstance(inner, dict) else error
        message = str(detail.get("message") or detail.get("type") or error)
        code = detail.get("code")
        text = f"{message} ({code})" if code and str(code) not in message else message
    else:
        text = str(error) or type(error).__name__
    return redact(" ".join(text.split()), api_key)


def error_code(error: object) -> str | None:
    """The ``code`` of a server error event, None for anything else."""
    if not isinstance(error, dict):
        return None
    inner = error.get("error")
    code = (inner if isinstance(inner, dict) else error).get("code")
    return code if isinstance(code, str) else None


class Conversation:
    """Watches one session; :meth:`wait_reply` and :meth:`wait_gone` are what talk awaits.

    ``write`` prints transcript text, ``report`` one error line; :meth:`close` ends the
    transcript.
    """

    def __init__(
        self,
        session: RealtimeSession[Any],
        write: Callable[[str], None],
        writer: ReplyWriter,
        report: Callable[[str], None],
        api_key: str | None,
    ) -> None:
        self._session = session
        self._printer = TranscriptPrinter(write, on_idle=self._on_idle)
        self._writer = writer
        self._report = report
        self._api_key = api_key
        self._speaker = session.current_agent.name
        self.errors = 0
        self._gone = asyncio.Event()
        self._printed = asyncio.Event()  # set while every line on screen is complete
        self._printed.set()
        self._done = asyncio.Event()
        self._has_audio = False
        self._failure: str | None = None
        self._last_audio: float | None = None
        self._attach()

    def _attach(self) -> None:
        transport = self._session.transport
        transport.on("*", self._raw)
        transport.on("item_update", self._item)
        transport.on("input_audio_transcription", self._user_done)
        transport.on("audio_transcript_delta", self._agent_delta)
        transport.on("output_text_delta", self._agent_delta)
        transport.on("turn_done", self._turn_done)
        transport.on("connection_change", self._connection)
        self._session.on("agent_end", self._agent_end)
        self._session.on("audio", self._audio)
        self._session.on("error", self._error)

    # -- what talk awaits --------------------------------------------------------------

    async def wait_reply(self, timeout: float) -> None:
        """Until the reply asked for is complete (see the module docstring); TalkError when
        the connection goes first, the reply failed, or ``timeout`` seconds pass."""
        try:
            async with asyncio.timeout(timeout):
                await self._unless_gone(self._done.wait())
                if self._failure:
                    raise TalkError(self._failure)
                while self._has_audio and not self._tail_arrived():
                    await self._unless_gone(asyncio.sleep(TAIL_QUIET / 3))
        except TimeoutError:
            raise TalkError(f"no complete reply within {timeout:g} s") from None
        await self._transcribed(TRANSCRIPT_GRACE)

    async def _transcribed(self, grace: float) -> None:
        """Until every turn's line is complete, for at most ``grace`` seconds (then the
        transcript shows what it has: a transcription may also never come)."""
        waits = [
            asyncio.ensure_future(self._printed.wait()),
            asyncio.ensure_future(self._gone.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    def _on_idle(self, idle: bool) -> None:
        """The printer says whether every turn's line is complete (:meth:`_transcribed`)."""
        if idle:
            self._printed.set()
        else:
            self._printed.clear()

    def close(self) -> None:
        """End the transcript: turns still open are printed as they are."""
        self._printer.close()

    async def wait_gone(self) -> NoReturn:
        """Until the connection ends (the server hung up or failed): ConnectionGone."""
        await self._gone.wait()
        raise ConnectionGone("the connection closed")

    def _tail_arrived(self) -> bool:
        loop = asyncio.get_running_loop()
        return self._last_audio is not None and loop.time() - self._last_audio >= TAIL_QUIET

    async def _unless_gone(self, awaitable: Any) -> None:
        waiting = asyncio.ensure_future(awaitable)
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait({waiting, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiting, gone):
                task.cancel()
            await asyncio.gather(waiting, gone, return_exceptions=True)
        if not waiting.done() or waiting.cancelled():
            raise ConnectionGone("the connection closed before the reply was complete")

    # -- transport and session events ------------------------------------------------------

    def _raw(self, event: ServerEvent) -> None:
        data = event.data
        if event.type == _USER_DELTA:
            self._printer.add((USER, data.get("item_id")), USER, str(data.get("delta") or ""))
        elif event.type == _USER_FAILED:
            self._printer.finish((USER, data.get("item_id")), USER)

    def _item(self, item: RealtimeItem) -> None:
        # The user's audio turn takes its place in the transcript now, before the reply's.
        if isinstance(item, UserMessageItem) and any(
            isinstance(part, InputAudio) for part in item.content
        ):
            self._printer.expect((USER, item.item_id), USER)

    def _user_done(self, event: InputAudioTranscriptionEvent) -> None:
        self._printer.finish((USER, event.item_id), USER, event.transcript)

    def _agent_delta(self, event: TranscriptDeltaEvent) -> None:
        key = event.response_id or event.item_id
        self._printer.add(("agent", key), self._speaker, event.delta)

    def _turn_done(self, event: TurnDoneEvent) -> None:
        response = event.response
        self._has_audio = any(
            isinstance(item, AssistantMessageItem)
            and any(isinstance(part, OutputAudio) for part in item.content)
            for item in response.output
        )
        if response.status == "failed":
            self._failure = f"the reply failed: {self._status_details(response.provider_data)}"

    def _agent_end(self, event: AgentEndEvent) -> None:
        self._printer.finish(("agent", event.response_id), event.agent.name, event.output_text)
        self._done.set()

    def _audio(self, event: AudioEvent) -> None:
        self._writer.write(event.data)
        self._last_audio = asyncio.get_running_loop().time()

    def _error(self, event: ErrorEvent) -> None:
        if error_code(event.error) in QUIET_ERRORS:
            return
        self.errors += 1
        self._report(error_text(event.error, self._api_key))

    def _connection(self, event: ConnectionChangeEvent) -> None:
        if event.status is ConnectionStatus.DISCONNECTED:
            self._gone.set()

    def _status_details(self, data: dict[str, Any] | None) -> str:
        details = (data or {}).get("status_details") or {}
        error = details.get("error") if isinstance(details, dict) else None
        if isinstance(error, dict):
            return error_text(error, self._api_key)
        return error_text(details or "no reason given", self._api_key)
