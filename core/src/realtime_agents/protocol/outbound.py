"""Client events: pure builders of the JSON the Realtime API accepts.

Each function returns one client event (a dict, or a ready-to-send string on the audio path).
:func:`encode` is the single serialisation point: it fails with
:class:`~realtime_agents.errors.UserError` before anything is queued when a caller's data is
not JSON, so a bad ``other_event_data`` never half-sends.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..errors import UserError
from ..items import McpApprovalRequestItem

__all__ = [
    "CLEAR_OUTPUT_AUDIO_EVENT",
    "COMMIT_FRAME",
    "append_audio_frame",
    "delete_item_event",
    "encode",
    "encode_base64",
    "function_call_output_event",
    "mcp_approval_response_event",
    "retrieve_item_event",
    "session_update_event",
    "truncate_event",
    "user_message_event",
]

#: ``input_audio_buffer.commit``, pre-encoded: it never changes.
COMMIT_FRAME: Final = '{"type":"input_audio_buffer.commit"}'
#: ``output_audio_buffer.clear`` (WebRTC/SIP): the server stops playing and truncates itself.
CLEAR_OUTPUT_AUDIO_EVENT: Final = {"type": "output_audio_buffer.clear"}
_APPEND_HEAD: Final = '{"type":"input_audio_buffer.append","audio":"'
_COMPACT: Final = (",", ":")


def encode(event: Mapping[str, Any]) -> str:
    """Serialise a client event; UserError (naming the event type) if it is not JSON."""
    try:
        return json.dumps(event, separators=_COMPACT)
    except (TypeError, ValueError) as exc:
        raise UserError(
            f"cannot send {event.get('type')!r}: not JSON-serialisable ({exc})"
        ) from exc


def encode_base64(data: bytes) -> str:
    """Standard base64 of ``data``, as text (no newline)."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def append_audio_frame(pcm: bytes, b64encode: Callable[[bytes], str] = encode_base64) -> str:
    """``input_audio_buffer.append`` for ``pcm``, built without ``json.dumps``.

    Base64 needs no JSON escaping, so string concatenation is exact and avoids a dict plus a
    serialiser pass on the microphone path. ``b64encode``: the codec's (see :mod:`.codec`).
    """
    return _APPEND_HEAD + b64encode(pcm) + '"}'


def session_update_event(session: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "session.update", "session": session}


def _content_part(part: Mapping[str, Any]) -> dict[str, Any]:
    """An SDK input part → wire part: ``input_image{image, provider_data}`` → ``image_url``."""
    if part.get("type") == "input_image" and "image" in part:
        wire: dict[str, Any] = {"type": "input_image", "image_url": part["image"]}
        wire.update(part.get("provider_data") or {})
        return wire
    return dict(part)


def user_message_event(
    message: str | Mapping[str, Any], other_event_data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``conversation.item.create`` of a user message; ``other_event_data`` is merged in."""
    if isinstance(message, str):
        content: list[dict[str, Any]] = [{"type": "input_text", "text": message}]
    elif isinstance(message, Mapping) and isinstance(message.get("content"), list | tuple):
        content = [_content_part(part) for part in message["content"]]
    else:
        raise UserError(
            "a message is a string or {'type': 'message', 'role': 'user', 'content': [...]}"
        )
    event: dict[str, Any] = {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": content},
    }
    event.update(other_event_data or {})
    return event


def function_call_output_event(call_id: str, output: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "output": output, "call_id": call_id},
    }


def truncate_event(item_id: str, content_index: int, audio_end_ms: int) -> dict[str, Any]:
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": audio_end_ms,
    }


def retrieve_item_event(item_id: str) -> dict[str, Any]:
    return {"type": "conversation.item.retrieve", "item_id": item_id}


def delete_item_event(item_id: str) -> dict[str, Any]:
    return {"type": "conversation.item.delete", "item_id": item_id}


def mcp_approval_response_event(
    request: McpApprovalRequestItem, approved: bool, reason: str | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "mcp_approval_response",
        "approval_request_id": request.item_id,
        "approve": approved,
    }
    if reason is not None:
        item["reason"] = reason
    return {"type": "conversation.item.create", "previous_item_id": request.item_id, "item": item}
