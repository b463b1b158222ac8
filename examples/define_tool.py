"""defineTool: a function tool, its JSON schema, and a call from the model.

The schema comes from the type hints and the docstring; the model's JSON arguments are checked
and converted back to those types before the function runs.

    uv run python examples/define_tool.py [--live]
"""

from __future__ import annotations

import json
from typing import Literal

from _support import ask, realtime_endpoint, run

from realtime_agents import RealtimeAgent, RealtimeSession, tool


@tool
def get_weather(location: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the weather for a given city.

    Args:
        location: The city to get the weather for.
        unit: The temperature unit.
    """
    return f"The weather in {location} is sunny, 21 degrees {unit}."


agent = RealtimeAgent(name="Weather", instructions="Answer weather questions.", tools=[get_weather])

RULES = {
    "rules": [
        {"when": {"text": r"weather in (?P<city>\w+)"},
         "then": [{"call": "get_weather", "arguments": {"location": "{city}"}}]},
        {"when": {"tool": "get_weather"}, "then": "{output}"},
    ]
}  # fmt: skip


async def main() -> None:
    print(json.dumps(get_weather.definition(), indent=2))
    async with (
        realtime_endpoint(RULES) as endpoint,
        RealtimeSession(agent, transport="websocket") as session,
    ):
        session.on("agent_tool_end", lambda e: print(f"{e.tool.name}({e.arguments}) -> {e.output}"))
        await session.connect(**endpoint.connect_kwargs)
        print("Weather:", await ask(session, "What's the weather in Tokyo?"))


if __name__ == "__main__":
    run(main)
