"""pytest fixtures for testing voice agents against the local emulator.

Loaded in every pytest run of an environment that has the emulator installed (``pytest11`` entry
point), so it imports nothing heavy: aiohttp is imported only when a fixture is used.

* ``realtime_emulator``: an async fixture yielding a started :class:`~.server.Emulator`, stopped
  after the test. Configure it with the marker
  ``@pytest.mark.realtime_emulator(audio_speed=0, brain=RulesBrain.from_file("rules.yaml"))``
  (any ``Emulator`` keyword arguments). Default: ``audio_speed=0`` so tests run fast.

The fixture needs pytest-asyncio (or another plugin that runs async fixtures and tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .server import Emulator

__all__ = ["realtime_emulator"]

_MARKER = "realtime_emulator"
_DEFAULTS: dict[str, Any] = {"audio_speed": 0.0}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**options): keyword arguments for the realtime_emulator fixture's Emulator",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options = dict(_DEFAULTS)
    for marker in reversed(list(request.node.iter_markers(_MARKER))):
        options.update(marker.kwargs)
    return options


_fixture: Any
try:
    import pytest_asyncio

    _fixture = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - pytest then reports the async fixture as unsupported
    _fixture = pytest.fixture


@_fixture  # type: ignore[untyped-decorator]
async def realtime_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """A started emulator on a free loopback port (see the module docs)."""
    from .server import Emulator

    async with Emulator(**_options(request)) as emulator:
        yield emulator
