"""Handoffs: a tool the model calls to pass the conversation to another agent.

Listing an agent in ``RealtimeAgent(handoffs=[billing])`` offers the model a function tool
named ``transfer_to_billing``. When the model calls it, the session switches the live
connection to the target agent (instructions, tools, voice) with a ``session.update`` *before*
answering the call with ``{"assistant": "<target name>"}``, so the model's next response
already comes from the new agent. :func:`realtime_handoff` customises the tool.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from .run_context import RunContextWrapper
from .tools import validate_tool_name

if TYPE_CHECKING:
    from .agent import RealtimeAgent
    from .config import FunctionToolDefinition

__all__ = [
    "Handoff",
    "OnHandoff",
    "default_handoff_tool_description",
    "default_handoff_tool_name",
    "realtime_handoff",
]

#: ``on_handoff(ctx)`` or, with an ``input_type``, ``on_handoff(ctx, input)``; sync or async.
OnHandoff: TypeAlias = Callable[..., "Awaitable[None] | None"]
HandoffEnabled: TypeAlias = Callable[[RunContextWrapper[Any], Any], "bool | Awaitable[bool]"]

_EMPTY_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {},
    "required": [],
    "additionalProperties": False,
}


def default_handoff_tool_name(agent: RealtimeAgent[Any]) -> str:
    """``transfer_to_<agent name in snake_case>``."""
    slug = re.sub(r"[^0-9A-Za-z]+", "_", agent.name).strip("_").lower() or "agent"
    return f"transfer_to_{slug}"[:64]


def default_handoff_tool_description(agent: RealtimeAgent[Any]) -> str:
    """What the model reads about a handoff tool: the target and its ``handoff_description``."""
    text = f"Handoff to the {agent.name} agent to handle the request."
    return f"{text} {agent.handoff_description}" if agent.handoff_description else text


@attrs.frozen(kw_only=True)
class Handoff:
    """A handoff tool: its name and description, its target agent and an optional callback."""

    agent: RealtimeAgent[Any]
    tool_name: str = attrs.field()
    tool_description: str
    on_handoff: OnHandoff | None = attrs.field(default=None, repr=False)
    input_type: Any = None
    input_json_schema: dict[str, Any] = attrs.field(factory=lambda: dict(_EMPTY_PARAMETERS))
    is_enabled: bool | HandoffEnabled = True

    @tool_name.validator
    def _check_name(self, attribute: attrs.Attribute[str], value: str) -> None:
        validate_tool_name(value)

    def definition(self) -> FunctionToolDefinition:
        """The ``tools`` entry of the session config for this handoff."""
        return {
            "type": "function",
            "name": self.tool_name,
            "description": self.tool_description,
            "parameters": self.input_json_schema,
        }

    async def enabled(self, ctx: RunContextWrapper[Any], agent: Any) -> bool:
        """Evaluate ``is_enabled`` for the agent offering this handoff."""
        if isinstance(self.is_enabled, bool):
            return self.is_enabled
        value = self.is_enabled(ctx, agent)
        return bool(await value if inspect.isawaitable(value) else value)

    async def invoke(
        self, ctx: RunContextWrapper[Any], arguments: dict[str, Any]
    ) -> RealtimeAgent[Any]:
        """Run ``on_handoff`` (with the converted input if there is an ``input_type``)."""
        if self.on_handoff is not None:
            if self.input_type is not None:
                from .tools._schema import convert  # with input_type only: see realtime_handoff

                value = self.on_handoff(ctx, convert(arguments, self.input_type, "input"))
            else:
                value = self.on_handoff(ctx)
            if inspect.isawaitable(value):
                await value
        return self.agent


def realtime_handoff(
    agent: RealtimeAgent[Any],
    *,
    tool_name_override: str | None = None,
    tool_description_override: str | None = None,
    on_handoff: OnHandoff | None = None,
    input_type: Any = None,
    is_enabled: bool | HandoffEnabled = True,
) -> Handoff:
    """A :class:`Handoff` to ``agent``, with the defaults of a plain ``handoffs=[agent]``.

    ``input_type`` (a pydantic model, attrs class, dataclass or TypedDict) makes the model
    pass arguments, which ``on_handoff(ctx, input)`` receives converted to that type.
    """
    schema = dict(_EMPTY_PARAMETERS)
    if input_type is not None:
        # the schema machinery is imported only for a typed handoff, not with the package
        from .tools._schema import schema_for

        defs: dict[str, Any] = {}
        schema = schema_for(input_type, defs)
        if defs:
            schema["$defs"] = defs
    return Handoff(
        agent=agent,
        tool_name=tool_name_override or default_handoff_tool_name(agent),
        tool_description=tool_description_override or default_handoff_tool_description(agent),
        on_handoff=on_handoff,
        input_type=input_type,
        input_json_schema=schema,
        is_enabled=is_enabled,
    )
