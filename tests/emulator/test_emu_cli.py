"""The ``realtime-agents-emulator`` console script: options, help, banner and logging."""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from emulator_helpers import openai_client, recv_until, strict_json, user_text

from realtime_agents_emulator import Emulator
from realtime_agents_emulator.cli import add_arguments, banner, main

COMMAND = [sys.executable, "-m", "realtime_agents_emulator.cli"]
BANNER_LINES = 6
KEY = "sk-cli-secret-never-printed-0123456789"


class Served:
    """A running emulator process: its banner, and (after it stopped) its stderr."""

    def __init__(self, proc: asyncio.subprocess.Process, banner: list[str]) -> None:
        self.proc = proc
        self.banner = banner
        self.stdout = ""
        self.stderr = ""

    def address(self, label: str) -> str:
        """The address the banner prints on the line starting with ``label``."""
        line = next(line for line in self.banner if line.strip().startswith(label))
        return re.findall(r"(?:https?|ws)://[^'\s]+", line)[0]


@asynccontextmanager
async def serving(*options: str) -> AsyncIterator[Served]:
    """Run the console script until the block ends, then SIGTERM it; it must exit with 0."""
    proc = await asyncio.create_subprocess_exec(
        *COMMAND,
        "--port",
        "0",
        "--speech",
        "synthetic",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        lines = [
            (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            for _ in range(BANNER_LINES)
        ]
        served = Served(proc, lines)
        yield served
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 20)
    served.stdout, served.stderr = "".join(lines) + stdout.decode(), stderr.decode()
    assert proc.returncode == 0, served.stderr


async def test_serves_until_terminated(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('rules:\n  - when: {text: "ping"}\n    then: "pong"\n')
    async with serving("--api-key", "sk-cli", "--brain", str(rules), "--audio-speed", "0") as run:
        match = re.search(
            r"listening on (http://127\.0\.0\.1:\d+) \(base_url (\S+),", run.banner[0]
        )
        assert match, run.banner[0]
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


async def test_the_banner_says_what_to_pass_to_each_client() -> None:
    async with serving() as run:
        base_url = run.address("openai client:")
        ws_url = run.address("realtime-agents:")
        assert run.address("other clients:") == ws_url + "?model=gpt-realtime"
        async with aiohttp.ClientSession() as http:
            async with http.get(base_url.removesuffix("/v1") + "/healthz") as response:
                assert strict_json(await response.read()) == {"status": "ok"}
            headers = {"Authorization": "Bearer sk-test"}
            async with http.ws_connect(f"{ws_url}?model=gpt-realtime", headers=headers) as ws:
                assert strict_json((await ws.receive()).data)["type"] == "session.created"
    assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/v1/realtime", ws_url)
    assert base_url == ws_url.replace("ws://", "http://").removesuffix("/realtime")
    assert "any key starting with sk-" in run.banner[4]
    assert run.banner[5] == "Press Ctrl-C to stop.\n"


async def test_banner_never_prints_the_keys() -> None:
    async with Emulator(port=0, api_keys=[KEY, "sk-two"], speech="synthetic") as emu:
        text = banner(emu, keys_given=2)
    assert "API keys:         the 2 given with --api-key" in text
    assert KEY not in text
    assert emu.ws_url in text
    assert emu.base_url in text


async def test_debug_logging_shows_traffic_but_never_the_key() -> None:
    async with serving("--api-key", KEY, "--log-level", "debug") as run:
        async with (
            openai_client(run.address("openai client:"), KEY) as client,
            client.realtime.connect(model="gpt-realtime") as conn,
        ):
            await conn.recv()
            await conn.session.update(session={"type": "realtime", "instructions": KEY})
            await recv_until(conn, "session.updated")
            await conn.send({"type": "nope"})  # type: ignore[arg-type]
            await recv_until(conn, "error")
        async with (
            openai_client(run.address("openai client:"), KEY[:-1]) as client,
            client.realtime.connect(model="gpt-realtime") as conn,
        ):
            await recv_until(conn, "error")
    assert (
        "DEBUG realtime_agents_emulator.connection: connection 1: client event session.update"
        in run.stderr
    )
    assert (
        "INFO realtime_agents_emulator.connection: connection 1: sent error invalid_value"
        in run.stderr
    )
    assert "connection 2: sent error invalid_api_key" in run.stderr
    assert KEY not in run.stdout + run.stderr
    assert KEY[:-1] not in run.stdout + run.stderr


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


def test_log_level_is_validated(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--log-level", "loud"])
    assert exit_info.value.code == 2
    assert "argument --log-level: invalid choice: 'LOUD' (choose from 'DEBUG'," in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(("given", "level"), [([], "INFO"), (["--log-level", "debug"], "DEBUG")])
def test_log_level_default_and_any_case(given: list[str], level: str) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(given).log_level == level


def test_help_shows_every_default_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines at any width
    for default in (
        "127.0.0.1",
        "8000",
        "any key starting with sk-",
        "echo what the user says",
        "1.0",
        "auto",
        "INFO",
    ):
        assert f"(default: {default})" in text
    assert "examples: realtime-agents-emulator --port 8000 " in text
