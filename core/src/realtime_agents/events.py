"""Transport events: the names and payloads of ``RealtimeTransportEventTypes``.

Every transport publishes these on the bus (:mod:`realtime_agents.bus`) with itself as sender.
Payloads are frozen attrs classes: a subscriber cannot change what the next subscriber sees.
The names match the JS SDK's transport contract so its documentation translates directly.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeAlias, TypeVar, overload

import attrs

if TYPE_CHECKING:
    from .items import McpApprovalRequestItem, McpCallItem, RealtimeItem

#: History items some payloads are (or hold), named here as they always were.
_ITEMS: Final = ("FunctionCallItem", "McpApprovalRequestItem", "McpCallItem", "RealtimeItem")

#: Built on first use, in :mod:`._turn_events` (see its docstring).
_TURN_EVENTS: Final = (
    "FunctionCallEvent",
    "AudioInterruptedEvent",
    "TranscriptDeltaEvent",
    "OutputTextDeltaEvent",
    "AudioDoneEvent",
    "ItemDeletedEvent",
    "TurnStartedEvent",
    "TurnDoneResponse",
    "TurnDoneEvent",
    "InputAudioTranscriptionEvent",
    "McpToolsListedEvent",
)

__all__ = [
    "TRANSPORT_EVENT_NAMES",
    "AudioDoneEvent",
    "AudioEvent",
    "AudioInterruptedEvent",
    "ConnectionChangeEvent",
    "ConnectionStatus",
    "ErrorEvent",
    "FunctionCallEvent",
    "InputAudioTranscriptionEvent",
    "ItemDeletedEvent",
    "McpToolsListedEvent",
    "OutputTextDeltaEvent",
    "RealtimeTransportEventTypes",
    "ServerEvent",
    "TranscriptDeltaEvent",
    "TransportEventPayload",
    "TransportSubscribe",
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
class AudioEvent:
    """``audio``: assistant audio in the session's output format (PCM16 24 kHz by default)."""

    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    response_id: str | None = None
    item_id: str | None = None
    content_index: int = 0
    type: Literal["audio"] = "audio"


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
class ConnectionChangeEvent:
    """``connection_change``: the transport's status changed."""

    status: ConnectionStatus
    type: Literal["connection_change"] = "connection_change"


TransportEventPayload: TypeAlias = (
    "ServerEvent | ErrorEvent | FunctionCallEvent | AudioEvent | AudioInterruptedEvent"
    " | TranscriptDeltaEvent | OutputTextDeltaEvent | AudioDoneEvent | Usage | RealtimeItem"
    " | ItemDeletedEvent | ConnectionChangeEvent | TurnStartedEvent | TurnDoneEvent"
    " | InputAudioTranscriptionEvent | McpCallItem | McpApprovalRequestItem | McpToolsListedEvent"
)


#: The event names of the transport contract, in order (what ``transport.on`` checks names
#: against); their payloads are :data:`RealtimeTransportEventTypes`'s.
TRANSPORT_EVENT_NAMES: Final = (
    "*",
    "error",
    "function_call",
    "audio",
    "audio_interrupted",
    "audio_transcript_delta",
    "output_text_delta",
    "audio_done",
    "usage_update",
    "item_update",
    "item_deleted",
    "connection_change",
    "turn_started",
    "turn_done",
    "input_audio_transcription",
    "mcp_tool_call_completed",
    "mcp_approval_request",
    "mcp_tools_listed",
)

#: Made on first access (``__getattr__`` below): the classes of :mod:`._turn_events` and the
#: table of every contract event's payload.
_LAZY: Final = frozenset((*_TURN_EVENTS, *_ITEMS, "RealtimeTransportEventTypes"))

if TYPE_CHECKING:
    from ._turn_events import (
        AudioDoneEvent,
        AudioInterruptedEvent,
        FunctionCallEvent,
        InputAudioTranscriptionEvent,
        ItemDeletedEvent,
        McpToolsListedEvent,
        OutputTextDeltaEvent,
        TranscriptDeltaEvent,
        TurnDoneEvent,
        TurnDoneResponse,
        TurnStartedEvent,
    )

    #: Every event name of the transport contract and the payload published under it (a
    #: class, or for ``item_update`` the ``RealtimeItem`` union of history item classes).
    #: Event payloads carry ``type`` equal to their name; ``item_update`` and ``mcp_*`` carry
    #: a history item (its ``type`` is the item's kind), ``usage_update`` a :class:`Usage`, and
    #: ``*`` the raw :class:`ServerEvent`, which OpenAI transports also publish under the
    #: event's own ``type``.
    RealtimeTransportEventTypes: Mapping[str, object]


