"""Schemas of the client events the server accepts, and their validation.

The GA catalogue has 11 client event types (reference §3.1). Over WebSocket the real server also
accepts ``session.close`` and ``session.input_audio_buffer.append`` and does *not* accept
``output_audio_buffer.clear`` (its "unknown type" error lists the accepted types; reference §3.1
[CAP]); over WebRTC/SIP ``output_audio_buffer.clear`` is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from .config import RESPONSE_PARAMS, SESSION
from .errors import RealtimeError
from .items import ITEM
from .schema import Int, Nullable, Schema, Str, obj
from .wire import check_finite

__all__ = ["WEBSOCKET_TYPES", "client_event_types", "validate_client_event"]

_BASE = {"type": Str(), "event_id": Str()}

_SCHEMAS: dict[str, Schema] = {
    "session.update": obj("session", **_BASE, session=SESSION),
    "session.close": obj(**_BASE),
    "input_audio_buffer.append": obj("audio", **_BASE, audio=Str()),
    "session.input_audio_buffer.append": obj("audio", **_BASE, audio=Str()),
    "input_audio_buffer.commit": obj(**_BASE),
    "input_audio_buffer.clear": obj(**_BASE),
    "conversation.item.create": obj("item", **_BASE, previous_item_id=Nullable(Str()), item=ITEM),
    "conversation.item.truncate": obj(
        "item_id",
        "content_index",
        "audio_end_ms",
        **_BASE,
        item_id=Str(),
        content_index=Int(0),
        audio_end_ms=Int(0),
    ),
    "conversation.item.delete": obj("item_id", **_BASE, item_id=Str()),
    "conversation.item.retrieve": obj("item_id", **_BASE, item_id=Str()),
    "response.create": obj(**_BASE, response=Nullable(RESPONSE_PARAMS)),
    "response.cancel": obj(**_BASE, response_id=Nullable(Str())),
    "output_audio_buffer.clear": obj(**_BASE, response_id=Nullable(Str())),
}

WEBSOCKET_TYPES: tuple[str, ...] = (
    "session.update",
    "session.close",
    "input_audio_buffer.append",
    "session.input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.truncate",
    "conversation.item.delete",
    "conversation.item.retrieve",
    "response.create",
    "response.cancel",
)
"""Accepted over WebSocket, in the order the real server lists them."""


def client_event_types(transport: str) -> tuple[str, ...]:
    """The client event types a connection over ``transport`` accepts."""
    if transport == "websocket":
        return WEBSOCKET_TYPES
    return (*WEBSOCKET_TYPES, "output_audio_buffer.clear")


_APPENDS = frozenset({"input_audio_buffer.append", "session.input_audio_buffer.append"})
_APPEND_KEYS = frozenset({"type", "event_id", "audio"})


def validate_client_event(event: Mapping[str, object], transport: str) -> dict[str, object]:
    """The validated event; raises :class:`RealtimeError` as the real server would answer."""
    if _plain_append(event):
        # Half of all traffic, and valid as it is: every check below would pass and return a
        # copy with the same keys and values (a string holds no NaN, the schema has no
        # defaults; its handler only reads it, so a decoded dict needs no copy). Anything
        # else about an append takes the full path and its exact errors.
        return event if type(event) is dict else dict(event)
    kind = event.get("type")
    if kind is None:
        raise RealtimeError.missing_parameter("type")
    if not isinstance(kind, str):
        raise RealtimeError.invalid_type("type", "a string", kind)
    accepted = client_event_types(transport)
    if kind not in accepted:
        raise RealtimeError.invalid_value("type", kind, accepted)
    # Before the schema: a NaN anywhere, free-form fields included, names its param the same way.
    check_finite(event)
    checked = _SCHEMAS[kind].check(dict(event), "")
    assert isinstance(checked, dict)
    return checked


def _plain_append(event: Mapping[str, object]) -> bool:
    """An audio append with a string ``audio``, an optional string ``event_id`` and no other key
    (both append types are accepted over every transport)."""
    kind = event.get("type")
    return (
        type(kind) is str  # first: a list or dict "type" is not hashable
        and kind in _APPENDS
        and type(event.get("audio")) is str
        and type(event.get("event_id", "")) is str
        and event.keys() <= _APPEND_KEYS
    )
