"""Phone lines for Twilio transports that are built synchronously (the contract suite's
``build_transport``, the fault matrix's ``kit.transport``): the transport gets a socket at
once, and the call behind it is dialled in the background by the Twilio double.

Used by this folder's tests and, imported by path, by tests/contract and tests/faults.
"""

from __future__ import annotations

import asyncio
from typing import Any

from realtime_agents.testing import TwilioMediaStreamPeer
from realtime_agents_twilio import WebsocketsTwilioSocket


class PendingTwilioSocket:
    """A Twilio socket whose call has not arrived yet: its first use waits for it."""

    def __init__(self) -> None:
        self.arrived: asyncio.Future[WebsocketsTwilioSocket] = (
            asyncio.get_running_loop().create_future()
        )

    async def receive(self) -> str | bytes | None:
        return await (await asyncio.shield(self.arrived)).receive()

    async def send(self, text: str) -> None:
        await (await asyncio.shield(self.arrived)).send(text)

    async def close(self, code: int = 1000) -> None:
        if self.arrived.done():  # a call never answered has nothing to close
            await self.arrived.result().close(code)


class TwilioLine:
    """One call: a websockets server of its own, dialled by a ``TwilioMediaStreamPeer``."""

    def __init__(self, speed: float = 4.0) -> None:
        self.socket = PendingTwilioSocket()
        self.peer: TwilioMediaStreamPeer | None = None
        self._server: Any = None
        self._dialling = asyncio.get_running_loop().create_task(
            self._call(speed), name="twilio dial"
        )

    async def _call(self, speed: float) -> None:
        from websockets.asyncio.server import serve

        self._server = await serve(self._answer, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.peer = await TwilioMediaStreamPeer.dial(f"ws://127.0.0.1:{port}", speed=speed)

    async def _answer(self, ws: Any) -> None:
        if not self.socket.arrived.done():
            self.socket.arrived.set_result(WebsocketsTwilioSocket(ws))
        await ws.wait_closed()

    async def close(self) -> None:
        """Hang up and stop the server (a call still dialling is abandoned)."""
        if not self._dialling.done():
            self._dialling.cancel()
        await asyncio.gather(self._dialling, return_exceptions=True)
        if self.peer is not None:
            await self.peer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @staticmethod
    def owns(task: asyncio.Task[Any]) -> bool:
        """Whether a task is the line's (the double's, or websockets' on either end)."""
        code = getattr(task.get_coro(), "cr_code", None)
        filename = getattr(code, "co_filename", "")
        return (
            task.get_name() == "twilio dial"
            or "websockets" in filename
            or filename.endswith("testing/twilio.py")
        )
