"""``LoopbackTransport``: the transport contract over an in-process backend.

This is the part of the template you keep the shape of: statuses only through
``set_status``, a ``connect`` that ``close`` can cut short, calls refused while disconnected,
input audio dropped while muted, a peer loss reported as ``error`` then ``disconnected``, and
a ``close`` that stops everything the transport started. What it talks to
(:class:`~.backend.LoopbackBackend`) is the part you replace with a client of your backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from realtime_agents.config import RealtimeSessionConfig
from realtime_agents.errors import ConnectionClosedError, UserError
from realtime_agents.events import ConnectionStatus, ErrorEvent, FunctionCallEvent
from realtime_agents.items import RealtimeItem
from realtime_agents.transport import (
    ConnectOptions,
    RealtimeTransportLayer,
    UserMessage,
    resolve_api_key,
)

from .backend import LoopbackBackend, LoopbackConnection

__all__ = ["LoopbackTransport"]


class LoopbackTransport(RealtimeTransportLayer):
    """A transport to a :class:`LoopbackBackend` in this process (a new echo one by default)."""

    def __init__(self, backend: LoopbackBackend | None = None) -> None:
        super().__init__()
        self.backend = backend or LoopbackBackend()
        self._connection: LoopbackConnection | None = None
        self._key: asyncio.Future[str | None] | None = None  # set while connect() waits
        self._muted = False

    @property
    def muted(self) -> bool:
        return self._muted

    async def mute(self, muted: bool) -> None:
        self._muted = muted

    async def connect(self, options: ConnectOptions) -> None:
        if self.status in (ConnectionStatus.CONNECTING, ConnectionStatus.CONNECTED):
            raise UserError("the loopback transport is already connecting or connected")
        self.set_status(ConnectionStatus.CONNECTING)
        # A real transport sends the key to its server; the loopback has no use for it, but
        # waiting for it is where close() must be able to cut a connect short.
        key = self._key = asyncio.ensure_future(resolve_api_key(options.api_key))
        try:
            await key
        except BaseException:
            if self._key is key:  # the key function failed, or our caller was cancelled
                self._key = None
                self.set_status(ConnectionStatus.DISCONNECTED)
                raise
        if self._key is not key:  # close() came first: it already published the status
            raise ConnectionClosedError("the transport was closed while connecting")
        self._key = None
        self._connection = self.backend.open(self.emit, self._lost)
        self._connection.update_config(options.initial_session_config or {})
        self.set_status(ConnectionStatus.CONNECTED)

    async def close(self) -> None:
        """Fail a pending connect, stop the connection's responses, then the handler tasks."""
        if self._key is not None:
            self._key.cancel()
            self._key = None
        connection, self._connection = self._connection, None
        if self.status is not ConnectionStatus.DISCONNECTED:
            self.set_status(ConnectionStatus.DISCONNECTING)
        if connection is not None:
            await connection.close()
        self.set_status(ConnectionStatus.DISCONNECTED)
        await self.close_handlers()

    def _lost(self, error: BaseException) -> None:
        """The backend went away: report why, then that the connection is gone."""
        self._connection = None
        self.emit("error", ErrorEvent(error))
        self.set_status(ConnectionStatus.DISCONNECTED)

    def _open(self, method: str) -> LoopbackConnection:
        if self._connection is None or self.status is not ConnectionStatus.CONNECTED:
            raise ConnectionClosedError(f"{method}() needs a connected transport")
        return self._connection

    async def send_message(
        self,
        message: UserMessage,
        other_event_data: Mapping[str, Any] | None = None,  # OpenAI's extra fields: none here
        *,
        trigger_response: bool = True,
    ) -> None:
        self._open("send_message").add_text(_words_of(message), respond=trigger_response)

    async def add_image(self, image: str, *, trigger_response: bool = True) -> None:
        self._open("add_image").add_image(image, respond=trigger_response)

    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        # Microphones keep going around reconnects and while muted: drop, never raise.
        connection = self._connection
        if connection is None or self.status is not ConnectionStatus.CONNECTED or self._muted:
            return
        connection.append_audio(audio)
        if commit:
            connection.commit_audio()

    async def update_session_config(self, config: RealtimeSessionConfig) -> None:
        self._open("update_session_config").update_config(config)

    async def send_function_call_output(
        self, tool_call: FunctionCallEvent, output: str, start_response: bool = True
    ) -> None:
        connection = self._open("send_function_call_output")
        connection.add_tool_output(tool_call, output, respond=start_response)

    async def interrupt(self, *, cancel_ongoing_response: bool = True) -> None:
        self._open("interrupt").interrupt(cancel_response=cancel_ongoing_response)

    async def reset_history(
        self, old_history: Sequence[RealtimeItem], new_history: Sequence[RealtimeItem]
    ) -> None:
        self._open("reset_history").reset_history(old_history, new_history)

    async def request_response(self, response: Mapping[str, Any] | None = None) -> None:
        self._open("request_response").respond()  # the loopback model takes no options

    async def cancel_response(self, response_id: str | None = None) -> None:
        self._open("cancel_response").cancel(response_id)


def _words_of(message: UserMessage) -> str:
    """The text of a user message: a string, or the text parts of a message dict."""
    if isinstance(message, str):
        return message
    return "".join(str(part.get("text", "")) for part in message.get("content", ()))
