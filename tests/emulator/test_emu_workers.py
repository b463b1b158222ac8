"""``realtime-agents emulator --workers 2``: one port, two processes, calls reachable from both.

Each test runs the real command as a subprocess (in a session of its own, so that whatever
happens its whole process group is killed at the end) and talks to it over real sockets. The
kernel picks the worker of each connection; a test that needs a given worker reconnects until
the ``X-Emulator-Worker`` header names it, and then keeps that connection (HTTP keep-alive).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiortc import RTCSessionDescription
from rtc_helpers import RtcClient
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

SCRIPT = Path(sys.executable).with_name("realtime-agents")
KEY = "sk-workers-test-0123456789"
ATTEMPTS = 60  # connections tried to reach one of two workers: 2^-60 to miss it by chance
WORKER = "X-Emulator-Worker"


class Cluster:
    """A running ``--workers 2`` emulator: its address, worker pids and (once over) output."""

    def __init__(self, proc: asyncio.subprocess.Process, banner: list[str]) -> None:
        self.proc = proc
        self.banner = banner
        first = re.search(r"listening on (http://127\.0\.0\.1:\d+) ", banner[0])
        assert first, banner[0]
        self.url = first.group(1)
        self.ws_url = "ws" + self.url[4:] + "/v1/realtime"
        workers = next(line for line in banner if line.strip().startswith("workers:"))
        self.pids = [int(pid) for pid in re.findall(r"\d+", workers.split("pids", 1)[1])]
        self.stderr = ""

    async def wait(self, timeout: float = 20.0) -> int:
        """The supervisor's exit status once it ended; its stderr is then in ``stderr``."""
        _, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        self.stderr = err.decode()
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def http_on(self, worker: int) -> aiohttp.ClientSession:
        """An HTTP client whose one kept-alive connection reached ``worker``."""
        for _ in range(ATTEMPTS):
            http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
            async with http.get(self.url + "/healthz") as reply:
                if reply.headers[WORKER] == str(worker):
                    return http
            await http.close()
        raise AssertionError(f"no connection reached worker {worker}")

    async def ws_on(self, worker: int, query: str, **options: Any) -> ClientConnection:
        """A WebSocket to ``/v1/realtime?query`` accepted by ``worker``."""
        options.setdefault("additional_headers", {"Authorization": f"Bearer {KEY}"})
        for _ in range(ATTEMPTS):
            ws = await connect(f"{self.ws_url}?{query}", open_timeout=10, **options)
            assert ws.response is not None
            if ws.response.headers[WORKER] == str(worker):
                return ws
            await ws.close()
        raise AssertionError(f"no WebSocket reached worker {worker}")


@asynccontextmanager
async def cluster(*options: str) -> AsyncIterator[Cluster]:
    """``realtime-agents emulator --workers 2 --port 0``: stopped with SIGTERM at the end of the
    block unless the test ended it; its process group is killed in any case."""
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        "emulator",
        "--workers",
        "2",
        "--port",
        "0",
        "--speech",
        "synthetic",
        "--audio-speed",
        "0",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, f"no banner: {lines}"
            lines.append(line)
        run = Cluster(proc, lines)
        yield run
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.communicate(), 20)  # the pipes, read and closed
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # nothing may outlive the test


async def recv_json(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert isinstance(event, dict)
    return event


async def recv_until(ws: ClientConnection, last: str) -> list[dict[str, Any]]:
    events = [await recv_json(ws)]
    while events[-1]["type"] != last:
        events.append(await recv_json(ws))
    return events


async def closed_with(ws: ClientConnection, timeout: float = 10.0) -> int | None:
    """The close code of ``ws``, once the server closed it (events before it are skipped)."""
    async with asyncio.timeout(timeout):
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.recv()
    return ws.close_code


def user_text(text: str) -> dict[str, Any]:
    content = [{"type": "input_text", "text": text}]
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": content},
    }


async def gone(pid: int, timeout: float = 10.0) -> bool:
    """True once process ``pid`` has exited (a zombie whose parent is gone counts: an orphan
    waits for whatever reaps it, which in a container may be nobody)."""
    for _ in range(int(timeout / 0.05)):
        if exited(pid):
            return True
        await asyncio.sleep(0.05)
    return False


