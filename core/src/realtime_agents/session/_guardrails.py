"""Output guardrails during a session: debounced checks, one trip per response, no stale stops.

Text is collected per ``(response_id, item_id)`` from ``audio_transcript_delta`` and
``output_text_delta``. A check (all guardrails, concurrently, in a task the session owns)
starts each time an item's text crosses another multiple of ``debounce_text_length``, and
once more for every item when the response is done (with ``-1``, only then).

The first check to trip for a response wins; later trips of that response are ignored. A trip:

1. publishes ``guardrail_tripped`` and calls the plugins' ``guardrail_tripped`` hook;
2. stops the output, unless a newer response has started since (then it is left alone): a
   text response still streaming gets ``response.cancel`` for that response id, anything else
   (audio, or a finished response whose audio may still be playing) ``transport.interrupt()``;
3. tells the model its answer was blocked (:func:`~realtime_agents.guardrail.feedback_message`),
   again only if no newer response has started.

Results that arrive after the connection closed or was replaced do nothing at all.

The session imports this module when it is constructed (it reads history items, whose classes
are built on first use), not when it is imported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import guardrail
from ..errors import RealtimeAgentsError
from ..guardrail import OutputGuardrail, OutputGuardrailSettings, feedback_message
from ..items import AssistantMessageItem, OutputText, RealtimeItem

if TYPE_CHECKING:
    from ..events import OutputTextDeltaEvent, TranscriptDeltaEvent, TurnDoneResponse
    from ..guardrail import OutputGuardrailResult
    from ._config import AgentSnapshot
    from ._services import SessionServices

__all__ = ["GuardrailRunner"]


class _Buffer:
    """One response's text so far. A plain class: attrs would compile methods for it at import
    (≈0.3 ms) that nothing here uses."""

    __slots__ = ("checked", "is_text", "length", "parts")

    def __init__(self, is_text: bool) -> None:
        self.is_text = is_text
        self.parts: list[str] = []
        self.length = 0
        self.checked = 0  # how many debounce steps have been checked

    @property
    def text(self) -> str:
        return "".join(self.parts)


class GuardrailRunner:
    """The output-guardrail side of one session (see the module docstring)."""

    def __init__(
        self,
        session: SessionServices,
        guardrails: Sequence[OutputGuardrail],
        settings: OutputGuardrailSettings,
    ) -> None:
        self._session = session
        self._guardrails = tuple(guardrails)
        self._debounce = settings.debounce_text_length
        self._buffers: dict[tuple[str | None, str], _Buffer] = {}
        self._tripped: set[str | None] = set()

    def reset(self) -> None:
        """Forget this connection's responses."""
        self._buffers.clear()
        self._tripped.clear()

    def _all(self, snapshot: AgentSnapshot) -> tuple[OutputGuardrail, ...]:
        return self._guardrails + snapshot.guardrails

    def on_delta(
        self,
        event: TranscriptDeltaEvent | OutputTextDeltaEvent,
        snapshot: AgentSnapshot,
        gen: int,
        *,
        is_text: bool,
    ) -> None:
        """Collect a delta; start a check when the text crossed a debounce step."""
        if not self._all(snapshot) or event.response_id in self._tripped:
            return
        key = (event.response_id, event.item_id)
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = _Buffer(is_text)
        buffer.parts.append(event.delta)
        buffer.length += len(event.delta)
        if self._debounce > 0 and buffer.length // self._debounce > buffer.checked:
            buffer.checked = buffer.length // self._debounce
            self._start(key, buffer.text, snapshot, gen, final=False, is_text=is_text)

    def on_turn_done(self, response: TurnDoneResponse, snapshot: AgentSnapshot, gen: int) -> None:
        """Run the final checks on every item of a finished response."""
        texts = {key: buf for key, buf in self._buffers.items() if key[0] == response.id}
        for key in texts:
            del self._buffers[key]
        if not self._all(snapshot) or response.id in self._tripped:
            return
        finals = {key[1]: (buf.text, buf.is_text) for key, buf in texts.items()}
        for item in response.output:
            if item.item_id not in finals:
                finals[item.item_id] = _item_text(item)
        for item_id, (text, is_text) in finals.items():
            if text:
                key = (response.id, item_id)
                self._start(key, text, snapshot, gen, final=True, is_text=is_text)

    def _start(
        self,
        key: tuple[str | None, str],
        text: str,
        snapshot: AgentSnapshot,
        gen: int,
        *,
        final: bool,
        is_text: bool,
    ) -> None:
        check = self._check(key, text, snapshot, gen, final=final, is_text=is_text)
        self._session.spawn(check, name=f"guardrails {key[0]}")

    async def _check(
        self,
        key: tuple[str | None, str],
        text: str,
        snapshot: AgentSnapshot,
        gen: int,
        *,
        final: bool,
        is_text: bool,
    ) -> None:
        session = self._session
        ctx = session.context
        runs = [g.run(ctx, snapshot.agent, text) for g in self._all(snapshot)]
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        tripped: list[OutputGuardrailResult] = []
        for outcome in outcomes:
            if isinstance(outcome, guardrail.OutputGuardrailResult):  # built by the first check
                if outcome.tripwire_triggered:
                    tripped.append(outcome)
            elif isinstance(outcome, Exception):
                session.report(outcome)
            else:  # a BaseException such as CancelledError: stop here
                raise outcome
        response_id, item_id = key
        if not tripped or response_id in self._tripped or not session.is_live(gen):
            return
        self._tripped.add(response_id)
        await self._trip(snapshot, tripped, response_id, item_id, gen, final=final, is_text=is_text)

    async def _trip(
        self,
        snapshot: AgentSnapshot,
        tripped: list[OutputGuardrailResult],
        response_id: str | None,
        item_id: str,
        gen: int,
        *,
        final: bool,
        is_text: bool,
    ) -> None:
        from ._tool_events import GuardrailTrippedEvent  # on first use: see its docstring

        session = self._session
        agent = snapshot.agent
        event = GuardrailTrippedEvent(
            agent, tuple(tripped), response_id, item_id, context=session.context
        )
        session.publish("guardrail_tripped", event)
        for result in tripped:
            session.guardrail_tripped(
                agent, result.guardrail.name, response_id, result.output.output_info
            )
        if session.latest_response_id != response_id:
            return  # a newer response is playing: never stop it for an older one
        transport = session.transport
        try:
            if is_text and not final and session.response_active(response_id):
                await transport.cancel_response(response_id)
            else:
                await transport.interrupt()
            if session.is_live(gen) and session.latest_response_id == response_id:
                await transport.send_message(feedback_message(tripped))
        except RealtimeAgentsError as exc:
            if session.is_live(gen):  # a connection that just went away is not news
                session.report(exc)


def _item_text(item: RealtimeItem) -> tuple[str, bool]:
    """The text of an output item of a finished response, and whether it was text output."""
    if not isinstance(item, AssistantMessageItem):
        return "", False
    texts: list[str] = []
    is_text = False
    for part in item.content:
        if isinstance(part, OutputText):
            texts.append(part.text)
            is_text = True
        else:
            texts.append(part.transcript or "")
    return "".join(texts), is_text
