"""The lifecycle half of the transport contract: it holds for every transport, peer or not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from contract_harness import CANCELLABLE_CONNECT, TransportHarness

from realtime_agents.errors import ConnectionClosedError, RealtimeAgentsError, UserError
from realtime_agents.events import ConnectionStatus, ErrorEvent
from realtime_agents.transport import RealtimeTransportLayer


def statuses(transport: RealtimeTransportLayer) -> list[str]:
    seen: list[str] = []
    transport.on("connection_change", lambda event: seen.append(event.status.value))
    return seen


def leaked_tasks(harness: TransportHarness, before: set[asyncio.Task[Any]]) -> list[Any]:
    return [
        task
        for task in asyncio.all_tasks() - before
        if not task.done() and task is not asyncio.current_task() and not harness.is_peer_task(task)
    ]


async def test_connect_then_close_publishes_each_status_once(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    assert transport.status is ConnectionStatus.DISCONNECTED
    seen = statuses(transport)
    await transport.connect(harness.connect_options())
    assert transport.status is ConnectionStatus.CONNECTED
    assert transport.status == "connected"  # docs compare with strings
    await transport.close()
    assert transport.status is ConnectionStatus.DISCONNECTED
    await transport.close()  # idempotent
    assert seen == ["connecting", "connected", "disconnecting", "disconnected"]


async def test_second_connect_while_connected_is_a_user_error(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    await transport.connect(harness.connect_options())
    with pytest.raises(UserError):
        await transport.connect(harness.connect_options())
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.close()


async def test_a_closed_transport_connects_again(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    for _ in range(3):
        await transport.connect(harness.connect_options())
        await transport.close()
    assert transport.status is ConnectionStatus.DISCONNECTED


async def test_calls_while_disconnected(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    await transport.send_audio(b"\x00\x00" * 240)  # microphones keep going: dropped, no error
    with pytest.raises(ConnectionClosedError):
        await transport.send_message("hello")
    with pytest.raises(ConnectionClosedError):
        await transport.send_event({"type": "response.create"})
    with pytest.raises(ConnectionClosedError):
        await transport.update_session_config({"instructions": "x"})
    with pytest.raises(ConnectionClosedError):
        await transport.add_image("data:image/png;base64,AAAA")
    assert issubclass(ConnectionClosedError, RealtimeAgentsError)


async def test_mute_contract(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    await transport.connect(harness.connect_options())
    if transport.muted is None:
        with pytest.raises(UserError, match=r"[Mm]ute"):
            await transport.mute(True)
        assert transport.muted is None
    else:
        await transport.mute(True)
        assert transport.muted is True
        await transport.mute(False)
        assert transport.muted is False
    await transport.close()


async def test_handler_exceptions_become_error_events(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    errors: list[ErrorEvent] = []
    transport.on("error", errors.append)

    def broken(event: object) -> None:
        raise RuntimeError("a listener's bug")

    async def broken_async(event: object) -> None:
        raise RuntimeError("an async listener's bug")

    transport.on("connection_change", broken)
    transport.on("connection_change", broken_async)
    await transport.connect(harness.connect_options())  # not broken by its listeners
    assert transport.status is ConnectionStatus.CONNECTED
    await asyncio.sleep(0.01)
    texts = [str(e.error) for e in errors]
    assert any("a listener's bug" in t for t in texts)
    assert any("an async listener's bug" in t for t in texts)
    await transport.close()


async def test_close_leaves_no_task_behind(harness: TransportHarness) -> None:
    await harness.start()
    before = asyncio.all_tasks()
    transport = harness.new_transport()

    async def slow_handler(event: object) -> None:
        await asyncio.sleep(3600)  # a coroutine handler still running at close

    transport.on("connection_change", slow_handler)
    await transport.connect(harness.connect_options())
    await transport.close()
    await asyncio.sleep(0.05)
    assert leaked_tasks(harness, before) == []


@pytest.mark.contract(CANCELLABLE_CONNECT)
async def test_close_during_connect_fails_that_connect(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    seen = statuses(transport)
    never = asyncio.Event()

    async def pending_key() -> str:
        await never.wait()
        return "unreachable"

    connecting = asyncio.create_task(
        transport.connect(harness.connect_options(api_key=pending_key))
    )
    await asyncio.sleep(0.02)
    await asyncio.wait_for(transport.close(), 5)
    with pytest.raises(RealtimeAgentsError):
        await asyncio.wait_for(connecting, 5)
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert seen[-1:] in ([], ["disconnected"])
    await transport.connect(harness.connect_options())  # still usable
    await transport.close()
