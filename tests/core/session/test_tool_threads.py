"""Sync tools on daemon threads: exit is never held up by a stuck tool; tools learn of cancellation.

The shutdown cases run a real program in a subprocess (``asyncio.run(main())`` with a session
over the WebSocket transport against the emulator) and bound it with a subprocess timeout:
before the fix, ``asyncio.run`` joined the default executor and never returned.
"""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from realtime_agents.agent import RealtimeAgent
from realtime_agents.run_context import ToolContext
from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.tools import ToolTimeoutError, tool

EXIT_BOUND = 15.0  # seconds; a hang is forever, a healthy run takes about one

PROGRAM = textwrap.dedent(
    """
    import asyncio, sys, threading

    import realtime_agents_emulator as emulator
    import realtime_agents_websocket as websocket
    from realtime_agents.agent import RealtimeAgent
    from realtime_agents.plugins import PluginHost, build_plugin_manager
    from realtime_agents.session import RealtimeSession
    from realtime_agents.tools import tool

    MODE = sys.argv[1]
    never = threading.Event()  # never set: the tool ignores cancellation on purpose
    release = threading.Event()

    @tool(timeout=0.2 if MODE == "timeout" else None)
    def stuck() -> str:
        (release if MODE == "late" else never).wait()
        return "finally"

    RULES = {
        "rules": [
            {"when": {"text": "stuck"}, "then": [{"call": "stuck"}]},
            {"when": {"tool": "stuck"}, "then": "The tool said: {output}"},
        ],
        "fallback": "echo",
    }

    async def main() -> None:
        brain = emulator.RulesBrain.from_dict(RULES)
        async with emulator.Emulator(brain=brain, audio_speed=0, speech="synthetic") as server:
            session = RealtimeSession(
                RealtimeAgent("a", tools=[stuck]),
                transport=websocket.OpenAIRealtimeWebSocket(),
                plugin_host=PluginHost(build_plugin_manager(load_entry_points=False)),
            )
            await session.connect(api_key="sk-test", url=f"{server.ws_url}?model=gpt-realtime")
            await session.send_message("please call stuck")
            name = "agent_tool_end" if MODE == "timeout" else "agent_tool_start"
            event = await session.wait_for(name, timeout=10)
            print(name, getattr(event, "output", ""), flush=True)
            await session.close()
        print("closed", flush=True)

    asyncio.run(main())
    print("asyncio.run returned", flush=True)
    if MODE == "late":  # the tool finishes after its loop is gone: nothing may blow up
        release.set()
        for thread in threading.enumerate():
            if thread.name.startswith("realtime-agents tool"):
                thread.join()
        print("tool thread finished", flush=True)
    """
)


def run_program(tmp_path: Path, mode: str) -> list[str]:
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    try:
        done = subprocess.run(
            [sys.executable, str(script), mode],
            capture_output=True,
            text=True,
            timeout=EXIT_BOUND,
        )
    except subprocess.TimeoutExpired as exc:
        printed = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout
        raise AssertionError(f"the program did not exit; it printed {printed!r}") from None
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.splitlines()


def test_a_sync_tool_stuck_after_its_timeout_does_not_hold_up_exit(tmp_path: Path) -> None:
    assert run_program(tmp_path, "timeout") == [
        "agent_tool_end Tool 'stuck' timed out after 200ms.",
        "closed",
        "asyncio.run returned",
    ]


def test_closing_the_session_abandons_a_running_sync_tool(tmp_path: Path) -> None:
    assert run_program(tmp_path, "close") == [
        "agent_tool_start ",
        "closed",
        "asyncio.run returned",
    ]


def test_a_sync_tool_finishing_after_the_loop_closed_is_ignored(tmp_path: Path) -> None:
    assert run_program(tmp_path, "late") == [
        "agent_tool_start ",
        "closed",
        "asyncio.run returned",
        "tool thread finished",
    ]


# -- cancellation as the tool sees it -----------------------------------------------------------


def new_context() -> ToolContext[Any]:
    return ToolContext(context=None, tool_name="t", call_id="call_1")


async def test_a_sync_tool_sees_cancelled_on_timeout_and_returns() -> None:
    observed = threading.Event()

    @tool(timeout=0.05)
    def patient(ctx: ToolContext[Any]) -> str:
        if ctx.cancelled.wait(30):
            observed.set()
        return "done"

    ctx = new_context()
    with pytest.raises(ToolTimeoutError):
        await patient.invoke(ctx, {})
    assert ctx.cancelled.is_set()
    assert await asyncio.to_thread(observed.wait, 30)


async def test_closing_the_session_sets_cancelled_for_sync_and_async_tools(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    started = threading.Event()
    awaiting = asyncio.Event()
    observed = threading.Event()
    contexts: list[ToolContext[Any]] = []
    outcomes: list[str] = []

    @tool
    def patient(ctx: ToolContext[Any]) -> str:
        contexts.append(ctx)
        started.set()
        if ctx.cancelled.wait(30):
            observed.set()
        return "done"

    @tool
    async def waiting(ctx: ToolContext[Any]) -> str:
        contexts.append(ctx)
        awaiting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcomes.append("CancelledError")  # the idiomatic signal for coroutines
            raise
        return "never"

    session = await connect_session(RealtimeAgent("a", tools=[patient, waiting]))
    transport.emit_function_call("patient", {}, call_id="c1")
    transport.emit_function_call("waiting", {}, call_id="c2")
    await asyncio.wait_for(awaiting.wait(), 30)
    assert await asyncio.to_thread(started.wait, 30)
    await session.close()
    assert await asyncio.to_thread(observed.wait, 30)
    assert [ctx.cancelled.is_set() for ctx in contexts] == [True, True]
    assert outcomes == ["CancelledError"]
    assert "send_function_call_output" not in [c.method for c in transport.calls]


async def test_a_call_that_finishes_normally_is_not_cancelled() -> None:
    @tool
    def quick(ctx: ToolContext[Any]) -> bool:
        return ctx.cancelled.is_set()

    ctx = new_context()
    assert await quick.invoke(ctx, {}) is False
    assert not ctx.cancelled.is_set()


# -- the worker thread behaves like asyncio.to_thread did ----------------------------------------

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


async def test_sync_tools_see_the_callers_context_variables_and_raise_through() -> None:
    @tool
    def which() -> str:
        return f"{request_id.get()} on {threading.current_thread().name}"

    @tool
    def broken() -> str:
        raise LookupError("no such order")

    request_id.set("req-7")
    assert await which.invoke(new_context(), {}) == "req-7 on realtime-agents tool which"
    with pytest.raises(LookupError, match="no such order"):
        await broken.invoke(new_context(), {})


async def test_worker_threads_are_daemons() -> None:
    @tool
    def daemonic() -> bool:
        return threading.current_thread().daemon

    assert await daemonic.invoke(new_context(), {}) is True
