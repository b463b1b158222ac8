"""The [audio] extra's device backend (sounddevice over PortAudio over ALSA), for real.

This machine has no sound card. Each test runs in a subprocess whose HOME holds (or not) an
ALSA configuration making ``default`` the ALSA ``null`` device: with it, PortAudio sees an
input and an output that record silence and swallow sound (unpaced); without it, none.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

NULL_DEVICE = 'pcm.!default { type plug slave.pcm "null" }\n'

RECORD_AND_PLAY = """
import asyncio
from realtime_agents_webrtc._devices import SoundDevices

async def main():
    devices = SoundDevices()
    microphone = devices.open_microphone()
    assert microphone is not None
    chunks = []
    async for chunk in microphone:
        chunks.append(chunk)
        if len(chunks) == 3:
            break
    microphone.close()
    assert {len(c) for c in chunks} == {960}, [len(c) for c in chunks]  # 20 ms PCM16 24 kHz
    speaker = devices.open_speaker()
    assert speaker is not None
    play, close = speaker
    play(bytes(960))
    close()
    print("recorded and played")

asyncio.run(main())
"""

NO_DEVICES = """
import asyncio
from realtime_agents.errors import UserError
from realtime_agents_webrtc import OpenAIRealtimeWebRTC
from realtime_agents_webrtc._devices import SoundDevices

async def main():
    devices = SoundDevices()
    assert devices.open_microphone() is None
    assert devices.open_speaker() is None
    transport = OpenAIRealtimeWebRTC(base_url="http://127.0.0.1:9/v1/realtime/calls",
                                     microphone=True, ice_servers=[])
    try:
        await transport.connect(api_key="sk-test")
    except UserError as exc:
        print(exc)
    else:
        raise AssertionError("connect should have refused")

asyncio.run(main())
"""


def run(script: str, home: Path) -> str:
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_default_devices_record_and_play(tmp_path: Path) -> None:
    (tmp_path / ".asoundrc").write_text(NULL_DEVICE)
    assert run(RECORD_AND_PLAY, tmp_path).strip() == "recorded and played"


def test_without_devices_the_error_names_the_three_ways(tmp_path: Path) -> None:
    message = run(NO_DEVICES, tmp_path)
    assert "no microphone" in message
    assert "media_stream=" in message
    assert "send_audio(" in message
    assert "realtime-agents-webrtc[audio]" in message
