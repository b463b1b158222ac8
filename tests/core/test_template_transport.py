"""The template transport: ``examples/custom_transport``, distribution realtime-agents-loopback.

It must pass core's contract suite as an installed distribution, found through its entry
point, with only the OpenAI-wire tests skipped; it must not speak OpenAI's protocol; and a
session must work over it, tools included.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import realtime_agents_loopback
from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.items import FunctionCallItem
from realtime_agents.plugins import ENTRY_POINT_GROUP, PluginHost, build_plugin_manager
from realtime_agents.testing.contract import OpenAIWireContract, TransportContract
from realtime_agents.tools import tool
from realtime_agents_loopback import CallTool, LoopbackBackend, LoopbackTransport, Say, echo
from realtime_agents_loopback.testing import LoopbackHarness

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_TESTS = ROOT / "examples" / "custom_transport" / "tests"
#: What only an OpenAI transport would contain: wire event names, or core's OpenAI protocol.
OPENAI_WIRE = (
    "response.create",
    "response.cancel",
    "session.update",
    "conversation.item",
    "input_audio_buffer",
    "output_audio_buffer",
    "realtime_agents.protocol",
    "realtime_agents.driver",
    "server_events",
)


def _names(case: type) -> set[str]:
    return {name for name in dir(case) if name.startswith("test_")}


def test_the_suite_passes_with_only_the_openai_wire_tests_skipped(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    # -P: nothing from the working directory on sys.path, so the template is imported from
    # its installed distribution, as a third party's transport would be.
    command = [sys.executable, "-P", "-m", "pytest", str(TEMPLATE_TESTS)]
    options = ["-p", "no:cacheprovider", "-q", "-rs", f"--junitxml={report}"]
    result = subprocess.run(
        command + options, capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cases = {case.get("name"): case.find("skipped") for case in ET.parse(report).iter("testcase")}
    skipped = {name: skip.get("message") for name, skip in cases.items() if skip is not None}
    passed = {name for name, skip in cases.items() if skip is None}
    wire = _names(OpenAIWireContract)
    assert set(skipped) == wire
    reason = f"{LoopbackHarness.name} does not declare openai_wire"
    assert set(skipped.values()) == {reason}
    assert passed == _names(TransportContract) - wire
    assert f"{len(passed)} passed, {len(wire)} skipped" in result.stdout


def test_the_installed_distribution_registers_loopback() -> None:
    (entry,) = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP, name="loopback")
    assert entry.value == "realtime_agents_loopback.plugin"
    assert entry.dist is not None
    assert entry.dist.name == "realtime-agents-loopback"
    host = PluginHost(build_plugin_manager(blocked=[]))
    assert host.transports["loopback"] is LoopbackTransport


def test_the_template_speaks_no_openai_wire() -> None:
    package = Path(realtime_agents_loopback.__file__).parent
    sources = {path.name: path.read_text() for path in package.glob("*.py")}
    assert {"transport.py", "backend.py", "plugin.py", "testing.py"} <= set(sources)
    found = [(name, s) for name, text in sources.items() for s in OPENAI_WIRE if s in text]
    assert found == []
    imports_openai = re.compile(r"^\s*(from|import)\s+openai\b", re.MULTILINE)
    assert [name for name, text in sources.items() if imports_openai.search(text)] == []


def test_exported_names() -> None:
    assert realtime_agents_loopback.__all__ == [
        "CallTool",
        "LoopbackBackend",
        "LoopbackConnection",
        "LoopbackTransport",
        "Reply",
        "Say",
        "echo",
    ]
    for name in realtime_agents_loopback.__all__:
        assert getattr(realtime_agents_loopback, name) is not None


def test_discovering_the_plugin_imports_no_asyncio() -> None:
    """Every ``realtime-agents`` command line loads the entry point: it must stay cheap."""
    code = (
        "import sys, realtime_agents_loopback.plugin\n"
        "print([m for m in ('asyncio', 'realtime_agents_loopback.backend') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@tool
def lookup_order(id: int) -> str:
    """Look up an order by its number."""
    return "shipped" if id == 7 else "unknown"


def order_desk(words: str) -> Say | CallTool:
    return CallTool("lookup_order", {"id": 7}) if "order" in words else echo(words)


async def test_a_session_runs_a_tool_through_the_loopback() -> None:
    backend = LoopbackBackend(
        order_desk, after_tool=lambda output: Say(f"Your order is {output}."), audio_speed=0
    )
    agent = RealtimeAgent("Assistant", "Help.", tools=[lookup_order])
    host = PluginHost(build_plugin_manager(load_entry_points=False))
    session = RealtimeSession(agent, transport=LoopbackTransport(backend), plugin_host=host)
    await session.connect()
    ended = asyncio.ensure_future(
        session.wait_for("agent_end", lambda e: "Your order" in e.output_text, timeout=5)
    )
    await session.send_message("Where is my order?")
    assert (await ended).output_text == "Your order is shipped."
    kinds = [type(item).__name__ for item in session.history]
    assert kinds == ["UserMessageItem", "FunctionCallItem", "AssistantMessageItem"]
    call = session.history[1]
    assert isinstance(call, FunctionCallItem)
    assert (call.output, call.status) == ("shipped", "completed")
    assert session.usage.total_tokens > 0
    await session.close()


async def test_a_session_finds_the_loopback_by_name() -> None:
    host = PluginHost(build_plugin_manager(blocked=[]))
    session = RealtimeSession(RealtimeAgent("Echo"), transport="loopback", plugin_host=host)
    assert isinstance(session.transport, LoopbackTransport)
    await session.connect()
    ended = asyncio.ensure_future(session.wait_for("agent_end", timeout=5))
    await session.send_message("hello")
    assert (await ended).output_text == "You said: hello"
    await session.close()


async def test_muted_input_audio_never_reaches_the_backend() -> None:
    transport = LoopbackTransport(LoopbackBackend(audio_speed=0))
    heard: list[str] = []
    transport.on("input_audio_transcription", lambda event: heard.append(event.transcript))
    await transport.connect(LoopbackHarness().connect_options())
    await transport.mute(True)
    await transport.send_audio(b"\x00\x00" * 2400, commit=True)
    await transport.mute(False)
    await transport.send_audio(b"\x00\x00" * 4800, commit=True)
    assert heard == ["200 ms of audio"]
    await transport.close()
