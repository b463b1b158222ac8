"""The session's copy of the server's conversation, kept consistent by pure bookkeeping.

Rules (improving on the JS SDK where noted):

* An update replaces the item with the same ``item_id``; a new item goes right after its
  ``previous_item_id``, or at the end when that is None. An item whose predecessor is not
  known yet is appended and remembered; when the predecessor arrives the item (and the chain
  hanging off it) moves behind it, so the order converges whatever order items arrive in.
* Merging never loses what is known: an empty transcript, text, output or content never
  erases a non-empty one, and a status never goes back from ``completed``/``incomplete`` to
  ``in_progress``.
* Statuses converge: a response's output items are completed at ``turn_done`` (with the
  server's final status), user messages when a response starts or their transcript arrives,
  function calls when their output is sent. (The JS SDK leaves some ``in_progress``.)
* Input transcriptions are merged into the user item's ``input_audio`` part, even when the
  transcript arrives before the item.
* Audio bytes are dropped unless the session stores audio.

This module is the session's only runtime user of the history item classes (with the
guardrail runner), so the session imports it when it is constructed, not when it is imported:
the item classes (≈3 ms of attrs code generation) are built on first use, and no lookup is
added per event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ..items import (
    AssistantMessageItem,
    FunctionCallItem,
    InputAudio,
    McpApprovalRequestItem,
    McpCallItem,
    OutputAudio,
    OutputText,
    RealtimeItem,
    SystemMessageItem,
    UserMessageItem,
)

__all__ = ["ITEM_TYPES", "ConversationHistory", "merge_item"]

#: The classes a history holds (``RealtimeItem`` as a tuple, for ``isinstance``).
ITEM_TYPES = (
    SystemMessageItem,
    UserMessageItem,
    AssistantMessageItem,
    FunctionCallItem,
    McpCallItem,
    McpApprovalRequestItem,
)
_FINAL = ("completed", "incomplete")
_Message = SystemMessageItem | UserMessageItem | AssistantMessageItem


class ConversationHistory:
    """The ordered items of one conversation. Methods return whether anything changed."""

    def __init__(self, *, store_audio: bool = False) -> None:
        self.store_audio = store_audio
        self._items: list[RealtimeItem] = []
        self._snapshot: tuple[RealtimeItem, ...] | None = ()
        self._orphans: dict[str, str] = {}  # item_id -> previous_item_id not (yet) present
        self._transcripts: dict[str, tuple[int, str]] = {}  # transcripts of unseen items

    @staticmethod
    def last_output_text(output: Sequence[RealtimeItem]) -> str:
        """The last assistant text or transcript of a response's output (scanning backwards)."""
        for item in reversed(output):
            if not isinstance(item, AssistantMessageItem):
                continue
            for part in reversed(item.content):
                text = part.text if isinstance(part, OutputText) else part.transcript
                if text:
                    return text
        return ""

    @property
    def items(self) -> tuple[RealtimeItem, ...]:
        """The history as an immutable tuple (cached until the next change)."""
        if self._snapshot is None:
            self._snapshot = tuple(self._items)
        return self._snapshot

    def clear(self) -> None:
        self._items.clear()
        self._orphans.clear()
        self._transcripts.clear()
        self._snapshot = ()

    def upsert(self, item: RealtimeItem) -> tuple[bool, bool]:
        """Insert or merge ``item``; returns ``(changed, added)``."""
        item = self._prepare(item)
        index = self._index(item.item_id)
        if index is not None:
            merged = merge_item(self._items[index], item)
            if merged == self._items[index]:
                return False, False
            self._items[index] = merged
        else:
            self._insert(item)
        self._snapshot = None
        return True, index is None

    def delete(self, item_id: str) -> bool:
        index = self._index(item_id)
        if index is None:
            return False
        del self._items[index]
        self._orphans.pop(item_id, None)
        self._snapshot = None
        return True

    def set_transcript(self, item_id: str, content_index: int, transcript: str) -> bool:
        """Merge an input transcription into the user item (kept for later if it is unknown)."""
        index = self._index(item_id)
        if index is None:
            self._transcripts[item_id] = (content_index, transcript)
            return False
        item = self._items[index]
        if not isinstance(item, UserMessageItem):
            return False
        updated = _with_transcript(item, content_index, transcript)
        return self._replace(index, updated)

    def complete_output(self, output: Iterable[RealtimeItem]) -> bool:
        """At ``turn_done``: give each output item of the response its final status."""
        changed = False
        for item in output:
            index = self._index(item.item_id)
            status = getattr(item, "status", None)
            final = status if status in _FINAL else "completed"
            if index is not None:
                changed |= self._finish(index, final)
        return changed

    def complete_user_messages(self) -> bool:
        """When a response starts, the user's turn is over: complete their messages."""
        changed = False
        for index, item in enumerate(self._items):
            if isinstance(item, UserMessageItem):
                changed |= self._finish(index, "completed")
        return changed

    # -- internals -------------------------------------------------------------------------

    def _index(self, item_id: str) -> int | None:
        for index, item in enumerate(self._items):
            if item.item_id == item_id:
                return index
        return None

    def _replace(self, index: int, item: RealtimeItem) -> bool:
        if item == self._items[index]:
            return False
        self._items[index] = item
        self._snapshot = None
        return True

    def _finish(self, index: int, status: str) -> bool:
        item = self._items[index]
        if getattr(item, "status", None) != "in_progress":
            return False
        return self._replace(index, attrs.evolve(item, status=status))  # type: ignore[arg-type]

    def _prepare(self, item: RealtimeItem) -> RealtimeItem:
        if not self.store_audio:
            item = _without_audio(item)
        pending = self._transcripts.pop(item.item_id, None)
        if pending is not None and isinstance(item, UserMessageItem):
            item = _with_transcript(item, *pending)
        return item

    def _insert(self, item: RealtimeItem) -> None:
        previous = item.previous_item_id
        anchor = None if previous is None else self._index(previous)
        if anchor is None:
            self._items.append(item)
            if previous is not None:
                self._orphans[item.item_id] = previous
        else:
            self._items.insert(anchor + 1, item)
        self._adopt(item.item_id)

    def _adopt(self, parent_id: str) -> None:
        """Move every orphan waiting for ``parent_id`` (with its chain) right behind it."""
        for orphan_id in [o for o, p in self._orphans.items() if p == parent_id]:
            del self._orphans[orphan_id]
            start = self._index(orphan_id)
            if start is None:
                continue
            end = start + 1
            while end < len(self._items) and (
                self._items[end].previous_item_id == self._items[end - 1].item_id
            ):
                end += 1
            block = self._items[start:end]
            if any(i.item_id == parent_id for i in block):
                continue  # a cycle in previous_item_id: leave the order alone
            del self._items[start:end]
            anchor = self._index(parent_id)
            assert anchor is not None
            self._items[anchor + 1 : anchor + 1] = block


