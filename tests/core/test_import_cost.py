"""What importing realtime_agents loads, checked by module name rather than by time.

Timing belongs to ``benchmarks/import_time.py`` (a test that times imports on a shared machine
is either flaky or too loose to catch anything). These tests pin the decisions that keep the
import cheap: each module listed here was measured costly at import and is needed only later
(the first tool definition, the first connect, a tripped guardrail, a plugin lookup).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Never needed to define an agent and a session: loaded later, on first use.
NOT_AT_SESSION_IMPORT = (
    "json",  # the protocol's job, at connect
    "dataclasses",  # only to serialise a tool result that is a dataclass
    "typing_extensions",  # a TypeVar default only type checkers read
    "pydantic",  # the first @tool with parameters
    "pluggy",  # the plugin host: named transports, plugin tools
    "importlib.metadata",  # entry points
    "websockets",  # a transport plugin
    "difflib",  # suggestions for a misspelled event name
    "realtime_agents.tools._schema",  # signatures, docstrings, JSON schema: the first @tool
    "realtime_agents.protocol",  # at connect
    "realtime_agents.driver",  # at connect
    "realtime_agents.plugins",  # named transports
    "realtime_agents.testing",  # test doubles
    # the session events of tools, approvals, handoffs, guardrails and MCP calls: 7 attrs
    # classes a session without them never publishes
    "realtime_agents.session._tool_events",
    # the transport events of a live conversation (11 attrs classes): the protocol makes them
    # at connect, the session's handlers receive them
    "realtime_agents._turn_events",
    # the history item classes (11 attrs classes, ≈3 ms) and the session code that reads them:
    # built when the first session is constructed (or the protocol loads, at connect)
    "realtime_agents.items",
    "realtime_agents.session._history",
    "realtime_agents.session._guardrails",
    # the events every running session publishes (agent start/end, audio start/stop, history,
    # raw transport events: 7 attrs classes): built when a session first publishes one
    "realtime_agents.session._run_events",
    # one attrs class each, made only by what uses them: a connect, a guardrail check,
    # background_result(), a tool error formatter
    "realtime_agents._connect_options",
    "realtime_agents._guardrail_results",
    "realtime_agents.tools._background",
    "realtime_agents.session._formatter",
)

# A session connected to the mock server (the real protocol), which publishes the running
# session's events (history_updated at connect) and makes history items.
CONNECTED_SESSION = (
    "import asyncio\n"
    "from realtime_agents import RealtimeAgent, RealtimeSession\n"
    "from realtime_agents.testing import MockRealtimeTransport\n"
    "async def main():\n"
    "    seen = []\n"
    "    session = RealtimeSession(RealtimeAgent(name='a'), transport=MockRealtimeTransport())\n"
    "    session.on('history_updated', seen.append)\n"
    "    async with session:\n"
    "        await session.connect(api_key='sk-test')\n"
    "        for _ in range(500):  # the reset is published from the session's queue\n"
    "            if seen:\n"
    "                break\n"
    "            await asyncio.sleep(0.01)\n"
    "    assert type(seen[0]).__name__ == 'HistoryUpdatedEvent', seen\n"
    "asyncio.run(main())"
)

# A transport that loads nothing (the real ones load the protocol, and the items with it), so
# that constructing a session shows what the session itself builds on first use.
BARE_SESSION = (
    "from realtime_agents import RealtimeAgent, RealtimeSession\n"
    "from realtime_agents.transport import RealtimeTransportLayer as T\n"
    "Bare = type('Bare', (T,), {n: lambda *a, **k: None for n in T.__abstractmethods__})\n"
    "session = RealtimeSession(RealtimeAgent(name='a'), transport=Bare())\n"
    "assert session.history == ()\n"
    "import sys\n"
    "assert 'realtime_agents.protocol' not in sys.modules"
)

# A bare ``import realtime_agents`` (every plugin's entry point, every CLI start) loads nothing
# but the lazy-export helper: not even typing.
NOT_AT_PACKAGE_IMPORT = ("typing", "re", "enum", "asyncio", "attr", "blinker", "pluggy", "json")


def loaded_after(statement: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``statement`` (printed without
    importing anything more)."""
    code = f"import sys\n{statement}\nprint(','.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.strip().splitlines()[-1].split(","))


