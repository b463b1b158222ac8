"""Layer 1: the shared scenarios (``cf_cases.py``) in CPython, at both workerd compat dates.

``fetch`` is :class:`cf_fetch.WorkerdFetch`: real sockets to the emulator, with the socket
semantics workerd showed (the probe in ``test_cf_probe.py`` keeps that honest).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from cf_cases import CASES
from cf_fetch import NEW_COMPAT, OLD_COMPAT, WorkerdFetch

from realtime_agents_emulator import Emulator


class CPythonEnv:
    """What a scenario needs, for CPython (see ``cf_cases.py``)."""

    def __init__(self, emu: Emulator, fetch: WorkerdFetch) -> None:
        self.url = f"{emu.ws_url}?model=gpt-realtime"
        self.bad_url = emu.ws_url.replace("/v1/realtime", "/nowhere") + "?model=gpt-realtime"
        self.fetch = fetch
        self.compat = fetch.compat

    def listeners(self) -> int:
        return self.fetch.sockets[-1].listener_count()

    def close_socket(self) -> None:
        self.fetch.sockets[-1].close()


@pytest.fixture(params=[OLD_COMPAT, NEW_COMPAT])
async def env(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[CPythonEnv]:
    fetch = WorkerdFetch(request.param)
    yield CPythonEnv(emu, fetch)
    await fetch.aclose()
    assert [error for socket in fetch.sockets for error in socket.listener_errors] == []


@pytest.mark.parametrize("name", list(CASES))
async def test_case(name: str, env: CPythonEnv) -> None:
    await CASES[name](env)


def test_bad_url_is_not_the_realtime_path(emu: Emulator) -> None:
    env: Any = CPythonEnv(emu, WorkerdFetch())
    assert "/nowhere" in env.bad_url
