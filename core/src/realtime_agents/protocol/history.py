"""``reset_history``: the client events that turn the server's conversation into a new history.

The Realtime API has no "update item": an item that changed is deleted and created again.
Assistant audio cannot be created by a client, so a history that would need it is refused
with :class:`~realtime_agents.errors.UserError` before any event exists; nothing half-applies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import attrs

from ..errors import UserError
from ..items import FunctionCallItem, RealtimeItem
from .outbound import delete_item_event
from .wire_items import has_output_audio, message_to_wire

__all__ = ["HistoryDiff", "diff_history", "history_events"]

logger = logging.getLogger("realtime_agents.protocol")


@attrs.frozen
class HistoryDiff:
    """Items only in the old history, only in the new one, and changed (by ``item_id``)."""

    removals: tuple[RealtimeItem, ...]
    additions: tuple[RealtimeItem, ...]
    updates: tuple[RealtimeItem, ...]


def diff_history(old: Sequence[RealtimeItem], new: Sequence[RealtimeItem]) -> HistoryDiff:
    """Compare two histories by ``item_id``; an item is updated when any field differs."""
    old_by_id = {item.item_id: item for item in old}
    new_ids = {item.item_id for item in new}
    return HistoryDiff(
        removals=tuple(item for item in old if item.item_id not in new_ids),
        additions=tuple(item for item in new if item.item_id not in old_by_id),
        updates=tuple(
            item for item in new if item.item_id in old_by_id and old_by_id[item.item_id] != item
        ),
    )


def history_events(
    old: Sequence[RealtimeItem], new: Sequence[RealtimeItem]
) -> list[dict[str, Any]]:
    """Deletes (removals, then updates) followed by creates (additions, then updates).

    Only messages can be created. A function call that was added or changed is left alone
    with a warning: the server has no way to create one, and deleting a changed call without
    re-creating it would lose it.
    """
    diff = diff_history(old, new)
    written = diff.additions + diff.updates
    for item in written:
        if has_output_audio(item):
            raise UserError(
                f"cannot replay assistant audio (item {item.item_id!r}): the Realtime API does "
                "not accept output_audio from clients; use output_text with the transcript"
            )
    creatable = [(item, message_to_wire(item)) for item in written]
    for item, wire in creatable:
        if wire is None:
            kind = "Function calls" if isinstance(item, FunctionCallItem) else f"{item.type} items"
            logger.warning(
                "%s cannot be added or updated by a client; ignored %r", kind, item.item_id
            )
    skipped = {item.item_id for item, wire in creatable if wire is None}
    deletes = [item.item_id for item in diff.removals]
    deletes += [item.item_id for item in diff.updates if item.item_id not in skipped]
    events = [delete_item_event(item_id) for item_id in deletes]
    events += [{"type": "conversation.item.create", "item": wire} for _, wire in creatable if wire]
    return events
