"""Function calls: running tools and handoffs for the model, approvals, exactly one output.

Each ``function_call`` runs in its own task owned by the session, so a slow tool never holds
up audio or other events. Guarantees:

* **One output per ``call_id``.** A repeated call id is ignored (with an ``error`` event if
  its arguments changed); nothing is re-run.
* **The right agent.** A call runs against the snapshot of the agent whose response asked for
  it, even when a sibling call handed off meanwhile.
* **No crash on bad input.** An unknown tool gets ``Tool <name> not found`` (no new response);
  arguments that are not a JSON object, or do not fit the tool, get an explanation the model
  can act on. Both also publish an ``error`` event.
* **Nothing from a dead connection.** An output whose connection closed or was replaced is
  discarded, never sent on a newer connection.
* **Approvals.** ``needs_approval`` parks the call and publishes ``tool_approval_requested``;
  :meth:`ToolCallRunner.approve` / :meth:`reject` resume it. ``always=True`` remembers the
  decision for that tool for the rest of the session.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .. import tools
from ..errors import ModelBehaviorError, RealtimeAgentsError, UserError
from ..handoff import Handoff
from ..run_context import ToolContext
from ..tools import (
    FunctionTool,
    ToolArgumentsError,
    ToolTimeoutError,
    stringify_output,
)

if TYPE_CHECKING:
    from ..events import FunctionCallEvent
    from ..items import McpApprovalRequestItem
    from ._config import AgentSnapshot
    from ._formatter import ToolErrorFormatterArgs
    from ._services import SessionServices
    from ._tool_events import ToolApprovalItem

__all__ = ["ToolCallRunner", "ToolErrorFormatter", "ToolExecutionError"]

logger = logging.getLogger("realtime_agents.session")

NOT_APPROVED = "Tool execution was not approved."


class ToolExecutionError(RealtimeAgentsError):
    """A tool raised; the original exception is ``__cause__``."""


#: ``fn(ToolErrorFormatterArgs) -> str | None`` (may be async); the argument's class is built
#: when a formatter is first called (:mod:`._formatter`).
ToolErrorFormatter: TypeAlias = Callable[
    ["ToolErrorFormatterArgs"], "str | Awaitable[str | None] | None"
]


class _Pending:
    """A call waiting for its approval. A plain class: attrs would compile methods for it at
    import (≈0.3 ms) that nothing here uses."""

    __slots__ = ("future", "item")

    def __init__(
        self, item: ToolApprovalItem, future: asyncio.Future[tuple[bool, str | None]]
    ) -> None:
        self.item = item
        self.future = future


class ToolCallRunner:
    """The function-call side of one session (see the module docstring)."""

    def __init__(
        self, session: SessionServices, error_formatter: ToolErrorFormatter | None = None
    ) -> None:
        self._session = session
        self._error_formatter = error_formatter
        self._arguments: dict[str, str] = {}  # call_id -> arguments, for this connection
        self._pending: dict[str, _Pending] = {}
        self._always: dict[str, tuple[bool, str | None]] = {}  # tool name -> decision

    def reset(self) -> None:
        """Forget this connection's calls; parked approvals are abandoned."""
        for pending in self._pending.values():
            pending.future.cancel()
        self._pending.clear()
        self._arguments.clear()

    def dispatch(self, call: FunctionCallEvent, snapshot: AgentSnapshot, generation: int) -> None:
        """Start answering ``call`` (called in event order by the session's consumer)."""
        seen = self._arguments.get(call.call_id)
        if seen is not None:
            if seen != call.arguments:
                self._session.report(
                    ModelBehaviorError(
                        f"function call {call.call_id} repeated with different arguments; ignored"
                    )
                )
            return
        self._arguments[call.call_id] = call.arguments
        self._session.spawn(self._answer(call, snapshot, generation), name=f"tool {call.name}")

    # -- approvals -----------------------------------------------------------------------------

    async def approve(self, item: ToolApprovalItem | McpApprovalRequestItem, always: bool) -> None:
        from ..items import McpApprovalRequestItem  # a user call, not per event; see _history

        if isinstance(item, McpApprovalRequestItem):
            if always:
                logger.warning("always=True is not supported for hosted MCP approvals; ignored")
            await self._session.transport.send_mcp_response(item, True)
            return
        self._decide(item, (True, None), always)

    async def reject(
        self, item: ToolApprovalItem | McpApprovalRequestItem, message: str | None, always: bool
    ) -> None:
        from ..items import McpApprovalRequestItem  # a user call, not per event; see _history

        if isinstance(item, McpApprovalRequestItem):
            if always:
                logger.warning("always=True is not supported for hosted MCP approvals; ignored")
            await self._session.transport.send_mcp_response(item, False, message)
            return
        self._decide(item, (False, message), always)

    def _decide(
        self, item: ToolApprovalItem, decision: tuple[bool, str | None], always: bool
    ) -> None:
        from ._tool_events import ToolApprovalItem  # on first use: see its docstring

        if not isinstance(item, ToolApprovalItem):
            raise UserError(f"{item!r} is not an approval item")
        pending = self._pending.get(item.call_id)
        if pending is not None and pending.item != item:
            raise UserError(f"approval item for {item.call_id} does not match the pending call")
        if always:
            self._always[item.tool_name] = decision
            for other in list(self._pending.values()):
                if other.item.tool_name == item.tool_name and not other.future.done():
                    other.future.set_result(decision)
        if pending is None:
            logger.warning("no pending approval for call %s (already decided?)", item.call_id)
        elif not pending.future.done():
            pending.future.set_result(decision)

    async def _approval(
        self, call: FunctionCallEvent, agent: Any, tool: FunctionTool, arguments: dict[str, Any]
    ) -> str | None:
        """None when the call may run, else the output to send instead."""
        ctx = self._session.context
        if not await tool.requires_approval(ctx, arguments, call.call_id):
            return None
        decision = self._always.get(tool.name)
        if decision is None:
            from ._tool_events import ToolApprovalItem, ToolApprovalRequestedEvent  # first use

            item = ToolApprovalItem(agent=agent, tool=tool, tool_call=call)
            future: asyncio.Future[tuple[bool, str | None]] = (
                asyncio.get_running_loop().create_future()
            )
            self._pending[call.call_id] = _Pending(item, future)
            event = ToolApprovalRequestedEvent(agent, tool, item, context=ctx)
            try:
                self._session.publish("tool_approval_requested", event)
                decision = await future
            finally:
                self._pending.pop(call.call_id, None)
        approved, message = decision
        if approved:
            return None
        return message or await self._format("approval_rejected", tool, call, NOT_APPROVED)

    # -- running a call ----------------------------------------------------------------------

    async def _answer(self, call: FunctionCallEvent, snapshot: AgentSnapshot, gen: int) -> None:
        session = self._session
        target: FunctionTool | Handoff | None = snapshot.tools.get(call.name)
        if target is None:
            target = snapshot.handoffs.get(call.name)
        if target is not None and not await target.enabled(session.context, snapshot.agent):
            target = None
        if target is None:
            message = f"Tool {call.name} not found"
            session.report(ModelBehaviorError(message))
            await self._send(call, message, gen, start_response=False)
            return
        arguments = self._parse(call)
        if isinstance(arguments, str):
            await self._send(call, arguments, gen, start_response=True)
        elif isinstance(target, Handoff):
            await self._hand_off(call, snapshot, target, arguments, gen)
        else:
            await self._run_tool(call, snapshot.agent, target, arguments, gen)

    def _parse(self, call: FunctionCallEvent) -> dict[str, Any] | str:
        """The arguments as a dict, or the message explaining why they are unusable."""
        import json  # the first function call imports it, not the session's import

        try:
            value = json.loads(call.arguments) if call.arguments.strip() else {}
        except ValueError as exc:
            value, problem = None, f"not valid JSON ({exc})"
        else:
            problem = "" if isinstance(value, dict) else "not a JSON object"
        if problem:
            self._session.report(
                ModelBehaviorError(f"bad arguments for tool {call.name}: {problem}")
            )
            return (
                f"Invalid arguments for tool {call.name}: {problem}. "
                "Call it again with a JSON object."
            )
        assert isinstance(value, dict)
        return value

    async def _run_tool(
        self,
        call: FunctionCallEvent,
        agent: Any,
        tool: FunctionTool,
        arguments: dict[str, Any],
        gen: int,
    ) -> None:
        session = self._session
        refused = await self._approval(call, agent, tool, arguments)
        if refused is not None:
            await self._send(call, refused, gen, start_response=True)
            return
        from ._tool_events import AgentToolEndEvent, AgentToolStartEvent  # on first use

        ctx = session.context
        start = AgentToolStartEvent(agent, tool, call, context=ctx)
        session.publish_agent(agent, "agent_tool_start", start)
        session.tool_call_started(agent, tool.name, call.call_id, call.arguments)
        output, error, start_response = await self._invoke(call, tool, arguments)
        end = AgentToolEndEvent(agent, tool, call, output or "", error, context=ctx)
        session.publish_agent(agent, "agent_tool_end", end)
        session.tool_call_finished(agent, tool.name, call.call_id, output, error)
        if output is not None:
            await self._send(call, output, gen, start_response=start_response)

    async def _invoke(
        self, call: FunctionCallEvent, tool: FunctionTool, arguments: dict[str, Any]
    ) -> tuple[str | None, BaseException | None, bool]:
        """``(output or None to send nothing, error, start_response)``."""
        tool_ctx = ToolContext.for_call(
            self._session.context, tool.name, call.call_id, call.arguments
        )
        try:
            result = await tool.invoke(tool_ctx, arguments)
        except ToolArgumentsError as exc:
            self._session.report(ModelBehaviorError(f"bad arguments for tool {tool.name}: {exc}"))
            return f"Invalid arguments for tool {tool.name}: {exc}", exc, True
        except ToolTimeoutError as exc:
            if tool.timeout_behavior == "raise_exception":
                self._session.report(exc)
                return None, exc, False
            return await self._format("timeout", tool, call, str(exc), exc), exc, True
        except Exception as exc:
            error = ToolExecutionError(f"tool {tool.name!r} raised {type(exc).__name__}: {exc}")
            error.__cause__ = exc
            self._session.report(error)
            default = (
                f"An error occurred while running the tool '{tool.name}'. "
                f"Please try again. Error: {exc}"
            )
            return await self._format("tool_error", tool, call, default, exc), error, True
        if isinstance(result, tools.BackgroundResult):  # built on first access, then cached
            return stringify_output(result.value), None, False
        return stringify_output(result), None, True

    async def _hand_off(
        self,
        call: FunctionCallEvent,
        snapshot: AgentSnapshot,
        handoff: Handoff,
        arguments: dict[str, Any],
        gen: int,
    ) -> None:
        session = self._session
        try:
            target = await handoff.invoke(session.context, arguments)
        except Exception as exc:
            session.report(exc)
            message = f"Handoff to {handoff.agent.name} failed: {exc}"
            await self._send(call, message, gen, start_response=True)
            return
        if not session.is_live(gen):
            return
        await session.hand_off(snapshot.agent, target)
        import json

        await self._send(call, json.dumps({"assistant": target.name}), gen, start_response=True)

    async def _format(
        self,
        kind: Literal["approval_rejected", "tool_error", "timeout"],
        tool: FunctionTool,
        call: FunctionCallEvent,
        default: str,
        error: BaseException | None = None,
    ) -> str:
        formatter = self._error_formatter
        if formatter is None:
            return default
        from ._formatter import ToolErrorFormatterArgs  # an error with a formatter: rare

        args = ToolErrorFormatterArgs(
            kind, tool.name, call.call_id, default, self._session.context, error
        )
        try:
            value = formatter(args)
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            self._session.report(exc)
            return default
        return value if isinstance(value, str) and value else default

    async def _send(
        self, call: FunctionCallEvent, output: str, gen: int, *, start_response: bool
    ) -> None:
        session = self._session
        if not session.is_live(gen):
            logger.debug("discarding the output of %s: its connection is gone", call.call_id)
            return
        try:
            # The transport publishes the answered call as an ``item_update``: that is how
            # the output reaches the history (one route for every transport).
            await session.transport.send_function_call_output(call, output, start_response)
        except RealtimeAgentsError as exc:
            if session.is_live(gen):
                session.report(exc)
