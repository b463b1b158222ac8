"""Function calls through a session: outputs, errors, idempotency, snapshots, approvals, hooks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from session_helpers import Recorder, make_host, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.errors import ModelBehaviorError
from realtime_agents.plugins import hookimpl
from realtime_agents.run_context import ToolContext
from realtime_agents.session import (
    RealtimeSession,
    ToolApprovalItem,
    ToolErrorFormatterArgs,
    ToolExecutionError,
)
from realtime_agents.testing import RecordedCall, ScriptedRealtimeTransport
from realtime_agents.tools import ToolTimeoutError, background_result, tool


@tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


def outputs(transport: ScriptedRealtimeTransport) -> dict[str, RecordedCall]:
    """``send_function_call_output`` calls by call id."""
    return {
        c.args["tool_call"].call_id: c
        for c in transport.calls
        if c.method == "send_function_call_output"
    }


def errors(recorder: Recorder) -> list[BaseException]:
    return [e.error for e in recorder.of("error")]


async def test_tool_round_trip(connect_session: Any, transport: ScriptedRealtimeTransport) -> None:
    agent = RealtimeAgent("a", tools=[get_weather])
    agent_events: list[str] = []
    agent.on("agent_tool_start", lambda e: agent_events.append(e.type))
    agent.on("agent_tool_end", lambda e: agent_events.append(e.type))
    session = await connect_session(agent)
    recorder = Recorder(session, ("agent_tool_start", "agent_tool_end"))
    transport.emit_function_call("get_weather", {"city": "Oslo"}, call_id="c1")
    call = await transport.expect_call("send_function_call_output")
    assert (call.args["output"], call.args["start_response"]) == ("sunny in Oslo", True)
    await settle(session)
    start, end = recorder.of("agent_tool_start")[0], recorder.of("agent_tool_end")[0]
    assert (start.agent, start.tool, start.arguments) == (agent, get_weather, '{"city": "Oslo"}')
    assert (end.output, end.error, end.tool_call.call_id) == ("sunny in Oslo", None, "c1")
    assert agent_events == ["agent_tool_start", "agent_tool_end"]


async def test_unknown_tool_gets_not_found_and_an_error_event(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    recorder = Recorder(session, ("error",))
    transport.emit_function_call("nope", {}, call_id="c1")
    call = await transport.expect_call("send_function_call_output")
    assert (call.args["output"], call.args["start_response"]) == ("Tool nope not found", False)
    await settle(session)
    (error,) = errors(recorder)
    assert isinstance(error, ModelBehaviorError)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("{not json", "Invalid arguments for tool get_weather: not valid JSON"),
        ("[1, 2]", "Invalid arguments for tool get_weather: not a JSON object"),
        ('{"city": 5}', "Invalid arguments for tool get_weather: 'city': Input should be a valid"),
        ("{}", "Invalid arguments for tool get_weather: 'city': Field required"),
    ],
)
async def test_bad_arguments_get_a_clear_output(
    connect_session: Any, transport: ScriptedRealtimeTransport, arguments: str, expected: str
) -> None:
    session = await connect_session(RealtimeAgent("a", tools=[get_weather]))
    recorder = Recorder(session, ("error",))
    transport.emit_function_call("get_weather", arguments, call_id="c1")
    call = await transport.expect_call("send_function_call_output")
    assert call.args["output"].startswith(expected)
    assert call.args["start_response"] is True
    await settle(session)
    assert len(errors(recorder)) == 1


async def test_empty_arguments_mean_no_arguments(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @tool
    def ping() -> str:
        return "pong"

    await connect_session(RealtimeAgent("a", tools=[ping]))
    transport.emit_function_call("ping", "", call_id="c1")
    assert (await transport.expect_call("send_function_call_output")).args["output"] == "pong"


async def test_each_call_id_is_answered_once(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    runs: list[str] = []

    @tool
    async def count(n: int) -> str:
        runs.append("run")
        return str(n)

    session = await connect_session(RealtimeAgent("a", tools=[count]))
    recorder = Recorder(session, ("error",))
    transport.emit_function_call("count", {"n": 1}, call_id="c1")
    transport.emit_function_call("count", {"n": 1}, call_id="c1")
    await settle(session)
    transport.emit_function_call("count", {"n": 1}, call_id="c1")
    transport.emit_function_call("count", {"n": 2}, call_id="c1")
    await settle(session)
    assert runs == ["run"]
    assert [c.method for c in transport.calls].count("send_function_call_output") == 1
    (error,) = errors(recorder)
    assert "different arguments" in str(error)


async def test_tools_run_without_blocking_the_event_stream(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    release = asyncio.Event()

    @tool
    async def slow() -> str:
        await release.wait()
        return "finally"

    session = await connect_session(RealtimeAgent("a", tools=[slow]))
    recorder = Recorder(session, ("audio", "agent_tool_end"))
    transport.emit_function_call("slow", {}, call_id="c1")
    transport.emit_audio(b"\x01\x02", response_id="resp_1")
    await asyncio.sleep(0.01)
    assert recorder.names() == ["audio"]
    release.set()
    await transport.expect_call("send_function_call_output")
    await settle(session)
    assert recorder.names() == ["audio", "agent_tool_end"]


async def test_calls_use_the_agent_of_the_response_that_asked(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    release = asyncio.Event()

    @tool
    async def lookup() -> str:
        await release.wait()
        return "found"

    billing = RealtimeAgent("Billing")
    agent = RealtimeAgent("Front", tools=[lookup], handoffs=[billing])
    session = await connect_session(agent)
    transport.emit_turn_started("resp_1")
    transport.emit_function_call("transfer_to_billing", {}, call_id="c1", response_id="resp_1")
    await transport.expect_call("update_session_config")
    await transport.expect_call("send_function_call_output")
    assert session.current_agent is billing
    # A sibling call of the same response still finds the front agent's tool.
    transport.emit_function_call("lookup", {}, call_id="c2", response_id="resp_1")
    release.set()
    call = await transport.expect_call("send_function_call_output")
    assert call.args["output"] == "found"


async def test_tool_exceptions_become_output_and_error_events(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @tool
    async def broken() -> str:
        raise RuntimeError("database down")

    session = await connect_session(RealtimeAgent("a", tools=[broken]))
    recorder = Recorder(session, ("error", "agent_tool_end"))
    transport.emit_function_call("broken", {}, call_id="c1")
    call = await transport.expect_call("send_function_call_output")
    assert "An error occurred while running the tool 'broken'" in call.args["output"]
    assert "database down" in call.args["output"]
    await settle(session)
    (error,) = errors(recorder)
    assert isinstance(error, ToolExecutionError)
    assert isinstance(error.__cause__, RuntimeError)
    assert recorder.of("agent_tool_end")[0].error is error


async def test_timeout_as_result(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @tool(timeout=0.01)
    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    await connect_session(RealtimeAgent("a", tools=[slow]))
    transport.emit_function_call("slow", {}, call_id="c1")
    call = await transport.expect_call("send_function_call_output")
    assert call.args["output"] == "Tool 'slow' timed out after 10ms."


async def test_timeout_raise_exception_publishes_an_error_and_sends_nothing(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @tool(timeout=0.01, timeout_behavior="raise_exception")
    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    session = await connect_session(RealtimeAgent("a", tools=[slow]))
    recorder = Recorder(session, ("error",))
    transport.emit_function_call("slow", {}, call_id="c1")
    await asyncio.sleep(0.05)
    await settle(session)
    assert isinstance(errors(recorder)[0], ToolTimeoutError)
    assert "send_function_call_output" not in [c.method for c in transport.calls]


async def test_tool_error_formatter(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    seen: list[ToolErrorFormatterArgs] = []

    async def formatter(args: ToolErrorFormatterArgs) -> str | None:
        seen.append(args)
        return f"[{args.kind}] {args.tool_name}"

    @tool
    def broken() -> str:
        raise ValueError("x")

    await connect_session(RealtimeAgent("a", tools=[broken]), tool_error_formatter=formatter)
    transport.emit_function_call("broken", {}, call_id="c1")
    assert (await transport.expect_call("send_function_call_output")).args[
        "output"
    ] == "[tool_error] broken"
    assert seen[0].call_id == "c1"
    assert isinstance(seen[0].error, ValueError)


async def test_background_results_do_not_start_a_response(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @tool
    def log_it() -> Any:
        return background_result({"logged": True})

    await connect_session(RealtimeAgent("a", tools=[log_it]))
    transport.emit_function_call("log_it", {}, call_id="c1")
    call = await transport.expect_call("send_function_call_output")
    assert (call.args["output"], call.args["start_response"]) == ('{"logged": true}', False)


async def test_tools_get_the_context_and_a_history_snapshot(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    seen: list[ToolContext[Any]] = []

    @tool
    def inspect_ctx(ctx: ToolContext[dict[str, str]]) -> str:
        seen.append(ctx)
        return ctx.context["user"]

    session = await connect_session(
        RealtimeAgent("a", tools=[inspect_ctx]), context={"user": "ada"}
    )
    transport.emit_function_call("inspect_ctx", {}, call_id="c1")
    assert (await transport.expect_call("send_function_call_output")).args["output"] == "ada"
    assert (seen[0].call_id, seen[0].tool_name) == ("c1", "inspect_ctx")
    await settle(session)
    # The tool saw the call it answers; the history then has it answered.
    assert [(i.item_id, i.output) for i in seen[0].history] == [("item_c1", None)]
    assert [(i.item_id, i.output) for i in session.history] == [("item_c1", "ada")]


async def test_outputs_of_a_closed_connection_are_discarded(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    release = asyncio.Event()

    @tool
    async def slow() -> str:
        await release.wait()
        return "stale"

    session = await connect_session(RealtimeAgent("a", tools=[slow]))
    transport.emit_function_call("slow", {}, call_id="c1")
    await asyncio.sleep(0.01)
    transport.disconnect()
    await session.connect(api_key="sk-x")
    await transport.expect_call("connect")
    release.set()
    await settle(session)
    # The slow tool finished after its connection was replaced: its output is discarded.
    assert "send_function_call_output" not in [c.method for c in transport.calls]


async def test_function_outputs_complete_the_history_item(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    from realtime_agents.items import FunctionCallItem

    session = await connect_session(RealtimeAgent("a", tools=[get_weather]))
    transport.emit_item(
        FunctionCallItem(
            item_id="f1", name="get_weather", arguments='{"city": "Rome"}', call_id="c1"
        )
    )
    transport.emit_function_call("get_weather", {"city": "Rome"}, call_id="c1", item_id="f1")
    await transport.expect_call("send_function_call_output")
    await settle(session)
    (item,) = session.history
    assert (item.output, item.status) == ("sunny in Rome", "completed")  # type: ignore[union-attr]


# -- approvals -------------------------------------------------------------------------------


@tool(needs_approval=True)
def refund(amount: float) -> str:
    """Refund money."""
    return f"refunded {amount}"


async def request(
    session: RealtimeSession[Any], transport: ScriptedRealtimeTransport, call_id: str
) -> ToolApprovalItem:
    requests: list[Any] = []
    session.once("tool_approval_requested", requests.append)
    transport.emit_function_call("refund", {"amount": 5}, call_id=call_id)
    await settle(session)
    (event,) = requests
    assert event.tool is refund
    item: ToolApprovalItem = event.approval_item
    assert (item.call_id, item.tool_name, item.parsed_arguments) == (
        call_id,
        "refund",
        {"amount": 5},
    )
    return item


async def test_approval_parks_the_call_until_approved(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a", tools=[refund]))
    item = await request(session, transport, "c1")
    assert "send_function_call_output" not in [c.method for c in transport.calls]
    await session.approve(item)
    assert (await transport.expect_call("send_function_call_output")).args[
        "output"
    ] == "refunded 5.0"


@pytest.mark.parametrize(
    ("message", "formatter", "expected"),
    [
        ("Not today.", None, "Not today."),
        (
            None,
            lambda args: f"{args.kind}: {args.default_message}",
            "approval_rejected: Tool execution was not approved.",
        ),
        (None, None, "Tool execution was not approved."),
        (None, lambda args: 1 / 0, "Tool execution was not approved."),
    ],
)
async def test_rejection_messages(
    connect_session: Any,
    transport: ScriptedRealtimeTransport,
    message: str | None,
    formatter: Any,
    expected: str,
) -> None:
    session = await connect_session(
        RealtimeAgent("a", tools=[refund]), tool_error_formatter=formatter
    )
    item = await request(session, transport, "c1")
    await session.reject(item, message=message)
    call = await transport.expect_call("send_function_call_output")
    assert (call.args["output"], call.args["start_response"]) == (expected, True)


async def test_always_approve_and_always_reject_persist(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a", tools=[refund]))
    await session.approve(await request(session, transport, "c1"), always=True)
    await transport.expect_call("send_function_call_output")
    transport.emit_function_call("refund", {"amount": 1}, call_id="c2")
    assert (await transport.expect_call("send_function_call_output")).args[
        "output"
    ] == "refunded 1.0"
    session._tools._always.clear()
    await session.reject(await request(session, transport, "c3"), message="never", always=True)
    await transport.expect_call("send_function_call_output")
    transport.emit_function_call("refund", {"amount": 1}, call_id="c4")
    assert (await transport.expect_call("send_function_call_output")).args["output"] == "never"


async def test_approving_inside_the_event_handler(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a", tools=[refund]))

    async def approve(event: Any) -> None:
        await session.approve(event.approval_item)

    session.on("tool_approval_requested", approve)
    transport.emit_function_call("refund", {"amount": 2}, call_id="c1")
    assert (await transport.expect_call("send_function_call_output")).args[
        "output"
    ] == "refunded 2.0"


async def test_stale_and_mismatched_approvals(
    connect_session: Any, transport: ScriptedRealtimeTransport, caplog: pytest.LogCaptureFixture
) -> None:
    session = await connect_session(RealtimeAgent("a", tools=[refund]))
    item = await request(session, transport, "c1")
    forged = ToolApprovalItem(
        item.agent,
        item.tool,
        item.tool_call.__class__(name="refund", call_id="c1", arguments='{"amount": 500}'),
    )
    from realtime_agents.errors import UserError

    with pytest.raises(UserError, match="does not match"):
        await session.approve(forged)
    transport.disconnect()
    await session.connect(api_key="sk-x")
    await transport.expect_call("connect")
    await session.approve(item)  # from the previous connection: ignored
    await settle(session)
    assert "no pending approval" in caplog.text
    assert [c.method for c in transport.calls].count("send_function_call_output") == 0


# -- plugins ---------------------------------------------------------------------------------


class Observer:
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    @hookimpl
    def realtime_agents_tool_call_started(
        self, session: Any, agent: Any, tool_name: str, call_id: str, arguments: str
    ) -> None:
        self.seen.append(("started", (tool_name, call_id, json.loads(arguments))))

    @hookimpl
    def realtime_agents_tool_call_finished(
        self,
        session: Any,
        agent: Any,
        tool_name: str,
        call_id: str,
        output: str | None,
        error: BaseException | None,
    ) -> None:
        self.seen.append(("finished", (tool_name, call_id, output, error)))


async def test_plugin_hooks_see_tool_calls() -> None:
    observer = Observer()
    transport = ScriptedRealtimeTransport()
    session = RealtimeSession(
        RealtimeAgent("a", tools=[get_weather]),
        transport=transport,
        plugin_host=make_host(observer),
    )
    await session.connect()
    transport.emit_function_call("get_weather", {"city": "Lima"}, call_id="c1")
    await settle(session)
    assert observer.seen == [
        ("started", ("get_weather", "c1", {"city": "Lima"})),
        ("finished", ("get_weather", "c1", "sunny in Lima", None)),
    ]
    await session.close()


async def test_needs_approval_may_be_a_function_of_the_arguments(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @tool(needs_approval=lambda ctx, arguments, call_id: arguments["amount"] > 100)
    def pay(amount: float) -> str:
        return f"paid {amount}"

    session = await connect_session(RealtimeAgent("a", tools=[pay]))
    requests = Recorder(session, ("tool_approval_requested",))
    transport.emit_function_call("pay", {"amount": 5}, call_id="c1")
    assert (await transport.expect_call("send_function_call_output")).args["output"] == "paid 5.0"
    transport.emit_function_call("pay", {"amount": 500}, call_id="c2")
    await settle(session)
    (event,) = requests.of("tool_approval_requested")
    assert event.approval_item.call_id == "c2"
