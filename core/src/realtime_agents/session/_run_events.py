"""Session events of every running session: agent start and end, audio start and stop, history
changes and raw transport events.

Every connected session publishes these, but none before it is connected, so their classes are
built on first use rather than at ``from realtime_agents import RealtimeSession`` (each attrs
class compiles its methods when it is created: ≈0.25 ms apiece, ≈2 ms for these seven). The
public names are :mod:`realtime_agents.session.events`'s, which imports this module on first
access; the session reaches them through that module (a module attribute, cached there after
the first access: no import per event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from ..agent import RealtimeAgent
    from ..events import ServerEvent
    from ..items import RealtimeItem
    from ..run_context import RunContextWrapper

__all__ = [
    "AgentEndEvent",
    "AgentStartEvent",
    "AudioStartEvent",
    "AudioStoppedEvent",
    "HistoryAddedEvent",
    "HistoryUpdatedEvent",
    "TransportEvent",
]


@attrs.frozen
class AgentStartEvent:
    """``agent_start``: a response of ``agent`` began."""

    agent: RealtimeAgent[Any]
    response_id: str | None
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["agent_start"] = "agent_start"


@attrs.frozen
class AgentEndEvent:
    """``agent_end``: a response of ``agent`` ended; ``output_text`` is what it last said."""

    agent: RealtimeAgent[Any]
    response_id: str | None
    output_text: str
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["agent_end"] = "agent_end"


@attrs.frozen
class TransportEvent:
    """``transport_event``: a raw server event (the transport's ``*``)."""

    event: ServerEvent
    type: Literal["transport_event"] = "transport_event"

    @property
    def data(self) -> dict[str, Any]:
        return self.event.data


@attrs.frozen
class AudioStartEvent:
    """``audio_start``: the first audio of a response arrived (once per response)."""

    agent: RealtimeAgent[Any]
    response_id: str | None
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["audio_start"] = "audio_start"


@attrs.frozen
class AudioStoppedEvent:
    """``audio_stopped``: the server finished sending a response's audio."""

    agent: RealtimeAgent[Any]
    response_id: str | None
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["audio_stopped"] = "audio_stopped"


@attrs.frozen
class HistoryUpdatedEvent:
    """``history_updated``: the whole history after a change."""

    history: tuple[RealtimeItem, ...] = attrs.field(repr=lambda h: f"<{len(h)} items>")
    type: Literal["history_updated"] = "history_updated"


@attrs.frozen
class HistoryAddedEvent:
    """``history_added``: a new item entered the history."""

    item: RealtimeItem
    type: Literal["history_added"] = "history_added"