def merge_item(old: RealtimeItem, new: RealtimeItem) -> RealtimeItem:
    """``new`` as the latest state of ``old``, keeping what ``new`` does not know."""
    if type(old) is not type(new):
        return new
    changes: dict[str, Any] = {}
    if new.previous_item_id is None and old.previous_item_id is not None:
        changes["previous_item_id"] = old.previous_item_id
    status = getattr(old, "status", None)
    if status in _FINAL and getattr(new, "status", None) == "in_progress":
        changes["status"] = status
    if isinstance(old, _Message):
        content = _merge_content(old.content, new.content)  # type: ignore[union-attr]
        if content is not None:
            changes["content"] = content
    elif isinstance(old, FunctionCallItem | McpCallItem):
        if new.output is None and old.output is not None:  # type: ignore[union-attr]
            changes["output"] = old.output
            changes["status"] = old.status
        if not new.arguments and old.arguments:  # type: ignore[union-attr]
            changes["arguments"] = old.arguments
    elif isinstance(old, McpApprovalRequestItem) and new.approved is None:  # type: ignore[union-attr]
        changes["approved"] = old.approved
    return attrs.evolve(new, **changes) if changes else new


def _merge_content(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Merged content parts, or None when ``new`` can stand as it is."""
    if not new:
        return old or None
    merged = list(new)
    for index, part in enumerate(new):
        before = old[index] if index < len(old) else None
        if before is None or type(before) is not type(part):
            continue
        if isinstance(part, InputAudio | OutputAudio):
            if not part.transcript and before.transcript:
                part = attrs.evolve(part, transcript=before.transcript)
            if part.audio is None and before.audio is not None:
                part = attrs.evolve(part, audio=before.audio)
        elif isinstance(part, OutputText) and not part.text and before.text:
            part = before
        merged[index] = part
    result = tuple(merged)
    return None if result == new else result


def _with_transcript(item: UserMessageItem, content_index: int, text: str) -> UserMessageItem:
    parts = list(item.content)
    audio_indexes = [i for i, p in enumerate(parts) if isinstance(p, InputAudio)]
    if content_index in audio_indexes:
        target = content_index
    elif audio_indexes:
        target = audio_indexes[0]
    else:
        parts.append(InputAudio(transcript=text))
        return attrs.evolve(item, content=tuple(parts), status="completed")
    part = parts[target]
    assert isinstance(part, InputAudio)
    if text or not part.transcript:
        parts[target] = attrs.evolve(part, transcript=text)
    return attrs.evolve(item, content=tuple(parts), status="completed")


def _without_audio(item: RealtimeItem) -> RealtimeItem:
    if not isinstance(item, UserMessageItem | AssistantMessageItem):
        return item
    if not any(isinstance(p, InputAudio | OutputAudio) and p.audio for p in item.content):
        return item
    content = tuple(
        attrs.evolve(p, audio=None) if isinstance(p, InputAudio | OutputAudio) else p
        for p in item.content
    )
    return attrs.evolve(item, content=content)  # type: ignore[arg-type]
