import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_agents.protocol.formats import (
    PCM_24K,
    WireAudioFormat,
    format_from_session,
    normalize_audio_format,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": 24000}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm"}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": 16000}, {"type": "audio/pcm", "rate": 16000}),
        ({"type": "audio/pcm", "rate": 24000.0}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": math.nan}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": math.inf}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": -8000}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": 0}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": True}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcm", "rate": "fast"}, {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/pcmu"}, {"type": "audio/pcmu"}),
        ({"type": "audio/pcma"}, {"type": "audio/pcma"}),
        ("pcm16", {"type": "audio/pcm", "rate": 24000}),
        ("g711_ulaw", {"type": "audio/pcmu"}),
        ("g711_alaw", {"type": "audio/pcma"}),
        ("audio/pcmu", {"type": "audio/pcmu"}),
        ("opus", {"type": "audio/pcm", "rate": 24000}),
        ({"type": "audio/opus"}, {"type": "audio/pcm", "rate": 24000}),
        (42, {"type": "audio/pcm", "rate": 24000}),
    ],
)
def test_normalize_audio_format(value: object, expected: dict[str, object]) -> None:
    assert normalize_audio_format(value).to_wire() == expected


@pytest.mark.parametrize(
    ("fmt", "nbytes", "ms"),
    [
        (PCM_24K, 4800, 100.0),
        (PCM_24K, 48, 1.0),
        (PCM_24K, 960, 20.0),
        (WireAudioFormat("audio/pcm", 16000), 3200, 100.0),
        (normalize_audio_format("g711_ulaw"), 160, 20.0),
        (normalize_audio_format({"type": "audio/pcma"}), 8, 1.0),
        (PCM_24K, 0, 0.0),
    ],
)
def test_bytes_to_ms(fmt: WireAudioFormat, nbytes: int, ms: float) -> None:
    assert fmt.bytes_to_ms(nbytes) == ms


@given(st.integers(min_value=0, max_value=10_000_000))
def test_whole_pcm_milliseconds_are_exact(ms: int) -> None:
    assert PCM_24K.bytes_to_ms(48 * ms) == ms


def test_format_from_ga_and_beta_sessions() -> None:
    ga = {"audio": {"output": {"format": {"type": "audio/pcmu"}}, "input": {}}}
    assert format_from_session(ga, "output").type == "audio/pcmu"
    assert format_from_session(ga, "input") is PCM_24K
    beta = {"output_audio_format": "g711_alaw"}
    assert format_from_session(beta, "output").type == "audio/pcma"
    assert format_from_session(None, "output") is PCM_24K
