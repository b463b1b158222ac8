"""guardrailSettings: how often output guardrails run.

``debounce_text_length`` runs the guardrails each time the transcript grows by that many
characters (and once more at the end); ``-1`` runs them only when the response is done.

    uv run python examples/guardrail_settings.py [--live]
"""

from __future__ import annotations

import asyncio

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession, output_guardrail

checked: list[int] = []


@output_guardrail
def length_probe(ctx: object, agent: object, output_text: str) -> bool:
    checked.append(len(output_text))
    return False  # never trips: this one only shows when guardrails run


agent = RealtimeAgent(name="Storyteller", instructions="Tell short stories.")
RULES = {"rules": [{"when": {"text": "story"}, "then": "Once upon a time " * 6 + "the end."}]}


async def main() -> None:
    for debounce in (20, -1):
        checked.clear()
        async with (
            realtime_endpoint(RULES) as endpoint,
            RealtimeSession(
                agent,
                transport="websocket",
                output_guardrails=[length_probe],
                output_guardrail_settings={"debounce_text_length": debounce},
            ) as session,
        ):
            await session.connect(**endpoint.connect_kwargs)
            await ask(session, "Tell me a story")
            await asyncio.sleep(0.1)  # the final check runs just after the answer ends
        print(f"debounce_text_length={debounce}: guardrails saw lengths {sorted(checked)}")


if __name__ == "__main__":
    run(main)
