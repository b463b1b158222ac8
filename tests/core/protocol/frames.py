"""GA-shaped server frames (realtime-protocol.md §3, §5, §6), a settable clock, and helpers
that drive a protocol and drain the events it queued.

Every builder returns the JSON text a real server would send; ``event_id`` values are unique.
"""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

from realtime_agents.protocol import Events, OpenAIRealtimeProtocol

_ids = itertools.count(1)


def frame(type: str, **fields: Any) -> str:
    return json.dumps({"type": type, "event_id": f"event_{next(_ids)}", **fields})


def loads(frames: list[str]) -> list[dict[str, Any]]:
    return [json.loads(f) for f in frames]


def types(frames: list[str]) -> list[str]:
    return [json.loads(f)["type"] for f in frames]


def feed(proto: OpenAIRealtimeProtocol, frame: str | bytes) -> Events:
    """Give ``proto`` one server frame; return the events it queued (drained)."""
    proto.receive_frame(frame)
    return proto.events_received()


def interrupt(proto: OpenAIRealtimeProtocol, *, cancel_ongoing_response: bool = True) -> Events:
    """Barge in; return the events it queued (drained)."""
    proto.interrupt(cancel_ongoing_response=cancel_ongoing_response)
    return proto.events_received()


class Clock:
    """A clock in seconds that only moves when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance_ms(self, ms: float) -> None:
        self.now += ms / 1000


# -- session ------------------------------------------------------------------------------


def ga_session(
    *,
    output_format: dict[str, Any] | None = None,
    turn_detection: dict[str, Any] | None = None,
    tracing: Any = None,
) -> dict[str, Any]:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": "sess_1",
        "model": "gpt-realtime",
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": tracing,
        "prompt": None,
        "truncation": "auto",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": turn_detection
                if turn_detection is not None
                else {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 200,
                    "idle_timeout_ms": None,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {
                "format": output_format or {"type": "audio/pcm", "rate": 24000},
                "voice": "alloy",
                "speed": 1.0,
            },
        },
    }


def session_created(**kwargs: Any) -> str:
    return frame("session.created", session=ga_session(**kwargs))


def session_updated(**kwargs: Any) -> str:
    return frame("session.updated", session=ga_session(**kwargs))


# -- responses ----------------------------------------------------------------------------


def response(
    response_id: str,
    *,
    status: str = "in_progress",
    output: list[dict[str, Any]] | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "object": "realtime.response",
        "id": response_id,
        "status": status,
        "status_details": None,
        "output": output or [],
        "conversation_id": "conv_1",
        "output_modalities": ["audio"],
        "max_output_tokens": "inf",
        "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"}},
        "usage": usage,
        "metadata": None,
    }


def response_created(response_id: str) -> str:
    return frame("response.created", response=response(response_id))


def response_done(
    response_id: str,
    *,
    status: str = "completed",
    output: list[dict[str, Any]] | None = None,
    usage: dict[str, Any] | None = None,
) -> str:
    return frame(
        "response.done",
        response=response(response_id, status=status, output=output, usage=usage),
    )


def usage(input_tokens: int = 10, output_tokens: int = 20) -> dict[str, Any]:
    return {
        "total_tokens": input_tokens + output_tokens,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "input_token_details": {"text_tokens": input_tokens, "audio_tokens": 0, "cached_tokens": 0},
        "output_token_details": {"text_tokens": 5, "audio_tokens": output_tokens - 5},
    }


# -- items --------------------------------------------------------------------------------


def assistant_item(
    item_id: str, *, status: str | None = "in_progress", content: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "content": content if content is not None else [],
    }
    if status is not None:
        item["status"] = status
    return item


def user_item(
    item_id: str, *, status: str | None = "completed", content: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "content": content if content is not None else [{"type": "input_text", "text": "hi"}],
    }
    if status is not None:
        item["status"] = status
    return item


def function_call_item(
    item_id: str,
    call_id: str,
    *,
    status: str = "completed",
    name: str = "get_weather",
    arguments: str = '{"city":"Paris"}',
) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments if status == "completed" else "",
    }


def output_item_added(response_id: str, item: dict[str, Any], output_index: int = 0) -> str:
    return frame(
        "response.output_item.added", response_id=response_id, output_index=output_index, item=item
    )


def output_item_done(response_id: str, item: dict[str, Any], output_index: int = 0) -> str:
    return frame(
        "response.output_item.done", response_id=response_id, output_index=output_index, item=item
    )


def item_added(item: dict[str, Any], previous_item_id: str | None = None) -> str:
    return frame("conversation.item.added", previous_item_id=previous_item_id, item=item)


def item_done(item: dict[str, Any], previous_item_id: str | None = None) -> str:
    return frame("conversation.item.done", previous_item_id=previous_item_id, item=item)


def item_retrieved(item: dict[str, Any]) -> str:
    return frame("conversation.item.retrieved", item=item)


# -- deltas -------------------------------------------------------------------------------


def audio_delta(
    response_id: str, item_id: str, data: bytes, *, content_index: int = 0, output_index: int = 0
) -> str:
    return frame(
        "response.output_audio.delta",
        response_id=response_id,
        item_id=item_id,
        output_index=output_index,
        content_index=content_index,
        delta=base64.b64encode(data).decode("ascii"),
    )


def audio_done(response_id: str, item_id: str, *, content_index: int = 0) -> str:
    return frame(
        "response.output_audio.done",
        response_id=response_id,
        item_id=item_id,
        output_index=0,
        content_index=content_index,
    )


def transcript_delta(response_id: str, item_id: str, delta: str) -> str:
    return frame(
        "response.output_audio_transcript.delta",
        response_id=response_id,
        item_id=item_id,
        output_index=0,
        content_index=0,
        delta=delta,
        obfuscation="x1y2",
    )


def text_delta(response_id: str, item_id: str, delta: str) -> str:
    return frame(
        "response.output_text.delta",
        response_id=response_id,
        item_id=item_id,
        output_index=0,
        content_index=0,
        delta=delta,
        obfuscation="x1y2",
    )


def content_part_added(
    response_id: str, item_id: str, *, kind: str = "audio", content_index: int = 0
) -> str:
    part = {"type": kind, "transcript": ""} if kind == "audio" else {"type": kind, "text": ""}
    return frame(
        "response.content_part.added",
        response_id=response_id,
        item_id=item_id,
        output_index=0,
        content_index=content_index,
        part=part,
    )


def output_audio_buffer(kind: str, response_id: str) -> str:
    """``output_audio_buffer.started``/``stopped``/``cleared`` (WebRTC and SIP only)."""
    return frame(f"output_audio_buffer.{kind}", response_id=response_id)


def speech_started(item_id: str = "item_user", audio_start_ms: int = 0) -> str:
    return frame(
        "input_audio_buffer.speech_started", audio_start_ms=audio_start_ms, item_id=item_id
    )


def error(*, code: str | None = None, message: str = "boom", event_id: str | None = None) -> str:
    return frame(
        "error",
        error={
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": None,
            "event_id": event_id,
        },
    )


def pcm_ms(ms: int) -> bytes:
    """``ms`` milliseconds of PCM16 24 kHz silence (48 bytes per ms)."""
    return b"\x00" * (48 * ms)
