"""Session events: what ``session.on(name, handler)`` and ``async for event in session`` see.

Each payload is one frozen object whose ``type`` equals the event name. Agent events carry
the run ``context`` (a :class:`~realtime_agents.run_context.RunContextWrapper`), keyword-only
and left out of reprs and comparisons. Three events
reuse the transport's payloads unchanged (no copy on the audio hot path):

=========================  ======================================================
``audio``                  :class:`realtime_agents.events.AudioEvent`
``audio_interrupted``      :class:`realtime_agents.events.AudioInterruptedEvent`
``error``                  :class:`realtime_agents.events.ErrorEvent`
=========================  ======================================================
"""

from __future__ import annotations

import functools
import importlib
import operator
from collections.abc import Callable
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Literal,
    Protocol,
    TypeAlias,
    TypeVar,
    get_args,
    overload,
)

from ..bus import EventNames
from ..events import TRANSPORT_EVENT_NAMES

if TYPE_CHECKING:
    from ..events import AudioEvent, AudioInterruptedEvent, ErrorEvent
    from ..handoff import Handoff
    from ..tools import FunctionTool

__all__ = [
    "SESSION_EVENTS",
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
    "SessionEventName",
    "SessionOff",
    "SessionSubscribe",
    "SessionWaitFor",
    "ToolApprovalItem",
    "ToolApprovalRequestedEvent",
    "TransportEvent",
]


#: Made on first access (``__getattr__`` below): the payload classes, each from the module that
#: defines it (the events of every running session, and those of tools, approvals, handoffs,
#: guardrails and MCP calls, which a session without them never builds).
_RUN_EVENTS: Final = (
    "AgentStartEvent",
    "AgentEndEvent",
    "TransportEvent",
    "AudioStartEvent",
    "AudioStoppedEvent",
    "HistoryUpdatedEvent",
    "HistoryAddedEvent",
)
_TOOL_EVENTS: Final = (
    "AgentHandoffEvent",
    "AgentToolStartEvent",
    "AgentToolEndEvent",
    "GuardrailTrippedEvent",
    "ToolApprovalItem",
    "ToolApprovalRequestedEvent",
    "McpToolCallCompletedEvent",
)
#: The transport's payloads three session events reuse (built on first use there).
_REUSED: Final = ("AudioEvent", "AudioInterruptedEvent", "ErrorEvent")
#: The two tables that name every payload class (they build all of them).
_TABLES: Final = ("SESSION_EVENT_NAMES", "RealtimeSessionEvent")

if TYPE_CHECKING:
    from ._run_events import (
        AgentEndEvent,
        AgentStartEvent,
        AudioStartEvent,
        AudioStoppedEvent,
        HistoryAddedEvent,
        HistoryUpdatedEvent,
        TransportEvent,
    )
    from ._tool_events import (
        AgentHandoffEvent,
        AgentToolEndEvent,
        AgentToolStartEvent,
        GuardrailTrippedEvent,
        McpToolCallCompletedEvent,
        ToolApprovalItem,
        ToolApprovalRequestedEvent,
    )

    #: Every payload ``session.on`` handlers and ``async for event in session`` receive.
    RealtimeSessionEvent: TypeAlias = (
        AgentStartEvent
        | AgentEndEvent
        | AgentHandoffEvent
        | AgentToolStartEvent
        | AgentToolEndEvent
        | TransportEvent
        | AudioStartEvent
        | AudioStoppedEvent
        | AudioEvent
        | AudioInterruptedEvent
        | GuardrailTrippedEvent
        | HistoryUpdatedEvent
        | HistoryAddedEvent
        | ErrorEvent
        | ToolApprovalRequestedEvent
        | McpToolCallCompletedEvent
    )

    #: Every session event name and the class of its payload.
    SESSION_EVENT_NAMES: dict[str, type]


def __getattr__(name: str) -> Any:
    # PEP 562: the first access to a name imports the module defining it and stores all of that
    # module's names here (later lookups never come back; the annotations of the protocols
    # below resolve against this module's namespace).
    names = globals()
    if name in _TABLES:
        payloads = {key: __getattr__(cls) for key, cls in _PAYLOADS.items()}
        names["SESSION_EVENT_NAMES"] = payloads
        names["RealtimeSessionEvent"] = functools.reduce(operator.or_, payloads.values())
        return names[name]
    group: tuple[str, ...]
    if name in _RUN_EVENTS:
        module, group = importlib.import_module("._run_events", __package__), _RUN_EVENTS
    elif name in _TOOL_EVENTS:
        module, group = importlib.import_module("._tool_events", __package__), _TOOL_EVENTS
    elif name in _REUSED:
        module, group = importlib.import_module("..events", __package__), _REUSED
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for each in group:
        names[each] = getattr(module, each)
    return names[name]


#: Each session event name and the name of its payload class (SESSION_EVENT_NAMES, resolved).
_PAYLOADS: Final = {
    "agent_start": "AgentStartEvent",
    "agent_end": "AgentEndEvent",
    "agent_handoff": "AgentHandoffEvent",
    "agent_tool_start": "AgentToolStartEvent",
    "agent_tool_end": "AgentToolEndEvent",
    "transport_event": "TransportEvent",
    "audio_start": "AudioStartEvent",
    "audio_stopped": "AudioStoppedEvent",
    "audio": "AudioEvent",
    "audio_interrupted": "AudioInterruptedEvent",
    "guardrail_tripped": "GuardrailTrippedEvent",
    "history_updated": "HistoryUpdatedEvent",
    "history_added": "HistoryAddedEvent",
    "error": "ErrorEvent",
    "tool_approval_requested": "ToolApprovalRequestedEvent",
    "mcp_tool_call_completed": "McpToolCallCompletedEvent",
}


