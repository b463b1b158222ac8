"""What the examples share: where they connect, and how they wait for an answer.

By default every example starts the local Realtime API emulator in-process and connects to
it, so it runs offline and exits by itself. Pass ``--live`` (with ``OPENAI_API_KEY`` set) to
talk to OpenAI instead; the scripted replies then come from the real model.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from realtime_agents import RealtimeSession

MODEL = "gpt-realtime"
LIVE = "--live" in sys.argv[1:]


@dataclass(frozen=True)
class Endpoint:
    """Where to connect: pass ``**endpoint.connect_kwargs`` to ``session.connect``."""

    api_key: str
    url: str | None
    emulator: Any = None

    @property
    def connect_kwargs(self) -> dict[str, Any]:
        return {"api_key": self.api_key, "url": self.url}


@asynccontextmanager
async def realtime_endpoint(
    rules: dict[str, Any] | None = None, *, audio_speed: float = 0.0
) -> AsyncIterator[Endpoint]:
    """The emulator (scripted by ``rules``, see realtime_agents_emulator.rules), or OpenAI."""
    if LIVE:
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            sys.exit("--live needs OPENAI_API_KEY in the environment")
        yield Endpoint(api_key=key, url=None)
        return
    from realtime_agents_emulator import Emulator, RulesBrain

    brain = RulesBrain.from_dict(rules) if rules else None
    async with Emulator(brain=brain, audio_speed=audio_speed, speech="synthetic") as emulator:
        yield Endpoint("sk-emulator", f"{emulator.ws_url}?model={MODEL}", emulator)


async def ask(session: RealtimeSession[Any], text: str, timeout: float = 30.0) -> str:
    """Send ``text`` and return what the agent answers out loud (its transcript)."""
    answer = asyncio.ensure_future(
        session.wait_for("agent_end", lambda e: bool(e.output_text), timeout=timeout)
    )
    await session.send_message(text)
    return str((await answer).output_text)


def run(main: Callable[[], Awaitable[None]]) -> None:
    """Run an example's ``main`` coroutine."""
    asyncio.run(main())
