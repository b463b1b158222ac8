"""The Cloudflare transport's scenarios, one file for every runtime they run in.

Plain ``async def`` functions with plain asserts and no pytest, so the very same file runs

1. in CPython under pytest (``test_cf_cpython.py``), ``fetch`` being :mod:`cf_fetch`;
2. in Pyodide under Node, ``js.fetch`` being the workerd-semantics shim (``js/shim.mjs``);
3. in Pyodide inside real workerd, ``js.fetch`` being workerd's own (``js/worker.mjs``).

Each takes an ``env`` from its runner: ``url`` (the emulator's Realtime URL with a model),
``bad_url`` (an address of the emulator that answers with 404 instead of an upgrade),
``fetch`` (None: the transport's default, the runtime's ``js.fetch``), ``compat`` (the
workerd compatibility date imitated), ``listeners()`` (event listeners still registered on
the newest socket) and ``close_socket()`` (close the newest socket behind the channel's back).
The emulator is a real one on loopback, started by the pytest test that drives the runner.
"""

from __future__ import annotations

import asyncio
from typing import Any

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.driver import ChannelRequest
from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError
from realtime_agents.tools import FunctionTool
from realtime_agents_cloudflare import CloudflareRealtimeTransportLayer
from realtime_agents_cloudflare._channel import FetchChannel

KEY = "sk-test-cloudflare-0123456789"
TIMEOUT = 10.0


def _transport(env: Any, url: str | None = None) -> CloudflareRealtimeTransportLayer:
    return CloudflareRealtimeTransportLayer(url=url or env.url, fetch=env.fetch, api_key=KEY)


async def _closed(transport: CloudflareRealtimeTransportLayer) -> None:
    await transport.close()
    await asyncio.sleep(0.05)  # the proxies are released on the next loop turn


async def session_created(env: Any) -> None:
    transport = _transport(env)
    created: list[Any] = []
    transport.on("session.created", created.append)
    await transport.connect()
    try:
        assert transport.status.value == "connected"
        assert len(created) == 1
        assert created[0].data["session"]["type"] == "realtime"
        assert env.listeners() == 3  # message, close, error
    finally:
        await _closed(transport)
    assert transport.status.value == "disconnected"
    assert env.listeners() == 0  # every proxy removed (and destroyed)


async def text_turn(env: Any) -> None:
    transport = _transport(env)
    said: list[str] = []
    transport.on("audio_transcript_delta", lambda event: said.append(event.delta))
    transport.on("output_text_delta", lambda event: said.append(event.delta))
    await transport.connect()
    try:
        await transport.send_message("Hello from a Worker")
        done = await transport.wait_for("turn_done", timeout=TIMEOUT)
        assert done.response.status == "completed"
        assert "Hello from a Worker" in "".join(said)
    finally:
        await _closed(transport)


async def _lookup(ctx: Any, arguments: dict[str, Any]) -> str:
    return f"order {arguments['order_id']} shipped"


async def tool_call(env: Any) -> None:
    # An explicit JSON schema: building a tool from annotations would import pydantic, which
    # the Pyodide runtimes here do not have offline.
    lookup = FunctionTool(
        name="lookup",
        description="Look an order up.",
        params_json_schema={
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
            "additionalProperties": False,
        },
        on_invoke=_lookup,
    )
    agent = RealtimeAgent(name="Shop", instructions="Look orders up.", tools=[lookup])
    session = RealtimeSession(agent, transport=_transport(env))
    async with session:
        await session.connect()
        tool_ended = session.wait_for("agent_tool_end", timeout=TIMEOUT)
        replied = session.wait_for(
            "agent_end", lambda event: "tool returned" in event.output_text, timeout=TIMEOUT
        )
        await session.send_message('Please lookup {"order_id": "A7"}')
        assert (await tool_ended).output == "order A7 shipped"
        assert "order A7 shipped" in (await replied).output_text


async def refused_upgrade(env: Any) -> None:
    transport = _transport(env, env.bad_url)
    try:
        await transport.connect()
    except ConnectionFailedError as exc:
        message = str(exc)
    else:
        raise AssertionError("connect() succeeded against an address that refuses upgrades")
    assert message.startswith("Failed to upgrade websocket: 404 "), message
    assert "Invalid URL (GET /nowhere)" in message  # the body, read from the response
    assert KEY not in message
    assert transport.status.value == "disconnected"


