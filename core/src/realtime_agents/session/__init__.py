"""The session layer: :class:`RealtimeSession` and the events it publishes.

``from realtime_agents.session import RealtimeSession`` is the stable import; the modules
prefixed with ``_`` are internal.
"""

from ._queue import (
    DEFAULT_MAX_QUEUED_AUDIO_BYTES,
    DEFAULT_MAX_QUEUED_EVENTS,
    EventsDroppedError,
    EventStream,
)
from ._session import RealtimeSession
from ._tools import ToolErrorFormatter, ToolErrorFormatterArgs, ToolExecutionError
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
