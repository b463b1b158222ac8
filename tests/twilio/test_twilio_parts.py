"""The Twilio transport's parts without sockets: framing and marks, forced formats, Twilio's
messages, the package surface."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys

import pytest

from realtime_agents.errors import UserError
from realtime_agents.plugins.manager import PluginHost, build_plugin_manager
from realtime_agents_twilio import TwilioRealtimeTransportLayer, force_mulaw
from realtime_agents_twilio.messages import (
    TwilioMessageError,
    clear_message,
    mark_message,
    media_message,
    parse_message,
)
from realtime_agents_twilio.playout import Heard, Playout

SID = "MZ1"
PCMU = {"type": "audio/pcmu"}


def decoded(frames: list[str]) -> list[dict]:
    return [json.loads(f) for f in frames]


def test_odd_sized_deltas_become_whole_20_ms_frames_each_followed_by_its_mark() -> None:
    playout = Playout()
    out = decoded(
        playout.frames(SID, "item_1", 0, b"\x01" * 100)
        + playout.frames(SID, "item_1", 0, b"\x02" * 300)
        + playout.flush(SID, "item_1", 0)
    )
    assert [m["event"] for m in out] == ["media", "mark"] * 3
    audio = b"".join(base64.b64decode(m["media"]["payload"]) for m in out[::2])
    assert audio == b"\x01" * 100 + b"\x02" * 300 + b"\xff" * 80  # the tail padded with silence
    # Marks count the item's own bytes: the padding was never the model's.
    heard = [playout.on_mark(m["mark"]["name"]) for m in out[1::2]]
    assert heard == [Heard("item_1", 0, 160), Heard("item_1", 0, 320), Heard("item_1", 0, 400)]


def test_echoes_of_marks_dropped_by_clear_say_nothing() -> None:
    playout = Playout()
    first = decoded(playout.frames(SID, "item_1", 0, b"\x01" * 320))
    playout.clear()
    assert [playout.on_mark(m["mark"]["name"]) for m in first[1::2]] == [None, None]
    assert playout.on_mark(None) is None
    assert playout.on_mark("unknown") is None
    # After a clear the item's count starts again and nothing half-framed is left over.
    assert playout.flush(SID, "item_1", 0) == []


def test_flush_all_ends_every_item_of_a_finished_response() -> None:
    playout = Playout()
    playout.frames(SID, "a", 0, b"\x01" * 10)
    playout.frames(SID, "b", 0, b"\x01" * 20)
    out = decoded(playout.flush_all(SID))
    assert [m["event"] for m in out] == ["media", "mark"] * 2
    assert playout.flush_all(SID) == []


def test_messages_to_twilio_have_exactly_the_documented_fields() -> None:
    assert json.loads(media_message(SID, b"\xff")) == {
        "event": "media",
        "streamSid": SID,
        "media": {"payload": "/w=="},
    }
    assert json.loads(mark_message(SID, "m")) == {
        "event": "mark",
        "streamSid": SID,
        "mark": {"name": "m"},
    }
    assert json.loads(clear_message(SID)) == {"event": "clear", "streamSid": SID}


@pytest.mark.parametrize("frame", ["not json", "[1]", '{"no": "event"}', b"\xff\xfe"])
def test_frames_that_are_not_twilio_messages_are_refused(frame: str | bytes) -> None:
    with pytest.raises(TwilioMessageError, match="Twilio frame"):
        parse_message(frame)


def test_every_config_leaves_with_mulaw_both_ways(caplog: pytest.LogCaptureFixture) -> None:
    assert force_mulaw(None)["audio"] == {"input": {"format": PCMU}, "output": {"format": PCMU}}
    vad = {"turn_detection": {"type": "server_vad"}}
    kept = force_mulaw({"instructions": "x", "audio": {"input": vad}})
    assert kept["audio"]["input"] == {**vad, "format": PCMU}
    assert kept["instructions"] == "x"
    with caplog.at_level(logging.WARNING, logger="realtime_agents_twilio"):
        assert force_mulaw({"audio": {"output": {"format": "g711_ulaw"}}})  # µ-law: no warning
        assert caplog.text == ""
        legacy = force_mulaw({"output_audio_format": "pcm16"})
    assert (legacy["input_audio_format"], legacy["output_audio_format"]) == ("g711_ulaw",) * 2
    assert "output_audio_format='pcm16' replaced by audio/pcmu" in caplog.text


def test_the_transport_needs_its_twilio_socket() -> None:
    with pytest.raises(UserError, match="twilio_websocket="):
        TwilioRealtimeTransportLayer()


def test_the_entry_point_registers_the_transport() -> None:
    host = PluginHost(build_plugin_manager())
    assert host.transports["twilio"] is TwilioRealtimeTransportLayer


def test_importing_the_package_imports_neither_websockets_nor_the_driver() -> None:
    code = (
        "import sys, realtime_agents_twilio as t; "
        "assert 'websockets' not in sys.modules and 'realtime_agents.driver' not in sys.modules; "
        "assert 'TwilioRealtimeTransportLayer' in dir(t)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
