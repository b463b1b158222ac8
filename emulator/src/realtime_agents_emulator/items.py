"""Conversation items: the schema clients may send, and the server-side conversation store.

Items are plain dicts in the wire shape (``{"id", "object": "realtime.item", "type", …}``).
Audio bytes are kept beside the items, never inside them, so events stay small; they are put back
only for ``conversation.item.retrieved``.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

from .audio_buffer import AudioBuffer
from .errors import RealtimeError
from .schema import Arr, Bool, Nullable, Schema, Str, Tagged, obj

__all__ = ["ITEM", "ITEM_OR_REFERENCE", "Conversation", "StoredItem"]

_STATUS = Str(("completed", "incomplete", "in_progress"))
_COMMON = {"id": Str(), "object": Str(("realtime.item",)), "status": _STATUS}

_INPUT_TEXT = obj("text", type=Str(), text=Str())
_INPUT_AUDIO = obj(type=Str(), audio=Str(), transcript=Nullable(Str()))
_INPUT_IMAGE = obj(type=Str(), image_url=Str(), detail=Str(("auto", "low", "high")))
_OUTPUT_TEXT = obj(type=Str(), text=Str())


def _message(parts: dict[str, Schema]) -> Schema:
    content = Arr(Tagged(parts))
    return obj("content", type=Str(), role=Str(), content=content, **_COMMON)


_MESSAGE = Tagged(
    {
        "system": _message({"input_text": _INPUT_TEXT}),
        "user": _message(
            {"input_text": _INPUT_TEXT, "input_audio": _INPUT_AUDIO, "input_image": _INPUT_IMAGE},
        ),
        # Assistant audio cannot be created by clients (reference §5), so only text is accepted.
        "assistant": _message({"output_text": _OUTPUT_TEXT}),
    },
    tag="role",
)
_FUNCTION_CALL = obj(
    "name", "arguments", type=Str(), call_id=Str(), name=Str(), arguments=Str(), **_COMMON
)
_FUNCTION_CALL_OUTPUT = obj("call_id", "output", type=Str(), call_id=Str(), output=Str(), **_COMMON)
_MCP_APPROVAL_RESPONSE = obj(
    "approval_request_id",
    "approve",
    type=Str(),
    approval_request_id=Str(),
    approve=Bool(),
    reason=Nullable(Str()),
    **_COMMON,
)

_ITEM_VARIANTS: dict[str, Schema] = {
    "message": _MESSAGE,
    "function_call": _FUNCTION_CALL,
    "function_call_output": _FUNCTION_CALL_OUTPUT,
    "mcp_approval_response": _MCP_APPROVAL_RESPONSE,
}
ITEM: Schema = Tagged(_ITEM_VARIANTS)
"""Items a client may create with ``conversation.item.create``."""

ITEM_OR_REFERENCE: Schema = Tagged(
    {**_ITEM_VARIANTS, "item_reference": obj("id", type=Str(), id=Str())}
)
"""Entries of ``response.create``'s ``response.input``."""


@dataclass
class StoredItem:
    """One conversation item plus the audio of its content parts (wire bytes per index)."""

    item: dict[str, object]
    audio: dict[int, AudioBuffer] = field(default_factory=dict)
    audio_format: str = "audio/pcm"
    #: Content indexes truncated while still streaming: later audio is not stored.
    truncated: set[int] = field(default_factory=set)

    @property
    def id(self) -> str:
        return str(self.item["id"])

    def public(self, with_audio: bool = False) -> dict[str, object]:
        """A deep copy of the item for an event; audio is included only when asked."""
        item = copy.deepcopy(self.item)
        if with_audio:
            content = item.get("content")
            if isinstance(content, list):
                for index, audio in self.audio.items():
                    if index < len(content) and isinstance(content[index], dict):
                        content[index]["audio"] = base64.b64encode(bytes(audio)).decode("ascii")
        return item


class Conversation:
    """The ordered items of the default conversation."""

    def __init__(self, conversation_id: str) -> None:
        self.id = conversation_id
        self._items: list[StoredItem] = []

    def __iter__(self) -> Iterator[StoredItem]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return any(stored.id == item_id for stored in self._items)

    def get(self, item_id: str, param: str = "item_id") -> StoredItem:
        """The item with ``item_id``, or the ``item_not_found`` error naming ``param``."""
        for stored in self._items:
            if stored.id == item_id:
                return stored
        raise RealtimeError.item_not_found(param, item_id)

    def last_id(self) -> str | None:
        return self._items[-1].id if self._items else None

    def insert(self, stored: StoredItem, previous_item_id: str | None = None) -> str | None:
        """Insert after ``previous_item_id`` (``"root"`` = first; ``None`` = last).

        Returns the id of the item now before it (``None`` when it is first).
        """
        if stored.id in self:
            raise RealtimeError.invalid(
                "item.id", f"Item with id '{stored.id}' already exists in the conversation."
            )
        if previous_item_id is None:
            position = len(self._items)
        elif previous_item_id == "root":
            position = 0
        else:
            position = self._index(previous_item_id, "previous_item_id") + 1
        self._items.insert(position, stored)
        return self._items[position - 1].id if position else None

    def delete(self, item_id: str) -> None:
        del self._items[self._index(item_id, "item_id")]

    def _index(self, item_id: str, param: str) -> int:
        for index, stored in enumerate(self._items):
            if stored.id == item_id:
                return index
        raise RealtimeError.item_not_found(param, item_id)
