"""What the examples share: where they connect, how they wait for an answer, and how the
phone examples serve their app.

By default every example starts the local Realtime API emulator in-process and connects to
it, so it runs offline and exits by itself. Pass ``--live`` (with ``OPENAI_API_KEY`` set) to
talk to OpenAI instead; the scripted replies then come from the real model. The phone examples
(``twilio_server.py``, ``sip_phone_agent.py``) are servers: offline they call themselves once
and exit; ``--live`` serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from realtime_agents import RealtimeSession

if TYPE_CHECKING:
    from aiohttp import web

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


def live_key() -> str:
    """``OPENAI_API_KEY``, which ``--live`` needs (one line and exit 1 without it)."""
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        sys.exit("--live needs OPENAI_API_KEY in the environment")
    return key


@asynccontextmanager
async def realtime_endpoint(
    rules: dict[str, Any] | None = None, *, audio_speed: float = 0.0, **emulator_options: Any
) -> AsyncIterator[Endpoint]:
    """The emulator (scripted by ``rules``, see realtime_agents_emulator.rules), or OpenAI.

    ``emulator_options`` are more of the emulator's (its SIP edge: ``sip_port``,
    ``webhook_url``).
    """
    if LIVE:
        yield Endpoint(api_key=live_key(), url=None)
        return
    from realtime_agents_emulator import Emulator, RulesBrain

    brain = RulesBrain.from_dict(rules) if rules else None
    async with Emulator(
        brain=brain, audio_speed=audio_speed, speech="synthetic", **emulator_options
    ) as emulator:
        yield Endpoint("sk-emulator", f"{emulator.ws_url}?model={MODEL}", emulator)


async def ask(session: RealtimeSession[Any], text: str, timeout: float = 30.0) -> str:
    """Send ``text`` and return what the agent answers out loud (its transcript)."""
    answer = asyncio.ensure_future(
        session.wait_for("agent_end", lambda e: bool(e.output_text), timeout=timeout)
    )
    await session.send_message(text)
    return str((await answer).output_text)


def reserved_port() -> AbstractContextManager[socket.socket]:
    """A listening address on 127.0.0.1 known before its app exists (the emulator must know
    the webhook's URL when it starts, and the app needs the emulator): serve it later."""
    from realtime_agents_emulator.demo_calls import bound_socket  # offline: the emulator is here

    return bound_socket()


def serve(
    app: web.Application, sock: socket.socket | None = None
) -> AbstractAsyncContextManager[int]:
    """Serve ``app`` on ``sock`` (default: a free port of 127.0.0.1); yields the port."""
    from realtime_agents_emulator.demo_calls import served  # offline: the emulator is here

    return served(app, sock)


def serve_live(app: web.Application, description: str) -> None:
    """``--live``: serve ``app`` until Ctrl-C on ``--host``/``--port`` (127.0.0.1:8080; put a
    public https address in front of it, ``ngrok http 8080`` while developing)."""
    from aiohttp import web

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--live", action="store_true", help="serve for real (OpenAI, phones)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on")
    args = parser.parse_args()
    web.run_app(app, host=args.host, port=args.port)


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an example's ``main`` coroutine."""
    asyncio.run(main())
