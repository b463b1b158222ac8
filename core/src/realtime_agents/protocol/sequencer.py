"""The response-create sequencer: at most one ``response.create`` in flight.

The server allows one active response per conversation; a second ``response.create`` fails
with ``conversation_already_has_active_response``. The sequencer therefore holds requests
until the previous response is done:

* a create is sent only when no response is ongoing (``response.created`` … ``response.done``)
  and no create or cancel awaits its answer;
* *auto* requests (after a user message, a tool output, an MCP call) waiting together are
  coalesced into one create; *manual* ones (a raw ``response.create``, a request with a
  ``response`` body) stay distinct and keep their body;
* every create gets an ``event_id`` (``realtime_agents_response_create_<n>``) so that a server
  ``error`` can be matched to it; a matching error frees the slot and puts coalesced auto
  requests back, once, so they are retried;
* ``response.cancel`` is sent only while a response is ongoing, once per response.

One sequencer per connection (it lives in the connection's protocol object): nothing a server
said on an old connection applies to a new one, so there is no reset.

It is synchronous: a request either goes to ``send`` at once or waits; waiting requests are
sent from :meth:`on_response_done` / :meth:`on_error`, i.e. while the protocol handles a frame.
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["RESPONSE_CREATE_EVENT_ID_PREFIX", "ResponseControl", "ResponseCreateSequencer"]

RESPONSE_CREATE_EVENT_ID_PREFIX: Final = "realtime_agents_response_create_"


class ResponseControl(enum.Enum):
    """What the client is waiting for the server to answer."""

    FREE = "free"
    CREATE_REQUESTED = "create_requested"
    CANCEL_REQUESTED = "cancel_requested"


class _Request:
    __slots__ = ("event", "retried")

    def __init__(self, event: dict[str, Any] | None, retried: bool = False) -> None:
        self.event = event  # None for an auto request; the full response.create when manual
        self.retried = retried


class _SentCreate:
    __slots__ = ("autos", "event_id")

    def __init__(self, event_id: str, autos: list[_Request]) -> None:
        self.event_id = event_id
        self.autos = autos


class ResponseCreateSequencer:
    """Sends ``response.create``/``response.cancel`` via ``send`` when the server can take them."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self._counter = 0
        self._pending: collections.deque[_Request] = collections.deque()
        self._last_create: _SentCreate | None = None
        self.control = ResponseControl.FREE
        self.ongoing_response_id: str | None = None
        self.ongoing = False

    @property
    def cancelled(self) -> bool:
        """Whether the ongoing response was cancelled (it ends at its ``response.done``)."""
        return self.control is ResponseControl.CANCEL_REQUESTED

    @property
    def pending(self) -> int:
        """How many requests wait for a slot."""
        return len(self._pending)

    # -- requests --------------------------------------------------------------------------

    def request_auto(self) -> None:
        """Ask for a response on the caller's behalf (coalesced with other waiting autos)."""
        self._pending.append(_Request(None))
        self._pump()

    def request_manual(self, event: Mapping[str, Any]) -> None:
        """Send this ``response.create`` (body kept, never coalesced) when the slot is free."""
        self._pending.append(_Request(dict(event)))
        self._pump()

    def cancel(self, event: Mapping[str, Any] | None = None) -> bool:
        """Send ``response.cancel`` if a response is ongoing and none was sent for it yet."""
        if not self.ongoing or self.control is ResponseControl.CANCEL_REQUESTED:
            return False
        self.control = ResponseControl.CANCEL_REQUESTED
        if event is None:
            event = {"type": "response.cancel"}
            if self.ongoing_response_id is not None:
                event["response_id"] = self.ongoing_response_id
        self._send(dict(event))
        return True

    # -- server events ---------------------------------------------------------------------

    def on_response_created(self, response_id: str | None) -> None:
        self.ongoing = True
        self.ongoing_response_id = response_id
        if self.control is ResponseControl.CREATE_REQUESTED:
            self.control = ResponseControl.FREE

    def on_response_done(self) -> None:
        """The ongoing response ended; the oldest waiting request (if any) is sent now.

        A ``response.done`` does not answer a create still awaiting ``response.created``
        (it ends some other response), so that create keeps the slot.
        """
        self.ongoing = False
        self.ongoing_response_id = None
        if self.control is not ResponseControl.CREATE_REQUESTED:
            self._last_create = None
        if self.control is ResponseControl.CANCEL_REQUESTED:
            self.control = ResponseControl.FREE
        self._pump()

    def on_error(self, event: Mapping[str, Any]) -> bool:
        """Release the slot if a server ``error`` is about our last create; True if it was.

        An error names the failed client event in ``error.event_id``; without one, an error
        whose code mentions ``response_create`` or whose message mentions ``response.create``
        counts while a create awaits its answer.
        """
        sent = self._last_create
        if sent is None or not self._is_create_error(event.get("error"), sent.event_id):
            return False
        self._last_create = None
        if self.control is ResponseControl.CREATE_REQUESTED:
            self.control = ResponseControl.FREE
        if any(not request.retried for request in sent.autos):
            # One coalesced retry covers them all; a retry that fails again is dropped.
            self._pending.appendleft(_Request(None, retried=True))
        self._pump()
        return True

    def _is_create_error(self, error: object, event_id: str) -> bool:
        if not isinstance(error, Mapping):
            return False
        failed = error.get("event_id")
        if isinstance(failed, str):
            return failed == event_id
        if self.control is not ResponseControl.CREATE_REQUESTED:
            return False
        code, message = error.get("code"), error.get("message")
        return (isinstance(code, str) and "response_create" in code) or (
            isinstance(message, str) and "response.create" in message
        )

    # -- sending ---------------------------------------------------------------------------

    def _pump(self) -> None:
        if self.ongoing or self.control is not ResponseControl.FREE or not self._pending:
            return
        head = self._pending.popleft()
        autos: list[_Request] = []
        if head.event is not None:
            event = head.event
        else:
            autos.append(head)
            while self._pending and self._pending[0].event is None:
                autos.append(self._pending.popleft())
            event = {"type": "response.create"}
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            self._counter += 1
            event_id = f"{RESPONSE_CREATE_EVENT_ID_PREFIX}{self._counter}"
            event["event_id"] = event_id
        self.control = ResponseControl.CREATE_REQUESTED
        self._last_create = _SentCreate(event_id, autos)
        self._send(event)
