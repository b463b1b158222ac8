"""What a ``tool_error_formatter`` receives.

Only a session with a formatter, and a tool call that was rejected, failed or timed out, ever
makes one, so the class is built on first use rather than at ``from realtime_agents import
RealtimeSession`` (an attrs class compiles its methods when it is created: ≈0.3 ms). The public
name is :mod:`realtime_agents.session`'s, which imports this module on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from ..run_context import RunContextWrapper

__all__ = ["ToolErrorFormatterArgs"]


@attrs.frozen
class ToolErrorFormatterArgs:
    """What a ``tool_error_formatter`` gets; return a message for the model, or None."""

    kind: Literal["approval_rejected", "tool_error", "timeout"]
    tool_name: str
    call_id: str
    default_message: str
    context: RunContextWrapper[Any] = attrs.field(repr=False)
    error: BaseException | None = None
