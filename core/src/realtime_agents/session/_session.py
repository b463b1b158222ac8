"""``RealtimeSession``: an agent in a live conversation over a transport.

How events flow: a :class:`~._link.TransportLink` subscribes to the transport once (strongly;
reconnecting does not subscribe again) and puts every transport event on **one** ordered
queue (:mod:`._queue` states its bound: audio may be dropped, nothing else). One task the
session owns reads it (an idle session handles an event at once, in the same order), calling
the ``_on_*`` handlers below — history, usage, turn
bookkeeping, guardrail text — which publish session events through
:class:`~._emitter.SessionEmitter` to ``on`` handlers and ``async for`` streams in one order.
Work that waits (tools, approvals, guardrail checks, handoffs) runs in further tasks the
session owns (:mod:`._tools`, :mod:`._guardrails`), so the queue never stalls on it.

Lifecycle: ``connect`` (again after a disconnect, if you like: the conversation starts afresh,
the current agent is kept), ``close`` (idempotent; cancels and awaits every task it owns,
closes the transport, ends the ``async for`` streams), or ``async with``, which closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from ..agent import RealtimeAgent
from ..errors import UserError
from ..events import ConnectionStatus, ErrorEvent, Usage
from ..guardrail import OutputGuardrail, OutputGuardrailSettings
from ..run_context import RunContextWrapper, TContext
from ..transport import ApiKey, RealtimeTransportLayer, UserMessage
from . import events
from ._config import (
    AgentSnapshot,
    ConfigOptions,
    compute_session_config,
    reachable_agents,
    resolve_guardrails,
    snapshot_agent,
)
from ._emitter import SessionEmitter
from ._link import TransportLink
from ._queue import DEFAULT_MAX_QUEUED_AUDIO_BYTES, DEFAULT_MAX_QUEUED_EVENTS, TaskSet
from ._tools import ToolCallRunner, ToolErrorFormatter
from .events import SESSION_EVENTS

if TYPE_CHECKING:
    from ..config import RealtimeSessionConfig
    from ..events import (
        AudioDoneEvent,
        AudioEvent,
        AudioInterruptedEvent,
        FunctionCallEvent,
        InputAudioTranscriptionEvent,
        OutputTextDeltaEvent,
        ServerEvent,
        TranscriptDeltaEvent,
        TurnDoneEvent,
        TurnStartedEvent,
    )
    from ..items import McpApprovalRequestItem, McpCallItem, RealtimeItem
    from ..plugins import PluginHost
    from ._guardrails import GuardrailRunner
    from ._history import ConversationHistory
    from ._tool_events import ToolApprovalItem
    from .events import HistoryAddedEvent, SessionOff, SessionSubscribe, SessionWaitFor

__all__ = ["RealtimeSession"]

logger = logging.getLogger("realtime_agents.session")


class RealtimeSession(SessionEmitter, Generic[TContext]):
    """An agent talking over a transport; see the module docstring for the event model.

    Args:
        agent: the agent the session starts with (``initial_agent``).
        transport: a transport instance, the name of an installed one (``"websocket"``,
            ``"webrtc"``, ...), or None for the default (WebRTC if installed, else WebSocket;
            a :class:`~realtime_agents.errors.TransportNotFoundError` lists what is installed).
        model: the model, sent in the config and to ``connect``.
        config: session config merged under what the agent decides (instructions, voice,
            tools); kept across ``update_agent`` and handoffs.
        context: your object, handed to tools, guardrails and instructions as ``ctx.context``.
        output_guardrails: guardrails (or names of plugin guardrails) for every agent.
        output_guardrail_settings: ``{"debounce_text_length": 100}``; ``-1`` = at the end only.
        history_store_audio: keep audio bytes in ``history`` (dropped by default).
        tool_error_formatter: ``fn(ToolErrorFormatterArgs) -> str | None`` (may be async):
            the model's message for a rejected approval, a tool error or a timeout.
        tracing_disabled, workflow_name, group_id, trace_metadata: server-side tracing.
        automatically_trigger_response_for_mcp_tool_calls: ask for a response after each
            hosted MCP call completes.
        plugin_host: where named transports, plugin tools and guardrails come from, and who
            gets the tool/guardrail hooks (default: the process-wide host).
        max_queued_audio_bytes: audio each event queue holds before it drops new audio
            (the session's own, and each ``async for`` stream's; see :mod:`._queue`).
        max_queued_events: other events an unread ``async for`` stream holds before it
            overflows (it stops and raises :class:`EventsDroppedError` on the next read).

    Raises UserError for a duplicate tool or handoff name, or an unknown plugin tool or
    guardrail name, in any agent reachable through handoffs.
    """

    #: The names ``on``/``once``/``off``/``wait_for`` accept (others raise UserError).
    event_names = SESSION_EVENTS

    if TYPE_CHECKING:
        # For type checkers: each event name with its payload type, and only those names.
        # Subscribing runs EventEmitter's methods; mypy calls the narrower names an
        # incompatible override, which they are on purpose.
        on: ClassVar[SessionSubscribe]  # type: ignore[assignment]
        once: ClassVar[SessionSubscribe]  # type: ignore[assignment]
        off: ClassVar[SessionOff]  # type: ignore[assignment]
        wait_for: ClassVar[SessionWaitFor]  # type: ignore[assignment]

    def __init__(
        self,
        agent: RealtimeAgent[TContext],
        *,
        transport: str | RealtimeTransportLayer | None = None,
        model: str | None = None,
        config: RealtimeSessionConfig | Mapping[str, Any] | None = None,
        context: TContext | None = None,
        output_guardrails: Sequence[OutputGuardrail | str] = (),
        output_guardrail_settings: OutputGuardrailSettings | Mapping[str, Any] | None = None,
        history_store_audio: bool = False,
        tool_error_formatter: ToolErrorFormatter | None = None,
        tracing_disabled: bool = False,
        workflow_name: str | None = None,
        group_id: str | None = None,
        trace_metadata: Mapping[str, Any] | None = None,
        automatically_trigger_response_for_mcp_tool_calls: bool = True,
        plugin_host: PluginHost | None = None,
        max_queued_audio_bytes: int = DEFAULT_MAX_QUEUED_AUDIO_BYTES,
        max_queued_events: int = DEFAULT_MAX_QUEUED_EVENTS,
    ) -> None:
        # What reads history items, imported by the first session rather than at import: the
        # item classes it loads cost ≈3 ms of attrs code generation (see _history's docstring).
        from ._guardrails import GuardrailRunner
        from ._history import ConversationHistory

        super().__init__(max_queued_audio_bytes, max_queued_events)
        if not isinstance(agent, RealtimeAgent):
            raise UserError(f"RealtimeSession needs a RealtimeAgent, got {type(agent).__name__}")
        self._host = plugin_host
        self._initial_agent: RealtimeAgent[Any] = agent
        self._current_agent: RealtimeAgent[Any] = agent
        self._validate_agents(agent)
        self._transport = self._resolve_transport(transport)
        self._link = TransportLink(self._transport, max_queued_audio_bytes)
        self._model = model
        self._context: RunContextWrapper[Any] = RunContextWrapper(context)
        self._history: ConversationHistory = ConversationHistory(store_audio=history_store_audio)
        self._usage = Usage()
        self._options = ConfigOptions(
            model=model,
            config=dict(config) if config else None,
            tracing_disabled=tracing_disabled,
            workflow_name=workflow_name,
            group_id=group_id,
            trace_metadata=trace_metadata,
        )
        self._mcp_auto_response = automatically_trigger_response_for_mcp_tool_calls
        self._last_config: RealtimeSessionConfig | None = None
        self._pinned_voice: str | None = None
        self._tasks = TaskSet(self._report)
        self._consumer: asyncio.Task[None] | None = None
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._responses: dict[str | None, AgentSnapshot] = {}
        self._active: set[str | None] = set()
        self._latest_response_id: str | None = None
        self._audio: dict[str | None, bool] = {}  # response -> audio still flowing
        guardrails = resolve_guardrails(output_guardrails, self._plugins)
        settings = OutputGuardrailSettings.coerce(output_guardrail_settings)
        services = _Services(self)
        self._tools = ToolCallRunner(services, tool_error_formatter)
        self._guardrails: GuardrailRunner = GuardrailRunner(services, guardrails, settings)
        self._dispatch: dict[str, Callable[[Any], None]] = {
            "function_call": self._on_function_call,
            "audio": self._on_audio,
            "audio_interrupted": self._on_audio_interrupted,
            "audio_transcript_delta": self._on_transcript_delta,
            "output_text_delta": self._on_text_delta,
            "audio_done": self._on_audio_done,
            "usage_update": self._on_usage,
            "item_update": self._on_item_update,
            "item_deleted": self._on_item_deleted,
            "connection_change": self._on_connection_change,
            "turn_started": self._on_turn_started,
            "turn_done": self._on_turn_done,
            "error": self._on_error,
            "mcp_approval_request": self._on_mcp_approval_request,
            "mcp_tool_call_completed": self._on_mcp_call_completed,
            "input_audio_transcription": self._on_input_transcription,
            "*": self._on_raw,
            "_reset": self._on_reset,
            "_publish": self._on_publish,
        }

    def __repr__(self) -> str:
        return (
            f"RealtimeSession(agent={self._current_agent.name!r}, "
            f"transport={type(self._transport).__name__}, status={self.status.value!r})"
        )

    # -- properties ------------------------------------------------------------------------

    @property
    def transport(self) -> RealtimeTransportLayer:
        """The transport: ``session.transport.on("*", ...)``, ``.send_event({...})``."""
        return self._transport

    @property
    def status(self) -> ConnectionStatus:
        return self._transport.status

    @property
    def current_agent(self) -> RealtimeAgent[Any]:
        return self._current_agent

    @property
    def initial_agent(self) -> RealtimeAgent[Any]:
        return self._initial_agent

    @property
    def history(self) -> tuple[RealtimeItem, ...]:
        """The conversation as the server has it, oldest first."""
        return self._history.items

    @property
    def usage(self) -> Usage:
        """Token usage accumulated over every response of the session."""
        return self._usage

    @property
    def context(self) -> RunContextWrapper[Any]:
        """The run context handed to tools, guardrails and instructions."""
        return self._context

    @property
    def muted(self) -> bool | None:
        """Whether input audio is muted (None where the transport does not do muting)."""
        return self._transport.muted

    @property
    def config(self) -> RealtimeSessionConfig | None:
        """The session config last sent (or prepared) for the server."""
        return self._last_config

    @property
    def dropped_audio_events(self) -> int:
        """Audio chunks dropped because events were not consumed fast enough."""
        return self._link.queue.dropped

    @property
    def dropped_audio_bytes(self) -> int:
        """The bytes of those dropped audio chunks."""
        return self._link.queue.dropped_bytes

    @property
    def _generation(self) -> int:
        """Which connection this is; work started for an older one must not act."""
        return self._link.generation

    # -- lifecycle -------------------------------------------------------------------------

    async def connect(
        self, api_key: ApiKey | None = None, *, url: str | None = None, call_id: str | None = None
    ) -> None:
        """Connect the transport with the current agent's config; the history starts empty.

        ``api_key`` is a key or a (sync or async) function returning one; None lets the
        transport use its own default (e.g. ``OPENAI_API_KEY``). Raises UserError when the
        session is closed or already connected, or a tool/handoff name is duplicated.
        """
        if self._closed:
            raise UserError("this session is closed; create a new RealtimeSession")
        if self._transport.status in (ConnectionStatus.CONNECTING, ConnectionStatus.CONNECTED):
            raise UserError("the session is already connected")
        self._validate_agents(self._current_agent)
        self._link.generation += 1
        self._forget_connection()
        self._link.subscribe()
        self._start_consumer()
        self._link.put_control("_reset", None)
        config = await self._compute_config(self._current_agent)
        from ..transport import ConnectOptions  # once per connection; built at the first

        options = ConnectOptions(
            api_key=api_key,
            model=self._model,
            url=url,
            call_id=call_id,
            initial_session_config=config,
        )
        await self._transport.connect(options)

    async def close(self) -> None:
        """Close the session: cancel its tasks, close the transport, end event streams."""
        if self._close_task is None:
            caller = asyncio.current_task()
            self._close_task = asyncio.get_running_loop().create_task(
                self._close(caller), name="realtime_agents session close"
            )
        await asyncio.shield(self._close_task)

    async def _close(self, caller: asyncio.Task[Any] | None) -> None:
        self._closed = True
        self._link.generation += 1
        self._forget_connection()
        self._link.queue.close(discard=True)
        await self._tasks.cancel_all(keep=caller)
        if self._consumer is not None and self._consumer is not caller:
            self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)
        self._link.unsubscribe()
        try:
            await self._transport.close()
        except Exception as exc:
            self._report(exc)
        await self._stop_delivery(keep=caller)

    async def __aenter__(self) -> RealtimeSession[TContext]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- talking ---------------------------------------------------------------------------

    async def send_message(
        self,
        message: UserMessage,
        other_event_data: Mapping[str, Any] | None = None,
        *,
        trigger_response: bool = True,
    ) -> None:
        """Send a user message (text, or a message dict with text/image parts)."""
        await self._transport.send_message(
            message, other_event_data, trigger_response=trigger_response
        )

    async def add_image(self, image: str, *, trigger_response: bool = True) -> None:
        """Send an image (a data URL or URL) as a user message."""
        await self._transport.add_image(image, trigger_response=trigger_response)

    async def send_audio(self, audio: bytes, *, commit: bool = False) -> None:
        """Send input audio in the session's input format; ``commit`` ends the user's turn."""
        await self._transport.send_audio(audio, commit=commit)

    async def interrupt(self) -> None:
        """Stop the assistant now: cancel its response and cut its audio."""
        await self._transport.interrupt()

    async def mute(self, muted: bool) -> None:
        """Mute or unmute input audio; UserError where the transport cannot mute."""
        await self._transport.mute(muted)

    async def approve(
        self, approval_item: ToolApprovalItem | McpApprovalRequestItem, *, always: bool = False
    ) -> None:
        """Let a parked call run; ``always`` approves this tool's later calls too.

        An item that is no longer pending (decided already, or from an earlier connection)
        is ignored with a warning; an item that does not match its pending call is a UserError.
        """
        await self._tools.approve(approval_item, always)

    async def reject(
        self,
        approval_item: ToolApprovalItem | McpApprovalRequestItem,
        *,
        message: str | None = None,
        always: bool = False,
    ) -> None:
        """Refuse a parked call; the model gets ``message`` (or the formatter's, or a default)."""
        await self._tools.reject(approval_item, message, always)

    async def update_agent(self, agent: RealtimeAgent[Any]) -> None:
        """Switch to ``agent`` now (no handoff event); the config is sent if connected."""
        self._validate_agents(agent)
        self._current_agent = agent
        if self._transport.status is ConnectionStatus.CONNECTED:
            await self._transport.update_session_config(await self._compute_config(agent))

    async def update_history(
        self,
        history: Sequence[RealtimeItem]
        | Callable[[tuple[RealtimeItem, ...]], Sequence[RealtimeItem]],
    ) -> None:
        """Ask the server to make the conversation ``history`` (a list, or fn(old) -> list).

        The local history follows when the server confirms (``item_update``/``item_deleted``),
        so it never claims what the server does not have.
        """
        old = self.history
        new = list(history(old) if callable(history) else history)
        from ._history import ITEM_TYPES  # loaded by __init__ already

        for item in new:
            if not isinstance(item, ITEM_TYPES):
                raise UserError(f"update_history needs history items, got {type(item).__name__}")
        await self._transport.reset_history(old, new)

    async def get_initial_session_config(
        self, overrides: Mapping[str, Any] | None = None
    ) -> RealtimeSessionConfig:
        """The config ``connect`` would send for the current agent (e.g. for a SIP accept)."""
        snapshot = snapshot_agent(self._current_agent, self._plugins)
        return await compute_session_config(
            snapshot, self._context, self._options, last=self._last_config, overrides=overrides
        )

    async def get_initial_session_payload(
        self, overrides: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The wire ``session`` object of :meth:`get_initial_session_config`.

        What a SIP integration passes to ``calls.accept`` so that the accepted call and the
        session attached to it afterwards start from the same config. Audio formats are left
        out when the transport's connection negotiates the codec (its ``sends_audio_formats``
        is False, as on SIP); a transport's ``prepare_session_config`` has adjusted the config
        as it would on connect.
        """
        from ..config import DEFAULT_MODEL
        from ..protocol import build_session_payload

        config = await self.get_initial_session_config(overrides)
        prepare = getattr(self._transport, "prepare_session_config", None)
        if callable(prepare):
            config = prepare(config)
        formats = getattr(self._transport, "sends_audio_formats", True)
        return build_session_payload(
            config, model=self._model or DEFAULT_MODEL, audio_formats=bool(formats)
        )

    # -- the queue and its consumer --------------------------------------------------------

    def _start_consumer(self) -> None:
        if self._consumer is None or self._consumer.done():
            reader = self._link.consume(self._dispatch, self._report)
            loop = asyncio.get_running_loop()
            self._consumer = loop.create_task(reader, name="realtime_agents session")

    def _want_raw_events(self) -> None:
        if not self._closed:
            self._link.want_raw_events()

    def _publish_agent(self, agent: RealtimeAgent[Any], name: str, event: Any) -> None:
        self.emit(name, event)
        agent.emit(name, event)

    def _report(self, error: BaseException) -> None:
        """Publish ``error`` for something that went wrong inside the session."""
        if not self.has_listeners("error") and not self._streams:
            logger.error("realtime session error: %s", error, exc_info=error)
        self.emit("error", ErrorEvent(error=error))

    # -- handlers of transport events (run by the consumer, in order) ----------------------

    def _on_audio(self, event: AudioEvent) -> None:
        rid = event.response_id
        if rid not in self._audio:
            self._audio[rid] = True
            if self._pinned_voice is None and self._last_config:
                self._pinned_voice = self._last_config.get("voice")
            agent = self._snapshot_for(rid).agent
            self._publish_agent(
                agent, "audio_start", events.AudioStartEvent(agent, rid, context=self._context)
            )
        self.emit("audio", event)

    def _on_audio_done(self, event: AudioDoneEvent) -> None:
        self._stop_audio(event.response_id)

    def _stop_audio(self, rid: str | None) -> None:
        if self._audio.get(rid):
            self._audio[rid] = False
            agent = self._snapshot_for(rid).agent
            self.emit("audio_stopped", events.AudioStoppedEvent(agent, rid, context=self._context))

    def _on_audio_interrupted(self, event: AudioInterruptedEvent) -> None:
        for rid, flowing in self._audio.items():
            if flowing:
                self._audio[rid] = False
        self.emit("audio_interrupted", event)

    def _on_transcript_delta(self, event: TranscriptDeltaEvent) -> None:
        snapshot = self._snapshot_for(event.response_id)
        self._guardrails.on_delta(event, snapshot, self._generation, is_text=False)

    def _on_text_delta(self, event: OutputTextDeltaEvent) -> None:
        snapshot = self._snapshot_for(event.response_id)
        self._guardrails.on_delta(event, snapshot, self._generation, is_text=True)

    def _on_usage(self, usage: Usage) -> None:
        self._usage = self._usage + usage
        self._context.usage = self._usage

    def _on_item_update(self, item: RealtimeItem) -> None:
        changed, added = self._history.upsert(item)
        if added:
            stored = next(i for i in self._history.items if i.item_id == item.item_id)
            self._history_changed(events.HistoryAddedEvent(stored))
        elif changed:
            self._history_changed()

    def _on_item_deleted(self, event: Any) -> None:
        if self._history.delete(event.item_id):
            self._history_changed()

    def _on_input_transcription(self, event: InputAudioTranscriptionEvent) -> None:
        if self._history.set_transcript(event.item_id, event.content_index, event.transcript):
            self._history_changed()

    def _history_changed(self, added: HistoryAddedEvent | None = None) -> None:
        items = self._history.items
        self._context.history = items
        if added is not None:
            self.emit("history_added", added)
        self.emit("history_updated", events.HistoryUpdatedEvent(items))

    def _on_connection_change(self, event: Any) -> None:
        if event.status is ConnectionStatus.DISCONNECTED:
            self._active.clear()

    def _on_turn_started(self, event: TurnStartedEvent) -> None:
        rid = event.response_id
        snapshot = snapshot_agent(self._current_agent, self._plugins)
        self._responses[rid] = snapshot
        self._active.add(rid)
        self._latest_response_id = rid
        if self._history.complete_user_messages():
            self._history_changed()
        start = events.AgentStartEvent(snapshot.agent, rid, context=self._context)
        self._publish_agent(snapshot.agent, "agent_start", start)

    def _on_turn_done(self, event: TurnDoneEvent) -> None:
        response = event.response
        snapshot = self._responses.pop(response.id, None) or self._snapshot_for(response.id)
        self._active.discard(response.id)
        if self._history.complete_output(response.output):
            self._history_changed()
        self._stop_audio(response.id)
        self._audio.pop(response.id, None)
        self._guardrails.on_turn_done(response, snapshot, self._generation)
        text = self._history.last_output_text(response.output)
        end = events.AgentEndEvent(snapshot.agent, response.id, text, context=self._context)
        self._publish_agent(snapshot.agent, "agent_end", end)

    def _on_function_call(self, call: FunctionCallEvent) -> None:
        snapshot = self._snapshot_for(call.response_id)
        self._tools.dispatch(call, snapshot, self._generation)

    def _on_error(self, event: ErrorEvent) -> None:
        self.emit("error", event)

    def _on_mcp_approval_request(self, item: McpApprovalRequestItem) -> None:
        from ._tool_events import ToolApprovalRequestedEvent  # on first use: see its docstring

        agent = self._current_agent
        event = ToolApprovalRequestedEvent(agent, None, item, context=self._context)
        self.emit("tool_approval_requested", event)

    def _on_mcp_call_completed(self, item: McpCallItem) -> None:
        from ._tool_events import McpToolCallCompletedEvent  # on first use: see its docstring

        agent = self._current_agent
        self.emit(
            "mcp_tool_call_completed", McpToolCallCompletedEvent(agent, item, context=self._context)
        )
        if self._mcp_auto_response:
            self._spawn(self._transport.request_response(), name="mcp response")

    def _on_raw(self, event: ServerEvent) -> None:
        self.emit("transport_event", events.TransportEvent(event))

    def _on_reset(self, _: None) -> None:
        self._history.clear()
        self._context.history = ()
        self.emit("history_updated", events.HistoryUpdatedEvent(()))

    def _on_publish(self, value: tuple[str, Any]) -> None:
        self.emit(*value)

    # -- services for the tool and guardrail runners ---------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> None:
        self._tasks.spawn(coro, name=name)

    def _is_live(self, generation: int) -> bool:
        """Whether work started for ``generation`` may still act on the transport."""
        return (
            generation == self._generation
            and not self._closed
            and self._transport.status is ConnectionStatus.CONNECTED
        )

    def _response_active(self, response_id: str | None) -> bool:
        return response_id in self._active

    async def _hand_off(self, source: RealtimeAgent[Any], target: RealtimeAgent[Any]) -> None:
        """Switch to ``target``: config first, then the event, then the current agent."""
        self._validate_agents(target)
        await self._transport.update_session_config(await self._compute_config(target))
        from ._tool_events import AgentHandoffEvent  # on first use: see its docstring

        event = AgentHandoffEvent(source, target, context=self._context)
        self._publish_agent(source, "agent_handoff", event)
        self._current_agent = target

    def _plugins(self) -> PluginHost:
        if self._host is None:
            from ..plugins import default_host

            self._host = default_host()
        return self._host

    # -- internals -------------------------------------------------------------------------

    def _resolve_transport(
        self, transport: str | RealtimeTransportLayer | None
    ) -> RealtimeTransportLayer:
        if isinstance(transport, RealtimeTransportLayer):
            return transport
        if transport is None:
            transport = self._plugins().default_transport_name()
        if not isinstance(transport, str):
            raise UserError(
                f"transport must be a name or a RealtimeTransportLayer, not {transport!r}"
            )
        return self._plugins().create_transport(transport)

    def _validate_agents(self, agent: RealtimeAgent[Any]) -> None:
        for each in reachable_agents(agent):
            snapshot_agent(each, self._plugins)

    def _snapshot_for(self, response_id: str | None) -> AgentSnapshot:
        snapshot = self._responses.get(response_id)
        return snapshot or snapshot_agent(self._current_agent, self._plugins)

    async def _compute_config(self, agent: RealtimeAgent[Any]) -> RealtimeSessionConfig:
        snapshot = snapshot_agent(agent, self._plugins)
        config = await compute_session_config(
            snapshot,
            self._context,
            self._options,
            last=self._last_config,
            pinned_voice=self._pinned_voice,
        )
        self._last_config = config
        return config

    def _forget_connection(self) -> None:
        self._tools.reset()
        self._guardrails.reset()
        self._responses.clear()
        self._active.clear()
        self._audio.clear()
        self._latest_response_id = None
        self._pinned_voice = None


class _Services:
    """The session's side of :class:`~._services.SessionServices`, for its runners."""

    __slots__ = ("_session",)

    def __init__(self, session: RealtimeSession[Any]) -> None:
        self._session = session

    @property
    def context(self) -> RunContextWrapper[Any]:
        return self._session.context

    @property
    def transport(self) -> RealtimeTransportLayer:
        return self._session.transport

    @property
    def latest_response_id(self) -> str | None:
        return self._session._latest_response_id

    def response_active(self, response_id: str | None) -> bool:
        return self._session._response_active(response_id)

    def is_live(self, generation: int) -> bool:
        return self._session._is_live(generation)

    def report(self, error: BaseException) -> None:
        self._session._report(error)

    def spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> None:
        self._session._spawn(coro, name=name)

    def publish(self, name: str, event: Any) -> None:
        self._session.emit(name, event)

    def publish_agent(self, agent: RealtimeAgent[Any], name: str, event: Any) -> None:
        self._session._publish_agent(agent, name, event)

    async def hand_off(self, source: RealtimeAgent[Any], target: RealtimeAgent[Any]) -> None:
        await self._session._hand_off(source, target)

    def tool_call_started(
        self, agent: RealtimeAgent[Any], tool_name: str, call_id: str, arguments: str
    ) -> None:
        session = self._session
        session._plugins().tool_call_started(session, agent, tool_name, call_id, arguments)

    def tool_call_finished(
        self,
        agent: RealtimeAgent[Any],
        tool_name: str,
        call_id: str,
        output: str | None,
        error: BaseException | None,
    ) -> None:
        session = self._session
        session._plugins().tool_call_finished(session, agent, tool_name, call_id, output, error)

    def guardrail_tripped(
        self,
        agent: RealtimeAgent[Any],
        guardrail_name: str,
        response_id: str | None,
        output_info: Any,
    ) -> None:
        session = self._session
        session._plugins().guardrail_tripped(
            session, agent, guardrail_name, response_id, output_info
        )
