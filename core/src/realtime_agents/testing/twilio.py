"""``TwilioMediaStreamPeer``: Twilio's side of a Media Streams call, for tests.

It does what Twilio does when a call reaches ``<Connect><Stream url="wss://…"/>``: it opens
a WebSocket to *your* server, sends ``connected`` and ``start``, streams the caller's audio
as ``media`` messages (µ-law 8 kHz, 160-byte frames, with string ``sequenceNumber``,
``chunk`` and ``timestamp``), presses keys (``dtmf``) and hangs up (``stop``, then close).
What your server sends back is played as a phone would: ``media`` in real time (``speed``
scales it), each ``mark`` echoed once the audio queued before it has played, ``clear``
dropping the queued audio and echoing the pending marks at once. Everything received is
recorded, and messages Twilio would reject (a wrong ``streamSid``, extra fields: Twilio's
error 31951) are listed in :attr:`TwilioMediaStreamPeer.violations`.

Message formats: twilio.com/docs/voice/media-streams/websocket-messages. Needs the
``websockets`` package (imported when dialling).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["TwilioMediaStreamPeer", "mulaw_silence", "mulaw_tone"]

_BYTES_PER_MS: Final = 8
_FRAME: Final = 160
#: The fields Twilio accepts in each message an application sends.
_SHAPES: Final = {
    "media": {"event", "streamSid", "media"},
    "mark": {"event", "streamSid", "mark"},
    "clear": {"event", "streamSid"},
}


def _lin2ulaw(sample: int) -> int:
    """G.711 µ-law encoding of one 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = 7
    while exponent > 0 and not magnitude & (0x80 << exponent):
        exponent -= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def mulaw_silence(ms: int) -> bytes:
    """``ms`` milliseconds of µ-law silence (8 kHz)."""
    return bytes([_lin2ulaw(0)]) * (ms * _BYTES_PER_MS)


