"""``realtime-agents serve``: the voice page of an agent on a local port, until Ctrl-C.

Against the real API by default (``OPENAI_API_KEY``; ``OPENAI_BASE_URL`` if set), or with
``emulator=True`` against an in-process emulator, offline: the emulator answers the browser's
WebRTC offer and plays its scripted replies (see :mod:`.demo`).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from typing import Any

from aiohttp import web

from realtime_agents import RealtimeAgent

from .app import VoiceApp

__all__ = ["load_agent", "main", "serve"]


def load_agent(spec: str) -> RealtimeAgent[Any]:
    """The agent named by ``module:attribute`` (a ``RealtimeAgent`` or a function making one)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--agent takes module:attribute (e.g. myapp.agents:bot), not {spec!r}")
    module = importlib.import_module(module_name)
    if not hasattr(module, attribute):
        raise ValueError(f"{module_name} has no {attribute!r}")
    agent = getattr(module, attribute)
    if callable(agent) and not isinstance(agent, RealtimeAgent):
        try:
            agent = agent()
        except TypeError as exc:  # a function that needs arguments: not an agent factory
            raise ValueError(f"{spec} is not a RealtimeAgent, nor makes one: {exc}") from None
    if not isinstance(agent, RealtimeAgent):
        raise ValueError(f"{spec} is not a RealtimeAgent (it is a {type(agent).__name__})")
    return agent


async def serve(
    agent: RealtimeAgent[Any],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    emulator: bool = False,
    ready: asyncio.Future[str] | None = None,
) -> None:
    """Serve ``agent``'s page until cancelled; ``ready`` gets the page's URL once it listens."""
    emu: Any = None
    if emulator:
        try:
            from realtime_agents_emulator import Emulator
        except ImportError:
            from realtime_agents.install import install_hint

            hint = install_hint("realtime-agents-emulator", "webrtc")
            raise RuntimeError(f"--emulator needs the emulator: {hint}") from None

        from .demo import demo_brain

        emu = Emulator(brain=demo_brain())
        await emu.start()
        voice = VoiceApp(agent, api_key="sk-emulator", base_url=emu.base_url)
    else:
        if not os.environ.get("OPENAI_API_KEY"):
            raise RuntimeError(
                "set OPENAI_API_KEY to serve against the Realtime API, or pass --emulator "
                "to try the page offline"
            )
        voice = VoiceApp(agent)
    runner = web.AppRunner(voice.application(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        url = f"http://{host}:{_port_of(runner, port)}/"
        if ready is not None:
            ready.set_result(url)
        else:
            where = f"the emulator at {emu.url}" if emu else voice.base_url
            print(f"Voice page of {agent.name!r} on {url} (calls go to {where}); Ctrl-C stops.")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        if emu is not None:
            await emu.stop()


def _port_of(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    return requested


def main(agent_spec: str | None, *, host: str, port: int, emulator: bool) -> int:
    from .demo import demo_agent

    try:
        agent = load_agent(agent_spec) if agent_spec else demo_agent()
        asyncio.run(serve(agent, host=host, port=port, emulator=emulator))
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, ValueError, ImportError, OSError) as exc:
        print(f"realtime-agents serve: {exc}")
        return 2
    return 0
