"""``MockRealtimeTransport``: the real OpenAI driver and protocol, with a function as the server.

In the spirit of httpx's ``MockTransport``: you write ``handler(client_event)`` returning the
server events to answer with, and everything above the wire — the sans-I/O protocol, the
response sequencer, barge-in arithmetic, readiness, the session — runs for real::

    def server(event):
        if event["type"] == "response.create":
            return server_events.text_response("Hello!")
        return None

    transport = MockRealtimeTransport(server)
    session = RealtimeSession(agent, transport=transport)

Each connection starts with the mock sending ``session.created``. Client events reach the
handler one at a time, in order (an ``async`` handler is awaited before the next event); what
it returns is delivered as server frames, in order. :attr:`MockRealtimeTransport.received`
holds every client event (:attr:`~MockRealtimeTransport.sent`, every server frame),
:meth:`~MockRealtimeTransport.push` sends a server event unprompted
(say, ``input_audio_buffer.speech_started``), :meth:`~MockRealtimeTransport.drop` ends the
connection as a failing server would.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

from ..driver import Channel, ChannelRequest, CloseInfo, OnClose, OnFrame, OpenAIRealtimeTransport
from ..errors import ConnectionClosedError, UserError
from . import server_events

__all__ = ["MockHandler", "MockRealtimeTransport", "ServerReply"]

#: What a handler answers: server events (dicts or ready JSON text), or None for nothing.
ServerReply: TypeAlias = "Iterable[Mapping[str, Any] | str] | None"
#: ``handler(client_event) -> ServerReply`` (or an awaitable of one).
MockHandler: TypeAlias = Callable[[dict[str, Any]], "ServerReply | Awaitable[ServerReply]"]


class _MockChannel(Channel):
    """A channel whose far end is the handler; one owned task feeds it in order."""

    def __init__(
        self, owner: MockRealtimeTransport, model: str, on_frame: OnFrame, on_close: OnClose
    ) -> None:
        self._owner = owner
        self._model = model
        self._on_frame = on_frame
        self._on_close = on_close
        self._inbox: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    async def open(self, request: ChannelRequest) -> None:
        self._open = True
        self._owner.received.clear()
        self._task = asyncio.get_running_loop().create_task(
            self._serve(), name="realtime_agents mock server"
        )
        self.deliver([server_events.session_created(self._model)])

    def write(self, frames: Sequence[str]) -> None:
        if not self._open:
            raise ConnectionClosedError("the mock connection is closed")
        for frame in frames:
            self._inbox.put_nowait(frame)

    async def drain(self) -> None:
        if not self._open:
            raise ConnectionClosedError("the mock connection is closed")

    async def _serve(self) -> None:
        while True:
            event = json.loads(await self._inbox.get())
            self._owner.received.append(event)
            try:
                reply = self._owner.handler(event)
                if inspect.isawaitable(reply):
                    reply = await reply
            except Exception as exc:
                # A broken handler is a broken server: the connection ends, with the reason.
                self.end(CloseInfo(1011, f"mock handler raised {type(exc).__name__}", exc))
                return
            self.deliver(reply or ())

    def deliver(self, events: Iterable[Mapping[str, Any] | str]) -> None:
        """Hand server events to the driver now, in order (while the connection is open)."""
        for event in events:
            if not self._open:
                return
            frame = event if isinstance(event, str) else json.dumps(event)
            self._owner.sent.append(frame)
            self._on_frame(self, frame)

    def end(self, info: CloseInfo) -> None:
        """The server side ends the connection (``on_close`` is called once)."""
        if self._open:
            self._stop()
            self._on_close(self, info)

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        task = self._task
        self._stop()
        if task is not None and task is not asyncio.current_task():
            await asyncio.gather(task, return_exceptions=True)

    def abort(self) -> None:
        self._stop()

    def _stop(self) -> None:
        self._open = False
        if self._task is not None:
            self._task.cancel()


class MockRealtimeTransport(OpenAIRealtimeTransport):
    """An OpenAI transport whose server is ``handler`` (see the module docstring).

    Takes the driver's keyword arguments too (``model``, ``ready_timeout``, ``clock`` ...);
    the API key defaults to a placeholder, since nothing leaves the process.
    """

    def __init__(self, handler: MockHandler | None = None, **driver_options: Any) -> None:
        driver_options.setdefault("api_key", "sk-mock")
        super().__init__(**driver_options)
        #: The server: ``handler(client_event) -> server events``.
        self.handler: MockHandler = handler or _silent
        #: Every client event the current (or last) connection sent, decoded, in order.
        self.received: list[dict[str, Any]] = []
        #: Every server frame the mock delivered, over all connections, in order.
        self.sent: list[str] = []
        self._mock: _MockChannel | None = None

    def create_channel(
        self, request: ChannelRequest, on_frame: OnFrame, on_close: OnClose
    ) -> Channel:
        self._mock = _MockChannel(self, _model_of(request), on_frame, on_close)
        return self._mock

    def received_types(self) -> list[str]:
        """The ``type`` of every client event received, in order."""
        return [event["type"] for event in self.received]

    def push(self, *events: Mapping[str, Any] | str) -> None:
        """Send server events now, unprompted, as the server would."""
        self._connected_mock().deliver(events)

    def drop(self, code: int = 1006, reason: str = "") -> None:
        """End the connection from the server's side (1006: lost, no closing handshake)."""
        error = (
            ConnectionResetError("the mock server dropped the connection") if code == 1006 else None
        )
        self._connected_mock().end(CloseInfo(code, reason, error))

    def _connected_mock(self) -> _MockChannel:
        mock = self._mock
        if mock is None or not mock.is_open:
            raise UserError("the mock transport has no open connection")
        return mock


def _silent(event: dict[str, Any]) -> ServerReply:
    return None


def _model_of(request: ChannelRequest) -> str:
    """The model named in the request's URL (the mock's session reports it)."""
    values = parse_qs(urlsplit(request.url).query).get("model")
    return values[0] if values else "gpt-realtime"
