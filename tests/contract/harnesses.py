"""Harnesses of this repository's transports for the shipped contract suite.

* the WebSocket transport (both backends) against the emulator over real loopback sockets;
* the WebRTC transport against the emulator's WebRTC endpoint (aiortc on both sides, loopback);
* the SIP transport attached to a live call: an in-process SIP phone calls the emulator's SIP
  edge, the official client accepts the call, the transport attaches by ``call_id``;
* the Twilio transport bridging a Twilio double's call (it dials a websockets server run by
  the harness) to the emulator;
* ``MockRealtimeTransport``: the real driver and protocol, with a function playing the server;
* ``ScriptedRealtimeTransport``: the lifecycle part only (it has no backend to script).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from by_path import import_by_path
from server_event_checks import check_emulator, validate_server_events

from realtime_agents.testing import MockRealtimeTransport, ScriptedRealtimeTransport, server_events
from realtime_agents.testing.contract import (
    AUDIO_OUT,
    CANCELLABLE_CONNECT,
    CAPABILITIES,
    CONVERSATION,
    INPUT_TRANSCRIPTION,
    INTERRUPT,
    OPENAI_WIRE,
    PEER_DROP,
    Reply,
    Script,
    TransportHarness,
)
from realtime_agents.transport import ConnectOptions, RealtimeTransportLayer

#: The tests folder (helpers of other test folders are imported by path).
TESTS = Path(__file__).resolve().parents[1]

API_KEY = "sk-contract-0123456789"
MODEL = "gpt-realtime"
EVERYTHING = CAPABILITIES  # both transports here have every capability of the contract
#: No server VAD (turns are committed explicitly) and input transcription on.
BASE_CONFIG: dict[str, Any] = {
    "audio": {
        "input": {"turn_detection": None, "transcription": {"model": "gpt-4o-mini-transcribe"}}
    }
}


def _options(overrides: dict[str, Any], **base: Any) -> ConnectOptions:
    config = {**BASE_CONFIG, **(overrides.pop("initial_session_config", None) or {})}
    return ConnectOptions(**{**base, "initial_session_config": config, **overrides})


class _EmulatorBrain:
    """The script as an emulator brain (built lazily: the emulator is a test dependency)."""

    @staticmethod
    def build(script: Script) -> Any:
        from realtime_agents_emulator import Brain, CallFunction, Say

        def actions(reply: Reply) -> list[Any]:
            if reply.call is not None:
                return [CallFunction(reply.call, dict(reply.arguments))]
            return [Say(reply.text, audio_ms=reply.audio_ms)]

        class ScriptBrain(Brain):
            def transcribe(self, audio: Any) -> str:
                return script.heard

            def respond(self, turn: Any) -> list[Any]:
                if turn.kind == "tool_output":
                    return actions(script.reply_after_tool(turn.tool_output or ""))
                if turn.kind in ("text", "audio"):
                    return actions(script.reply_to(turn.text))
                return actions(script.default)

        return ScriptBrain()


class WebSocketHarness(TransportHarness):
    """``OpenAIRealtimeWebSocket`` (sans-I/O backend) against the emulator on loopback."""

    name = "websocket"
    capabilities: ClassVar[frozenset[str]] = EVERYTHING
    backend = "sansio"

    def __init__(self) -> None:
        super().__init__()
        self.emulator: Any = None

    async def start(self, script: Script) -> None:
        from realtime_agents_emulator import Emulator

        self.emulator = Emulator(
            brain=_EmulatorBrain.build(script), audio_speed=0, speech="synthetic"
        )
        await self.emulator.start()

    async def stop(self) -> None:
        await super().stop()
        if self.emulator is not None:
            await self.emulator.stop()
            check_emulator(self.emulator)  # every event it sent is a real Realtime API event

    def build_transport(self) -> RealtimeTransportLayer:
        from realtime_agents_websocket import OpenAIRealtimeWebSocket

        return OpenAIRealtimeWebSocket(backend=self.backend)  # type: ignore[arg-type]

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        # No ``?model=`` in the URL: the driver adds the connection's model itself.
        return _options(overrides, api_key=API_KEY, model=MODEL, url=self.emulator.ws_url)

    async def received(
        self,
        type: str,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        index: int = -1,
    ) -> dict[str, Any]:
        conn = self.emulator.connections[index]
        event: dict[str, Any] = await conn.wait_for_client_event(type, where=where, timeout=timeout)
        return event

    async def drop(self, *, index: int = -1) -> None:
        await self.emulator.connections[index].drop()

    def is_backend_task(self, task: asyncio.Task[Any]) -> bool:
        code = getattr(task.get_coro(), "cr_code", None)
        filename = getattr(code, "co_filename", "")
        return "realtime_agents_emulator" in filename or "aiohttp" in filename


class WebSocketAsyncioHarness(WebSocketHarness):
    """``OpenAIRealtimeWebSocket`` over websockets' asyncio client."""

    name = "websocket-asyncio"
    backend = "websockets"


