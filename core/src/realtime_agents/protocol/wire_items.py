"""Conversation items on the wire ⇄ :mod:`realtime_agents.items`.

Server items (``{"id", "type", "role", "content", "status", ...}``) become frozen history
items; history messages become the ``item`` of ``conversation.item.create``. Assistant
content of beta servers (``audio``/``text`` parts) is read as ``output_audio``/``output_text``.
Functions raise ``KeyError``/``TypeError``/``ValueError`` on items they cannot read: the
protocol turns those into ``error`` events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ..errors import UserError
from ..items import (
    AssistantContent,
    AssistantMessageItem,
    FunctionCallItem,
    InputAudio,
    InputImage,
    InputText,
    ItemStatus,
    McpApprovalRequestItem,
    McpCallItem,
    OutputAudio,
    OutputText,
    RealtimeItem,
    SystemMessageItem,
    UserContent,
    UserMessageItem,
)

__all__ = [
    "function_call_from_wire",
    "has_output_audio",
    "item_status",
    "mcp_approval_request_from_wire",
    "mcp_call_from_wire",
    "message_from_wire",
    "message_to_wire",
]

_STATUSES: Final = frozenset({"in_progress", "completed", "incomplete"})


def item_status(item: Mapping[str, Any], default: ItemStatus) -> ItemStatus:
    """The item's own ``status`` when it is a valid one, else ``default``."""
    status = item.get("status")
    return status if status in _STATUSES else default


def _str(value: object, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _item_id(item: Mapping[str, Any]) -> str:
    item_id = item["id"]
    if not isinstance(item_id, str):
        raise TypeError(f"item id must be a string, got {type(item_id).__name__}")
    return item_id


def _content(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = item.get("content") or []
    if not isinstance(content, list):
        raise TypeError("message content must be a list")
    return [part for part in content if isinstance(part, Mapping)]


def _user_part(part: Mapping[str, Any]) -> UserContent | None:
    kind = part.get("type")
    if kind == "input_text":
        return InputText(_str(part.get("text")))
    if kind == "input_audio":
        return InputAudio(_optional_str(part.get("audio")), _optional_str(part.get("transcript")))
    if kind == "input_image":
        return InputImage(_str(part.get("image_url")), _optional_str(part.get("detail")))
    return None


def _assistant_part(part: Mapping[str, Any]) -> AssistantContent | None:
    kind = part.get("type")
    if kind in ("output_text", "text"):
        return OutputText(_str(part.get("text")))
    if kind in ("output_audio", "audio"):
        return OutputAudio(_optional_str(part.get("audio")), _optional_str(part.get("transcript")))
    return None


def message_from_wire(
    item: Mapping[str, Any], *, default_status: ItemStatus, previous_item_id: str | None = None
) -> RealtimeItem | None:
    """A history message from a server ``message`` item; None for an unknown role.

    ``status`` is the item's own when valid, else ``default_status``. Content parts of
    unknown types are skipped (newer servers may add some).
    """
    item_id = _item_id(item)
    role = item.get("role")
    parts = _content(item)
    previous = _optional_str(previous_item_id)
    if role == "system":
        texts = tuple(
            InputText(_str(p.get("text"))) for p in parts if p.get("type") == "input_text"
        )
        return SystemMessageItem(item_id, texts, previous)
    status = item_status(item, default_status)
    if role == "user":
        user = tuple(c for c in map(_user_part, parts) if c is not None)
        return UserMessageItem(item_id, user, status, previous)
    if role == "assistant":
        assistant = tuple(c for c in map(_assistant_part, parts) if c is not None)
        return AssistantMessageItem(item_id, assistant, status, previous)
    return None


def function_call_from_wire(
    item: Mapping[str, Any],
    *,
    previous_item_id: str | None = None,
    status: ItemStatus = "in_progress",
) -> FunctionCallItem:
    """A function call without its output (``output`` None).

    ``status`` defaults to ``in_progress``: history shows a call as running until the client
    sends its output, whatever the server item says.
    """
    return FunctionCallItem(
        item_id=_item_id(item),
        name=_str(item.get("name")),
        arguments=_str(item.get("arguments")),
        call_id=_optional_str(item.get("call_id")),
        output=None,
        status=status,
        previous_item_id=_optional_str(previous_item_id),
    )


def mcp_call_from_wire(item: Mapping[str, Any], *, status: ItemStatus) -> McpCallItem:
    """A hosted MCP call (``mcp_call`` or the older ``mcp_tool_call``)."""
    output = item.get("output")
    return McpCallItem(
        item_id=_item_id(item),
        name=_str(item.get("name")),
        arguments=_str(item.get("arguments")),
        output=output if isinstance(output, str) or output is None else json.dumps(output),
        status=status,
        type="mcp_tool_call" if item.get("type") == "mcp_tool_call" else "mcp_call",
    )


def mcp_approval_request_from_wire(item: Mapping[str, Any]) -> McpApprovalRequestItem:
    """An MCP approval request; its JSON ``arguments`` string is parsed into a dict."""
    arguments = json.loads(_str(item.get("arguments")) or "{}")
    if not isinstance(arguments, dict):
        raise ValueError("mcp_approval_request arguments must be a JSON object")
    approved = item.get("approved")
    return McpApprovalRequestItem(
        item_id=_item_id(item),
        server_label=_str(item.get("server_label")),
        name=_str(item.get("name")),
        arguments=arguments,
        approved=approved if isinstance(approved, bool) else None,
    )


def has_output_audio(item: RealtimeItem) -> bool:
    """Whether ``item`` is an assistant message with audio content (which clients can't create)."""
    return isinstance(item, AssistantMessageItem) and any(
        isinstance(part, OutputAudio) for part in item.content
    )


def message_to_wire(item: RealtimeItem) -> dict[str, Any] | None:
    """The ``item`` of ``conversation.item.create`` for a history message; None otherwise.

    Raises :class:`~realtime_agents.errors.UserError` for assistant audio content, which the
    server refuses to accept from a client.
    """
    if not isinstance(item, SystemMessageItem | UserMessageItem | AssistantMessageItem):
        return None
    wire: dict[str, Any] = {"id": item.item_id, "type": "message", "role": item.role}
    wire["content"] = [_part_to_wire(part) for part in item.content]
    if not isinstance(item, SystemMessageItem):
        wire["status"] = item.status
    return wire


def _part_to_wire(part: UserContent | AssistantContent) -> dict[str, Any]:
    if isinstance(part, InputText | OutputText):
        return {"type": part.type, "text": part.text}
    if isinstance(part, InputImage):
        return _without_none(
            {"type": part.type, "image_url": part.image_url, "detail": part.detail}
        )
    if isinstance(part, InputAudio):
        return _without_none(
            {"type": part.type, "audio": part.audio, "transcript": part.transcript}
        )
    raise UserError(
        "assistant audio cannot be added to the conversation by a client; "
        "replace output_audio content with output_text before updating the history"
    )


def _without_none(wire: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in wire.items() if value is not None}
