"""Issue 9's WebSocket regressions: oversized frames, dead peers, close under backpressure,
and connection errors that say where they tried. Both backends, real sockets."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from websockets.asyncio.server import ServerConnection
from ws_helpers import KEY, Recorder, assert_no_tasks_left, our_pending_tasks
from ws_peers import raw_server, ws_server

from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError
from realtime_agents.events import ConnectionStatus
from realtime_agents_websocket import OpenAIRealtimeWebSocket

BACKENDS = ["sansio", "websockets"]
CREATED = '{"type":"session.created","event_id":"e1","session":{"type":"realtime"}}'


def websockets_keepalive_tasks() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and "keepalive" in repr(task.get_coro())
    ]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_frame_over_max_size_is_reported_as_message_too_big(backend: str) -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send(CREATED)
        await ws.send(json.dumps({"type": "rate_limits.updated", "pad": "a" * 5000}))
        await ws.wait_closed()

    async with ws_server(handler) as url:
        transport = OpenAIRealtimeWebSocket(url=url, backend=backend, max_size=1000)
        rec = Recorder(transport, ["error", "connection_change"])
        await transport.connect(api_key=KEY)
        await rec.wait_for("connection_change", lambda e: e.status == "disconnected")
        (error,) = rec.of("error")
        assert isinstance(error.error, ConnectionClosedError)
        message = str(error.error)
        assert "message too big" in message
        assert "(close code 1009)" in message
        assert "max_size" in message
        await transport.close()
        await assert_no_tasks_left()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_dead_peer_is_detected_after_ping_interval_plus_timeout(backend: str) -> None:
    # The peer completes the handshake, then neither reads nor answers pings. With a
    # close_timeout far longer than the wait below, detection cannot have waited for a
    # closing handshake (websockets' own keepalive did: interval + timeout + close_timeout).
    async with raw_server() as (url, peers):
        transport = OpenAIRealtimeWebSocket(
            url=url, backend=backend, ping_interval=0.2, ping_timeout=0.2, close_timeout=60
        )
        rec = Recorder(transport, ["error", "connection_change"])
        connecting = asyncio.create_task(transport.connect(api_key=KEY))
        peer = await peers.get()
        await peer.accept()
        peer.send_frame(0x1, CREATED.encode())
        await connecting
        await rec.wait_for("connection_change", lambda e: e.status == "disconnected", timeout=3)
        (error,) = rec.of("error")
        assert "keepalive ping" in str(error.error)
        await asyncio.wait_for(transport.close(), 3)
        await assert_no_tasks_left()
        assert websockets_keepalive_tasks() == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_close_while_a_send_is_blocked_on_backpressure(backend: str) -> None:
    async with raw_server() as (url, peers):
        transport = OpenAIRealtimeWebSocket(
            url=url, backend=backend, ping_interval=None, close_timeout=0.3
        )
        connecting = asyncio.create_task(transport.connect(api_key=KEY))
        peer = await peers.get()
        await peer.accept()
        peer.send_frame(0x1, CREATED.encode())
        await connecting
        chunk = bytes(256 * 1024)
        progress = 0

        async def flood() -> None:
            nonlocal progress
            while transport.status is ConnectionStatus.CONNECTED:
                await transport.send_audio(chunk)  # audio after close is dropped, not raised
                progress += 1

        sender = asyncio.create_task(flood())
        while True:  # until the peer's buffers are full and a send waits
            before = progress
            await asyncio.sleep(0.2)
            if progress == before:
                break
        assert not sender.done()
        await asyncio.wait_for(transport.close(), 3)
        assert transport.status is ConnectionStatus.DISCONNECTED
        # The socket is really gone: the peer reads everything buffered, then EOF.
        async with asyncio.timeout(10):
            while await peer.reader.read(1 << 20):
                pass
        await asyncio.wait_for(sender, 1)  # the blocked send was released
        await assert_no_tasks_left()
        assert websockets_keepalive_tasks() == []
        assert our_pending_tasks() == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_refused_connection_names_the_host_and_port(backend: str) -> None:
    port = _closed_port()
    transport = OpenAIRealtimeWebSocket(url=f"ws://127.0.0.1:{port}/v1/realtime", backend=backend)
    with pytest.raises(ConnectionFailedError, match=f"could not connect to 127.0.0.1:{port}"):
        await transport.connect(api_key=KEY)
    assert transport.status is ConnectionStatus.DISCONNECTED


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_open_timeout_names_the_host_and_port(backend: str) -> None:
    async with raw_server() as (url, peers):  # accepts TCP, never answers the handshake
        transport = OpenAIRealtimeWebSocket(url=url, backend=backend, open_timeout=0.3)
        port = url.split(":")[2].split("/")[0]
        with pytest.raises(ConnectionFailedError, match=f"timed out .* to 127.0.0.1:{port}"):
            await transport.connect(api_key=KEY)
        assert not peers.empty()


def _chain(error: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    pending = [error]
    while pending:
        link = pending.pop()
        if link is not None and not any(link is s for s in seen):
            seen.append(link)
            pending += [link.__cause__, link.__context__]
    return seen


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_refused_handshake_quoting_the_key_leaks_it_nowhere_in_the_chain(
    backend: str,
) -> None:
    key = "plain-secret-no-known-prefix-9876543210"

    def refuse(connection: ServerConnection, request: object) -> object:
        auth = request.headers["Authorization"]  # type: ignore[attr-defined]
        return connection.respond(401, f"rejected: {auth}\n")

    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with ws_server(handler, process_request=refuse) as url:
        transport = OpenAIRealtimeWebSocket(url=url, backend=backend)
        with pytest.raises(ConnectionFailedError) as caught:
            await transport.connect(api_key=key)
    chain = _chain(caught.value)
    assert "HTTP 401" in str(caught.value)
    for link in chain:
        assert key not in repr(link)
        assert key not in str(link)
        assert key not in repr(getattr(link, "args", ()))
