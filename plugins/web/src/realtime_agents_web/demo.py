"""The agent ``realtime-agents serve`` shows when given none, and its script for the emulator.

With ``--emulator`` nothing understands speech, so the emulator's scripted model hears the
1st, 2nd, … turn of a call as the lines below: the first asks for the weather (the tool runs
in this Python process, over the call's sideband), the second is a question with a long answer
(talk over it to interrupt), then the script starts again.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from realtime_agents import RealtimeAgent, tool

if TYPE_CHECKING:
    from realtime_agents_emulator import RulesBrain

__all__ = ["demo_agent", "demo_brain"]


@tool
def get_weather(city: str) -> str:
    """The current weather in ``city``."""
    # A real app would call a weather service here, with a key the browser never sees.
    sky = random.choice(["sunny", "cloudy", "breezy"])
    return f"{random.randint(12, 26)} °C and {sky} in {city}"


def demo_agent() -> RealtimeAgent[Any]:
    return RealtimeAgent(
        name="Weather assistant",
        instructions="You tell people the weather. Be brief and friendly.",
        tools=[get_weather],
    )


def demo_brain() -> RulesBrain:
    from realtime_agents_emulator import RulesBrain

    return RulesBrain.from_dict(
        {
            "rules": [
                {
                    "when": {"audio": "*", "text": r"weather in (?P<city>\w+)"},
                    "then": [{"call": "get_weather", "arguments": {"city": "{city}"}}],
                },
                {
                    "when": {"tool": "get_weather"},
                    "then": [
                        {
                            "say": "Right now it is {output}. Anything else?",
                            "audio_ms": 4000,
                        }
                    ],
                },
            ],
            "transcripts": ["What's the weather in Paris?", "And what about Tokyo?"],
            "fallback": [{"say": "Ask me about the weather in any city."}],
        }
    )
