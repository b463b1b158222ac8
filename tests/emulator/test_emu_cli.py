"""The ``realtime-agents-emulator`` console script."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

from emulator_helpers import openai_client, recv_until, user_text

from realtime_agents_emulator.cli import main

COMMAND = [sys.executable, "-m", "realtime_agents_emulator.cli"]


async def test_serves_until_terminated(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('rules:\n  - when: {text: "ping"}\n    then: "pong"\n')
    proc = await asyncio.create_subprocess_exec(
        *COMMAND,
        "--port",
        "0",
        "--api-key",
        "sk-cli",
        "--brain",
        str(rules),
        "--audio-speed",
        "0",
        "--speech",
        "synthetic",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+) \(base_url (\S+),", line)
        assert match, line
        base_url = match.group(2)
        assert base_url == match.group(1) + "/v1"

        async with (
            openai_client(base_url, "sk-cli") as client,
            client.realtime.connect(model="gpt-realtime") as conn,
        ):
            await conn.recv()
            await conn.conversation.item.create(item=user_text("ping"))
            await conn.response.create(response={"output_modalities": ["text"]})
            events = await recv_until(conn, "response.done", timeout=10)
        assert events[-1].response.output[0].content[0].text == "pong"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr.decode()


def test_console_script_is_installed() -> None:
    assert (Path(sys.executable).parent / "realtime-agents-emulator").exists()


def test_bad_arguments_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--brain", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot load brain" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [{then: [{shout: x}]}]\n")
    assert main(["--brain", str(bad)]) == 2
    assert main(["--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err
