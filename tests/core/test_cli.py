"""The ``realtime-agents`` command line: plugins' subcommands, and core's ``transports``."""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import realtime_agents
from realtime_agents.cli import main
from realtime_agents.install import install_hint
from realtime_agents.plugins import PluginHost, build_plugin_manager, hookimpl

CORE_SRC = Path(realtime_agents.__file__).parent
#: What to run today (from a clone) and once published, worded in one place for every hint.
DEMO_HINT = install_hint("realtime-agents-emulator", "demo")


class Greet:
    """A command as a plugin author writes one."""

    help = "say hello"

    def __init__(self) -> None:
        self.runs: list[argparse.Namespace] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", default="world")

    def run(self, args: argparse.Namespace) -> int:
        self.runs.append(args)
        print(f"hello {args.name}")
        return 7


class Documented(Greet):
    """A command with a description: what it does, with an example."""

    description = "Say hello to someone.\n\nexample:\n  %(prog)s --name Ada\n"


def host_with(**commands: Any) -> PluginHost:
    class Plugin:
        @hookimpl
        def realtime_agents_register_commands(self, register: Any) -> None:
            for name, command in commands.items():
                register(name, command)

    return PluginHost(build_plugin_manager(plugins=[Plugin()], load_entry_points=False))


def test_runs_the_chosen_command_with_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    greet = Greet()
    assert main(["greet", "--name", "Ada"], host=host_with(greet=greet)) == 7
    assert capsys.readouterr().out == "hello Ada\n"
    assert [(args.command, args.name) for args in greet.runs] == [("greet", "Ada")]


def test_help_lists_every_installed_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"], host=host_with(greet=Greet(), zap=Greet()))
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines() if "say hello" in line] == [
        "greet",
        "zap",
    ]
    assert f"The 'demo' command is not installed; {DEMO_HINT}." in out
    assert "pip install ./core ./plugins/websocket './emulator[demo]'" in DEMO_HINT


def test_help_describes_the_tool_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"], host=host_with(greet=Greet()))
    out = capsys.readouterr().out
    assert "\nexamples:\n  realtime-agents demo " in out
    assert "  realtime-agents COMMAND --help " in out
    assert "--version   print the version of realtime-agents and exit" in out


def test_a_command_help_shows_its_description_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["greet", "--help"], host=host_with(greet=Documented()))
    assert "\nSay hello to someone.\n\nexample:\n  realtime-agents greet --name Ada\n" in (
        capsys.readouterr().out
    )


def test_a_command_without_a_description_shows_its_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["greet", "--help"], host=host_with(greet=Greet()))
    assert "\nsay hello\n" in capsys.readouterr().out


def run_installed(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The console script as users run it, with every installed package's commands."""
    script = Path(sys.executable).with_name("realtime-agents")
    return subprocess.run(
        [str(script), *arguments], capture_output=True, text=True, timeout=30, check=False
    )


def test_installed_script_prints_its_version() -> None:
    result = run_installed("--version")
    assert (result.returncode, result.stdout) == (
        0,
        f"realtime-agents {realtime_agents.__version__}\n",
    )


def test_installed_script_without_a_command_lists_the_commands() -> None:
    result = run_installed()
    assert result.returncode == 2
    listed = re.findall(r"^    (\S+)\s+\S", result.stderr.split("\ncommands:\n")[1], re.M)
    assert {"demo", "emulator"} <= set(listed)


def test_every_installed_command_has_a_summary_and_examples() -> None:
    listed = re.findall(r"^    (\S+)\s+(\S.*)$", run_installed("--help").stdout, re.M)
    assert listed
    for name, summary in listed:
        assert len(summary) > 10, name
        help_text = run_installed(name, "--help").stdout
        assert re.search(rf"^examples?:\n  realtime-agents {name}\b", help_text, re.M), help_text


def test_version_is_the_core_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"], host=host_with())
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"realtime-agents {realtime_agents.__version__}\n"


@pytest.mark.parametrize("commands", [{}, {"greet": Greet()}], ids=["none", "one"])
def test_no_command_prints_the_help_and_exits_2(
    commands: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], host=host_with(**commands)) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: realtime-agents")
    assert ("No command is installed." in err) is (not commands)


