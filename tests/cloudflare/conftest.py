"""Fixtures of the Cloudflare tests: the Python bundle the Pyodide runtimes mount."""

from __future__ import annotations

from pathlib import Path

import pytest
from cf_bundle import build_bundle


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our wheels, their pure dependencies and the scenarios, zipped (built once a run)."""
    return build_bundle(tmp_path_factory.mktemp("cloudflare-bundle"))
