"""The shipped contract suite (``realtime_agents.testing.contract``) on this repository's
transports. Every harness here declares every capability its transport has, so nothing is
skipped; the scripted double runs the lifecycle part, the only part it can."""

from __future__ import annotations

from harnesses import (
    MockHarness,
    ScriptedHarness,
    WebRTCHarness,
    WebSocketAsyncioHarness,
    WebSocketHarness,
)

from realtime_agents.testing.contract import LifecycleContract, TransportContract


class TestWebSocket(TransportContract):
    harness = WebSocketHarness


class TestWebSocketAsyncio(TransportContract):
    harness = WebSocketAsyncioHarness


class TestWebRTC(TransportContract):
    harness = WebRTCHarness


class TestMock(TransportContract):
    harness = MockHarness


class TestScripted(LifecycleContract):
    harness = ScriptedHarness
