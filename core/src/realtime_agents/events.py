"""Transport events: the names and payloads of ``RealtimeTransportEventTypes``.

Every transport publishes these on the bus (:mod:`realtime_agents.bus`) with itself as sender.
Payloads are frozen attrs classes: a subscriber cannot change what the next subscriber sees.
The names match the JS SDK's transport contract so its documentation translates directly.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, TypeAlias, TypeVar, overload

import attrs

from .items import FunctionCallItem, McpApprovalRequestItem, McpCallItem, RealtimeItem

__all__ = [
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
class FunctionCallEvent:
    """``function_call``: the model finished the arguments of a function call."""

    name: str
    call_id: str
    arguments: str
    id: str | None = None
    previous_item_id: str | None = None
    response_id: str | None = None
    type: Literal["function_call"] = "function_call"

    def answered(self, output: str, *, item_id: str | None = None) -> FunctionCallItem:
        """The call as a completed history item holding ``output`` (what ``item_update`` carries
        once it is answered). ``item_id`` stands in when the call has no ``id``."""
        chosen = self.id or item_id
        if chosen is None:
            raise ValueError(f"function call {self.call_id} has no item id")
        return FunctionCallItem(
            item_id=chosen,
            name=self.name,
            arguments=self.arguments,
            call_id=self.call_id,
            output=output,
            status="completed",
            previous_item_id=self.previous_item_id,
        )


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
    type: Literal["audio_transcript_delta"] = "audio_transcript_delta"


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
    """``turn_started``: the backend started a response (a turn of the model).

    ``provider_data`` is what the backend said, raw (OpenAI: the ``response.created`` event).
    """

    response_id: str | None
    provider_data: dict[str, Any] | None = attrs.field(default=None, repr=False)
    type: Literal["turn_started"] = "turn_started"


def _items(value: Any) -> tuple[RealtimeItem, ...]:
    return tuple(value)


@attrs.frozen
class TurnDoneResponse:
    """A finished response: its id, final status, output as history items, and usage.

    ``output`` holds the items the response produced, typed (messages, function calls, MCP
    calls); ``provider_data`` is the backend's raw response object (OpenAI: ``response``).
    """

    id: str
    output: tuple[RealtimeItem, ...] = attrs.field(converter=_items)
    usage: Usage
    status: str = "completed"
    provider_data: dict[str, Any] | None = attrs.field(default=None, repr=False)


@attrs.frozen
class TurnDoneEvent:
    """``turn_done``: the backend finished a response."""

    response: TurnDoneResponse
    type: Literal["turn_done"] = "turn_done"


@attrs.frozen
class InputAudioTranscriptionEvent:
    """``input_audio_transcription``: the text of what the user said in an audio item.

    ``content_index`` is the audio part of the user item (0 for the usual single part).
    """

    item_id: str
    transcript: str
    content_index: int = 0
    provider_data: dict[str, Any] | None = attrs.field(default=None, repr=False)
    type: Literal["input_audio_transcription"] = "input_audio_transcription"


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
    " | InputAudioTranscriptionEvent | McpCallItem | McpApprovalRequestItem | McpToolsListedEvent"
)


def _event_types() -> dict[str, object]:
    return {
        "*": ServerEvent,
        "error": ErrorEvent,
        "function_call": FunctionCallEvent,
        "audio": AudioEvent,
        "audio_interrupted": AudioInterruptedEvent,
        "audio_transcript_delta": TranscriptDeltaEvent,
        "output_text_delta": OutputTextDeltaEvent,
        "audio_done": AudioDoneEvent,
        "usage_update": Usage,
        "item_update": RealtimeItem,
        "item_deleted": ItemDeletedEvent,
        "connection_change": ConnectionChangeEvent,
        "turn_started": TurnStartedEvent,
        "turn_done": TurnDoneEvent,
        "input_audio_transcription": InputAudioTranscriptionEvent,
        "mcp_tool_call_completed": McpCallItem,
        "mcp_approval_request": McpApprovalRequestItem,
        "mcp_tools_listed": McpToolsListedEvent,
    }


#: Every event name of the transport contract and the payload published under it (a class,
#: or for ``item_update`` the ``RealtimeItem`` union of history item classes). Event payloads
#: carry ``type`` equal to their name; ``item_update`` and ``mcp_*`` carry a history item (its
#: ``type`` is the item's kind), ``usage_update`` a :class:`Usage`, and ``*`` the raw
#: :class:`ServerEvent`, which OpenAI transports also publish under the event's own ``type``.
RealtimeTransportEventTypes: Final[Mapping[str, object]] = MappingProxyType(_event_types())

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