def __getattr__(name: str) -> Any:
    # PEP 562: the first access to any name of _LAZY imports ._turn_events (and the history
    # items) and stores every one of them here (later lookups never come back; the
    # annotations of the protocol below resolve against this module's namespace).
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import _turn_events as t
    from . import items as i

    names = globals()
    for cold in _TURN_EVENTS:
        names[cold] = getattr(t, cold)
    for item in _ITEMS:
        names[item] = getattr(i, item)
    names["RealtimeTransportEventTypes"] = MappingProxyType(
        {
            "*": ServerEvent,
            "error": ErrorEvent,
            "function_call": t.FunctionCallEvent,
            "audio": AudioEvent,
            "audio_interrupted": t.AudioInterruptedEvent,
            "audio_transcript_delta": t.TranscriptDeltaEvent,
            "output_text_delta": t.OutputTextDeltaEvent,
            "audio_done": t.AudioDoneEvent,
            "usage_update": Usage,
            "item_update": i.RealtimeItem,
            "item_deleted": t.ItemDeletedEvent,
            "connection_change": ConnectionChangeEvent,
            "turn_started": t.TurnStartedEvent,
            "turn_done": t.TurnDoneEvent,
            "input_audio_transcription": t.InputAudioTranscriptionEvent,
            "mcp_tool_call_completed": i.McpCallItem,
            "mcp_approval_request": i.McpApprovalRequestItem,
            "mcp_tools_listed": t.McpToolsListedEvent,
        }
    )
    return names[name]


# -- typing: each contract event name with its payload ---------------------------------------
#
# RealtimeTransportLayer declares its ``on``/``once`` as this protocol for type checkers only.
# Any other name still type-checks (transports publish more: OpenAI's server events, a plugin's
# own), with an untyped payload; unknown names are rejected when subscribing. One overload
# per contract name, in the order of RealtimeTransportEventTypes (tests/core/test_bus.py checks).

_P = TypeVar("_P")
_R = TypeVar("_R")
_F = TypeVar("_F", bound=Callable[[Any], object])
#: A handler of payload ``_P``: a function or a coroutine function (its result is ignored).
_On: TypeAlias = Callable[[_P], _R]


class TransportSubscribe(Protocol):
    """``transport.on(name, handler)`` and ``transport.once(name, handler)``: ``handler`` gets
    the payload of ``name``; both return ``handler``, and without it they are decorators."""

    @overload
    def __call__(
        self, name: Literal["*"], handler: _On[ServerEvent, _R]
    ) -> _On[ServerEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["error"], handler: _On[ErrorEvent, _R]
    ) -> _On[ErrorEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["function_call"], handler: _On[FunctionCallEvent, _R]
    ) -> _On[FunctionCallEvent, _R]: ...

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
        self, name: Literal["audio_transcript_delta"], handler: _On[TranscriptDeltaEvent, _R]
    ) -> _On[TranscriptDeltaEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["output_text_delta"], handler: _On[OutputTextDeltaEvent, _R]
    ) -> _On[OutputTextDeltaEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["audio_done"], handler: _On[AudioDoneEvent, _R]
    ) -> _On[AudioDoneEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["usage_update"], handler: _On[Usage, _R]
    ) -> _On[Usage, _R]: ...

    @overload
    def __call__(
        self, name: Literal["item_update"], handler: _On[RealtimeItem, _R]
    ) -> _On[RealtimeItem, _R]: ...

    @overload
    def __call__(
        self, name: Literal["item_deleted"], handler: _On[ItemDeletedEvent, _R]
    ) -> _On[ItemDeletedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["connection_change"], handler: _On[ConnectionChangeEvent, _R]
    ) -> _On[ConnectionChangeEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["turn_started"], handler: _On[TurnStartedEvent, _R]
    ) -> _On[TurnStartedEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["turn_done"], handler: _On[TurnDoneEvent, _R]
    ) -> _On[TurnDoneEvent, _R]: ...

    @overload
    def __call__(
        self,
        name: Literal["input_audio_transcription"],
        handler: _On[InputAudioTranscriptionEvent, _R],
    ) -> _On[InputAudioTranscriptionEvent, _R]: ...

    @overload
    def __call__(
        self, name: Literal["mcp_tool_call_completed"], handler: _On[McpCallItem, _R]
    ) -> _On[McpCallItem, _R]: ...

    @overload
    def __call__(
        self, name: Literal["mcp_approval_request"], handler: _On[McpApprovalRequestItem, _R]
    ) -> _On[McpApprovalRequestItem, _R]: ...

    @overload
    def __call__(
        self, name: Literal["mcp_tools_listed"], handler: _On[McpToolsListedEvent, _R]
    ) -> _On[McpToolsListedEvent, _R]: ...

    @overload
    def __call__(self, name: str, handler: _F) -> _F: ...
    @overload
    def __call__(self, name: str, handler: None = None) -> Callable[[_F], _F]: ...

    def __call__(self, name: str, handler: Any = None) -> Any: ...
