"""OpenAIRealtimeSIP: attach by call_id, events only, no formats, track-mode interrupt, and the
accept body built from the agent. Real sockets on 127.0.0.1 (a websockets server playing the
call's event socket, an aiohttp server playing the Calls API)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from openai import AsyncOpenAI
from websockets.asyncio.server import ServerConnection, serve

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.errors import UserError
from realtime_agents.events import ConnectionStatus
from realtime_agents_sip import OpenAIRealtimeSIP, accept_call

KEY = "sk-sip-test-0123456789abcdef"


@tool
def lookup_order(order_id: str) -> str:
    """Look an order up."""
    return f"order {order_id}: shipped"


AGENT = RealtimeAgent(name="Phone", instructions="Greet the caller.", tools=[lookup_order])


class CallSocket:
    """The call's event socket: records client events, answers like the server."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.received: list[dict[str, Any]] = []
        self.connection: ServerConnection | None = None
        self._arrived = asyncio.Event()

    async def handler(self, ws: ServerConnection) -> None:
        self.connection = ws
        assert ws.request is not None
        self.paths.append(ws.request.path)
        await ws.send(json.dumps({"type": "session.created", "session": {"type": "realtime"}}))
        async for message in ws:
            event = json.loads(message)
            self.received.append(event)
            self._arrived.set()
            if event["type"] == "session.update":
                session = {"type": "realtime", **event["session"]}
                await ws.send(json.dumps({"type": "session.updated", "session": session}))

    def types(self) -> list[str]:
        return [event["type"] for event in self.received]

    async def next_of(self, kind: str) -> dict[str, Any]:
        """The first client event of ``kind`` (waiting for it, at most 2 s)."""
        async with asyncio.timeout(2):
            while kind not in self.types():
                self._arrived.clear()
                await self._arrived.wait()
        return self.received[self.types().index(kind)]


@pytest.fixture
async def call_socket() -> AsyncIterator[tuple[CallSocket, str]]:
    peer = CallSocket()
    async with serve(peer.handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield peer, f"ws://127.0.0.1:{port}/v1/realtime"


async def test_connect_needs_a_call_id() -> None:
    transport = OpenAIRealtimeSIP()
    with pytest.raises(UserError, match=r"needs call_id=\.\.\."):
        await transport.connect(api_key=KEY)
    assert transport.status is ConnectionStatus.DISCONNECTED


async def test_attaches_by_call_id_and_never_sends_audio_formats(
    call_socket: tuple[CallSocket, str],
) -> None:
    peer, url = call_socket
    session = RealtimeSession(AGENT, transport=OpenAIRealtimeSIP(url=url))
    await session.connect(KEY, call_id="rtc_abc123")
    assert peer.paths == ["/v1/realtime?call_id=rtc_abc123"]  # no model: the call has one
    update = await peer.next_of("session.update")
    assert "format" not in update["session"]["audio"]["input"]
    assert "format" not in update["session"]["audio"]["output"]
    assert update["session"]["tools"][0]["name"] == "lookup_order"
    with pytest.raises(UserError, match="audio flows in the SIP call"):
        await session.transport.send_audio(b"\x00\x00")
    await session.close()


async def test_interrupt_cancels_and_clears_but_never_truncates(
    call_socket: tuple[CallSocket, str],
) -> None:
    peer, url = call_socket
    transport = OpenAIRealtimeSIP(url=url)
    interrupted: list[Any] = []
    transport.on("audio_interrupted", interrupted.append)
    await transport.connect(api_key=KEY, call_id="rtc_1")
    assert peer.connection is not None
    for event in (
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
        {"type": "output_audio_buffer.started", "response_id": "resp_1"},
    ):
        await peer.connection.send(json.dumps(event))
    await transport.wait_for("output_audio_buffer.started", timeout=2)
    await transport.interrupt()
    await peer.next_of("output_audio_buffer.clear")
    sent = peer.types()
    assert sent[sent.index("response.cancel") + 1] == "output_audio_buffer.clear"
    assert "conversation.item.truncate" not in sent
    assert len(interrupted) == 1
    await transport.close()


async def test_build_initial_config_is_what_the_session_sends_without_formats() -> None:
    options = {"model": "gpt-realtime", "config": {"audio": {"output": {"voice": "marin"}}}}
    payload = await OpenAIRealtimeSIP.build_initial_config(AGENT, options)
    assert payload["type"] == "realtime"
    assert payload["model"] == "gpt-realtime"
    assert payload["instructions"] == "Greet the caller."
    assert payload["audio"]["output"]["voice"] == "marin"
    assert [t["name"] for t in payload["tools"]] == ["lookup_order"]
    assert "format" not in payload["audio"]["input"]
    assert "format" not in payload["audio"]["output"]
    session = RealtimeSession(AGENT, transport=OpenAIRealtimeSIP(), **options)
    assert await session.get_initial_session_payload() == payload


@pytest.mark.parametrize(
    "detection",
    [
        {"type": "server_vad", "threshold": 0.6},
        {"type": "server_vad", "prefixPaddingMs": 300},
        {"type": "server_vad", "silence_duration_ms": 500},
        {"type": "server_vad", "silenceDurationMs": 500},
    ],
)
async def test_build_initial_config_refuses_what_calls_accept_refuses(
    detection: dict[str, Any],
) -> None:
    config = {"audio": {"input": {"turn_detection": detection}}}
    with pytest.raises(UserError, match=r"calls\.accept refuses turn_detection fields"):
        await OpenAIRealtimeSIP.build_initial_config(AGENT, {"config": config})
    with pytest.raises(UserError, match="must not name a transport"):
        await OpenAIRealtimeSIP.build_initial_config(AGENT, {"transport": "websocket"})


@pytest.fixture
async def calls_api() -> AsyncIterator[tuple[list[tuple[str, Any]], str]]:
    """The Calls API's accept endpoint: records bodies; call ``gone`` answers 404."""
    seen: list[tuple[str, Any]] = []

    async def accept(request: web.Request) -> web.Response:
        call_id = request.match_info["call_id"]
        seen.append((call_id, await request.json()))
        if call_id == "gone":
            body = {"error": {"message": "call not found", "type": "invalid_request_error"}}
            return web.json_response(body, status=404)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/v1/realtime/calls/{call_id}/accept", accept)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield seen, f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


async def test_accept_call_sends_the_built_config_and_takes_a_gone_call_calmly(
    calls_api: tuple[list[tuple[str, Any]], str],
) -> None:
    seen, base_url = calls_api
    client = AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    payload = await accept_call(client, "rtc_ok", AGENT, session_options={"model": "gpt-realtime"})
    assert payload is not None
    assert seen == [("rtc_ok", payload)]
    assert await accept_call(client, "gone", AGENT) is None
    await client.close()


async def test_from_client_reaches_the_api_the_client_reaches(
    call_socket: tuple[CallSocket, str],
) -> None:
    peer, url = call_socket
    base = url.replace("ws://", "http://").removesuffix("/realtime")  # http://…/v1
    client = AsyncOpenAI(api_key=KEY, base_url=base)
    transport = OpenAIRealtimeSIP.from_client(client, ping_interval=None)
    await transport.connect(call_id="rtc_from_client")  # the client's key, the client's host
    assert peer.paths == ["/v1/realtime?call_id=rtc_from_client"]
    assert KEY not in repr(transport)
    await transport.close()
    await client.close()
