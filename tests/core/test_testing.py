"""The scripted transport that ships in realtime_agents.testing."""

from __future__ import annotations

import asyncio

import pytest

from realtime_agents.errors import ConnectionClosedError, UserError
from realtime_agents.events import (
    ConnectionChangeEvent,
    ConnectionStatus,
    ErrorEvent,
    FunctionCallEvent,
    TurnDoneEvent,
    Usage,
)
from realtime_agents.testing import (
    IncompleteRealtimeScenarioError,
    RealtimeCallMatcherError,
    RealtimeTransportNotClosedError,
    ScenarioContext,
    ScriptedRealtimeTransport,
    UnexpectedRealtimeCallError,
)
from realtime_agents.transport import ConnectOptions


async def connected(**kwargs: object) -> ScriptedRealtimeTransport:
    transport = ScriptedRealtimeTransport(**kwargs)  # type: ignore[arg-type]
    await transport.connect(ConnectOptions(api_key="sk-secret"))
    await transport.expect_call("connect")
    return transport


async def test_connect_records_options_without_the_key() -> None:
    transport = ScriptedRealtimeTransport()
    statuses: list[ConnectionStatus] = []
    transport.on("connection_change", lambda e: statuses.append(e.status))
    await transport.connect(ConnectOptions(api_key=lambda: "sk-secret", model="gpt-realtime"))
    call = await transport.expect_call("connect")
    assert call.args["api_key_provided"] is True
    assert call.args["model"] == "gpt-realtime"
    assert "sk-secret" not in repr(call)
    assert statuses == ["connecting", "connected"]


async def test_connect_twice_is_rejected() -> None:
    transport = await connected()
    with pytest.raises(UserError, match="already"):
        await transport.connect(ConnectOptions(api_key="k"))


async def test_calls_are_expected_in_order_with_matchers() -> None:
    transport = await connected()
    await transport.send_message("hello")
    await transport.send_audio(b"\x00\x01", commit=True)
    call = await transport.expect_call("send_message", lambda c: c.args["message"] == "hello")
    assert call.args["trigger_response"] is True
    audio = await transport.expect_call("send_audio")
    assert audio.args == {"audio": b"\x00\x01", "commit": True}
    transport.assert_complete()


async def test_wrong_method_raises_for_both_sides() -> None:
    transport = await connected()
    waiter = asyncio.create_task(transport.expect_call("interrupt"))
    await asyncio.sleep(0)
    with pytest.raises(UnexpectedRealtimeCallError) as info:
        await transport.send_message("hi")
    assert (info.value.expected_method, info.value.actual_method) == ("interrupt", "send_message")
    with pytest.raises(UnexpectedRealtimeCallError):
        await waiter


async def test_matcher_rejection() -> None:
    transport = await connected()
    await transport.send_message("hi")
    with pytest.raises(RealtimeCallMatcherError, match="send_message"):
        await transport.expect_call("send_message", lambda c: False)


async def test_expectation_times_out_instead_of_hanging() -> None:
    transport = await connected(timeout=0.01)
    with pytest.raises(IncompleteRealtimeScenarioError, match="never met: interrupt"):
        await transport.expect_call("interrupt")


async def test_assert_complete_reports_unconsumed_calls() -> None:
    transport = await connected()
    await transport.interrupt()
    with pytest.raises(IncompleteRealtimeScenarioError, match="unexpected calls: interrupt"):
        transport.assert_complete()


async def test_fail_next_call_injects_one_failure() -> None:
    transport = await connected()
    transport.fail_next_call("send_message", RuntimeError("injected"))
    with pytest.raises(RuntimeError, match="injected"):
        await transport.send_message("a")
    await transport.send_message("b")
    assert [c.args["message"] for c in transport.calls if c.method == "send_message"] == ["a", "b"]


