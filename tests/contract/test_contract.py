"""The shipped contract suite (``realtime_agents.testing.contract``) on this repository's
transports. Every harness here declares every capability its transport has; the scripted double
runs the lifecycle part, the only part it can.

CI has no skipped tests. Where a transport lacks a capability (SIP: its audio is in the call),
the tests needing it are left out of that class rather than reported skipped, and
``test_left_out_tests_are_exactly_those_the_suite_would_skip`` holds each left-out test to the
suite's own verdict: it must be one the suite would skip for that harness, with that reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from harnesses import (
    MockHarness,
    ScriptedHarness,
    SIPHarness,
    TwilioHarness,
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


class TestSIP(TransportContract):
    harness = SIPHarness
    # The caller's audio reaches the model in the call and replies are spoken into it: tests
    # that send audio through the transport or count its audio events cannot apply.
    test_audio_in_and_out = None
    test_input_audio_transcription = None
    test_interrupt_while_audio_plays = None
    test_audio_is_appended_then_committed = None


class TestTwilio(TransportContract):
    harness = TwilioHarness
    # Replies are µ-law 8 kHz for the phone line; these tests measure PCM16 24 kHz audio
    # events (barge-in on a playing reply is tested in tests/twilio, against the double).
    test_audio_in_and_out = None
    test_interrupt_while_audio_plays = None


#: Contract classes that leave tests out, and the reason the suite gives for each.
LEFT_OUT: dict[type[Any], dict[str, str]] = {
    TestSIP: {
        "test_audio_in_and_out": "sip does not declare audio_in, audio_out",
        "test_input_audio_transcription": "sip does not declare audio_in",
        "test_interrupt_while_audio_plays": "sip does not declare audio_out",
        "test_audio_is_appended_then_committed": "sip does not declare audio_in",
    },
    TestTwilio: {
        "test_audio_in_and_out": "twilio does not declare audio_out",
        "test_interrupt_while_audio_plays": "twilio does not declare audio_out",
    },
}


@pytest.mark.parametrize("case", list(LEFT_OUT), ids=lambda case: case.__name__)
def test_left_out_tests_are_exactly_those_the_suite_would_skip(case: type[Any]) -> None:
    left_out = {
        name
        for name in dir(TransportContract)
        if name.startswith("test_") and getattr(case, name) is None
    }
    assert left_out == set(LEFT_OUT[case])
    for name, reason in LEFT_OUT[case].items():
        # The suite's test checks capabilities before it starts anything: it skips at once.
        with pytest.raises(pytest.skip.Exception, match=f"^{reason}$"):
            getattr(TransportContract, name)(case())


class TestMock(TransportContract):
    harness = MockHarness


class TestScripted(LifecycleContract):
    harness = ScriptedHarness
