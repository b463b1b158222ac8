"""Layer 3: the shared scenarios in Pyodide inside real workerd (Python 3.13 and 3.14).

``js/worker.mjs`` boots the npm Pyodide inside workerd, mounts our wheels and their pure
dependencies (``cf_bundle.py``) and runs ``cf_cases.py`` through
``CloudflareRealtimeTransportLayer`` with workerd's own ``fetch`` and WebSocket, against the
emulator on loopback: session.created, a text turn, a tool call through ``RealtimeSession``,
a refused upgrade, closes — at a compat date before 2026-11-01 and at that date (where
workerd exposes ``process``). A real Python Worker cannot boot offline (workerd downloads its
Pyodide bundle), which is why the handler is JavaScript; the Python side is the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cf_cases import CASES
from cf_fetch import NEW_COMPAT, OLD_COMPAT
from cf_runtimes import PYODIDES, free_port, post_json, workerd
from cf_workerd import write_config

from realtime_agents_emulator import Emulator


@pytest.mark.parametrize("compat", [OLD_COMPAT, NEW_COMPAT])
@pytest.mark.parametrize("python", list(PYODIDES))
async def test_cases_in_pyodide_inside_workerd(
    python: str, compat: str, emu: Emulator, bundle: Path, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(
        tmp_path, pyodide=PYODIDES[python], compat=compat, port=port, bundle=bundle
    )
    options = {
        "url": f"{emu.ws_url}?model=gpt-realtime",
        "bad_url": emu.ws_url.replace("/v1/realtime", "/nowhere") + "?model=gpt-realtime",
        "compat": compat,
        "cases": list(CASES),
    }
    question = {"url": options["url"], "question": 'Please lookup {"order_id": "A7"}'}
    async with workerd(config, port):
        outcome = await post_json(f"http://127.0.0.1:{port}/run", options, timeout=60)
        example = await post_json(f"http://127.0.0.1:{port}/example", question, timeout=60)
    assert outcome["python"].startswith(python)
    # From 2026-11-01 workerd has `process`; the worker hid it only while Pyodide booted.
    assert outcome["process"] == ("object" if compat >= NEW_COMPAT else "undefined")
    failures = {r["name"]: r["error"] for r in outcome["results"] if not r["ok"]}
    assert failures == {}, "\n".join(f"--- {name}\n{error}" for name, error in failures.items())
    assert [r["name"] for r in outcome["results"]] == list(CASES)
    # The example Worker (examples/cloudflare_worker), its handler called as the runtime would:
    assert example["status"] == 200
    assert "order A7 shipped yesterday" in example["body"]