class WebRTCHarness(WebSocketHarness):
    """``OpenAIRealtimeWebRTC`` against the emulator's WebRTC endpoint on loopback.

    Input audio plays on a paced track (``send_audio`` waits for it to go out), the reply comes
    back on the emulator's track; a dropped call is noticed when its media stops
    (``disconnect_grace``, short here).
    """

    name = "webrtc"

    def build_transport(self) -> RealtimeTransportLayer:
        from realtime_agents_webrtc import OpenAIRealtimeWebRTC

        return OpenAIRealtimeWebRTC(
            base_url=f"{self.emulator.base_url}/realtime/calls",
            microphone=False,
            speaker=False,
            disconnect_grace=0.5,
        )

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        return _options(overrides, api_key=API_KEY, model=MODEL)

    async def received(
        self,
        type: str,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        index: int = -1,
    ) -> dict[str, Any]:
        call = self.emulator.calls[index]
        event: dict[str, Any] = await call.wait_for_client_event(type, where=where, timeout=timeout)
        return event

    async def drop(self, *, index: int = -1) -> None:
        await self.emulator.calls[index].drop()

    def is_backend_task(self, task: asyncio.Task[Any]) -> bool:
        # aiortc's and aioice's tasks of both peers look alike; those of our side are checked
        # to be gone by tests/webrtc (nothing left once the emulator stops too).
        code = getattr(task.get_coro(), "cr_code", None)
        filename = getattr(code, "co_filename", "")
        return super().is_backend_task(task) or any(
            name in filename for name in ("aiortc", "aioice", "av/")
        )


class SIPHarness(WebSocketHarness):
    """``OpenAIRealtimeSIP`` attached to a live SIP call on the emulator's SIP edge.

    ``start`` places a call from an in-process SIP phone (``tests/sip_helpers.Caller``: a
    SIPp process per test would cost more than the test), accepts it with the official
    ``openai`` client as an application does, and waits for the phone's ACK; every transport
    then attaches to that call by its id (each connection is one more sideband of the call,
    so connecting again and dropping one leave the call up).

    Capabilities, honestly: the caller's audio is in the call, so ``send_audio`` is refused
    (no AUDIO_IN), and replies are spoken into the call, so no ``audio`` events (no
    AUDIO_OUT); what the caller says is still transcribed, and ``interrupt()`` still stops a
    reply on the line (``output_audio_buffer.clear``), but the suite's tests of those two
    drive them through audio the transport does not carry (see ``test_contract.py``).
    """

    name = "sip"
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {CONVERSATION, INPUT_TRANSCRIPTION, INTERRUPT, PEER_DROP, CANCELLABLE_CONNECT, OPENAI_WIRE}
    )

    def __init__(self) -> None:
        super().__init__()
        self.caller: Any = None
        self.call_id = ""

    async def start(self, script: Script) -> None:
        from openai import AsyncOpenAI
        from sip_helpers import Caller

        from realtime_agents_emulator import Emulator

        self.emulator = Emulator(
            brain=_EmulatorBrain.build(script), audio_speed=0, speech="synthetic", sip_port=0
        )
        await self.emulator.start()
        sip = self.emulator.sip
        self.caller = await Caller.dial(sip.port)
        await self.caller.ringing()
        self.call_id = sip.calls[0].call_id
        async with AsyncOpenAI(
            api_key=API_KEY, base_url=self.emulator.base_url, max_retries=0
        ) as client:
            await client.realtime.calls.accept(self.call_id, type="realtime", model=MODEL)
        await self.caller.answered()

    async def stop(self) -> None:
        try:
            await super().stop()  # the emulator hangs the call up: the phone answers its BYE
        finally:
            if self.caller is not None:
                self.caller.close()

    def build_transport(self) -> RealtimeTransportLayer:
        from realtime_agents_sip import OpenAIRealtimeSIP

        return OpenAIRealtimeSIP(url=self.emulator.ws_url)

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        return _options(overrides, api_key=API_KEY, call_id=self.call_id)


