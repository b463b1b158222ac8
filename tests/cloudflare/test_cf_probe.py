"""The shims stay honest: one probe, traced in real workerd, under Node's shim and in CPython.

``js/probe.mjs`` upgrades through ``fetch`` and records every observable of the socket
(status, subprotocol, readyState, binaryType default, what ``send`` does before ``accept``
and after either side closes, each event with its fields and order, a refusal's body), against
the emulator, at each compat date. Real workerd's trace is the reference; ``js/shim.mjs``
(layer 2) and ``cf_fetch.py`` with ``cf_probe.py`` (layer 1) must produce the same one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cf_fetch import NEW_COMPAT, OLD_COMPAT, WorkerdFetch
from cf_probe import probe
from cf_runtimes import JS, free_port, last_json, post_json, run_node, workerd
from cf_workerd import write_config

from realtime_agents_emulator import Emulator


def probe_options(emu: Emulator, compat: str) -> dict[str, Any]:
    return {
        "url": f"{emu.ws_url}?model=gpt-realtime",
        "bad_url": emu.ws_url.replace("/v1/realtime", "/nowhere") + "?model=gpt-realtime",
        "compat": compat,
    }


async def workerd_trace(options: dict[str, Any], bundle: Path, work: Path) -> Any:
    port = free_port()
    config = write_config(
        work, pyodide="pyodide", compat=options["compat"], port=port, bundle=bundle
    )
    async with workerd(config, port):
        answer = await post_json(f"http://127.0.0.1:{port}/probe", options, timeout=30)
    return answer


@pytest.mark.parametrize("compat", [OLD_COMPAT, NEW_COMPAT])
async def test_shims_trace_what_workerd_does(
    compat: str, emu: Emulator, bundle: Path, tmp_path: Path
) -> None:
    options = probe_options(emu, compat)
    real = await workerd_trace(options, bundle, tmp_path / "workerd")
    node = last_json(await run_node(JS / "probe_node.mjs", json.dumps(options), timeout=30))
    fetch = WorkerdFetch(compat)
    try:
        cpython = json.loads(json.dumps(await probe(fetch, options["url"], options["bad_url"])))
    finally:
        await fetch.aclose()
    assert node == real
    assert cpython == real
    # What the transport relies on, as real workerd showed it:
    assert real["refused"][0][1:3] == [404, "null"]
    default_binary = real["serverCloses1000"][1][2]
    assert default_binary == ("blob" if compat >= NEW_COMPAT else "arraybuffer")
    steps = [step[0] for step in real["serverCloses1000"]]
    after_close = ["close", "error"] if compat >= NEW_COMPAT else ["close"]
    assert steps[steps.index("close") : -1] == after_close
