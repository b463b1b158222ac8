"""Fixtures shared by every test folder: emulators on 127.0.0.1, checked at teardown.

Every emulator started through ``make_emulator`` is stopped after the test, and then checked:
each server event it sent validates against ``openai.types.realtime``, nothing crashed, and
every connection handler ended.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from server_event_checks import check_emulator

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
        assert all(conn.closed for conn in emulator.connections)


@pytest.fixture
async def emu(make_emulator: MakeEmulator) -> Emulator:
    return await make_emulator()


@pytest.fixture(autouse=True)
def _no_openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never pick up a developer's real key from the environment.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
