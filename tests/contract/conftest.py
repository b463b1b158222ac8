"""The contract suite's parametrisation: each test runs once per harness that has the
capabilities named by its ``@pytest.mark.contract(...)`` marker (see ``contract_harness``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from contract_harness import TransportHarness, harnesses


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "contract(*capabilities): harness capabilities a contract test needs"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "harness" not in metafunc.fixturenames:
        return
    needs: set[str] = set()
    for marker in metafunc.definition.iter_markers("contract"):
        needs.update(marker.args)
    chosen = [h for h in harnesses() if needs <= h.capabilities]
    metafunc.parametrize("harness_class", chosen, ids=[h.name for h in chosen])


@pytest.fixture
async def harness(
    harness_class: type[TransportHarness], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TransportHarness]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    instance = harness_class()
    try:
        yield instance
    finally:
        await instance.stop()
