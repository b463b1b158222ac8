"""The emulator's per-audio-message shortcuts give exactly what the general path gives.

Appends skip the schema walk, deltas are written around their base64 text, JSON and base64 go
through msgspec and pybase64 when installed, and the command runs on uvloop when installed:
each must be invisible to clients (same JSON, same bytes, same errors).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import random
import re
import subprocess
import sys
from typing import Any

import pytest
from emulator_helpers import Raw, b64, silence

from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say, wire
from realtime_agents_emulator.errors import RealtimeError
from realtime_agents_emulator.event_loop import LOOP_ENV, loop_factory
from realtime_agents_emulator.ids import IdFactory

STDLIB = wire.Codec()
FASTEST = wire.Codec.fastest()


def test_this_environment_has_the_accelerators() -> None:
    # The dev environment installs the [speed] packages: the comparisons below are real.
    assert FASTEST.name == "msgspec+pybase64"
    assert wire.codec_name() == "msgspec+pybase64"  # what the emulator itself uses


def test_the_stdlib_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REALTIME_AGENTS_CODEC", "stdlib")
    assert wire.Codec.fastest().name == "stdlib"


def _outcome(function: Any, value: Any) -> tuple[str, Any]:
    try:
        result = function(value)
    except (ValueError, TypeError, RecursionError) as exc:
        return ("raises", type(exc).__name__ if not isinstance(exc, ValueError) else "ValueError")
    if isinstance(result, float) and math.isnan(result):
        return ("nan", None)
    return ("value", (type(result).__name__, repr(result)))


JSON_CASES = [
    '{"type": "input_audio_buffer.append", "audio": "AAAA"}',
    '{"a": 1, "a": 2}',
    '{"n": 123456789012345678901234567890}',
    '{"f": 1.5e300, "g": -0.0, "h": 0.1, "i": 1e400}',
    '{"x": NaN}',
    '{"x": Infinity, "y": -Infinity}',
    '"\\ud800"',
    '{"s": "caf\\u00e9 \\"quoted\\" \\\\ /"}',
    "[" * 70 + "]" * 70,
    "[" * 5000 + "]" * 5000,
    "{",
    "",
    "[1, 2,]",
    "nul",
    "  true ",
    '{"a": [1, {"b": null}]} x',
    '"\x01"',
]


@pytest.mark.parametrize("text", JSON_CASES)
def test_decoding_json_gives_what_the_standard_library_gives(text: str) -> None:
    assert _outcome(FASTEST.loads, text) == _outcome(STDLIB.loads, text)


def test_decode_keeps_the_nesting_limit_and_nan_policy() -> None:
    with pytest.raises(RealtimeError) as deep:
        wire.decode("[" * (wire.MAX_DEPTH + 1) + "]" * (wire.MAX_DEPTH + 1))
    assert deep.value.code == "invalid_json"
    with pytest.raises(RealtimeError) as nan:
        wire.check_finite(wire.decode('{"session": {"audio": {"output": {"speed": NaN}}}}'))
    assert nan.value.param == "session.audio.output.speed"
    with pytest.raises(RealtimeError) as big:
        wire.check_finite(wire.decode('{"a": [1, 2, 1e400]}'))
    assert big.value.param == "a[2]"


B64_CASES = [
    "",
    "AAAA",
    "YQ==",
    "YQ=",
    "YQ",
    "YWJj=",
    "YQ==YQ==",
    "AA AA",
    "AA\nAA",
    "@@@@",
    "AAAA####AAAA",
    "YQ===",
    "=",
    "é",
    "_-__",
]


@pytest.mark.parametrize("text", B64_CASES)
def test_decoding_base64_gives_what_the_standard_library_gives(text: str) -> None:
    assert _outcome(FASTEST.b64decode, text) == _outcome(STDLIB.b64decode, text)


def test_base64_both_ways_on_random_audio() -> None:
    rng = random.Random(15)
    for size in [0, 1, 2, 3, 959, 960, 961, 4800]:
        data = rng.randbytes(size)
        text = FASTEST.b64encode(data)
        assert text == STDLIB.b64encode(data) == base64.b64encode(data).decode()
        assert FASTEST.b64decode(text) == STDLIB.b64decode(text) == data
        if text:
            broken = text[:-1] + "!"
            with pytest.raises(binascii.Error):
                base64.b64decode(broken, validate=True)
            with pytest.raises(ValueError):
                FASTEST.b64decode(broken)


def test_a_delta_is_written_as_json_dumps_writes_it() -> None:
    delta = wire.b64encode(bytes(range(256)) * 4)
    event = {
        "type": "response.output_audio.delta",
        "event_id": "event_1",
        "response_id": "resp_1",
        "item_id": "item_1",
        "output_index": 0,
        "content_index": 0,
        "delta": delta,
    }
    assert wire.encode(event) == json.dumps(event)
    assert json.loads(wire.encode(event)) == {**event, "delta": str(delta)}
    # Not last, or not marked as base64: the general encoder (which escapes what needs it).
    moved = {"delta": delta, "type": "x"}
    assert wire.encode(moved) == json.dumps(moved)
    quoted = {"type": "x", "delta": 'a "quoted" \\ delta'}
    assert json.loads(wire.encode(quoted)) == quoted
    with pytest.raises(ValueError):
        wire.encode({"type": "x", "speed": math.nan, "delta": delta})


@pytest.mark.parametrize(
    "fields",
    [
        {"response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0},
        {"response_id": 'r "quoted" \\ é', "item_id": "\u2028", "output_index": 10**20},
    ],
)
def test_a_paced_delta_carries_what_encode_writes_for_it(fields: dict[str, Any]) -> None:
    deltas = wire.DeltaEvents("response.output_audio.delta", fields)
    audio = bytes(range(256)) * 4
    made = []
    # Made ids take the template; any other id (never made, but possible) the general encoder.
    ids = ["event_AbC123xyz_09", 'ev"1', "évent_1", "event 1", ""]
    for event_id in ids:
        event = deltas.event(event_id, audio)
        made.append(event)
        plain = dict(event)
        assert list(plain) == ["type", "event_id", *fields, "delta"]
        assert plain["event_id"] == event_id
        assert plain["delta"] == base64.b64encode(audio).decode()
        assert wire.encode(event) == event.text == wire.encode(plain) == json.dumps(plain)
        assert json.loads(event.text) == plain
    assert [event["event_id"] for event in made] == ids


def _plain_path_errors(event: dict[str, Any]) -> tuple[str | None, str | None]:
    from realtime_agents_emulator.client_events import validate_client_event

    try:
        validate_client_event(event, "websocket")
    except RealtimeError as error:
        return error.code, error.param
    return None, None


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        ({"type": "input_audio_buffer.append", "audio": "AAAA"}, None, None),
        ({"type": "session.input_audio_buffer.append", "audio": "", "event_id": "e"}, None, None),
        ({"type": "input_audio_buffer.append"}, "missing_required_parameter", "audio"),
        ({"type": "input_audio_buffer.append", "audio": 5}, "invalid_type", "audio"),
        ({"type": "input_audio_buffer.append", "audio": "A", "x": 1}, "unknown_parameter", "x"),
        (
            {"type": "input_audio_buffer.append", "audio": "A", "event_id": None},
            "invalid_type",
            "event_id",
        ),
        ({"type": ["input_audio_buffer.append"], "audio": "A"}, "invalid_type", "type"),
    ],
)
def test_appends_are_validated_as_before(
    event: dict[str, Any], code: str | None, param: str | None
) -> None:
    assert _plain_path_errors(event) == (code, param)


def test_ids_keep_their_shape_and_a_seed_keeps_them_reproducible() -> None:
    ids = IdFactory(3)
    made = [ids.event() for _ in range(2000)]
    assert all(re.fullmatch(r"event_[A-Za-z0-9]{21}", made_id) for made_id in made)
    assert len(set(made)) == len(made)
    assert set("".join(made)) - set("event_") >= set("AZaz09")  # the whole alphabet shows up
    again = IdFactory(3)
    assert [again.event() for _ in range(2000)] == made


@pytest.mark.parametrize("speed", [0.0, 4.0])
async def test_deltas_and_appends_over_a_real_socket(speed: float) -> None:
    # Paced deltas are written by their pacing task when nothing else is queued: what the
    # client receives is still exactly what the session made, in its order.
    brain = RulesBrain([Rule(then=[Say("one two three four five", audio_ms=200)])])
    async with Emulator(
        brain=brain, audio_speed=speed, audio_chunk_ms=20, speech="synthetic"
    ) as emu:
        async with await Raw.connect(emu) as raw:
            received = [await raw.recv()]
            await raw.send(
                {
                    "type": "session.update",
                    "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
                }
            )
            received += await raw.recv_until("session.updated")
            for _ in range(10):
                await raw.send({"type": "input_audio_buffer.append", "audio": b64(silence(20))})
            await raw.send({"type": "input_audio_buffer.append", "audio": "AA=A"})
            received += await raw.recv_until("error")
            assert received[-1]["error"]["code"] == "invalid_value"
            assert received[-1]["error"]["param"] == "audio"
            await raw.send({"type": "input_audio_buffer.commit"})
            received += await raw.recv_until("conversation.item.added")
            await raw.send({"type": "response.create"})
            received += await raw.recv_until("rate_limits.updated")  # a response's last event
            conn = emu.connections[0]
        made = [event["event_id"] for event in conn.server_events]
        assert [event["event_id"] for event in received] == made
        assert received == [json.loads(json.dumps(event)) for event in conn.server_events]
        kinds = [event["type"] for event in received]
        deltas = [e for e in received if e["type"] == "response.output_audio.delta"]
        assert len(deltas) == 10
        assert all(len(base64.b64decode(e["delta"], validate=True)) == 960 for e in deltas)
        assert len({e["event_id"] for e in deltas}) == 10
        first, last = (
            kinds.index("response.output_audio.delta"),
            len(kinds) - 1 - kinds[::-1].index("response.output_audio.delta"),
        )
        assert kinds.index("response.content_part.added") < first
        assert kinds.index("response.output_audio_transcript.delta") < first
        assert last < kinds.index("response.output_audio.done")
        assert emu.crashes == []


def test_the_loop_is_uvloop_when_installed_unless_ruled_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvloop

    monkeypatch.delenv(LOOP_ENV, raising=False)
    assert loop_factory() is uvloop.new_event_loop
    monkeypatch.setenv(LOOP_ENV, "asyncio")
    assert loop_factory() is None


def test_the_command_serves_on_either_loop() -> None:
    code = (
        "import asyncio, sys\n"
        "from realtime_agents_emulator import event_loop\n"
        "async def main():\n"
        "    return type(asyncio.get_running_loop()).__module__\n"
        "print(event_loop.run(main()))\n"
    )
    for choice, expected in [("auto", "uvloop"), ("asyncio", "asyncio")]:
        env = {**os.environ, LOOP_ENV: choice}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().split(".")[0] == expected


def test_the_command_collects_rarely_and_keeps_what_start_up_built() -> None:
    # The command's process only: the library runs with its caller's collector settings.
    code = (
        "import gc\n"
        "from realtime_agents_emulator import event_loop\n"
        "before = gc.get_threshold()\n"
        "async def main():\n"
        "    return gc.get_threshold(), gc.get_freeze_count()\n"
        "threshold, frozen = event_loop.run(main())\n"
        "print(before, threshold, frozen > 1000)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(700,", "10,", "10)", "(50000,", "20,", "100)", "True"]