async def _turn(transport: CloudflareRealtimeTransportLayer) -> None:
    await transport.send_message("Hello")
    await transport.wait_for("turn_done", timeout=TIMEOUT)


async def _events_in_a_turn(env: Any) -> int:
    """How many server events a connection with one turn gets (the emulator is deterministic)."""
    transport = _transport(env)
    seen: list[Any] = []
    transport.on("*", seen.append)
    await transport.connect()
    await _turn(transport)
    await asyncio.sleep(0.2)  # the events that follow response.done (rate limits)
    await _closed(transport)
    return len(seen)


async def _closed_by_peer(env: Any, code: int) -> list[Any]:
    """The error events of a connection the server closes with ``code`` once a turn is over.

    The close comes while nothing is being sent: in real workerd a close racing with our own
    sends can arrive as an ``error`` event alone ("Network connection lost."), which the
    channel then reports as a lost connection.
    """
    count = await _events_in_a_turn(env)
    transport = _transport(env, env.url + f"&fault=close_after:{count}:{code}")
    errors: list[Any] = []
    transport.on("error", errors.append)
    gone = asyncio.ensure_future(
        transport.wait_for(
            "connection_change", lambda e: e.status.value == "disconnected", timeout=TIMEOUT
        )
    )
    await asyncio.sleep(0)  # let wait_for subscribe before anything can happen
    await transport.connect()
    await _turn(transport)
    await gone
    await asyncio.sleep(0.05)  # room for a late error event to arrive
    assert env.listeners() == 0
    return errors


async def peer_closes_normally(env: Any) -> None:
    # From 2026-11-01 workerd follows a close with an ``error`` event: it must stay noise.
    errors = await _closed_by_peer(env, 1000)
    assert [str(e.error) for e in errors] == []


async def peer_closes_with_error(env: Any) -> None:
    errors = await _closed_by_peer(env, 1011)
    assert [type(e.error) for e in errors] == [ConnectionClosedError], errors
    assert "fault injection (close code 1011)" in str(errors[0].error), str(errors[0].error)


async def peer_closes_while_we_send(env: Any) -> None:
    # The close follows the server's answer to our message while our response.create may be
    # on its way: real workerd then reports the close (1011), a 1006 close ("WebSocket
    # disconnected without sending Close frame.") or a bare error event, depending on timing.
    # Whichever: one error, disconnected, nothing left behind.
    transport = _transport(env, env.url + "&fault=close_after:3:1011")
    errors: list[Any] = []
    transport.on("error", errors.append)
    gone = asyncio.ensure_future(
        transport.wait_for(
            "connection_change", lambda e: e.status.value == "disconnected", timeout=TIMEOUT
        )
    )
    await asyncio.sleep(0)
    await transport.connect()
    await transport.send_message("Hello")
    await gone
    await asyncio.sleep(0.05)
    assert [type(e.error) for e in errors] == [ConnectionClosedError], errors
    assert env.listeners() == 0


async def write_after_socket_closed(env: Any) -> None:
    # The socket can close before its close event reaches us; send() then throws from
    # 2026-11-01. The channel answers with our own error, never the runtime's TypeError, and
    # never lets it escape into the runtime's event dispatch (the runner counts those).
    def answer(channel: FetchChannel, frame: Any) -> None:
        channel.write(['{"type": "input_audio_buffer.clear"}'])  # as the driver answers frames

    channel = FetchChannel(env.fetch or _default_fetch(), answer, lambda c, i: None, 5.0)
    await channel.open(
        ChannelRequest(url=env.url, headers={"Authorization": f"Bearer {KEY}"}, api_key=KEY)
    )
    assert channel.subprotocol == "realtime"
    env.close_socket()  # before session.created is dispatched: answering it must fail quietly
    await asyncio.sleep(0.1)  # the frames that were on their way are dispatched
    try:
        async with asyncio.timeout(TIMEOUT):
            while True:
                channel.write(['{"type": "input_audio_buffer.clear"}'])
                await asyncio.sleep(0.01)
    except ConnectionClosedError:
        pass
    finally:
        await channel.aclose()
    assert not channel.is_open


def _default_fetch() -> Any:
    import js  # type: ignore[import-not-found]

    return js.fetch


#: Every scenario, in the order the runners run them.
CASES = {
    case.__name__: case
    for case in (
        session_created,
        text_turn,
        tool_call,
        refused_upgrade,
        peer_closes_normally,
        peer_closes_with_error,
        peer_closes_while_we_send,
        write_after_socket_closed,
    )
}