def test_package_import_loads_only_the_lazy_export_helper() -> None:
    loaded = loaded_after("import realtime_agents")
    assert "realtime_agents.lazy" in loaded
    assert sorted(m for m in NOT_AT_PACKAGE_IMPORT if m in loaded) == []


def test_session_import_leaves_later_modules_unloaded() -> None:
    loaded = loaded_after("from realtime_agents import RealtimeAgent, RealtimeSession, tool")
    assert "realtime_agents.session._session" in loaded  # the probe did import the session
    assert sorted(m for m in NOT_AT_SESSION_IMPORT if m in loaded) == []


@pytest.mark.parametrize(
    ("statement", "module"),
    [
        # each deferred module arrives with the first use that needs it
        (
            "from realtime_agents import tool\n@tool\ndef f(x: int) -> int:\n    return x",
            "realtime_agents.tools._schema",
        ),
        (
            "from realtime_agents import RealtimeAgent, realtime_handoff\n"
            "from typing import TypedDict\n"
            "class Why(TypedDict):\n    reason: str\n"
            "realtime_handoff(RealtimeAgent(name='b'), input_type=Why)",
            "realtime_agents.tools._schema",
        ),
        (
            "from realtime_agents.tools import stringify_output\n"
            "assert stringify_output({'a': 1}) == '{\"a\": 1}'",
            "dataclasses",
        ),
        ("from realtime_agents import ToolApprovalItem", "realtime_agents.session._tool_events"),
        (BARE_SESSION, "realtime_agents.items"),
        (BARE_SESSION, "realtime_agents.session._history"),
        (BARE_SESSION, "realtime_agents.session._guardrails"),
        ("from realtime_agents import UserMessageItem", "realtime_agents.items"),
        (CONNECTED_SESSION, "realtime_agents.session._run_events"),
        (CONNECTED_SESSION, "realtime_agents._connect_options"),
        (
            "import asyncio\n"
            "from realtime_agents import output_guardrail\n"
            "@output_guardrail\n"
            "def no_x(ctx, agent, text):\n    return 'x' in text\n"
            "assert asyncio.run(no_x.run(None, None, 'x')).tripwire_triggered",
            "realtime_agents._guardrail_results",
        ),
        (
            "from realtime_agents import background_result\nassert background_result(1).value == 1",
            "realtime_agents.tools._background",
        ),
        (
            "from realtime_agents import GuardrailFunctionOutput",
            "realtime_agents._guardrail_results",
        ),
        (
            "from realtime_agents.session import ToolErrorFormatterArgs",
            "realtime_agents.session._formatter",
        ),
        (
            "from realtime_agents.session import AgentEndEvent",
            "realtime_agents.session._run_events",
        ),
        (
            "from realtime_agents.session.events import SESSION_EVENT_NAMES as N\n"
            "assert N['history_added'].__name__ == 'HistoryAddedEvent'",
            "realtime_agents.session._run_events",
        ),
        ("import realtime_agents.protocol", "realtime_agents._turn_events"),  # at connect
        ("from realtime_agents import TurnDoneEvent", "realtime_agents._turn_events"),
        (
            "from realtime_agents.session import SESSION_EVENT_NAMES\n"
            "assert SESSION_EVENT_NAMES['agent_handoff'].__name__ == 'AgentHandoffEvent'",
            "realtime_agents.session._tool_events",
        ),
    ],
)
def test_deferred_modules_load_on_first_use(statement: str, module: str) -> None:
    assert module in loaded_after(statement)
