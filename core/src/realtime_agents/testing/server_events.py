"""Builders of OpenAI Realtime server events, for :class:`MockRealtimeTransport` handlers.

Each returns GA-shaped events (dicts) in the order a real server sends them, with fresh ids,
so a handler can answer a ``response.create`` in one line::

    def server(event):
        if event["type"] == "response.create":
            return server_events.text_response("Hello!")
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

__all__ = [
    "audio_response",
    "error",
    "function_call_response",
    "input_transcription",
    "response_created",
    "response_done",
    "session_created",
    "session_updated",
    "speech_started",
    "speech_stopped",
    "text_response",
]

_ids = itertools.count(1)

Event = dict[str, Any]


def _id(prefix: str) -> str:
    return f"{prefix}_mock{next(_ids)}"


def _event(type: str, **fields: Any) -> Event:
    return {"type": type, "event_id": _id("event"), **fields}


def _session(model: str) -> dict[str, Any]:
    pcm = {"type": "audio/pcm", "rate": 24000}
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": _id("sess"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "prompt": None,
        "truncation": "auto",
        "audio": {
            "input": {
                "format": pcm,
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": None,
            },
            "output": {"format": pcm, "voice": "alloy", "speed": 1.0},
        },
    }


def session_created(model: str = "gpt-realtime") -> Event:
    """``session.created`` for a default session of ``model`` (no turn detection)."""
    return _event("session.created", session=_session(model))


def session_updated(session: dict[str, Any] | None = None, model: str = "gpt-realtime") -> Event:
    """``session.updated`` with ``session`` (default: the default session of ``model``)."""
    return _event("session.updated", session=session or _session(model))


def _response(response_id: str, status: str, output: list[Event]) -> Event:
    usage = None
    if status != "in_progress":
        usage = {"total_tokens": 2, "input_tokens": 1, "output_tokens": 1}
    return {
        "object": "realtime.response",
        "id": response_id,
        "status": status,
        "status_details": None,
        "output": output,
        "conversation_id": "conv_mock",
        "output_modalities": ["audio"],
        "max_output_tokens": "inf",
        "usage": usage,
        "metadata": None,
    }


def response_created(response_id: str) -> Event:
    return _event("response.created", response=_response(response_id, "in_progress", []))


def response_done(response_id: str, output: list[Event], status: str = "completed") -> Event:
    return _event("response.done", response=_response(response_id, status, output))


def _message(item_id: str, status: str, content: list[Event]) -> Event:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def _reply(response_id: str | None, part: Event, deltas: list[Event]) -> list[Event]:
    """The whole event sequence of a one-message response carrying ``part``."""
    rid = response_id or _id("resp")
    item_id = _id("item")
    where: Event = {"response_id": rid, "item_id": item_id, "output_index": 0, "content_index": 0}
    # Content-part events name the part "text"/"audio"; the item's content, "output_*".
    streamed: Event = {**part, "type": part["type"].removeprefix("output_")}
    empty: Event = {k: "" if k in ("text", "transcript") else v for k, v in streamed.items()}
    done = _message(item_id, "completed", [part])
    return [
        response_created(rid),
        _event(
            "response.output_item.added",
            response_id=rid,
            output_index=0,
            item=_message(item_id, "in_progress", []),
        ),
        _event(
            "conversation.item.added",
            previous_item_id=None,
            item=_message(item_id, "in_progress", []),
        ),
        _event("response.content_part.added", **where, part=empty),
        *[{**delta, **where} for delta in deltas],
        _event("response.content_part.done", **where, part=streamed),
        _event("response.output_item.done", response_id=rid, output_index=0, item=done),
        _event("conversation.item.done", previous_item_id=None, item=done),
        response_done(rid, [done]),
    ]


def text_response(text: str, *, response_id: str | None = None) -> list[Event]:
    """A complete text response saying ``text``."""
    delta = _event("response.output_text.delta", delta=text)
    done = _event("response.output_text.done", text=text)
    return _reply(response_id, {"type": "output_text", "text": text}, [delta, done])


def audio_response(
    pcm: bytes, transcript: str = "", *, chunk: int = 4800, response_id: str | None = None
) -> list[Event]:
    """A complete audio response: ``pcm`` (PCM16 24 kHz) in deltas of ``chunk`` bytes."""
    deltas = [
        _event(
            "response.output_audio.delta",
            delta=base64.b64encode(pcm[i : i + chunk]).decode("ascii"),
        )
        for i in range(0, len(pcm), chunk)
    ]
    deltas.append(_event("response.output_audio.done"))
    if transcript:
        deltas.append(_event("response.output_audio_transcript.delta", delta=transcript))
    deltas.append(_event("response.output_audio_transcript.done", transcript=transcript))
    part = {"type": "output_audio", "transcript": transcript}
    return _reply(response_id, part, deltas)


def function_call_response(
    name: str,
    arguments: str = "{}",
    *,
    call_id: str | None = None,
    response_id: str | None = None,
) -> list[Event]:
    """A complete response whose output is one call of function ``name``."""
    rid = response_id or _id("resp")
    item = {
        "id": _id("item"),
        "object": "realtime.item",
        "type": "function_call",
        "status": "completed",
        "call_id": call_id or _id("call"),
        "name": name,
        "arguments": arguments,
    }
    started = {**item, "status": "in_progress", "arguments": ""}
    return [
        response_created(rid),
        _event("response.output_item.added", response_id=rid, output_index=0, item=started),
        _event(
            "response.function_call_arguments.done",
            response_id=rid,
            item_id=item["id"],
            output_index=0,
            call_id=item["call_id"],
            name=name,
            arguments=arguments,
        ),
        _event("response.output_item.done", response_id=rid, output_index=0, item=item),
        response_done(rid, [item]),
    ]


def speech_started(item_id: str | None = None, audio_start_ms: int = 0) -> Event:
    """The server's VAD heard the user start speaking."""
    return _event(
        "input_audio_buffer.speech_started",
        audio_start_ms=audio_start_ms,
        item_id=item_id or _id("item"),
    )


def speech_stopped(item_id: str, audio_end_ms: int = 0) -> Event:
    return _event("input_audio_buffer.speech_stopped", audio_end_ms=audio_end_ms, item_id=item_id)


def input_transcription(item_id: str, transcript: str, content_index: int = 0) -> Event:
    """The transcript of what the user said in audio item ``item_id``."""
    return _event(
        "conversation.item.input_audio_transcription.completed",
        item_id=item_id,
        content_index=content_index,
        transcript=transcript,
        usage={"type": "duration", "seconds": 1},
    )


def error(message: str, *, code: str | None = None, event_id: str | None = None) -> Event:
    """An ``error`` event, about client event ``event_id`` when given."""
    return _event(
        "error",
        error={
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": None,
            "event_id": event_id,
        },
    )
