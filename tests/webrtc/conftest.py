from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from webrtc_peer import RTCPeer


@pytest.fixture
async def peer() -> AsyncIterator[RTCPeer]:
    server = RTCPeer()
    await server.start()
    yield server
    await server.stop()
