"""The public surface: exported names, lazy imports and the pytest plugin."""

from __future__ import annotations

import subprocess
import sys

import pytest
from emulator_helpers import check_emulator, openai_client, recv_until

import realtime_agents_emulator
from realtime_agents_emulator import Emulator

EXPORTED = {
    "AudioFormat",
    "AudioTurn",
    "Brain",
    "CallFunction",
    "ClientSecret",
    "EchoBrain",
    "Emulator",
    "EventLog",
    "Fail",
    "FaultPlan",
    "Faults",
    "RealtimeError",
    "Rule",
    "RulesBrain",
    "Say",
    "ServerConnection",
    "Turn",
    "pcm16_silence",
    "pcm16_tone",
}


def test_exported_names() -> None:
    assert set(realtime_agents_emulator.__all__) == EXPORTED
    for name in EXPORTED:
        assert getattr(realtime_agents_emulator, name) is not None
    assert set(dir(realtime_agents_emulator)) >= EXPORTED
    with pytest.raises(AttributeError):
        realtime_agents_emulator.Nope  # noqa: B018


def test_plugin_and_package_import_no_aiohttp() -> None:
    code = (
        "import sys, realtime_agents_emulator, realtime_agents_emulator.pytest_plugin;"
        "assert 'aiohttp' not in sys.modules, 'aiohttp imported';"
        "assert 'openai' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_server_does_not_need_openai_or_pydantic() -> None:
    code = """
import asyncio, sys
sys.modules["openai"] = None
sys.modules["pydantic"] = None
from realtime_agents_emulator import Emulator

async def main():
    async with Emulator(audio_speed=0) as emu:
        assert emu.port

asyncio.run(main())
"""
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


async def test_plugin_fixture(realtime_emulator: Emulator) -> None:
    assert isinstance(realtime_emulator, Emulator)
    async with (
        openai_client(realtime_emulator) as client,
        client.realtime.connect(model="gpt-realtime") as conn,
    ):
        await conn.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "x"}],
            }
        )
        await conn.response.create()
        await recv_until(conn, "response.done")
    check_emulator(realtime_emulator)


@pytest.mark.realtime_emulator(api_keys=["sk-marker"], models=["only-this"])
async def test_plugin_fixture_options_from_marker(realtime_emulator: Emulator) -> None:
    async with (
        openai_client(realtime_emulator, "sk-marker") as client,
        client.realtime.connect(model="only-this") as conn,
    ):
        created = await conn.recv()
    assert created.type == "session.created"