def mulaw_tone(ms: int) -> bytes:
    """``ms`` milliseconds of a loud 500 Hz square wave in µ-law 8 kHz: speech to any VAD."""
    period = bytes([_lin2ulaw(12000)]) * 8 + bytes([_lin2ulaw(-12000)]) * 8
    return (period * (ms // 2 + 1))[: ms * _BYTES_PER_MS]


class TwilioMediaStreamPeer:
    """Twilio's end of one media stream (see the module docstring); build it with :meth:`dial`.

    Attributes:
        received: every message the server sent, decoded, in order.
        played: the µ-law audio that has played so far.
        echoed: names of the marks echoed back, in order (played or cleared).
        cleared: names of the marks echoed because a ``clear`` dropped their audio.
        played_at_clear: ``len(played)`` when each ``clear`` arrived.
        violations: why each message Twilio would have rejected was wrong.
        close_code: the close code once the socket closed (None while open).
    """

    def __init__(self, ws: Any, stream_sid: str, call_sid: str, speed: float) -> None:
        self._ws = ws
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self.speed = speed
        self.received: list[dict[str, Any]] = []
        self.played = bytearray()
        self.echoed: list[str] = []
        self.cleared: list[str] = []
        self.played_at_clear: list[int] = []
        self.violations: list[str] = []
        self.close_code: int | None = None
        self._sequence = 0
        self._chunk = 0
        self._sent_ms = 0
        self._queue: deque[tuple[str, Any]] = deque()
        self._generation = 0
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def dial(
        cls,
        url: str,
        *,
        stream_sid: str = "MZ00000000000000000000000000000001",
        call_sid: str = "CA00000000000000000000000000000001",
        account_sid: str = "AC00000000000000000000000000000001",
        custom_parameters: Mapping[str, str] | None = None,
        speed: float = 1.0,
    ) -> TwilioMediaStreamPeer:
        """Connect to your server at ``url`` and start the stream (``connected``, ``start``)."""
        from websockets.asyncio.client import connect

        ws = await connect(url, max_size=None)
        peer = cls(ws, stream_sid, call_sid, speed)
        loop = asyncio.get_running_loop()
        peer._tasks = [
            loop.create_task(peer._read(), name="twilio peer reader"),
            loop.create_task(peer._play(), name="twilio peer player"),
        ]
        await peer._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        start = {
            "streamSid": stream_sid,
            "accountSid": account_sid,
            "callSid": call_sid,
            "tracks": ["inbound"],
            "customParameters": dict(custom_parameters or {}),
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await peer._send({"event": "start", "start": start, "streamSid": stream_sid})
        return peer

    # -- the caller ------------------------------------------------------------------------

    async def say(self, audio: bytes, *, pace: bool = True) -> None:
        """Stream the caller's µ-law audio in 20 ms ``media`` frames (in real time if ``pace``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        for start in range(0, len(audio), _FRAME):
            frame = audio[start : start + _FRAME]
            self._chunk += 1
            media = {
                "track": "inbound",
                "chunk": str(self._chunk),
                "timestamp": str(self._sent_ms),
                "payload": base64.b64encode(frame).decode("ascii"),
            }
            self._sent_ms += len(frame) // _BYTES_PER_MS
            await self._send({"event": "media", "media": media, "streamSid": self.stream_sid})
            if pace:
                deadline += len(frame) / _BYTES_PER_MS / 1000 / self.speed
                await asyncio.sleep(max(0.0, deadline - loop.time()))

    async def press(self, digit: str) -> None:
        """The caller presses a key."""
        dtmf = {"track": "inbound_track", "digit": digit}
        await self._send({"event": "dtmf", "streamSid": self.stream_sid, "dtmf": dtmf})

    async def send_raw(self, frame: str | bytes) -> None:
        """Send any frame, as a broken or future Twilio might (robustness tests)."""
        await self._ws.send(frame)

    async def hang_up(self) -> None:
        """The caller hangs up: ``stop``, then the socket closes."""
        stop = {"accountSid": "AC00000000000000000000000000000001", "callSid": self.call_sid}
        with contextlib.suppress(Exception):  # the server may have closed first
            await self._send({"event": "stop", "streamSid": self.stream_sid, "stop": stop})
        await self.close()

    async def close(self) -> None:
        """Close the socket and stop playing; idempotent."""
        await self._ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._closed.set()

    # -- waiting ---------------------------------------------------------------------------

    def of(self, event: str) -> list[dict[str, Any]]:
        """The messages of one ``event`` received so far."""
        return [m for m in self.received if m.get("event") == event]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition()`` holds (checked whenever something arrives or plays)."""
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        """Wait until the server closes the socket; return the close code."""
        async with asyncio.timeout(timeout):
            await self._closed.wait()
        return self.close_code

    @property
    def heard_marks(self) -> list[str]:
        """Names of the marks echoed because their audio played (not because of a clear)."""
        cleared = set(self.cleared)
        return [name for name in self.echoed if name not in cleared]

    @property
    def queued_ms(self) -> float:
        """Audio received and not played yet."""
        return sum(len(v) for k, v in self._queue if k == "media") / _BYTES_PER_MS

    # -- the wire --------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        self._sequence += 1
        await self._ws.send(json.dumps({**message, "sequenceNumber": str(self._sequence)}))

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for frame in self._ws:
                self._receive(frame)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._ws.close_code
            self._closed.set()
            self._changed.set()

    def _receive(self, frame: str | bytes) -> None:
        try:
            message = json.loads(frame)
        except ValueError:
            self.violations.append(f"not JSON: {frame!r:.80}")
            return
        self.received.append(message)
        self._check(message)
        event = message.get("event")
        if event == "media":
            payload = message.get("media", {}).get("payload", "")
            self._queue.append(("media", base64.b64decode(payload)))
        elif event == "mark":
            self._queue.append(("mark", message.get("mark", {}).get("name")))
        elif event == "clear":
            self._clear()
        self._changed.set()

    def _check(self, message: Any) -> None:
        event = message.get("event") if isinstance(message, dict) else None
        shape = _SHAPES.get(event) if isinstance(event, str) else None
        if shape is None:
            self.violations.append(f"unknown event: {message!r:.80}")
        elif set(message) != shape:
            self.violations.append(
                f"{event} with fields {sorted(message)}, expected {sorted(shape)}"
            )
        elif message["streamSid"] != self.stream_sid:
            self.violations.append(f"{event} for stream {message['streamSid']!r}")

    def _clear(self) -> None:
        """Drop the queued audio; its pending marks are echoed now (as Twilio does)."""
        self._generation += 1
        marks = [name for kind, name in self._queue if kind == "mark"]
        self._queue.clear()
        self.cleared += marks
        self.played_at_clear.append(len(self.played))
        for name in marks:
            self._echo(name)

    def _echo(self, name: Any) -> None:
        self.echoed.append(name)
        self._changed.set()
        message = {"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}
        self._sequence += 1
        text = json.dumps({**message, "sequenceNumber": str(self._sequence)})
        task = asyncio.get_running_loop().create_task(self._ws.send(text))
        task.add_done_callback(_ignore_result)

    async def _play(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            if not self._queue:
                self._changed.clear()
                await self._changed.wait()
                deadline = loop.time()
                continue
            kind, value = self._queue[0]
            if kind == "mark":
                self._queue.popleft()
                self._echo(value)
                continue
            generation = self._generation
            deadline = max(deadline, loop.time()) + len(value) / _BYTES_PER_MS / 1000 / self.speed
            await asyncio.sleep(deadline - loop.time())
            if generation == self._generation and self._queue:  # not cleared meanwhile
                self._queue.popleft()
                self.played += value
                self._changed.set()


def _ignore_result(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # a closed socket: the echo is lost, as it would be with Twilio
