"""Layer 2: the shared scenarios (``cf_cases.py``) in Pyodide under Node, Python 3.13 and 3.14.

``js.fetch`` is the workerd-semantics shim (``js/shim.mjs``) at both compat dates; the
transport takes it as its default, as it takes workerd's in a Worker. One Node process per
Pyodide and date runs every scenario; each scenario is asserted on its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cf_cases import CASES
from cf_fetch import NEW_COMPAT, OLD_COMPAT
from cf_runtimes import JS, PYODIDES, last_json, run_node

from realtime_agents_emulator import Emulator


def emulator_options(emu: Emulator, compat: str) -> dict[str, Any]:
    return {
        "url": f"{emu.ws_url}?model=gpt-realtime",
        "bad_url": emu.ws_url.replace("/v1/realtime", "/nowhere") + "?model=gpt-realtime",
        "compat": compat,
        "cases": list(CASES),
    }


@pytest.mark.parametrize("compat", [OLD_COMPAT, NEW_COMPAT])
@pytest.mark.parametrize("python", list(PYODIDES))
async def test_cases_in_pyodide_under_node(
    python: str, compat: str, emu: Emulator, bundle: Path
) -> None:
    options = {"pyodide": PYODIDES[python], "bundle": str(bundle), **emulator_options(emu, compat)}
    outcome = last_json(await run_node(JS / "node_runner.mjs", json.dumps(options), timeout=60))
    assert outcome["python"].startswith(python)
    failures = {r["name"]: r["error"] for r in outcome["results"] if not r["ok"]}
    assert failures == {}, "\n".join(f"--- {name}\n{error}" for name, error in failures.items())
    assert [r["name"] for r in outcome["results"]] == list(CASES)
