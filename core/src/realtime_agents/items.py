"""History items: what a session keeps of the conversation.

These mirror the Realtime API's conversation items, with the fields renamed to snake_case
and the protocol's ``id`` called ``item_id`` (as in the JS SDK). Items are frozen; a newer
state of an item is a new object (``attrs.evolve``).
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import attrs

__all__ = [
    "AssistantContent",
    "AssistantMessageItem",
    "FunctionCallItem",
    "InputAudio",
    "InputImage",
    "InputText",
    "ItemStatus",
    "McpApprovalRequestItem",
    "McpCallItem",
    "OutputAudio",
    "OutputText",
    "RealtimeItem",
    "SystemMessageItem",
    "UserContent",
    "UserMessageItem",
]

ItemStatus: TypeAlias = Literal["in_progress", "completed", "incomplete"]


@attrs.frozen
class InputText:
    text: str
    type: Literal["input_text"] = "input_text"


@attrs.frozen
class InputAudio:
    """User audio. ``audio`` (base64) is kept only when the session stores audio."""

    audio: str | None = attrs.field(default=None, repr=False)
    transcript: str | None = None
    type: Literal["input_audio"] = "input_audio"


@attrs.frozen
class InputImage:
    image_url: str = attrs.field(repr=lambda u: u if len(u) < 64 else u[:60] + "...")
    detail: str | None = None
    type: Literal["input_image"] = "input_image"


@attrs.frozen
class OutputText:
    text: str
    type: Literal["output_text"] = "output_text"


@attrs.frozen
class OutputAudio:
    audio: str | None = attrs.field(default=None, repr=False)
    transcript: str | None = None
    type: Literal["output_audio"] = "output_audio"


UserContent: TypeAlias = InputText | InputAudio | InputImage
AssistantContent: TypeAlias = OutputText | OutputAudio


@attrs.frozen
class SystemMessageItem:
    item_id: str
    content: tuple[InputText, ...]
    previous_item_id: str | None = None
    type: Literal["message"] = "message"
    role: Literal["system"] = "system"


@attrs.frozen
class UserMessageItem:
    item_id: str
    content: tuple[UserContent, ...]
    status: ItemStatus = "completed"
    previous_item_id: str | None = None
    type: Literal["message"] = "message"
    role: Literal["user"] = "user"


@attrs.frozen
class AssistantMessageItem:
    item_id: str
    content: tuple[AssistantContent, ...]
    status: ItemStatus = "in_progress"
    previous_item_id: str | None = None
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"


@attrs.frozen
class FunctionCallItem:
    """A function call and, once known, its output."""

    item_id: str
    name: str
    arguments: str
    call_id: str | None = None
    output: str | None = None
    status: ItemStatus = "in_progress"
    previous_item_id: str | None = None
    type: Literal["function_call"] = "function_call"


@attrs.frozen
class McpCallItem:
    """A call a hosted MCP server ran (``mcp_call``; ``mcp_tool_call`` on older servers)."""

    item_id: str
    name: str
    arguments: str
    output: str | None = None
    status: ItemStatus = "in_progress"
    previous_item_id: str | None = None
    type: Literal["mcp_call", "mcp_tool_call"] = "mcp_call"


@attrs.frozen
class McpApprovalRequestItem:
    """A hosted MCP server asks whether it may run a tool."""

    item_id: str
    server_label: str
    name: str
    arguments: dict[str, Any]
    approved: bool | None = None
    previous_item_id: str | None = None
    type: Literal["mcp_approval_request"] = "mcp_approval_request"


MessageItem: TypeAlias = SystemMessageItem | UserMessageItem | AssistantMessageItem
RealtimeItem: TypeAlias = MessageItem | FunctionCallItem | McpCallItem | McpApprovalRequestItem
