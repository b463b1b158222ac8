"""The accelerated codec gives exactly the standard library's answers (see protocol/codec.py).

A fast decoder may only answer for input it accepts, and then as the standard library does;
anything else must reach the standard library, which accepts or raises as it always did.
"""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_agents.protocol import OpenAIRealtimeProtocol
from realtime_agents.protocol.codec import STDLIB_CODEC, WireCodec, default_codec, fast_codec

FAST = fast_codec()
assert FAST is not None, "the dev environment must install realtime-agents-websocket[speed]"


def outcome(fn: Any, arg: Any) -> tuple[str, Any]:
    """What a call gives, comparable across codecs: ("ok", repr of value) or ("raises", kind)."""
    try:
        value = fn(arg)
    except RecursionError:
        return ("raises", "RecursionError")
    except ValueError:
        return ("raises", "ValueError")
    return ("ok", repr(value))  # repr: NaN != NaN, and 1 == 1.0 == True would hide a change


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_fast_loads_of_any_json_text_equals_the_stdlib(value: Any) -> None:
    text = json.dumps(value)  # NaN/Infinity and lone surrogates included, as json emits them
    assert FAST is not None
    assert outcome(FAST.loads, text) == outcome(json.loads, text)


@given(st.text(alphabet='{}[]":,0123456789.eE+-tfnulrasNIy \\u\ud800', max_size=30))
def test_fast_loads_of_junk_equals_the_stdlib(text: str) -> None:
    assert FAST is not None
    assert outcome(FAST.loads, text) == outcome(json.loads, text)


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        '{"a": -Infinity}',
        "1e400",
        "123456789012345678901234567890",  # msgspec keeps it exact (orjson would not)
        '"\\ud800"',
        '{"a":1,"a":2}',
        "[" * 1500 + "]" * 1500,  # deeper than msgspec goes, within json's limit
        "[" * 100_000 + "]" * 100_000,  # RecursionError, as before
        "\ufeff{}",
        "",
    ],
)
def test_fast_loads_edge_cases_equal_the_stdlib(text: str) -> None:
    assert FAST is not None
    assert outcome(FAST.loads, text) == outcome(json.loads, text)


@given(st.text(alphabet="AQw+/=\n @-_é", max_size=24))
def test_fast_b64decode_is_strict_base64(text: str) -> None:
    assert FAST is not None
    assert outcome(FAST.b64decode, text) == outcome(STDLIB_CODEC.b64decode, text)


@pytest.mark.parametrize(
    "text", ["@@@@", "AAAA####AAAA", "AAA", "AAAA=AAA", "AA==AA==", " AAAA", "AAAA=", "QwAQ=="]
)
def test_fast_b64decode_edge_cases(text: str) -> None:
    assert FAST is not None
    assert outcome(FAST.b64decode, text) == outcome(STDLIB_CODEC.b64decode, text)


@given(st.binary(max_size=2000))
def test_b64encode_is_standard_base64(data: bytes) -> None:
    assert FAST is not None
    assert FAST.b64encode(data) == STDLIB_CODEC.b64encode(data) == base64.b64encode(data).decode()
    assert FAST.b64decode(FAST.b64encode(data)) == data


def test_protocol_uses_the_default_codec(wire_codec: WireCodec) -> None:
    proto = OpenAIRealtimeProtocol()
    assert proto.codec is wire_codec is default_codec()
    proto.send_audio(b"\x01\x02\x03")
    assert json.loads(proto.data_to_send()[0]) == {
        "type": "input_audio_buffer.append",
        "audio": base64.b64encode(b"\x01\x02\x03").decode(),
    }


def test_nan_in_a_server_frame_is_read_as_before(wire_codec: WireCodec) -> None:
    proto = OpenAIRealtimeProtocol()
    proto.receive_frame('{"type": "rate_limits.updated", "rate_limits": [{"remaining": NaN}]}')
    events = proto.events_received()
    assert [name for name, _ in events] == ["*", "rate_limits.updated"]
    assert math.isnan(events[1][1].data["rate_limits"][0]["remaining"])  # type: ignore[attr-defined]


def test_the_environment_variable_forces_the_stdlib() -> None:
    # A fresh interpreter: the default is resolved once, on first use.
    code = (
        "from realtime_agents.protocol.codec import default_codec;"
        "from realtime_agents.protocol import OpenAIRealtimeProtocol;"
        "print(default_codec().name, OpenAIRealtimeProtocol().codec.name)"
    )
    run = [sys.executable, "-c", code]
    forced = subprocess.run(
        run, env={"REALTIME_AGENTS_CODEC": "stdlib"}, capture_output=True, text=True, timeout=60
    )
    assert forced.stdout.split() == ["stdlib", "stdlib"], forced.stderr
    auto = subprocess.run(run, env={}, capture_output=True, text=True, timeout=60)
    assert auto.stdout.split() == ["msgspec+pybase64", "msgspec+pybase64"], auto.stderr
