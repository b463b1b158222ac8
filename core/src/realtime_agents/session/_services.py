"""What the tool and guardrail runners may use of their session, as a typed interface.

The runners (:mod:`._tools`, :mod:`._guardrails`) work for a session but must not reach into
it: they get a :class:`SessionServices`, which the session implements with a small adapter.
This module imports neither the session nor the runners, so there is no import cycle.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..agent import RealtimeAgent
    from ..run_context import RunContextWrapper
    from ..transport import RealtimeTransportLayer

__all__ = ["SessionServices"]


class SessionServices(Protocol):
    """The session as its runners see it."""

    @property
    def context(self) -> RunContextWrapper[Any]:
        """The run context handed to tools and guardrails."""

    @property
    def transport(self) -> RealtimeTransportLayer:
        """The session's transport (for answering calls and stopping output)."""

    @property
    def latest_response_id(self) -> str | None:
        """The newest response the model started."""

    def response_active(self, response_id: str | None) -> bool:
        """Whether ``response_id`` is still being generated."""

    def is_live(self, generation: int) -> bool:
        """Whether work started for connection ``generation`` may still act on the transport."""

    def report(self, error: BaseException) -> None:
        """Publish ``error`` for something that went wrong."""

    def spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run ``coro`` in a task the session owns (cancelled when it closes)."""

    def publish(self, name: str, event: Any) -> None:
        """Publish a session event."""

    def publish_agent(self, agent: RealtimeAgent[Any], name: str, event: Any) -> None:
        """Publish a session event on the session and on ``agent``."""

    async def hand_off(self, source: RealtimeAgent[Any], target: RealtimeAgent[Any]) -> None:
        """Make ``target`` the current agent (config sent, ``agent_handoff`` published)."""

    def tool_call_started(
        self, agent: RealtimeAgent[Any], tool_name: str, call_id: str, arguments: str
    ) -> None:
        """Tell the plugins a tool starts."""

    def tool_call_finished(
        self,
        agent: RealtimeAgent[Any],
        tool_name: str,
        call_id: str,
        output: str | None,
        error: BaseException | None,
    ) -> None:
        """Tell the plugins a tool finished."""

    def guardrail_tripped(
        self,
        agent: RealtimeAgent[Any],
        guardrail_name: str,
        response_id: str | None,
        output_info: Any,
    ) -> None:
        """Tell the plugins a guardrail tripped."""
