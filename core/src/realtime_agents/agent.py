"""``RealtimeAgent``: who the model is in a realtime session — instructions, tools, handoffs.

::

    billing = RealtimeAgent("Billing", "Answer billing questions.",
                            handoff_description="Questions about invoices and refunds")
    greeter = RealtimeAgent(name="Greeter", instructions="Greet the user.",
                            tools=[get_weather, "lookup_order"], handoffs=[billing],
                            voice="marin")

Unlike a text agent it has no model settings: the model, audio formats and turn detection
belong to the session. ``tools`` may hold :class:`~realtime_agents.tools.FunctionTool` objects,
names of tools registered by plugins (resolved by the session), or hosted tool definitions
(dicts such as ``{"type": "mcp", "server_label": ..., "server_url": ...}``) passed to the
server as they are. An agent also publishes ``agent_start``, ``agent_end``, ``agent_handoff``,
``agent_tool_start`` and ``agent_tool_end`` for the sessions it runs in (``agent.on(...)``).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeAlias

from .bus import EventEmitter, EventNames
from .errors import UserError
from .guardrail import OutputGuardrail
from .handoff import Handoff, realtime_handoff
from .run_context import RunContextWrapper, TContext
from .tools import FunctionTool

if TYPE_CHECKING:
    from .config import PromptConfig

__all__ = ["AgentTool", "Instructions", "RealtimeAgent", "check_unique_tool_names"]

#: Instructions: a string, or ``fn(ctx, agent)`` returning one (sync or async).
Instructions: TypeAlias = (
    "str | Callable[[RunContextWrapper[Any], RealtimeAgent[Any]], str | Awaitable[str]]"
)
Prompt: TypeAlias = (
    "PromptConfig | Callable[[RunContextWrapper[Any], RealtimeAgent[Any]],"
    " PromptConfig | Awaitable[PromptConfig]]"
)
#: What ``tools=[...]`` accepts: a function tool, a plugin tool's name, a hosted tool dict.
AgentTool: TypeAlias = "FunctionTool | str | Mapping[str, Any]"


class RealtimeAgent(EventEmitter, Generic[TContext]):
    """An agent for realtime sessions (see the module docstring).

    Duplicate tool or handoff names are rejected here, for what can be checked without the
    plugins; the session checks again once plugin tools are resolved, before connecting.
    """

    #: What ``agent.on`` accepts: the session events a session also publishes on its agent.
    event_names = EventNames(
        (
            "agent_start",
            "agent_end",
            "agent_handoff",
            "agent_tool_start",
            "agent_tool_end",
            "audio_start",
        ),
        aliases={
            "handoff": "agent_handoff",
            "tool_start": "agent_tool_start",
            "tool_end": "agent_tool_end",
        },
        docs="docs/session-events.md",
    )

    def __init__(
        self,
        name: str,
        instructions: Instructions | None = None,
        *,
        tools: Iterable[AgentTool] = (),
        handoffs: Iterable[RealtimeAgent[Any] | Handoff] = (),
        handoff_description: str | None = None,
        voice: str | None = None,
        output_guardrails: Iterable[OutputGuardrail | str] = (),
        prompt: Prompt | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(name, str) or not name.strip():
            raise UserError("a RealtimeAgent needs a non-empty name")
        self.name = name
        self.instructions = instructions
        self.tools: list[AgentTool] = list(tools)
        self.handoffs: list[RealtimeAgent[Any] | Handoff] = list(handoffs)
        self.handoff_description = handoff_description
        self.voice = voice
        self.output_guardrails: list[OutputGuardrail | str] = list(output_guardrails)
        self.prompt = prompt
        for item in self.tools:
            if not isinstance(item, FunctionTool | str | Mapping):
                raise UserError(f"agent {name!r}: {item!r} is not a tool (use @tool)")
        check_unique_tool_names(self, [t for t in self.tools if isinstance(t, FunctionTool)])

    def __repr__(self) -> str:
        return f"RealtimeAgent(name={self.name!r})"

    def get_handoffs(self) -> list[Handoff]:
        """The handoffs as :class:`Handoff` objects (plain agents get the default tool)."""
        return [h if isinstance(h, Handoff) else realtime_handoff(h) for h in self.handoffs]

    async def get_system_prompt(self, ctx: RunContextWrapper[Any]) -> str | None:
        """The instructions, calling (and awaiting) them when they are a function."""
        if self.instructions is None or isinstance(self.instructions, str):
            return self.instructions
        value = self.instructions(ctx, self)
        if inspect.isawaitable(value):
            value = await value
        if not isinstance(value, str):
            raise UserError(f"agent {self.name!r}: instructions returned {type(value).__name__}")
        return value

    async def get_prompt(self, ctx: RunContextWrapper[Any]) -> PromptConfig | None:
        """The prompt reference, calling (and awaiting) it when it is a function."""
        if self.prompt is None or not callable(self.prompt):
            return self.prompt
        value = self.prompt(ctx, self)
        return await value if inspect.isawaitable(value) else value

    def clone(self, **changes: Any) -> RealtimeAgent[TContext]:
        """A new agent with the same settings except ``changes`` (event handlers not copied)."""
        fields = {
            "name": self.name,
            "instructions": self.instructions,
            "tools": self.tools,
            "handoffs": self.handoffs,
            "handoff_description": self.handoff_description,
            "voice": self.voice,
            "output_guardrails": self.output_guardrails,
            "prompt": self.prompt,
        }
        unknown = set(changes) - set(fields)
        if unknown:
            raise UserError(f"RealtimeAgent has no setting(s) {', '.join(sorted(unknown))}")
        return RealtimeAgent(**{**fields, **changes})


def check_unique_tool_names(agent: RealtimeAgent[Any], tools: Sequence[FunctionTool]) -> None:
    """Raise UserError if two of ``tools`` and the agent's handoffs share a name."""
    seen: set[str] = set()
    names = [t.name for t in tools] + [h.tool_name for h in agent.get_handoffs()]
    for name in names:
        if name in seen:
            raise UserError(
                f"agent {agent.name!r} has two tools or handoffs named {name!r}; "
                "tool names must be unique"
            )
        seen.add(name)
