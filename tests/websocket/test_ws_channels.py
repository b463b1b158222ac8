"""Both channels (sans-I/O and websockets-asyncio) against real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import pytest
from websockets.asyncio.server import ServerConnection
from ws_peers import GUID, raw_server, ws_server

from realtime_agents.driver import Channel, CloseInfo
from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError
from realtime_agents_websocket._channel import ChannelSettings, WebSocketRequest
from realtime_agents_websocket._errors import map_websockets_exceptions
from realtime_agents_websocket._sansio import SansIOChannel
from realtime_agents_websocket._socket import SocketChannel

KINDS = ["sansio", "websockets"]


class Recorder:
    def __init__(self) -> None:
        self.frames: list[str | bytes] = []
        self.closes: list[CloseInfo] = []
        self._changed = asyncio.Event()

    def on_frame(self, channel: Channel, data: str | bytes) -> None:
        self.frames.append(data)
        self._changed.set()

    def on_close(self, channel: Channel, info: CloseInfo) -> None:
        self.closes.append(info)
        self._changed.set()

    async def until(self, predicate, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


def make(kind: str, rec: Recorder, **settings) -> Channel:
    cfg = ChannelSettings(**settings)
    if kind == "sansio":
        return SansIOChannel(cfg, rec.on_frame, rec.on_close)
    return SocketChannel(cfg, rec.on_frame, rec.on_close)


async def open_channel(channel: Channel, url: str, **request) -> None:
    with map_websockets_exceptions(connecting=True, secret=request.get("api_key")):
        await channel.open(WebSocketRequest(url=url, **request))


@pytest.mark.parametrize("kind", KINDS)
async def test_round_trip_headers_order_and_sizes(kind: str) -> None:
    seen: dict[str, object] = {}

    async def echo(ws: ServerConnection) -> None:
        seen["auth"] = ws.request.headers.get("Authorization")
        seen["subprotocol"] = ws.subprotocol
        async for message in ws:
            await ws.send(message)

    rec = Recorder()
    async with ws_server(echo, select_subprotocol=lambda ws, offered: "realtime") as url:
        channel = make(kind, rec)
        await open_channel(
            channel,
            url,
            headers={"Authorization": "Bearer sk-test"},
            subprotocols=("realtime",),
        )
        assert channel.subprotocol == "realtime"
        big = json.dumps({"type": "big", "audio": "A" * (3 * 1024 * 1024)})
        frames = [json.dumps({"n": i}) for i in range(200)] + [big]
        channel.write(frames[:100])
        channel.write(frames[100:])
        await channel.drain()
        await rec.until(lambda: len(rec.frames) == len(frames))
        assert rec.frames == frames
        await channel.aclose()
    assert seen == {"auth": "Bearer sk-test", "subprotocol": "realtime"}
    assert rec.closes == []  # a close we asked for is not reported
    assert not channel.is_open
    with pytest.raises(ConnectionClosedError):
        channel.write(["{}"])


@pytest.mark.parametrize("kind", KINDS)
async def test_fragmented_and_binary_messages(kind: str) -> None:
    async def send_some(ws: ServerConnection) -> None:
        await ws.send(['{"a":', " 1}"])  # one text message in two fragments
        await ws.send(b"\x00\x01")
        await ws.send("é")
        await ws.wait_closed()

    rec = Recorder()
    async with ws_server(send_some) as url:
        channel = make(kind, rec)
        await open_channel(channel, url)
        await rec.until(lambda: len(rec.frames) == 3)
        await channel.aclose()
    assert rec.frames == ['{"a": 1}', b"\x00\x01", "é"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("code", "reason"), [(1000, "bye"), (3000, "invalid_api_key"), (4000, "")])
async def test_server_close_is_reported_once(kind: str, code: int, reason: str) -> None:
    async def close_now(ws: ServerConnection) -> None:
        await ws.send('{"type":"error"}')
        await ws.close(code, reason)

    rec = Recorder()
    async with ws_server(close_now) as url:
        channel = make(kind, rec)
        await open_channel(channel, url)
        await rec.until(lambda: bool(rec.closes))
        await channel.aclose()
    assert rec.frames == ['{"type":"error"}']
    assert [(c.code, c.reason) for c in rec.closes] == [(code, reason)]


@pytest.mark.parametrize("kind", KINDS)
async def test_tcp_reset_reports_1006(kind: str) -> None:
    rec = Recorder()
    async with raw_server() as (url, peers):
        channel = make(kind, rec)
        opening = asyncio.create_task(open_channel(channel, url))
        peer = await asyncio.wait_for(peers.get(), 5)
        await peer.accept()
        await opening
        peer.send_frame(0x1, b'{"type":"x"}')
        await rec.until(lambda: len(rec.frames) == 1)
        peer.reset()
        await rec.until(lambda: bool(rec.closes))
        await channel.aclose()
    assert rec.closes[0].code == 1006


async def test_sansio_invalid_utf8_fails_with_1007() -> None:
    rec = Recorder()
    async with raw_server() as (url, peers):
        channel = make("sansio", rec, close_timeout=0.2)
        opening = asyncio.create_task(open_channel(channel, url))
        peer = await asyncio.wait_for(peers.get(), 5)
        await peer.accept()
        await opening
        peer.send_frame(0x1, b"\xff\xfe")
        data = await asyncio.wait_for(peer.reader.read(2), 5)
        assert data[0] == 0x88  # our close frame, with 1007 inside (masked)
        await rec.until(lambda: bool(rec.closes))  # close_timeout aborts; reported
        await channel.aclose()
    assert rec.frames == []


async def test_sansio_keepalive_ping_timeout_drops_connection() -> None:
    rec = Recorder()
    async with raw_server() as (url, peers):
        channel = make("sansio", rec, ping_interval=0.05, ping_timeout=0.1)
        opening = asyncio.create_task(open_channel(channel, url))
        peer = await asyncio.wait_for(peers.get(), 5)
        await peer.accept()
        await opening
        await rec.until(lambda: bool(rec.closes), timeout=5)  # the peer never answers pings
        await channel.aclose()
    assert isinstance(rec.closes[0].error, ConnectionClosedError)
    assert "keepalive" in str(rec.closes[0].error)


async def test_sansio_keepalive_answered_keeps_connection() -> None:
    async def idle(ws: ServerConnection) -> None:
        await ws.wait_closed()

    rec = Recorder()
    async with ws_server(idle) as url:
        channel = make("sansio", rec, ping_interval=0.02, ping_timeout=0.5)
        await open_channel(channel, url)
        await asyncio.sleep(0.3)
        assert channel.is_open
        assert rec.closes == []
        await channel.aclose()


@pytest.mark.parametrize("kind", KINDS)
async def test_http_rejection_maps_to_connection_failed_with_status(kind: str) -> None:
    from http import HTTPStatus

    def reject(connection, request):
        return connection.respond(HTTPStatus.UNAUTHORIZED, "bad key sk-abcdefghijklmnop\n")

    async def never(ws: ServerConnection) -> None:  # pragma: no cover - not reached
        pass

    rec = Recorder()
    async with ws_server(never, process_request=reject) as url:
        channel = make(kind, rec)
        with pytest.raises(ConnectionFailedError) as info:
            await open_channel(channel, url, api_key="sk-abcdefghijklmnop")
        await channel.aclose()
    assert info.value.code == 401
    assert "401" in str(info.value)
    assert "sk-abcdefghijklmnop" not in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_refused_connection_maps_to_connection_failed(kind: str) -> None:
    async with raw_server() as (url, _):
        pass  # closed: nothing listens on that port any more
    channel = make(kind, Recorder())
    with pytest.raises(ConnectionFailedError):
        await open_channel(channel, url)
    await channel.aclose()


@pytest.mark.parametrize("kind", KINDS)
async def test_open_timeout_when_handshake_never_answered(kind: str) -> None:
    async with raw_server() as (url, peers):
        channel = make(kind, Recorder(), open_timeout=0.2)
        with pytest.raises(ConnectionFailedError, match="timed out"):
            await open_channel(channel, url)
        await channel.aclose()
        assert not peers.empty()


async def test_sansio_answers_server_pings() -> None:
    async def idle(ws: ServerConnection) -> None:
        await ws.wait_closed()

    rec = Recorder()
    async with ws_server(idle, ping_interval=0.02, ping_timeout=0.2) as url:
        channel = make("sansio", rec, ping_interval=None)
        await open_channel(channel, url)
        await asyncio.sleep(0.5)  # the server would have closed after an unanswered ping
        assert channel.is_open
        assert rec.closes == []
        await channel.aclose()


async def test_sansio_frames_in_the_same_segment_as_the_handshake() -> None:
    rec = Recorder()
    async with raw_server() as (url, peers):
        channel = make("sansio", rec, close_timeout=0.2)
        opening = asyncio.create_task(open_channel(channel, url))
        peer = await asyncio.wait_for(peers.get(), 5)
        await peer.read_request()
        key = next(
            line.split(b":", 1)[1].strip()
            for line in peer.request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
        head = b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        peer.writer.write(head + b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        peer.send_frame(0x1, b'{"first":1}')  # same write as the 101
        peer.send_frame(0x1, b'{"second"', fin=False)  # a fragment: websockets takes over
        peer.send_frame(0x0, b":2}")
        peer.send_frame(0x1, b'{"third":3}')
        await opening
        await rec.until(lambda: len(rec.frames) == 3)
        assert rec.frames == ['{"first":1}', '{"second":2}', '{"third":3}']
        await channel.aclose()


class _CountingTransport:
    """Delegates to the real socket transport, counting ``write`` calls (one send each)."""

    def __init__(self, inner: asyncio.Transport) -> None:
        self.inner = inner
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        self.inner.write(data)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class _CountingSansIO(SansIOChannel):
    counter: _CountingTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.counter = _CountingTransport(transport)  # type: ignore[arg-type]
        super().connection_made(self.counter)  # type: ignore[arg-type]


async def test_sansio_writes_the_frames_of_one_call_in_one_send() -> None:
    # An audio chunk and its commit (or a truncate and a cancel) are one write, not one per
    # frame; each frame still arrives whole and in order over a real socket.
    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    rec = Recorder()
    async with ws_server(echo) as url:
        channel = _CountingSansIO(ChannelSettings(), rec.on_frame, rec.on_close)
        await open_channel(channel, url)
        counter = channel.counter
        assert counter is not None
        before = counter.writes
        frames = [json.dumps({"n": i}) for i in range(3)]
        channel.write(frames)
        assert counter.writes == before + 1
        assert not channel.needs_drain  # under the buffer limit: no drain coroutine needed
        channel.write(['{"n": 3}'])
        assert counter.writes == before + 2
        await rec.until(lambda: len(rec.frames) == 4)
        assert rec.frames == [*frames, '{"n": 3}']
        await channel.aclose()
