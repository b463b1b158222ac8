"""``RealtimeTransportLayer``: the contract between a session and a way of reaching a model.

A transport moves events between the session and a speech-to-speech backend (OpenAI over
WebSocket, WebRTC, SIP, a Cloudflare Worker socket, or anything else). The session calls the
methods below; the transport publishes the events of :mod:`realtime_agents.events` on the bus
with itself as sender (``transport.on(name, handler)`` subscribes).

Who calls what:

* :meth:`connect` is called once per connection by the session (or by a thin client); it
  returns when the transport can send. A second ``connect`` while connecting/connected raises
  :class:`~realtime_agents.errors.UserError`. A failed ``connect`` leaves the transport
  ``disconnected`` and retryable.
* The ``send_*`` methods, :meth:`interrupt`, :meth:`update_session_config` and
  :meth:`reset_history` are called while connected; calling them while disconnected raises
  :class:`~realtime_agents.errors.ConnectionClosedError` (``send_audio`` silently drops audio
  instead, because microphones keep producing it around reconnects).
* :meth:`close` may be called at any time, more than once, also from inside one of the
  transport's own event handlers. It must release every socket and cancel every task the
  transport started, emit ``connection_change`` (``disconnected``), make a pending ``connect``
  fail, and finish with ``await self.close_handlers()`` (which stops the tasks that run
  coroutine handlers; a subclass that forgets it leaves one pending).
* Status changes go through :meth:`set_status`, which publishes ``connection_change``.

Events every transport must publish (payloads: :data:`RealtimeTransportEventTypes`):
``connection_change`` on each status change, ``error`` for failures it does not raise, and as
many of ``item_update``, ``function_call``, ``audio``, ``audio_interrupted``,
``audio_transcript_delta``, ``output_text_delta``, ``audio_done``, ``usage_update``,
``turn_started``, ``turn_done``, ``item_deleted``, ``input_audio_transcription`` as its
backend can produce. Nothing in the contract is OpenAI's: a transport for another backend
builds these typed payloads from its own protocol (raw data goes in ``provider_data``).
OpenAI transports also publish every server event on ``*`` and under its own ``type``.

Methods only some backends have (:meth:`send_event`, :meth:`send_mcp_response`) raise
:class:`~realtime_agents.errors.NotSupportedError` unless a transport overrides them.
The contract suite in :mod:`realtime_agents.testing.contract` checks a transport against all
of this; "Writing a transport" in core's README walks through it.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeAlias

from .bus import EventEmitter, EventNames
from .errors import NotSupportedError, UserError
from .events import TRANSPORT_EVENT_NAMES, ConnectionChangeEvent, ConnectionStatus

if TYPE_CHECKING:
    from ._connect_options import ConnectOptions
    from .config import RealtimeSessionConfig
    from .events import FunctionCallEvent, RealtimeTransportEventTypes, TransportSubscribe
    from .items import McpApprovalRequestItem, RealtimeItem

__all__ = [
    "CONTRACT_EVENTS",
    "ApiKey",
    "ConnectOptions",
    "RealtimeTransportEventTypes",
    "RealtimeTransportLayer",
    "UserMessage",
    "resolve_api_key",
]


def __getattr__(name: str) -> Any:
    # PEP 562: re-exported from .events, where the table is built on first access, and from
    # ._connect_options (built at the first connect).
    if name == "RealtimeTransportEventTypes":
        from . import events

        return events.RealtimeTransportEventTypes
    if name == "ConnectOptions":
        from ._connect_options import ConnectOptions

        globals()[name] = ConnectOptions
        return ConnectOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: An API key, or a (sync or async) function returning one; called at each connect.
ApiKey: TypeAlias = "str | Callable[[], str] | Callable[[], Awaitable[str]]"

#: A user message: plain text, or a ``{"type": "message", "role": "user", "content": [...]}``.
UserMessage: TypeAlias = "str | Mapping[str, Any]"


#: Names users bring from openai-agents-python (its model events) and the JS SDK, and ours.
_TRANSPORT_ALIASES: Final = {
    "connection_status": "connection_change",
    "connected": "connection_change",
    "disconnected": "connection_change",
    "exception": "error",
    "input_audio_transcription_completed": "input_audio_transcription",
    "item_updated": "item_update",
    "raw_server_event": "*",
    "response_done": "turn_done",
    "response_started": "turn_started",
    "transcript_delta": "audio_transcript_delta",
    "turn_ended": "turn_done",
    "usage": "usage_update",
}

#: What every transport publishes, checked by ``transport.on``; OpenAI transports add each
#: server event type, and a transport of your own may add its events with ``|``.
CONTRACT_EVENTS: Final = EventNames(
    TRANSPORT_EVENT_NAMES,
    aliases=_TRANSPORT_ALIASES,
    docs="docs/writing-a-transport.md#events (and realtime_agents.RealtimeTransportEventTypes)",
)


async def resolve_api_key(api_key: ApiKey | None) -> str | None:
    """Return the key itself, calling (and awaiting) it when it is a function."""
    if api_key is None or isinstance(api_key, str):
        return api_key
    value = api_key()
    if isinstance(value, Awaitable):
        value = await value
    if not isinstance(value, str):
        raise UserError(f"the api_key function returned {type(value).__name__}, expected str")
    return value


class RealtimeTransportLayer(EventEmitter, abc.ABC):
    """Base class of every transport (see the module docstring for the contract)."""

    #: The names ``on``/``once``/``off``/``wait_for`` accept: the contract's events. A
    #: transport that publishes more says so: ``event_names = Base.event_names | {"mine"}``.
    event_names = CONTRACT_EVENTS

    if TYPE_CHECKING:
        # For type checkers: the contract's names with their payload types; other names stay
        # allowed, untyped, since subclasses publish more. Subscribing runs EventEmitter's
        # methods. mypy calls this an incompatible override because a contract name's
        # overload returns the handler typed by its payload rather than as the handler's own
        # type; the str overloads are EventEmitter's own.
        on: ClassVar[TransportSubscribe]  # type: ignore[assignment]
        once: ClassVar[TransportSubscribe]  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._status = ConnectionStatus.DISCONNECTED

    @property
    def status(self) -> ConnectionStatus:
        """``connecting``, ``connected``, ``disconnecting`` or ``disconnected``."""
        return self._status

    def set_status(self, status: ConnectionStatus) -> None:
        """Record a status change and publish ``connection_change`` if it is one.

        For transport implementations: the only way the status changes.
        """
        if status is self._status:
            return
        self._status = status
        self.emit("connection_change", ConnectionChangeEvent(status))

    @property
    def muted(self) -> bool | None:
        """Whether input audio is muted; None where the transport does not handle muting."""
        return None

    async def mute(self, muted: bool) -> None:
        """Mute or unmute input audio."""
        raise UserError(
            f"Mute is not supported by {type(self).__name__}; stop calling send_audio instead."
        )

    @abc.abstractmethod
    async def connect(self, options: ConnectOptions) -> None:
        """Open the connection and send the initial session config."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the connection and release everything; idempotent."""

    async def send_event(self, event: Mapping[str, Any]) -> None:
        """Send a raw client event of the backend's own protocol (a dict with ``type``)."""
        raise self._not_supported("send_event", "raw client events")

    @abc.abstractmethod
    async def send_message(
        self,
        message: UserMessage,
        other_event_data: Mapping[str, Any] | None = None,
        *,
        trigger_response: bool = True,
    ) -> None:
        """Add a user message to the conversation, then ask for a response unless told not to."""

    @abc.abstractmethod
    async def add_image(self, image: str, *, trigger_response: bool = True) -> None:
        """Add an image (data URL or URL) as a user message."""

    @abc.abstractmethod
    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        """Append input audio in the session's input format; ``commit`` ends the user's turn."""

    @abc.abstractmethod
    async def update_session_config(self, config: RealtimeSessionConfig) -> None:
        """Send a (partial) session config."""

    @abc.abstractmethod
    async def send_function_call_output(
        self, tool_call: FunctionCallEvent, output: str, start_response: bool = True
    ) -> None:
        """Answer a function call; ``start_response`` asks the model to go on."""

    @abc.abstractmethod
    async def interrupt(self, *, cancel_ongoing_response: bool = True) -> None:
        """Stop the assistant's current audio (and response) now."""

    @abc.abstractmethod
    async def reset_history(
        self, old_history: Sequence[RealtimeItem], new_history: Sequence[RealtimeItem]
    ) -> None:
        """Make the server's conversation match ``new_history`` (a diff against ``old_history``)."""

    @abc.abstractmethod
    async def request_response(self, response: Mapping[str, Any] | None = None) -> None:
        """Ask the model to respond now (when it is free: never two responses at once).

        ``response`` holds backend-specific options for this one response (OpenAI: the body
        of ``response.create``); None asks for an ordinary response.
        """

    @abc.abstractmethod
    async def cancel_response(self, response_id: str | None = None) -> None:
        """Stop generating a response (the ongoing one when ``response_id`` is None).

        Unlike :meth:`interrupt`, audio already received keeps playing; a response that is
        not ongoing (any more) is left alone, without an error.
        """

    async def send_mcp_response(
        self, approval_request: McpApprovalRequestItem, approved: bool, reason: str | None = None
    ) -> None:
        """Answer a hosted MCP server's approval request (backends with hosted MCP only)."""
        raise self._not_supported("send_mcp_response", "hosted MCP approvals")

    def _not_supported(self, method: str, what: str) -> NotSupportedError:
        return NotSupportedError(
            f"{method}() is not supported by {type(self).__name__}: its backend has no {what}"
        )

    async def __aenter__(self) -> RealtimeTransportLayer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
