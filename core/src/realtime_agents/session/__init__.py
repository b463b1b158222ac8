"""The session layer: :class:`RealtimeSession` and the events it publishes.

``from realtime_agents.session import RealtimeSession`` is the stable import; the modules
prefixed with ``_`` are internal. The event classes (and the tables naming every payload) are
built on first access: those of a running session when it first publishes one, those of
tools, approvals, handoffs, guardrails and MCP calls when a session uses them.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports
from ._queue import (
    DEFAULT_MAX_QUEUED_AUDIO_BYTES,
    DEFAULT_MAX_QUEUED_EVENTS,
    EventsDroppedError,
    EventStream,
)
from ._session import RealtimeSession
from ._tools import ToolErrorFormatter, ToolExecutionError

if TYPE_CHECKING:
    from ._formatter import ToolErrorFormatterArgs
    from .events import (
        SESSION_EVENT_NAMES,
        AgentEndEvent,
        AgentHandoffEvent,
        AgentStartEvent,
        AgentToolEndEvent,
        AgentToolStartEvent,
        AudioStartEvent,
        AudioStoppedEvent,
        GuardrailTrippedEvent,
        HistoryAddedEvent,
        HistoryUpdatedEvent,
        McpToolCallCompletedEvent,
        RealtimeSessionEvent,
        ToolApprovalItem,
        ToolApprovalRequestedEvent,
        TransportEvent,
    )

__all__ = [
    "DEFAULT_MAX_QUEUED_AUDIO_BYTES",
    "DEFAULT_MAX_QUEUED_EVENTS",
    "SESSION_EVENT_NAMES",
    "AgentEndEvent",
    "AgentHandoffEvent",
    "AgentStartEvent",
    "AgentToolEndEvent",
    "AgentToolStartEvent",
    "AudioStartEvent",
    "AudioStoppedEvent",
    "EventStream",
    "EventsDroppedError",
    "GuardrailTrippedEvent",
    "HistoryAddedEvent",
    "HistoryUpdatedEvent",
    "McpToolCallCompletedEvent",
    "RealtimeSession",
    "RealtimeSessionEvent",
    "ToolApprovalItem",
    "ToolApprovalRequestedEvent",
    "ToolErrorFormatter",
    "ToolErrorFormatterArgs",
    "ToolExecutionError",
    "TransportEvent",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {"ToolErrorFormatterArgs": "._formatter"}
    | dict.fromkeys(
        (
            "SESSION_EVENT_NAMES",
            "AgentEndEvent",
            "AgentHandoffEvent",
            "AgentStartEvent",
            "AgentToolEndEvent",
            "AgentToolStartEvent",
            "AudioStartEvent",
            "AudioStoppedEvent",
            "GuardrailTrippedEvent",
            "HistoryAddedEvent",
            "HistoryUpdatedEvent",
            "McpToolCallCompletedEvent",
            "RealtimeSessionEvent",
            "ToolApprovalItem",
            "ToolApprovalRequestedEvent",
            "TransportEvent",
        ),
        ".events",
    ),
)
