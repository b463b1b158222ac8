"""guardrails: stop an answer that breaks a rule, while it is being spoken.

Output guardrails run on the transcript as it streams. When one trips, the session publishes
``guardrail_tripped``, cuts the audio and tells the model its answer was blocked.

    uv run python examples/guardrails.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import realtime_endpoint, run

from realtime_agents import (
    GuardrailFunctionOutput,
    RealtimeAgent,
    RealtimeSession,
    output_guardrail,
)


@output_guardrail(policy_hint="Do not mention 'Dom'")
def no_dom(ctx: object, agent: object, output_text: str) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(tripwire_triggered="Dom" in output_text, output_info={})


agent = RealtimeAgent(
    name="Greeter", instructions="Greet the user with cheer and answer questions."
)

RULES = {"rules": [{"when": {"text": "who"}, "then": "My favourite person is Dom, of course."}]}


async def main() -> None:
    async with (
        realtime_endpoint(RULES) as endpoint,
        RealtimeSession(agent, transport="websocket", output_guardrails=[no_dom]) as session,
    ):
        tripped = asyncio.ensure_future(session.wait_for("guardrail_tripped", timeout=30))
        await session.connect(**endpoint.connect_kwargs)
        await session.send_message("Who is your favourite person?")
        event = await tripped
        names = [r.guardrail.name for r in event.guardrail_results]
        print(f"guardrail tripped: {names} on response {event.response_id}")


if __name__ == "__main__":
    run(main)
