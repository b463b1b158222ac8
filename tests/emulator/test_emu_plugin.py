"""The ``emulator`` entry point: ``realtime-agents demo`` and ``realtime-agents emulator``."""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

import realtime_agents_emulator.plugin
from realtime_agents.cli import main
from realtime_agents.plugins import PluginHost, build_plugin_manager
from realtime_agents_emulator.demo import DEFAULT_AUDIO_SPEED
from realtime_agents_emulator.plugin import DemoCommand, EmulatorCommand

SCRIPT = Path(sys.executable).with_name("realtime-agents")


def emulator_host() -> PluginHost:
    plugins = [realtime_agents_emulator.plugin]
    return PluginHost(build_plugin_manager(plugins=plugins, load_entry_points=False))


def test_plugin_registers_both_commands() -> None:
    commands = emulator_host().commands
    assert sorted(commands) == ["demo", "emulator"]
    assert isinstance(commands["demo"], DemoCommand)
    assert isinstance(commands["emulator"], EmulatorCommand)


def test_installed_entry_point_provides_the_commands() -> None:
    """End to end: the workspace's installed ``emulator`` entry point, as users get it."""
    commands = PluginHost(build_plugin_manager(blocked=[])).commands
    assert {"demo", "emulator"} <= set(commands)
    assert "demo" not in PluginHost(build_plugin_manager(blocked=["emulator"])).commands


def test_help_lists_the_commands_and_imports_nothing_heavy() -> None:
    """``realtime-agents --help`` loads the plugins, but not the demo, server or session."""
    code = (
        "import sys\n"
        "from realtime_agents.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
        "heavy = ('aiohttp', 'yaml', 'websockets', 'asyncio', 'realtime_agents.session',\n"
        "         'realtime_agents_emulator.demo', 'realtime_agents_emulator.server')\n"
        "print('imported:', [m for m in heavy if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert re.search(r"^\s+demo\s+run a voice agent", result.stdout, re.M), result.stdout
    assert re.search(r"^\s+emulator\s+run a local emulator of OpenAI", result.stdout, re.M)
    assert result.stdout.rstrip().endswith("imported: []")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "emulator",
            [
                "examples: realtime-agents emulator --port 8000 ",
                "--port PORT TCP port; 0 picks a free one (default: 8000)",
                "(default: INFO)",
            ],
        ),
        (
            "demo",
            [
                "examples: realtime-agents demo realtime-agents demo --audio-speed 1 ",
                "--audio-speed SPEED emulator audio pacing: 1 real time, 4 four times as fast, "
                "0 unpaced (default: 4)",
            ],
        ),
    ],
)
def test_each_command_help_describes_it_with_examples_and_defaults(
    command: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"], host=emulator_host())
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines at any width
    for fragment in expected:
        assert fragment in text


def test_the_demo_help_states_the_demo_default() -> None:
    # The command states the default in its help without importing the demo: keep them equal.
    parser = argparse.ArgumentParser()
    DemoCommand().add_arguments(parser)
    assert f"(default: {DEFAULT_AUDIO_SPEED:g})" in " ".join(parser.format_help().split())


def test_emulator_command_rejects_a_missing_brain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same options and errors as the ``realtime-agents-emulator`` script."""
    missing = tmp_path / "missing.yaml"
    assert main(["emulator", "--brain", str(missing)], host=emulator_host()) == 2
    assert f"cannot load brain {missing}" in capsys.readouterr().err


async def test_emulator_command_serves_until_terminated() -> None:
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        "emulator",
        "--port",
        "0",
        "--speech",
        "synthetic",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert re.match(r"Realtime API emulator listening on http://127\.0\.0\.1:\d+ ", line), line
    finally:
        if proc.returncode is None:
            proc.terminate()
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr.decode()
