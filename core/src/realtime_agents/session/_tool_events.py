"""Session events of tools, approvals, handoffs, guardrails and hosted MCP calls.

A session without tools, handoffs, guardrails or MCP servers never publishes these, so their
classes are built on first use rather than at ``from realtime_agents import RealtimeSession``
(each attrs class compiles its methods when it is created: ≈0.3 ms apiece). The public names
are :mod:`realtime_agents.session.events`'s, which imports this module on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from ..agent import RealtimeAgent
    from ..events import FunctionCallEvent
    from ..guardrail import OutputGuardrailResult
    from ..items import McpApprovalRequestItem, McpCallItem
    from ..run_context import RunContextWrapper
    from ..tools import FunctionTool

__all__ = [
    "AgentHandoffEvent",
    "AgentToolEndEvent",
    "AgentToolStartEvent",
    "GuardrailTrippedEvent",
    "McpToolCallCompletedEvent",
    "ToolApprovalItem",
    "ToolApprovalRequestedEvent",
]


@attrs.frozen
class AgentHandoffEvent:
    """``agent_handoff``: the conversation moved from ``from_agent`` to ``to_agent``."""

    from_agent: RealtimeAgent[Any]
    to_agent: RealtimeAgent[Any]
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["agent_handoff"] = "agent_handoff"


@attrs.frozen
class AgentToolStartEvent:
    """``agent_tool_start``: the session is about to run ``tool`` for ``tool_call``."""

    agent: RealtimeAgent[Any]
    tool: FunctionTool
    tool_call: FunctionCallEvent
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["agent_tool_start"] = "agent_tool_start"

    @property
    def arguments(self) -> str:
        return self.tool_call.arguments


@attrs.frozen
class AgentToolEndEvent:
    """``agent_tool_end``: ``tool`` finished; ``output`` is what the model gets."""

    agent: RealtimeAgent[Any]
    tool: FunctionTool
    tool_call: FunctionCallEvent
    output: str
    error: BaseException | None = None
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["agent_tool_end"] = "agent_tool_end"

    @property
    def arguments(self) -> str:
        return self.tool_call.arguments


@attrs.frozen
class GuardrailTrippedEvent:
    """``guardrail_tripped``: output guardrails stopped a response (once per response)."""

    agent: RealtimeAgent[Any]
    guardrail_results: tuple[OutputGuardrailResult, ...]
    response_id: str | None
    item_id: str | None
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["guardrail_tripped"] = "guardrail_tripped"


@attrs.frozen
class ToolApprovalItem:
    """A function call waiting for ``session.approve(item)`` or ``session.reject(item)``."""

    agent: RealtimeAgent[Any]
    tool: FunctionTool
    tool_call: FunctionCallEvent
    type: Literal["function_approval"] = "function_approval"

    @property
    def tool_name(self) -> str:
        return self.tool.name

    @property
    def call_id(self) -> str:
        return self.tool_call.call_id

    @property
    def arguments(self) -> str:
        return self.tool_call.arguments

    @property
    def parsed_arguments(self) -> Any:
        """The arguments decoded from JSON (None if they are not valid JSON)."""
        import json  # on first use: nothing else in the session's import needs json

        try:
            return json.loads(self.tool_call.arguments or "{}")
        except ValueError:
            return None


@attrs.frozen
class ToolApprovalRequestedEvent:
    """``tool_approval_requested``: a call (function or hosted MCP) needs a human's decision.

    ``tool`` is None for a hosted MCP server's request (``approval_item`` is then the
    :class:`~realtime_agents.items.McpApprovalRequestItem`).
    """

    agent: RealtimeAgent[Any]
    tool: FunctionTool | None
    approval_item: ToolApprovalItem | McpApprovalRequestItem
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["tool_approval_requested"] = "tool_approval_requested"


@attrs.frozen
class McpToolCallCompletedEvent:
    """``mcp_tool_call_completed``: a hosted MCP server finished a call."""

    agent: RealtimeAgent[Any]
    item: McpCallItem
    context: RunContextWrapper[Any] = attrs.field(repr=False, eq=False, kw_only=True)
    type: Literal["mcp_tool_call_completed"] = "mcp_tool_call_completed"