def exited(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


# -- sessions ------------------------------------------------------------------------------------


async def test_sessions_land_on_both_workers_and_each_serves_them() -> None:
    async with cluster() as run:
        assert len(run.pids) == 2
        sockets = [
            await connect(
                f"{run.ws_url}?model=gpt-realtime",
                additional_headers={"Authorization": f"Bearer {KEY}"},
                open_timeout=10,
            )
            for _ in range(24)
        ]
        try:
            served_by = set()
            for number, ws in enumerate(sockets):
                assert ws.response is not None
                worker = int(ws.response.headers[WORKER])
                assert int(ws.response.headers["X-Emulator-Pid"]) == run.pids[worker]
                served_by.add(worker)
                assert (await recv_json(ws))["type"] == "session.created"
                await ws.send(json.dumps(user_text(f"hello {number}")))
                await ws.send(json.dumps({"type": "response.create"}))
                done = (await recv_until(ws, "response.done"))[-1]
                assert done["response"]["status"] == "completed"
            assert served_by == {0, 1}  # 24 connections on one worker: a 2^-23 chance
        finally:
            for ws in sockets:
                await ws.close()
        run.proc.send_signal(signal.SIGTERM)
        assert await run.wait() == 0, run.stderr
    for index, pid in enumerate(run.pids):  # each worker's log lines name it and its pid
        assert re.search(rf"\[worker {index} pid {pid}\]: connection \d+ opened", run.stderr)


async def test_a_sideband_for_an_unknown_call_is_refused_on_every_worker() -> None:
    async with cluster() as run:
        for worker in (0, 1):
            ws = await run.ws_on(worker, "call_id=rtc_nobody_has_this")
            error = await recv_json(ws)
            assert error["error"]["code"] == "call_not_found"
            assert await closed_with(ws) == 4000


# -- calls ---------------------------------------------------------------------------------------


async def test_a_webrtc_call_is_reached_from_the_other_worker() -> None:
    client = RtcClient()
    async with cluster() as run:
        owner = await run.http_on(0)
        other = await run.http_on(1)
        try:
            form = aiohttp.FormData()
            form.add_field("sdp", await client.offer(), content_type="application/sdp")
            session = {"type": "realtime", "instructions": "owned by worker 0"}
            form.add_field("session", json.dumps(session), content_type="application/json")
            auth = {"Authorization": f"Bearer {KEY}"}
            async with owner.post(run.url + "/v1/realtime/calls", data=form, headers=auth) as r:
                assert r.status == 201, await r.text()
                assert r.headers[WORKER] == "0"
                call_id = r.headers["Location"].rsplit("/", 1)[-1]
                answer = await r.text()
            await client.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            await asyncio.wait_for(client.opened.wait(), 10)
            closed = asyncio.Event()
            client.channel.on("close", closed.set)

            sideband = await run.ws_on(1, f"call_id={call_id}")  # relayed to worker 0
            created = await recv_json(sideband)
            assert created["type"] == "session.created"
            assert created["session"]["instructions"] == "owned by worker 0"
            await sideband.send(json.dumps(user_text("from the other worker")))
            await sideband.send(json.dumps({"type": "response.create"}))
            done = await client.events.wait_for("response.done", timeout=10)  # on the call
            assert done["response"]["status"] == "completed"

            path = f"/v1/realtime/calls/{call_id}/hangup"
            async with other.post(run.url + path, headers=auth) as r:
                assert (r.status, r.headers[WORKER]) == (200, "1"), await r.text()
            await asyncio.wait_for(closed.wait(), 10)  # the owner hung up the call
            assert await closed_with(sideband) == 1000  # the owner's close, relayed as it was
            async with other.post(run.url + path, headers=auth) as r:
                assert r.status == 404  # the owner's answer: the call is over
                assert (await r.json())["error"]["message"].startswith("Call not found")
        finally:
            await owner.close()
            await other.close()
            await client.close()
        run.proc.send_signal(signal.SIGTERM)
        assert await run.wait() == 0, run.stderr


async def test_a_client_secret_minted_on_one_worker_works_on_the_other() -> None:
    async with cluster() as run:
        minter = await run.http_on(0)
        try:
            body = {"session": {"type": "realtime", "instructions": "minted on worker 0"}}
            headers = {"Authorization": f"Bearer {KEY}"}
            url = run.url + "/v1/realtime/client_secrets"
            async with minter.post(url, json=body, headers=headers) as r:
                assert r.status == 200, await r.text()
                secret = (await r.json())["value"]
        finally:
            await minter.close()
        assert secret.startswith("ek_")
        browser = ["realtime", f"openai-insecure-api-key.{secret}"]
        for worker in (1, 0):  # as a browser sends it: a subprotocol, no model in the URL
            ws = await run.ws_on(worker, "", additional_headers={}, subprotocols=browser)
            created = await recv_json(ws)
            assert created["type"] == "session.created", created
            assert created["session"]["instructions"] == "minted on worker 0"
            await ws.close()
        forged = "ek_" + "0" * 32  # unknown to both: refused as before
        ws = await run.ws_on(1, "", additional_headers={"Authorization": f"Bearer {forged}"})
        assert (await recv_json(ws))["error"]["code"] == "invalid_api_key"


class Hooks:
    """A webhook receiver: the ``realtime.call.incoming`` deliveries, as JSON."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.runner: web.AppRunner | None = None

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_post("/hooks", self._receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/hooks"

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        self.events.put_nowait(await request.json())
        return web.Response(status=200)


class Phone(asyncio.DatagramProtocol):
    """A bare UDP SIP caller: the first line of every message it receives."""

    def __init__(self) -> None:
        self.lines: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.lines.put_nowait(data.decode().split("\r\n", 1)[0])

    async def next_line(self, timeout: float = 10.0) -> str:
        return await asyncio.wait_for(self.lines.get(), timeout)


INVITE = (
    "INVITE sip:openai@127.0.0.1:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-workers-1;rport\r\n"
    "From: <sip:+15551230000@127.0.0.1>;tag=caller-1\r\n"
    "To: <sip:openai@127.0.0.1>\r\n"
    "Call-ID: workers-1@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@127.0.0.1:{local}>\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: {length}\r\n\r\n{sdp}"
)
SDP = "v=0\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"


async def test_a_sip_call_of_worker_0_is_answered_through_worker_1() -> None:
    hooks = Hooks()
    async with hooks as hook_url, cluster("--sip-port", "0", "--webhook-url", hook_url) as run:
        sip_line = next(line for line in run.banner if "SIP (UDP):" in line)
        sip_port = int(sip_line.rsplit(":", 1)[1])
        loop = asyncio.get_running_loop()
        transport, phone = await loop.create_datagram_endpoint(Phone, local_addr=("127.0.0.1", 0))
        other = await run.http_on(1)
        try:
            local = transport.get_extra_info("sockname")[1]
            invite = INVITE.format(port=sip_port, local=local, length=len(SDP), sdp=SDP)
            transport.sendto(invite.encode(), ("127.0.0.1", sip_port))
            assert await phone.next_line() == "SIP/2.0 100 Trying"
            assert await phone.next_line() == "SIP/2.0 180 Ringing"
            incoming = await asyncio.wait_for(hooks.events.get(), 10)
            call_id = incoming["data"]["call_id"]
            auth = {"Authorization": f"Bearer {KEY}"}
            accept = f"{run.url}/v1/realtime/calls/{call_id}/accept"
            session = {"type": "realtime", "model": "gpt-realtime", "instructions": "by phone"}
            async with other.post(accept, json=session, headers=auth) as r:
                assert (r.status, r.headers[WORKER]) == (200, "1"), await r.text()
            assert await phone.next_line() == "SIP/2.0 200 OK"  # from worker 0's SIP edge
            sideband = await run.ws_on(1, f"call_id={call_id}")
            created = await recv_json(sideband)
            assert created["session"]["instructions"] == "by phone"
            async with other.post(
                f"{run.url}/v1/realtime/calls/{call_id}/hangup", headers=auth
            ) as r:
                assert r.status == 200, await r.text()
            while (line := await phone.next_line()) == "SIP/2.0 200 OK":
                continue  # the 200 OK again: this caller never ACKs
            assert line.startswith("BYE ")
            assert await closed_with(sideband) == 1000
        finally:
            await other.close()
            transport.close()


# -- stopping ------------------------------------------------------------------------------------


async def test_ctrl_c_stops_every_worker() -> None:
    async with cluster() as run:
        ws = await run.ws_on(1, "model=gpt-realtime")
        assert (await recv_json(ws))["type"] == "session.created"
        os.killpg(run.proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        assert await closed_with(ws) == 1001  # the worker closed its session, as one does
        assert await run.wait() == 0, run.stderr
        for pid in run.pids:
            assert await gone(pid)
        assert "Traceback" not in run.stderr


async def test_a_killed_worker_is_reported_and_the_others_stop() -> None:
    async with cluster() as run:
        os.kill(run.pids[1], signal.SIGKILL)
        assert await run.wait() == 1
        assert await gone(run.pids[0])
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert lines == [
        f"error: emulator worker 1 (pid {run.pids[1]}) ended with signal 9; stopping the others"
    ]


async def test_workers_stop_when_their_supervisor_is_killed() -> None:
    async with cluster() as run:
        os.kill(run.proc.pid, signal.SIGKILL)  # no chance to stop them: they must notice
        await run.wait()
        for pid in run.pids:  # no orphans left serving the port
            assert await gone(pid)


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-2", "two"])
async def test_a_bad_workers_value_is_one_line(value: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        "emulator",
        "--workers",
        value,
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert out == b""
    assert err.decode().splitlines() == [
        f"error: --workers takes a positive number or auto, not {value!r}"
    ]


@pytest.mark.parametrize("reuse_port", [False, True])
async def test_a_port_in_use_is_one_line(reuse_port: bool) -> None:
    """Even a holder that set SO_REUSEPORT itself: the port is not silently shared."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, int(reuse_port))
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            str(SCRIPT),
            "emulator",
            "--workers",
            "2",
            "--port",
            str(port),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert out == b""
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error:")
    assert "in use" in lines[0]
