"""Fixtures for the emulator tests. Every emulator started through them is checked at teardown:
each server event it sent validates against ``openai.types.realtime`` and nothing crashed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from emulator_helpers import check_emulator

from realtime_agents_emulator import Emulator

MakeEmulator = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def make_emulator() -> AsyncIterator[MakeEmulator]:
    """Start emulators with test defaults (``audio_speed=0``, synthetic speech)."""
    started: list[Emulator] = []

    async def make(**options: Any) -> Emulator:
        options.setdefault("audio_speed", 0)
        options.setdefault("speech", "synthetic")
        emulator = Emulator(**options)
        await emulator.start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        await emulator.stop()
    for emulator in started:
        check_emulator(emulator)
        # Stopping must end every connection handler (no task left behind).
        assert all(conn.closed for conn in emulator.connections)


@pytest.fixture
async def emu(make_emulator: MakeEmulator) -> Emulator:
    return await make_emulator()