def test_a_known_command_that_is_not_installed_says_what_to_install(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--audio-speed", "0"], host=host_with(greet=Greet())) == 2
    err = capsys.readouterr().err
    assert err == f"realtime-agents: the 'demo' command is not installed; {DEMO_HINT}\n"


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["fly"], host=host_with(greet=Greet()))
    assert exit_info.value.code == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


def test_a_plugin_mistake_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"], host=host_with(**{"Bad Name": Greet()})) == 2
    assert capsys.readouterr().err.startswith("realtime-agents: error: plugin ")


def imported_names(node: ast.AST) -> list[str]:
    """Modules an import statement (or a name string, for ``import_module``) refers to."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return [node.module or ""]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    return []


def test_core_source_never_imports_the_emulator() -> None:
    """The demo and the emulator command live in realtime-agents-emulator, reached by plugin."""
    offenders = [
        f"{path.relative_to(CORE_SRC)}:{node.lineno}"
        for path in sorted(CORE_SRC.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if any(name.startswith("realtime_agents_emulator") for name in imported_names(node))
    ]
    assert offenders == []
    assert not (CORE_SRC / "demo.py").exists()


def test_importing_the_cli_loads_no_plugin() -> None:
    code = (
        "import sys, realtime_agents.cli\n"
        "print(sorted(m for m in sys.modules if m.startswith('realtime_agents_')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.strip() == "[]"


# --- realtime-agents transports: core's own command -------------------------------------------

#: The transports the workspace installs, each with its distribution.
WORKSPACE_TRANSPORTS = {
    "cloudflare": "realtime-agents-cloudflare",
    "sip": "realtime-agents-sip",
    "twilio": "realtime-agents-twilio",
    "webrtc": "realtime-agents-webrtc",
    "websocket": "realtime-agents-websocket",
}


def test_installed_script_lists_the_transports_with_their_distributions() -> None:
    result = run_installed("transports")
    assert (result.returncode, result.stderr) == (0, "")
    header, *rows = [line.split() for line in result.stdout.splitlines()]
    assert header == ["TRANSPORT", "DISTRIBUTION", "VERSION"]
    listed = {row[0]: row[-2:] for row in rows}
    for name, distribution in WORKSPACE_TRANSPORTS.items():
        assert listed[name] == [distribution, importlib.metadata.version(distribution)]
    assert [row[0] for row in rows if "*" in row] == ["webrtc"]  # the default, marked


def test_installed_script_without_transports_says_what_to_install() -> None:
    blocked = ",".join([*WORKSPACE_TRANSPORTS, "loopback"])
    script = Path(sys.executable).with_name("realtime-agents")
    result = subprocess.run(
        [str(script), "transports"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "REALTIME_AGENTS_DISABLE_PLUGINS": blocked},
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"realtime-agents: no transport is installed; {install_hint('realtime-agents-websocket')}\n"
    )


class FakeTransport:
    """Never instantiated: the command lists factories, it does not call them."""


def test_a_transport_registered_in_code_has_no_distribution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Plugin:
        @hookimpl
        def realtime_agents_register_transports(self, register: Any) -> None:
            register("websocket", FakeTransport)
            register("fake", FakeTransport)

    host = PluginHost(build_plugin_manager(plugins=[Plugin()], load_entry_points=False))
    assert main(["transports"], host=host) == 0
    assert capsys.readouterr().out.splitlines() == [
        "TRANSPORT    DISTRIBUTION  VERSION",
        "fake         -             -",
        "websocket *  -             -",
    ]


def test_a_plugin_cannot_take_the_transports_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transports"], host=host_with(transports=Greet())) == 2
    assert capsys.readouterr().err == (
        "realtime-agents: error: a plugin registers the command 'transports', "
        "which realtime-agents provides\n"
    )


def test_transports_reports_a_plugin_mistake_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Twice:
        @hookimpl
        def realtime_agents_register_transports(self, register: Any) -> None:
            register("fake", FakeTransport)
            register("fake", Greet)

    host = PluginHost(build_plugin_manager(plugins=[Twice()], load_entry_points=False))
    assert main(["transports"], host=host) == 2
    err = capsys.readouterr().err
    assert err.startswith("realtime-agents: error: two plugins register the transport 'fake'")
    assert err.count("\n") == 1