#: A session event name, for type checkers: ``session.on("nope", ...)`` is a type error.
SessionEventName: TypeAlias = Literal[
    "agent_start",
    "agent_end",
    "agent_handoff",
    "agent_tool_start",
    "agent_tool_end",
    "transport_event",
    "audio_start",
    "audio_stopped",
    "audio",
    "audio_interrupted",
    "guardrail_tripped",
    "history_updated",
    "history_added",
    "error",
    "tool_approval_requested",
    "mcp_tool_call_completed",
]
#: The names a session publishes, in the order of ``SESSION_EVENT_NAMES`` (spelled once, as
#: the type checkers' literal).
_NAMES: Final = get_args(SessionEventName)

#: openai-agents-python's session event names (and the raw ``*`` of the JS transport) → ours.
_ALIASES: Final = {
    "handoff": "agent_handoff",
    "tool_start": "agent_tool_start",
    "tool_end": "agent_tool_end",
    "tool_approval_required": "tool_approval_requested",
    "audio_end": "audio_stopped",
    "raw_model_event": "transport_event",
    "*": "transport_event",
}


def _hints() -> dict[str, str]:
    # Names a session does not publish but its transport does: say where they are.
    hints = {
        name: f"{name!r} is published by the transport: session.transport.on({name!r}, handler)."
        for name in TRANSPORT_EVENT_NAMES
        if name not in _NAMES
    }
    # The session names no wire events: the docs give the OpenAI server event's name.
    hints["input_audio_timeout_triggered"] = (
        "OpenAI transports publish it as a server event, on session.transport."
    )
    hints["mcp_tools_changed"] = (
        "Hosted MCP tool lists arrive as the transport's 'mcp_tools_listed' event."
    )
    return hints


#: What ``session.on`` (``once``, ``off``, ``wait_for``) accepts: unknown names are a UserError.
SESSION_EVENTS: Final = EventNames(
    _NAMES,
    aliases=_ALIASES,
    hints=_hints(),
    docs="docs/session-events.md (and realtime_agents.session.SESSION_EVENT_NAMES)",
)

# -- typing: each event name with its payload ------------------------------------------------
#
# RealtimeSession declares its ``on``/``once``/``off``/``wait_for`` as these protocols for type
# checkers only: subscribing runs EventEmitter's methods. One overload per name, in the order
# of SESSION_EVENT_NAMES; tests/core/session/test_session_events_typed.py checks they agree.


_E = TypeVar("_E")
_R = TypeVar("_R")
_F = TypeVar("_F", bound=Callable[[Any], object])
#: A handler of payload ``_E``: a function or a coroutine function (its result is ignored).
_On: TypeAlias = Callable[[_E], _R]


class SessionSubscribe(Protocol):
    """``session.on(name, handler)`` and ``session.once(name, handler)``: ``handler`` gets the
    payload of ``name``; both return ``handler``, and without it they are decorators."""

    @overload
    def __call__(
        self, name: Literal["agent_start"], handler: _On[AgentStartEvent, _R]
    ) -> _On[AgentStartEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["agent_end"], handler: _On[AgentEndEvent, _R]
    ) -> _On[AgentEndEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["agent_handoff"], handler: _On[AgentHandoffEvent, _R]
    ) -> _On[AgentHandoffEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["agent_tool_start"], handler: _On[AgentToolStartEvent, _R]
    ) -> _On[AgentToolStartEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["agent_tool_end"], handler: _On[AgentToolEndEvent, _R]
    ) -> _On[AgentToolEndEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["transport_event"], handler: _On[TransportEvent, _R]
    ) -> _On[TransportEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["audio_start"], handler: _On[AudioStartEvent, _R]
    ) -> _On[AudioStartEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["audio_stopped"], handler: _On[AudioStoppedEvent, _R]
    ) -> _On[AudioStoppedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["audio"], handler: _On[AudioEvent, _R]
    ) -> _On[AudioEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["audio_interrupted"], handler: _On[AudioInterruptedEvent, _R]
    ) -> _On[AudioInterruptedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["guardrail_tripped"], handler: _On[GuardrailTrippedEvent, _R]
    ) -> _On[GuardrailTrippedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["history_updated"], handler: _On[HistoryUpdatedEvent, _R]
    ) -> _On[HistoryUpdatedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["history_added"], handler: _On[HistoryAddedEvent, _R]
    ) -> _On[HistoryAddedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["error"], handler: _On[ErrorEvent, _R]
    ) -> _On[ErrorEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["tool_approval_requested"], handler: _On[ToolApprovalRequestedEvent, _R]
    ) -> _On[ToolApprovalRequestedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["mcp_tool_call_completed"], handler: _On[McpToolCallCompletedEvent, _R]
    ) -> _On[McpToolCallCompletedEvent, _R]: ...

    @overload
    def __call__(self, name: SessionEventName, handler: None = None) -> Callable[[_F], _F]: ...

    def __call__(self, name: str, handler: Any = None) -> Any: ...


class SessionOff(Protocol):
    """``session.off(name, handler=None)``: remove one handler of ``name``, or all of them."""

    def __call__(
        self, name: SessionEventName, handler: Callable[..., object] | None = None
    ) -> None: ...


class SessionWaitFor(Protocol):
    """``await session.wait_for(name, predicate=None, *, timeout=None)``: the next payload of
    ``name`` for which ``predicate`` holds."""

    async def __call__(
        self,
        name: SessionEventName,
        predicate: Callable[[Any], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any: ...


# Handoffs are tools too; a name both kinds of call target share.
CallTarget: TypeAlias = "FunctionTool | Handoff"
