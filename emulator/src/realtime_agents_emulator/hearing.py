"""What the scripted model "hears": transcripts of audio turns, the turn a response answers, and
the input-transcription events.

The emulator cannot recognise speech, so the brain decides what each audio turn says
(:meth:`Brain.transcribe`); :class:`Hearing` remembers it per item so that responses (and input
transcription, when enabled) use the same words.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .audio import AudioFormat
from .brain import AudioTurn, Brain, Turn
from .items import Conversation, StoredItem
from .usage import INPUT_AUDIO_TOKENS_PER_S, audio_tokens, text_tokens

__all__ = ["Hearing", "transcription_events"]

log = logging.getLogger(__name__)

Event = dict[str, Any]


class Hearing:
    """Transcripts of the audio turns of one session, in order."""

    def __init__(self, brain: Brain, on_crash: Callable[[BaseException], None]) -> None:
        self._brain = brain
        self._on_crash = on_crash
        self._heard: dict[str, str] = {}
        self._audio_index: dict[str, int] = {}
        self._turns = 0

    def hear(self, item_id: str, audio: bytes, audio_format: AudioFormat) -> str:
        """Count a new audio turn and ask the brain what it says."""
        self._turns += 1
        turn = AudioTurn(
            self._turns, int(audio_format.duration_ms(len(audio))), audio_format.decode(audio)
        )
        try:
            heard = str(self._brain.transcribe(turn))
        except Exception as exc:  # a brain bug must not kill the connection
            log.exception("brain.transcribe failed")
            self._on_crash(exc)
            heard = ""
        self._heard[item_id], self._audio_index[item_id] = heard, self._turns
        return heard

    def override(self, item_id: str, transcript: str) -> None:
        """Use a transcript the client supplied with its audio item."""
        self._heard[item_id] = transcript

    def transcript(self, item_id: str) -> str:
        return self._heard.get(item_id, "")

    def turn(
        self,
        context: Sequence[Mapping[str, Any]],
        settings: Mapping[str, Any],
        conversation: Conversation,
    ) -> Turn:
        """The :class:`Turn` a response over ``context`` answers: the latest user message or
        function-call output (earlier assistant items are skipped)."""
        common: dict[str, Any] = {
            "items": tuple(copy.deepcopy(list(context))),
            "tools": tuple(settings.get("tools") or ()),
            "tool_choice": settings.get("tool_choice") or "auto",
            "instructions": settings.get("instructions") or "",
            "voice": _voice(settings),
            "output_modalities": tuple(settings.get("output_modalities") or ("audio",)),
            "metadata": settings.get("metadata"),
        }
        for item in reversed(context):
            if item.get("type") == "function_call_output":
                call_id = item.get("call_id")
                calls = [*context, *(stored.item for stored in conversation)]
                name = next(
                    (
                        c.get("name")
                        for c in calls
                        if c.get("type") == "function_call" and c.get("call_id") == call_id
                    ),
                    None,
                )
                output = str(item.get("output"))
                return Turn(
                    "tool_output", tool_name=name, tool_output=output, call_id=call_id, **common
                )
            if item.get("type") == "message" and item.get("role") == "user":
                return self._user_turn(item, common)
        return Turn("none", **common)

    def _user_turn(self, item: Mapping[str, Any], common: dict[str, Any]) -> Turn:
        item_id = str(item.get("id"))
        texts: list[str] = []
        audio = False
        for part in item.get("content") or []:
            if part.get("type") == "input_text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "input_audio":
                audio = True
                texts.append(self._heard.get(item_id, part.get("transcript") or ""))
        text = " ".join(t for t in texts if t)
        if audio:
            return Turn("audio", text=text, audio_index=self._audio_index.get(item_id), **common)
        return Turn("text", text=text, **common)


def transcription_events(
    stored: StoredItem,
    transcript: str,
    model: object,
    with_logprobs: bool,
    obfuscation: Callable[[str], str],
) -> list[tuple[str, Event]]:
    """The ``conversation.item.input_audio_transcription.delta``… ``completed`` events of one
    user audio item, as ``(type, fields)`` pairs. ``whisper-1`` sends the whole transcript in one
    delta and reports duration usage; other models stream words and report token usage."""
    whole = model == "whisper-1"
    words = transcript.split(" ")
    tokens = [transcript] if whole else [w + " " for w in words[:-1]] + [words[-1]]
    events: list[tuple[str, Event]] = []
    for token in tokens:
        delta: Event = {
            "item_id": stored.id,
            "content_index": 0,
            "delta": token,
            "obfuscation": obfuscation(token),
        }
        if with_logprobs:
            delta["logprobs"] = [_logprob(token)]
        events.append(("conversation.item.input_audio_transcription.delta", delta))
    audio_ms = AudioFormat(stored.audio_format).duration_ms(len(stored.audio.get(0, b"")))
    usage: Event
    if whole:
        usage = {"type": "duration", "seconds": round(audio_ms / 1000, 3)}
    else:
        audio_in = audio_tokens(audio_ms, INPUT_AUDIO_TOKENS_PER_S)
        text_out = text_tokens(transcript)
        usage = {
            "type": "tokens",
            "input_tokens": audio_in,
            "output_tokens": text_out,
            "total_tokens": audio_in + text_out,
            "input_token_details": {"audio_tokens": audio_in, "text_tokens": 0},
        }
    completed: Event = {
        "item_id": stored.id,
        "content_index": 0,
        "transcript": transcript,
        "usage": usage,
    }
    if with_logprobs:
        completed["logprobs"] = [_logprob(token) for token in tokens]
    events.append(("conversation.item.input_audio_transcription.completed", completed))
    return events


def _logprob(token: str) -> Event:
    return {"token": token, "logprob": 0.0, "bytes": list(token.encode("utf-8"))}


def _voice(settings: Mapping[str, Any]) -> str:
    """The response's voice (a custom voice by its ``id``, see ``response_settings``)."""
    voice = ((settings.get("audio") or {}).get("output") or {}).get("voice")
    return voice if isinstance(voice, str) else ""
