"""The session layer: :class:`RealtimeSession` and the events it publishes.

``from realtime_agents.session import RealtimeSession`` is the stable import; the modules
prefixed with ``_`` are internal. The events of tools, approvals, handoffs, guardrails and
MCP calls (and the tables naming every payload) are built on first access: a session that uses
none of them never pays for their classes.
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
from ._tools import ToolErrorFormatter, ToolErrorFormatterArgs, ToolExecutionError
from .events import (
    AgentEndEvent,
    AgentStartEvent,
    AudioStartEvent,
    AudioStoppedEvent,
    HistoryAddedEvent,
    HistoryUpdatedEvent,
    TransportEvent,
)

if TYPE_CHECKING:
    from .events import (
        SESSION_EVENT_NAMES,
        AgentHandoffEvent,
        AgentToolEndEvent,
        AgentToolStartEvent,
        GuardrailTrippedEvent,
        McpToolCallCompletedEvent,
        RealtimeSessionEvent,
        ToolApprovalItem,
        ToolApprovalRequestedEvent,
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
    dict.fromkeys(
        (
            "SESSION_EVENT_NAMES",
            "AgentHandoffEvent",
            "AgentToolEndEvent",
            "AgentToolStartEvent",
            "GuardrailTrippedEvent",
            "McpToolCallCompletedEvent",
            "RealtimeSessionEvent",
            "ToolApprovalItem",
            "ToolApprovalRequestedEvent",
        ),
        ".events",
    ),
)
