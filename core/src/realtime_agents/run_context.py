"""The context a session hands to instructions, tools, guardrails and handoffs.

:class:`RunContextWrapper` carries the user's own ``context`` object (whatever was passed as
``RealtimeSession(context=...)``) together with what the session knows: the token usage so far
and a snapshot of the conversation history. A tool asks for it by annotating its first
parameter::

    @tool
    def whoami(ctx: ToolContext[MyApp], loud: bool = False) -> str:
        return ctx.context.user_name

The history is an immutable tuple of frozen items, so a tool can keep it without copying and
nothing a tool does to it can change the session's own history.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Generic

import attrs

from .events import Usage

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from .items import RealtimeItem

    TContext = TypeVar("TContext", default=Any)
else:
    # The default (Any) only matters to type checkers; typing_extensions (≈2 ms to import) is
    # needed for it before Python 3.13, so at run time this is a plain TypeVar.
    from typing import TypeVar

    TContext = TypeVar("TContext")

__all__ = ["RunContextWrapper", "TContext", "ToolContext"]


@attrs.define
class RunContextWrapper(Generic[TContext]):
    """The user's ``context`` plus the session's usage and a history snapshot.

    The session owns one wrapper and refreshes ``usage`` and ``history`` as events arrive;
    ``context`` is the object the user passed in, never copied.
    """

    context: TContext
    usage: Usage = attrs.field(factory=Usage)
    history: tuple[RealtimeItem, ...] = ()


@attrs.define
class ToolContext(RunContextWrapper[TContext]):
    """The context of one tool call: the wrapper's fields plus which call this is.

    ``cancelled`` is set when the call is abandoned: it timed out or its session closed. An
    async tool also gets ``CancelledError``; a sync tool runs on in its thread, so a long one
    should wait on ``ctx.cancelled.wait(seconds)`` (not ``time.sleep``) and return once set.
    """

    tool_name: str = ""
    call_id: str = ""
    tool_arguments: str = ""
    cancelled: threading.Event = attrs.field(factory=threading.Event, eq=False, repr=False)

    @classmethod
    def for_call(
        cls, wrapper: RunContextWrapper[Any], tool_name: str, call_id: str, arguments: str
    ) -> ToolContext[Any]:
        """A tool context sharing ``wrapper``'s context, with its usage and history as of now."""
        return cls(
            context=wrapper.context,
            usage=wrapper.usage,
            history=wrapper.history,
            tool_name=tool_name,
            call_id=call_id,
            tool_arguments=arguments,
        )