class ScriptServer:
    """The script as a ``MockRealtimeTransport`` handler: an OpenAI server in a function."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.pending: Reply | None = None

    def __call__(self, event: dict[str, Any]) -> list[dict[str, Any]] | None:
        kind = event["type"]
        if kind == "session.update":
            return [server_events.session_updated(model=MODEL)]
        if kind == "conversation.item.create":
            self._remember(event["item"])
        elif kind == "input_audio_buffer.commit":
            item_id = f"item_audio_{id(event)}"
            self.pending = self.script.reply_to(self.script.heard)
            return [server_events.input_transcription(item_id, self.script.heard)]
        elif kind == "response.create":
            reply, self.pending = self.pending or self.script.default, None
            return self._respond(reply)
        return None

    def _remember(self, item: Mapping[str, Any]) -> None:
        if item["type"] == "function_call_output":
            self.pending = self.script.reply_after_tool(item["output"])
        elif item["type"] == "message":
            words = "".join(part.get("text", "") for part in item["content"])
            self.pending = self.script.reply_to(words)

    @staticmethod
    def _respond(reply: Reply) -> list[dict[str, Any]]:
        if reply.call is not None:
            return server_events.function_call_response(reply.call, json.dumps(reply.arguments))
        if reply.audio_ms is not None:
            pcm = b"\x00\x10" * (24 * reply.audio_ms)
            return server_events.audio_response(pcm, reply.text)
        return server_events.text_response(reply.text)


class MockHarness(TransportHarness):
    """``MockRealtimeTransport``: the real driver and protocol, a function as the server."""

    name = "mock"
    capabilities: ClassVar[frozenset[str]] = EVERYTHING

    async def start(self, script: Script) -> None:
        self.script = script

    def build_transport(self) -> RealtimeTransportLayer:
        return MockRealtimeTransport(ScriptServer(self.script))

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        return _options(overrides, api_key=API_KEY, model=MODEL)

    def _mock(self, index: int) -> MockRealtimeTransport:
        transport = self.transports[index]
        assert isinstance(transport, MockRealtimeTransport)
        return transport

    async def received(
        self,
        type: str,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        index: int = -1,
    ) -> dict[str, Any]:
        mock = self._mock(index)
        async with asyncio.timeout(timeout):
            while True:
                for event in mock.received:
                    if event["type"] == type and (where is None or where(event)):
                        return event
                await asyncio.sleep(0.005)

    async def drop(self, *, index: int = -1) -> None:
        self._mock(index).drop()

    async def stop(self) -> None:
        await super().stop()
        for transport in self.transports:
            assert isinstance(transport, MockRealtimeTransport)
            # every event the scripted server sent is a real Realtime API event
            validate_server_events([json.loads(frame) for frame in transport.sent])


class ScriptedHarness(TransportHarness):
    """Core's ``ScriptedRealtimeTransport``: only the lifecycle part applies (no backend)."""

    name = "scripted"
    capabilities: ClassVar[frozenset[str]] = frozenset({CANCELLABLE_CONNECT})

    async def start(self, script: Script) -> None:
        pass

    def build_transport(self) -> RealtimeTransportLayer:
        return ScriptedRealtimeTransport()

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        return ConnectOptions(**{"api_key": API_KEY, "model": MODEL, **overrides})


def _twilio_lines() -> Any:
    """``tests/twilio/twilio_lines.py`` (test folders are not packages)."""
    return import_by_path("twilio_lines", TESTS / "twilio" / "twilio_lines.py")


class TwilioHarness(WebSocketHarness):
    """``TwilioRealtimeTransportLayer`` bridging a Twilio double's call to the emulator.

    Each transport gets its own call (``tests/twilio/twilio_lines.py``: the double,
    ``TwilioMediaStreamPeer``, dials a websockets server whose socket reaches the transport
    through the websockets adapter). The transports keep their stream when the Realtime side
    ends (``end_stream_on_close=False``), because the lifecycle tests connect one transport
    several times, which a bridge can do only while its call lasts.

    Capabilities, honestly: everything but AUDIO_OUT. Replies are µ-law 8 kHz for the phone
    line (``audio`` events carry those bytes), while the suite's audio-out tests measure PCM16
    24 kHz; barge-in on a playing reply is tested in tests/twilio with the double playing it.
    """

    name = "twilio"
    capabilities: ClassVar[frozenset[str]] = EVERYTHING - {AUDIO_OUT}

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[Any] = []

    def build_transport(self) -> RealtimeTransportLayer:
        from realtime_agents_twilio import TwilioRealtimeTransportLayer

        line = _twilio_lines().TwilioLine()
        self.lines.append(line)
        return TwilioRealtimeTransportLayer(twilio_websocket=line.socket, end_stream_on_close=False)

    async def stop(self) -> None:
        try:
            await super().stop()
        finally:
            for line in self.lines:
                await line.close()

    def is_backend_task(self, task: asyncio.Task[Any]) -> bool:
        return super().is_backend_task(task) or _twilio_lines().TwilioLine.owns(task)
