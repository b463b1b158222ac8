"""``ScriptedRealtimeTransport``: an in-memory transport a test drives call by call.

:class:`ScriptedRealtimeTransport` implements the whole transport contract without any
network. It records every call the session (or your code) makes, lets a test expect those
calls in order, emit transport events as if a server had sent them, inject failures and
disconnects, and assert at the end that nothing was left unexpected::

    transport = ScriptedRealtimeTransport()
    session = RealtimeSession(agent, transport=transport)
    await session.connect(api_key="sk-test")
    await transport.expect_call("connect")
    transport.emit_function_call("get_weather", {"city": "Oslo"}, call_id="call_1")
    call = await transport.expect_call("send_function_call_output")
    assert call.args["output"] == "sunny"
    transport.assert_complete()

Waiting is bounded by ``timeout`` (5 s by default), so a scripted test cannot hang.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ConnectionClosedError, RealtimeAgentsError, UserError
from ..events import (
    AudioDoneEvent,
    AudioEvent,
    ConnectionStatus,
    ErrorEvent,
    FunctionCallEvent,
    InputAudioTranscriptionEvent,
    TranscriptDeltaEvent,
    TurnDoneEvent,
    TurnDoneResponse,
    TurnStartedEvent,
    Usage,
)
from ..items import FunctionCallItem
from ..transport import ConnectOptions, RealtimeTransportLayer, UserMessage, resolve_api_key

if TYPE_CHECKING:
    from ..config import RealtimeSessionConfig
    from ..items import McpApprovalRequestItem, RealtimeItem

__all__ = [
    "IncompleteRealtimeScenarioError",
    "RealtimeCallMatcherError",
    "RealtimeTransportNotClosedError",
    "RecordedCall",
    "ScenarioContext",
    "ScriptedRealtimeTransport",
    "UnexpectedRealtimeCallError",
]

DEFAULT_TIMEOUT = 5.0


@attrs.frozen
class RecordedCall:
    """One call made on the transport: ``method`` and its arguments by name."""

    index: int
    method: str
    args: Mapping[str, Any]


class UnexpectedRealtimeCallError(RealtimeAgentsError, AssertionError):
    """A call arrived that is not the one the test expected next."""

    def __init__(self, call_index: int, expected_method: str, actual_method: str) -> None:
        super().__init__(f"call #{call_index}: expected {expected_method!r}, got {actual_method!r}")
        self.call_index = call_index
        self.expected_method = expected_method
        self.actual_method = actual_method


class RealtimeCallMatcherError(RealtimeAgentsError, AssertionError):
    """The expected method was called, but the matcher rejected its arguments."""

    def __init__(self, call: RecordedCall) -> None:
        super().__init__(f"call #{call.index} {call.method!r} did not match: {dict(call.args)!r}")
        self.call = call


class IncompleteRealtimeScenarioError(RealtimeAgentsError, AssertionError):
    """A scenario ended with calls nobody expected, or expectations nothing met."""

    def __init__(self, unconsumed: Sequence[RecordedCall], pending: Sequence[str]) -> None:
        parts = []
        if unconsumed:
            parts.append("unexpected calls: " + ", ".join(c.method for c in unconsumed))
        if pending:
            parts.append("expectations never met: " + ", ".join(pending))
        super().__init__("; ".join(parts) or "scenario incomplete")
        self.unconsumed_calls = list(unconsumed)
        self.pending_expectations = list(pending)


class RealtimeTransportNotClosedError(RealtimeAgentsError, AssertionError):
    """``assert_closed`` found the transport still open."""


@attrs.define
class _Expectation:
    method: str
    matcher: Callable[[RecordedCall], bool] | None
    future: asyncio.Future[RecordedCall]


@attrs.frozen
class ScenarioContext:
    """What a scenario function gets: ``expect_call`` and ``emit`` of its transport."""

    transport: ScriptedRealtimeTransport

    async def expect_call(
        self, method: str, matcher: Callable[[RecordedCall], bool] | None = None
    ) -> RecordedCall:
        return await self.transport.expect_call(method, matcher)

    def emit(self, name: str, event: Any = None) -> None:
        self.transport.emit(name, event)


class ScriptedRealtimeTransport(RealtimeTransportLayer):
    """An in-memory transport driven by a test (see the module docstring).

    ``supports_mute=True`` makes it behave like a transport that handles muting (``muted`` is
    a bool); otherwise ``muted`` is None and ``mute`` raises, like the WebSocket transport.
    """

    def __init__(self, *, supports_mute: bool = False, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.calls: list[RecordedCall] = []
        self.timeout = timeout
        self._consumed = 0
        self._expectations: list[_Expectation] = []
        self._failures: dict[str, list[BaseException]] = {}
        self._muted: bool | None = False if supports_mute else None
        self._response_count = 0
        self._attempt = 0  # bumped by connect and close: a superseded connect fails
        self._key_task: asyncio.Future[str | None] | None = None

    # -- the transport contract ------------------------------------------------------------

    @property
    def muted(self) -> bool | None:
        return self._muted

    async def mute(self, muted: bool) -> None:
        self._record("mute", muted=muted)
        if self._muted is None:
            await super().mute(muted)
        self._muted = muted

    async def connect(self, options: ConnectOptions) -> None:
        if self.status in (ConnectionStatus.CONNECTING, ConnectionStatus.CONNECTED):
            raise UserError("already connecting or connected")
        self.set_status(ConnectionStatus.CONNECTING)
        attempt = self._attempt = self._attempt + 1
        try:
            key = await self._resolve_key(options, attempt)
            self._record(
                "connect",
                api_key_provided=bool(key),
                model=options.model,
                url=options.url,
                call_id=options.call_id,
                initial_session_config=options.initial_session_config,
            )
        except BaseException:
            if attempt == self._attempt:
                self.set_status(ConnectionStatus.DISCONNECTED)
            raise
        self.set_status(ConnectionStatus.CONNECTED)

    async def close(self) -> None:
        self._record("close")
        self._attempt += 1  # a connect still resolving its key fails instead of completing
        if self._key_task is not None:
            self._key_task.cancel()
        if self.status is not ConnectionStatus.DISCONNECTED:
            self.set_status(ConnectionStatus.DISCONNECTING)
            self.set_status(ConnectionStatus.DISCONNECTED)
        await self.close_handlers()

    async def send_event(self, event: Mapping[str, Any]) -> None:
        self._record_connected("send_event", event=dict(event))

    async def request_response(self, response: Mapping[str, Any] | None = None) -> None:
        self._record_connected(
            "request_response", response=None if response is None else dict(response)
        )

    async def cancel_response(self, response_id: str | None = None) -> None:
        self._record_connected("cancel_response", response_id=response_id)

    async def send_message(
        self,
        message: UserMessage,
        other_event_data: Mapping[str, Any] | None = None,
        *,
        trigger_response: bool = True,
    ) -> None:
        self._record_connected(
            "send_message",
            message=message,
            other_event_data=dict(other_event_data or {}),
            trigger_response=trigger_response,
        )

    async def add_image(self, image: str, *, trigger_response: bool = True) -> None:
        self._record_connected("add_image", image=image, trigger_response=trigger_response)

    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        if self.status is ConnectionStatus.CONNECTED:
            self._record("send_audio", audio=bytes(audio), commit=commit)

    async def update_session_config(self, config: RealtimeSessionConfig) -> None:
        self._record_connected("update_session_config", config=config)

    async def send_function_call_output(
        self, tool_call: FunctionCallEvent, output: str, start_response: bool = True
    ) -> None:
        self._record_connected(
            "send_function_call_output",
            tool_call=tool_call,
            output=output,
            start_response=start_response,
        )
        if tool_call.id is not None:  # as a real transport: the answered call, as an item
            self.emit("item_update", tool_call.answered(output))

    async def interrupt(self, *, cancel_ongoing_response: bool = True) -> None:
        self._record_connected("interrupt", cancel_ongoing_response=cancel_ongoing_response)

    async def reset_history(
        self, old_history: Sequence[RealtimeItem], new_history: Sequence[RealtimeItem]
    ) -> None:
        self._record_connected(
            "reset_history", old_history=list(old_history), new_history=list(new_history)
        )

    async def send_mcp_response(
        self, approval_request: McpApprovalRequestItem, approved: bool, reason: str | None = None
    ) -> None:
        self._record_connected(
            "send_mcp_response", approval_request=approval_request, approved=approved, reason=reason
        )

    async def _resolve_key(self, options: ConnectOptions, attempt: int) -> str | None:
        """The API key, unless ``close()`` comes first: then the connect fails at once."""
        task = self._key_task = asyncio.ensure_future(resolve_api_key(options.api_key))
        try:
            return await task
        except asyncio.CancelledError:
            if attempt == self._attempt:
                raise  # the caller was cancelled, not superseded by close()
            raise ConnectionClosedError("the transport was closed while connecting") from None
        finally:
            task.cancel()
            if self._key_task is task:
                self._key_task = None

    # -- scripting -------------------------------------------------------------------------

    async def expect_call(
        self,
        method: str,
        matcher: Callable[[RecordedCall], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> RecordedCall:
        """The next unconsumed call, which must be ``method`` (and satisfy ``matcher``).

        Returns at once if that call was already made, else waits for it (``timeout``
        seconds at most). A wrong method raises :class:`UnexpectedRealtimeCallError` here and
        in the code that made the call.
        """
        if self._consumed < len(self.calls) and not self._expectations:
            call = self.calls[self._consumed]
            self._consumed += 1
            return self._check(call, method, matcher)
        future: asyncio.Future[RecordedCall] = asyncio.get_running_loop().create_future()
        expectation = _Expectation(method, matcher, future)
        self._expectations.append(expectation)
        try:
            return await asyncio.wait_for(future, self.timeout if timeout is None else timeout)
        except TimeoutError:
            raise IncompleteRealtimeScenarioError([], [method]) from None
        finally:
            if expectation in self._expectations:
                self._expectations.remove(expectation)

    def fail_next_call(self, method: str, error: BaseException) -> None:
        """Make the next call of ``method`` raise ``error`` (after being recorded)."""
        self._failures.setdefault(method, []).append(error)

    def disconnect(self, error: BaseException | None = None) -> None:
        """Drop the connection like a server: an ``error`` event if given, then ``disconnected``."""
        if error is not None:
            self.emit("error", ErrorEvent(error=error))
        self.set_status(ConnectionStatus.DISCONNECTED)

    def assert_complete(self) -> None:
        """Every recorded call was expected and every expectation met."""
        unconsumed = self.calls[self._consumed :]
        pending = [e.method for e in self._expectations]
        if unconsumed or pending:
            raise IncompleteRealtimeScenarioError(unconsumed, pending)

    def assert_closed(self) -> None:
        """The transport is disconnected."""
        if self.status is not ConnectionStatus.DISCONNECTED:
            raise RealtimeTransportNotClosedError(f"transport is {self.status.value}")

    async def run_scenario(
        self,
        scenario: Callable[[ScenarioContext], Coroutine[Any, Any, None]],
        exercise: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        """Run ``scenario`` (the server side) and ``exercise`` (the code under test) together.

        The first failure cancels the other side and is raised; when both finish, anything
        left unexpected raises :class:`IncompleteRealtimeScenarioError`.
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(scenario(ScenarioContext(self)))
            group.create_task(exercise())
        self.assert_complete()

    # -- emitting what a server would ------------------------------------------------------

    def emit_function_call(
        self,
        name: str,
        arguments: Mapping[str, Any] | str,
        *,
        call_id: str = "call_1",
        item_id: str | None = None,
        response_id: str = "resp_1",
    ) -> FunctionCallEvent:
        """Publish the call's ``item_update``, then ``function_call``: the model asks to run
        tool ``name``."""
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        event = FunctionCallEvent(
            name=name,
            call_id=call_id,
            arguments=args,
            id=item_id or f"item_{call_id}",
            response_id=response_id,
        )
        # As a real transport: the call enters the history first, then asks to be run.
        item = FunctionCallItem(item_id=event.id or "", name=name, arguments=args, call_id=call_id)
        self.emit("item_update", item)
        self.emit("function_call", event)
        return event

    def emit_turn_started(self, response_id: str | None = None) -> str:
        """Publish ``turn_started`` for a new response; returns its id."""
        if response_id is None:
            self._response_count += 1
            response_id = f"resp_{self._response_count}"
        self.emit("turn_started", TurnStartedEvent(response_id))
        return response_id

    def emit_turn_done(
        self,
        response_id: str,
        output: Sequence[RealtimeItem] = (),
        usage: Usage | None = None,
        status: str = "completed",
    ) -> None:
        """Publish ``usage_update`` then ``turn_done`` for a response and its output items."""
        usage = usage or Usage()
        self.emit("usage_update", usage)
        response = TurnDoneResponse(id=response_id, output=output, usage=usage, status=status)
        self.emit("turn_done", TurnDoneEvent(response=response))

    def emit_input_transcription(
        self, item_id: str, transcript: str, *, content_index: int = 0
    ) -> None:
        """Publish the text of what the user said in audio item ``item_id``."""
        self.emit(
            "input_audio_transcription",
            InputAudioTranscriptionEvent(item_id, transcript, content_index),
        )

    def emit_audio(
        self, data: bytes, *, response_id: str = "resp_1", item_id: str = "item_1"
    ) -> None:
        """Publish a chunk of assistant audio."""
        self.emit("audio", AudioEvent(data=data, response_id=response_id, item_id=item_id))

    def emit_audio_done(self, *, response_id: str = "resp_1", item_id: str = "item_1") -> None:
        self.emit("audio_done", AudioDoneEvent(item_id=item_id, response_id=response_id))

    def emit_transcript_delta(
        self, delta: str, *, response_id: str = "resp_1", item_id: str = "item_1"
    ) -> None:
        self.emit(
            "audio_transcript_delta",
            TranscriptDeltaEvent(item_id=item_id, delta=delta, response_id=response_id),
        )

    def emit_item(self, item: RealtimeItem) -> None:
        """Publish ``item_update`` for a history item."""
        self.emit("item_update", item)

    # -- internals -------------------------------------------------------------------------

    def _record_connected(self, method: str, **args: Any) -> None:
        if self.status is not ConnectionStatus.CONNECTED:
            raise ConnectionClosedError(f"{method} needs a connected transport")
        self._record(method, **args)

    def _record(self, method: str, **args: Any) -> None:
        call = RecordedCall(index=len(self.calls), method=method, args=args)
        self.calls.append(call)
        if self._expectations:
            expectation = self._expectations.pop(0)
            self._consumed += 1
            try:
                expectation.future.set_result(
                    self._check(call, expectation.method, expectation.matcher)
                )
            except AssertionError as exc:
                expectation.future.set_exception(exc)
                raise
        failures = self._failures.get(method)
        if failures:
            raise failures.pop(0)

    @staticmethod
    def _check(
        call: RecordedCall, method: str, matcher: Callable[[RecordedCall], bool] | None
    ) -> RecordedCall:
        if call.method != method:
            raise UnexpectedRealtimeCallError(call.index, method, call.method)
        if matcher is not None and not matcher(call):
            raise RealtimeCallMatcherError(call)
        return call
