"""Transport events of a live conversation: built when a connection first needs them.

The protocol (imported at ``connect``) makes these, and a session handles them; neither is
needed to import or construct a :class:`~realtime_agents.session.RealtimeSession`, so their
classes (each attrs class compiles its methods when it is created: ≈0.3 ms apiece) are built
on first use rather than at ``from realtime_agents import RealtimeSession``. The public names
are :mod:`realtime_agents.events`'s, which imports this module on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from .events import Usage
    from .items import FunctionCallItem, RealtimeItem

__all__ = [
    "AudioDoneEvent",
    "AudioInterruptedEvent",
    "FunctionCallEvent",
    "InputAudioTranscriptionEvent",
    "ItemDeletedEvent",
    "McpToolsListedEvent",
    "OutputTextDeltaEvent",
    "TranscriptDeltaEvent",
    "TurnDoneEvent",
    "TurnDoneResponse",
    "TurnStartedEvent",
]


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
        from .items import FunctionCallItem  # loaded with the session already

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


@attrs.frozen
class ItemDeletedEvent:
    """``item_deleted``: the server removed an item from the conversation."""

    item_id: str
    type: Literal["item_deleted"] = "item_deleted"


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
