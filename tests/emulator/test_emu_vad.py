"""The energy VAD, sans-I/O."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from realtime_agents_emulator import AudioFormat, pcm16_silence, pcm16_tone
from realtime_agents_emulator.vad import EnergyVad, SpeechStarted, SpeechStopped, VadSettings

PCM = AudioFormat("audio/pcm")
TURN = pcm16_silence(200) + pcm16_tone(300) + pcm16_silence(400) + pcm16_tone(100)


def test_start_and_stop_positions() -> None:
    vad = EnergyVad(VadSettings(silence_duration_ms=200), PCM)
    assert vad.feed(TURN) == [SpeechStarted(200), SpeechStopped(700), SpeechStarted(900)]
    assert vad.speaking


def test_threshold_maps_to_dbfs() -> None:
    quiet = pcm16_tone(200, amplitude=0.01)  # about -43 dBFS RMS
    assert VadSettings(threshold=0.5).threshold_dbfs == -35.0
    assert EnergyVad(VadSettings(threshold=0.5), PCM).feed(quiet) == []
    assert EnergyVad(VadSettings(threshold=0.2), PCM).feed(quiet) == [SpeechStarted(0)]


def test_settings_from_turn_detection() -> None:
    assert VadSettings.from_turn_detection(None) is None
    server = VadSettings.from_turn_detection(
        {
            "type": "server_vad",
            "threshold": 0.6,
            "prefix_padding_ms": 100,
            "silence_duration_ms": 300,
        }
    )
    assert server == VadSettings(0.6, 100, 300)
    for eagerness, silence in (("low", 1000), ("auto", 500), ("high", 250)):
        semantic = VadSettings.from_turn_detection({"type": "semantic_vad", "eagerness": eagerness})
        assert semantic is not None
        assert semantic.silence_duration_ms == silence


def test_g711_input() -> None:
    ulaw = AudioFormat("audio/pcmu")
    vad = EnergyVad(VadSettings(), ulaw)
    assert vad.feed(ulaw.encode(TURN)) == [
        SpeechStarted(200),
        SpeechStopped(700),
        SpeechStarted(900),
    ]


@given(st.lists(st.integers(min_value=1, max_value=5000), max_size=12))
def test_chunking_does_not_change_events(cuts: list[int]) -> None:
    vad = EnergyVad(VadSettings(), PCM)
    events = []
    positions = sorted({min(cut, len(TURN)) for cut in cuts} | {0, len(TURN)})
    for start, end in itertools.pairwise(positions):
        events += vad.feed(TURN[start:end])
    assert events == EnergyVad(VadSettings(), PCM).feed(TURN)
