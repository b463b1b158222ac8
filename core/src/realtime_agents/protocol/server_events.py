"""Server events: the GA catalogue and pure readers of their payloads.

:mod:`.inbound` maps frames to transport events with these; nothing here keeps state.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any, Final

from ..errors import RealtimeAgentsError
from ..events import TurnDoneEvent, TurnDoneResponse, Usage
from ..items import RealtimeItem
from .connection import redact
from .wire_items import function_call_from_wire, item_status, mcp_call_from_wire, message_from_wire

__all__ = [
    "SERVER_EVENT_TYPES",
    "MalformedServerEventError",
    "OddAudioDeltaError",
    "UnreadableFrameError",
    "decode_audio_delta",
    "interrupt_response_of",
    "turn_done_event",
    "usage_from_response",
]

#: Every server event type of the GA Realtime API (``openai.types.realtime.RealtimeServerEvent``).
SERVER_EVENT_TYPES: Final = frozenset(
    {
        "conversation.created",
        "conversation.item.added",
        "conversation.item.created",
        "conversation.item.deleted",
        "conversation.item.done",
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.failed",
        "conversation.item.input_audio_transcription.segment",
        "conversation.item.retrieved",
        "conversation.item.truncated",
        "error",
        "input_audio_buffer.cleared",
        "input_audio_buffer.committed",
        "input_audio_buffer.dtmf_event_received",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.timeout_triggered",
        "mcp_list_tools.completed",
        "mcp_list_tools.failed",
        "mcp_list_tools.in_progress",
        "output_audio_buffer.cleared",
        "output_audio_buffer.started",
        "output_audio_buffer.stopped",
        "rate_limits.updated",
        "response.content_part.added",
        "response.content_part.done",
        "response.created",
        "response.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.mcp_call.in_progress",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.output_audio.delta",
        "response.output_audio.done",
        "response.output_audio_transcript.delta",
        "response.output_audio_transcript.done",
        "response.output_item.added",
        "response.output_item.done",
        "response.output_text.delta",
        "response.output_text.done",
        "session.created",
        "session.updated",
    }
)


class MalformedServerEventError(RealtimeAgentsError, ValueError):
    """A known server event lacked a field the protocol needs, or had the wrong type.

    Published as an ``error`` event; the session keeps running. ``event`` is the raw frame.
    """

    def __init__(self, event_type: str, problem: BaseException, event: Mapping[str, Any]) -> None:
        detail = f"{type(problem).__name__}: {problem}"
        super().__init__(f"malformed {event_type!r} event from the server ({detail})")
        self.event_type = event_type
        self.event = event


class OddAudioDeltaError(RealtimeAgentsError, ValueError):
    """A PCM16 audio delta with an odd number of bytes: half a sample is missing somewhere.

    Published once per item as an ``error`` event; the audio itself is still delivered as
    received (nothing is lost, but playback of that item may be misaligned).
    """

    def __init__(self, item_id: str, size: int) -> None:
        super().__init__(
            f"audio delta of item {item_id!r} has an odd length ({size} bytes) for PCM16 "
            "(2 bytes per sample); passed on as received"
        )
        self.item_id = item_id
        self.size = size


#: How much of an unreadable frame is redacted to quote its first 80 characters.
_QUOTE_WINDOW: Final = 2048


class UnreadableFrameError(RealtimeAgentsError, ValueError):
    """A frame that is not a server event: binary, not JSON, or JSON without a string ``type``.

    Such frames are never published as server events (nothing on ``*``); one ``error`` event
    says what arrived, so a misbehaving proxy is visible instead of silently ignored.
    """

    def __init__(self, reason: str, frame: str | bytes, secret: str | None = None) -> None:
        head = frame[:_QUOTE_WINDOW]
        text = head.decode("utf-8", "backslashreplace") if isinstance(head, bytes) else head
        # Redacted before it is cut to 80 characters, so no fragment of a key survives the cut
        # (the window is far longer than any key; a huge frame is not scanned whole).
        text = redact(text, secret)
        more = "..." if len(frame) > 80 else ""
        super().__init__(f"ignored a server frame: {reason}: {text[:80]!r}{more}")
        self.reason = reason


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _details(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def usage_from_response(response: Mapping[str, Any]) -> Usage:
    """The usage of one response (``total_tokens`` = input + output, as the JS SDK counts)."""
    usage = response.get("usage")
    if not isinstance(usage, Mapping):
        usage = {}
    input_tokens, output_tokens = _int(usage.get("input_tokens")), _int(usage.get("output_tokens"))
    return Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        input_tokens_details=_details(usage.get("input_token_details")),
        output_tokens_details=_details(usage.get("output_token_details")),
    )


def turn_done_event(response: dict[str, Any], usage: Usage) -> TurnDoneEvent:
    """``turn_done`` for a ``response.done``'s ``response`` object.

    ``output`` holds the response's messages, function calls and MCP calls as history items,
    with their final status (the item's own, else ``completed``); other items (e.g. MCP
    approval requests, tool listings) appear only in ``provider_data``, the raw response.
    """
    response_id = response.get("id")
    output = response.get("output")
    status = response.get("status")
    if output is not None and not isinstance(output, list):
        raise TypeError("response.output must be a list")
    items = [item for item in map(_output_item, output or ()) if item is not None]
    return TurnDoneEvent(
        TurnDoneResponse(
            id=response_id if isinstance(response_id, str) else "",
            output=items,
            usage=usage,
            status=status if isinstance(status, str) else "completed",
            provider_data=response,
        )
    )


def _output_item(item: object) -> RealtimeItem | None:
    if not isinstance(item, Mapping):
        raise TypeError(f"response.output items must be objects, got {type(item).__name__}")
    kind = item.get("type")
    if kind == "message":
        return message_from_wire(item, default_status="completed")
    if kind == "function_call":
        return function_call_from_wire(item, status=item_status(item, "completed"))
    if kind in ("mcp_call", "mcp_tool_call"):
        return mcp_call_from_wire(item, status=item_status(item, "completed"))
    return None


def interrupt_response_of(session: Mapping[str, Any] | None) -> bool:
    """Whether the server itself cancels a response when the user starts speaking.

    Read from the session's ``audio.input.turn_detection`` (or beta ``turn_detection``);
    False when unknown, so the client cancels and a response never talks over the user.
    """
    if not isinstance(session, Mapping):
        return False
    detection: object = session.get("turn_detection")
    audio = session.get("audio")
    if isinstance(audio, Mapping) and isinstance(audio.get("input"), Mapping):
        detection = audio["input"].get("turn_detection")
    if not isinstance(detection, Mapping):
        return False
    return detection.get("interrupt_response") is True


def decode_audio_delta(delta: str) -> bytes:
    """The bytes of an audio delta's base64 text; ValueError unless it is strictly base64.

    Lenient decoding would turn junk into silent junk audio (``"@@@@"`` into nothing,
    ``"AAAA####AAAA"`` into 6 bytes): strict mode rejects any character outside the
    alphabet and bad padding, at no measurable cost.
    """
    try:
        return binascii.a2b_base64(delta, strict_mode=True)
    except ValueError as exc:  # binascii.Error, or a str that is not ASCII
        raise ValueError(f"delta is not valid base64 ({exc})") from None
