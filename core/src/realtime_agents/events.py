"""Transport events: the names and payloads of ``RealtimeTransportEventTypes``.

Every transport publishes these on the bus (:mod:`realtime_agents.bus`) with itself as sender.
Payloads are frozen attrs classes: a subscriber cannot change what the next subscriber sees.
The names match the JS SDK's transport contract so its documentation translates directly.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import attrs

if TYPE_CHECKING:
    from .items import McpApprovalRequestItem, McpCallItem, RealtimeItem

__all__ = [
    "EVENT_NAMES",
    "AudioDoneEvent",
    "AudioEvent",
    "AudioInterruptedEvent",
    "ConnectionChangeEvent",
    "ConnectionStatus",
    "ErrorEvent",
    "FunctionCallEvent",
    "ItemDeletedEvent",
    "McpToolsListedEvent",
    "OutputTextDeltaEvent",
    "ServerEvent",
    "TranscriptDeltaEvent",
    "TransportEventPayload",
    "TurnDoneEvent",
    "TurnDoneResponse",
    "TurnStartedEvent",
    "Usage",
]


class ConnectionStatus(enum.StrEnum):
    """Where a transport's connection is. A ``str`` so it compares equal to the docs' strings."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTING = "disconnecting"
    DISCONNECTED = "disconnected"


@attrs.frozen
class ServerEvent:
    """A raw server event: published on ``*`` and under its own ``type`` name.

    ``data`` is a private copy of the decoded JSON, unknown fields included.
    """

    type: str
    data: dict[str, Any] = attrs.field(repr=False)


@attrs.frozen
class ErrorEvent:
    """``error``: a server ``error`` event, a transport failure or a handler's exception."""

    error: Any
    type: Literal["error"] = "error"


@attrs.frozen
class FunctionCallEvent:
    """``function_call``: the model finished the arguments of a function call."""

    name: str
    call_id: str
    arguments: str
    id: str | None = None
    previous_item_id: str | None = None
    response_id: str | None = None
    type: Literal["function_call"] = "function_call"


@attrs.frozen
class AudioEvent:
    """``audio``: assistant audio in the session's output format (PCM16 24 kHz by default)."""

    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    response_id: str | None = None
    item_id: str | None = None
    content_index: int = 0
    type: Literal["audio"] = "audio"


@attrs.frozen
class AudioInterruptedEvent:
    """``audio_interrupted``: playback of the assistant's audio must stop now.

    ``audio_end_ms`` is where the item was truncated (None when nothing was truncated).
    """

    item_id: str | None = None
    content_index: int = 0
    audio_end_ms: int | None = None
    type: Literal["audio_interrupted"] = "audio_interrupted"


@attrs.frozen
class TranscriptDeltaEvent:
    """``audio_transcript_delta``: more transcript of the assistant's audio."""

    item_id: str
    delta: str
    response_id: str | None = None
    type: Literal["transcript_delta"] = "transcript_delta"


@attrs.frozen
class OutputTextDeltaEvent:
    """``output_text_delta``: more text of a text-modality response."""

    item_id: str
    delta: str
    response_id: str | None = None
    type: Literal["output_text_delta"] = "output_text_delta"


@attrs.frozen
class AudioDoneEvent:
    """``audio_done``: the server finished sending an item's audio."""

    item_id: str | None = None
    response_id: str | None = None
    type: Literal["audio_done"] = "audio_done"


def _details() -> dict[str, Any]:
    return {}


@attrs.frozen
class Usage:
    """``usage_update``: token usage of one response, or a running total (``+`` adds them)."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: dict[str, Any] = attrs.field(factory=_details)
    output_tokens_details: dict[str, Any] = attrs.field(factory=_details)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            input_tokens_details=_add_details(
                self.input_tokens_details, other.input_tokens_details
            ),
            output_tokens_details=_add_details(
                self.output_tokens_details, other.output_tokens_details
            ),
        )


def _add_details(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Sum numeric detail counters key by key; nested dicts are summed the same way."""
    out = dict(a)
    for key, value in b.items():
        mine = out.get(key)
        if isinstance(value, dict) and isinstance(mine, dict):
            out[key] = _add_details(mine, value)
        elif isinstance(value, int | float) and isinstance(mine, int | float):
            out[key] = mine + value
        elif mine is None:
            out[key] = value
    return out


@attrs.frozen
class ItemDeletedEvent:
    """``item_deleted``: the server removed an item from the conversation."""

    item_id: str
    type: Literal["item_deleted"] = "item_deleted"


@attrs.frozen
class ConnectionChangeEvent:
    """``connection_change``: the transport's status changed."""

    status: ConnectionStatus
    type: Literal["connection_change"] = "connection_change"


@attrs.frozen
class TurnStartedEvent:
    """``turn_started``: the server created a response (``provider_data`` is the raw event)."""

    provider_data: dict[str, Any] = attrs.field(repr=False)
    type: Literal["response_started"] = "response_started"

    @property
    def response_id(self) -> str | None:
        response = self.provider_data.get("response")
        return response.get("id") if isinstance(response, dict) else None


@attrs.frozen
class TurnDoneResponse:
    """The part of ``response.done`` a session needs: id, status, raw output items, usage."""

    id: str
    output: list[dict[str, Any]] = attrs.field(repr=False)
    usage: Usage
    status: str = "completed"


@attrs.frozen
class TurnDoneEvent:
    """``turn_done``: the server finished a response."""

    response: TurnDoneResponse
    type: Literal["response_done"] = "response_done"


@attrs.frozen
class McpToolsListedEvent:
    """``mcp_tools_listed``: a hosted MCP server listed its tools."""

    server_label: str
    tools: list[dict[str, Any]]
    type: Literal["mcp_tools_listed"] = "mcp_tools_listed"


TransportEventPayload: TypeAlias = (
    "ServerEvent | ErrorEvent | FunctionCallEvent | AudioEvent | AudioInterruptedEvent"
    " | TranscriptDeltaEvent | OutputTextDeltaEvent | AudioDoneEvent | Usage | RealtimeItem"
    " | ItemDeletedEvent | ConnectionChangeEvent | TurnStartedEvent | TurnDoneEvent"
    " | McpCallItem | McpApprovalRequestItem | McpToolsListedEvent"
)

#: Every event name of the transport contract and the payload class published under it.
#: Server events are also published under their own ``type`` name, as a :class:`ServerEvent`.
EVENT_NAMES: Final[dict[str, str]] = {
    "*": "ServerEvent",
    "error": "ErrorEvent",
    "function_call": "FunctionCallEvent",
    "audio": "AudioEvent",
    "audio_interrupted": "AudioInterruptedEvent",
    "audio_transcript_delta": "TranscriptDeltaEvent",
    "output_text_delta": "OutputTextDeltaEvent",
    "audio_done": "AudioDoneEvent",
    "usage_update": "Usage",
    "item_update": "RealtimeItem",
    "item_deleted": "ItemDeletedEvent",
    "connection_change": "ConnectionChangeEvent",
    "turn_started": "TurnStartedEvent",
    "turn_done": "TurnDoneEvent",
    "mcp_tool_call_completed": "McpCallItem",
    "mcp_approval_request": "McpApprovalRequestItem",
    "mcp_tools_listed": "McpToolsListedEvent",
}