async def test_failed_connect_leaves_it_disconnected_and_retryable() -> None:
    transport = ScriptedRealtimeTransport()
    transport.fail_next_call("connect", ConnectionError("refused"))
    with pytest.raises(ConnectionError):
        await transport.connect(ConnectOptions(api_key="k"))
    assert transport.status is ConnectionStatus.DISCONNECTED
    await transport.connect(ConnectOptions(api_key="k"))
    assert transport.status is ConnectionStatus.CONNECTED


async def test_sends_need_a_connection_but_audio_is_dropped_silently() -> None:
    transport = ScriptedRealtimeTransport()
    await transport.send_audio(b"\x00")
    with pytest.raises(ConnectionClosedError):
        await transport.send_message("hi")
    assert transport.calls == []


async def test_mute_unsupported_by_default_and_supported_on_request() -> None:
    plain = await connected()
    assert plain.muted is None
    with pytest.raises(UserError, match="Mute is not supported"):
        await plain.mute(True)
    muting = await connected(supports_mute=True)
    await muting.mute(True)
    assert muting.muted is True


async def test_disconnect_emits_error_then_status() -> None:
    transport = await connected()
    seen: list[object] = []
    transport.on("error", seen.append)
    transport.on("connection_change", seen.append)
    transport.disconnect(ConnectionResetError("gone"))
    assert isinstance(seen[0], ErrorEvent)
    assert seen[1] == ConnectionChangeEvent(ConnectionStatus.DISCONNECTED)
    transport.assert_closed()


async def test_close_is_idempotent_and_assert_closed() -> None:
    transport = await connected()
    with pytest.raises(RealtimeTransportNotClosedError):
        transport.assert_closed()
    await transport.close()
    await transport.close()
    transport.assert_closed()


async def test_emit_helpers_publish_contract_events() -> None:
    transport = await connected()
    seen: list[tuple[str, object]] = []
    for name in ("function_call", "turn_started", "usage_update", "turn_done"):
        transport.on(name, lambda e, n=name: seen.append((n, e)))
    call = transport.emit_function_call("weather", {"city": "Oslo"}, call_id="c1")
    rid = transport.emit_turn_started()
    transport.emit_turn_done(rid, usage=Usage(input_tokens=1, output_tokens=2, total_tokens=3))
    assert isinstance(call, FunctionCallEvent)
    assert call.arguments == '{"city": "Oslo"}'
    assert [n for n, _ in seen] == ["function_call", "turn_started", "usage_update", "turn_done"]
    done = seen[-1][1]
    assert isinstance(done, TurnDoneEvent)
    assert done.response.id == rid == "resp_1"
    assert done.response.usage.total_tokens == 3


async def test_run_scenario_runs_both_sides_and_checks_completeness() -> None:
    transport = ScriptedRealtimeTransport()

    async def scenario(ctx: ScenarioContext) -> None:
        await ctx.expect_call("connect")
        ctx.emit("turn_started", None)
        await ctx.expect_call("send_message")

    async def exercise() -> None:
        await transport.connect(ConnectOptions(api_key="k"))
        await transport.send_message("hi")

    await transport.run_scenario(scenario, exercise)


async def test_run_scenario_fails_on_leftover_calls() -> None:
    transport = ScriptedRealtimeTransport()

    async def scenario(ctx: ScenarioContext) -> None:
        await ctx.expect_call("connect")

    async def exercise() -> None:
        await transport.connect(ConnectOptions(api_key="k"))
        await transport.interrupt()

    with pytest.raises(IncompleteRealtimeScenarioError, match="interrupt"):
        await transport.run_scenario(scenario, exercise)


async def test_close_while_resolving_the_key_fails_that_connect() -> None:
    transport = ScriptedRealtimeTransport()
    never = asyncio.Event()

    async def pending_key() -> str:
        await never.wait()
        return "unreachable"

    connecting = asyncio.create_task(transport.connect(ConnectOptions(api_key=pending_key)))
    await asyncio.sleep(0)
    assert transport.status is ConnectionStatus.CONNECTING
    await transport.close()
    never.set()
    with pytest.raises(ConnectionClosedError, match="closed while connecting"):
        await connecting
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert [c.method for c in transport.calls] == ["close"]
