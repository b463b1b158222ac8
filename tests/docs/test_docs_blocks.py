"""Every fenced code block of the READMEs and docs/ runs as written, or says why not.

The blocks are found by globbing (``markdown_blocks.DOC_GLOBS``), so a README added later is
covered without touching this file; what each block's marker means is described there.

* **Python** blocks run in a subprocess, unedited, against an emulator on 127.0.0.1: the
  environment points them at it with ``OPENAI_BASE_URL`` (which the ``openai`` client and our
  driver both honour) and gives a dummy ``OPENAI_API_KEY``. ``pytest`` blocks run under pytest
  with the configuration their README states (a ``file pyproject.toml`` block).
* **Shell** blocks run with bash in a temporary directory (or a clone's root) with the
  workspace's environment first on ``PATH`` and ``UV_NO_SYNC=1``, so ``uv run`` uses that
  environment as it is. Their ``pip install`` lines are checked, not run (see
  ``block_checks``), except in the one ``fresh venv`` block, which installs for real into a new
  virtual environment, runs the rest of its lines there, and must leave our packages
  importable from it.
* Every Python process a block starts may reach loopback only (``loopback_only/``); only the
  ``pip install`` lines of the ``fresh venv`` block reach the package index.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from block_checks import check_install_line, check_rules, check_static, install_lines
from markdown_blocks import Unit, doc_files, units_in

ROOT = Path(__file__).resolve().parents[2]
GUARD = Path(__file__).parent / "loopback_only"
BLOCKED = "docs-test: blocked"
DUMMY_KEY = "sk-docs-test-not-a-real-key"
#: Seconds a block may take (a fresh venv installs from the package index).
RUN_TIMEOUT = 45.0
INSTALL_TIMEOUT = 100.0

MakeEmulator = Callable[..., Awaitable[Any]]  # the root conftest's fixture
UNITS = [unit for path in doc_files(ROOT) for unit in units_in(ROOT, path)]


@pytest.mark.parametrize("unit", UNITS, ids=str)
async def test_docs_block(unit: Unit, make_emulator: MakeEmulator, tmp_path: Path) -> None:
    if unit.action == "problem":
        pytest.fail(unit.argument)
    elif unit.action == "static":
        check_static(unit.blocks[0])
    elif unit.action == "rules":
        check_rules(unit.blocks[0])
    elif unit.action == "usage":
        await _check_usage(unit)
    else:
        for name, content in unit.files.items():
            (tmp_path / name).write_text(content, encoding="utf-8")
        emulator = await make_emulator()
        await _RUNNERS[unit.action](unit, tmp_path, emulator.base_url)


def test_every_markdown_file_is_covered() -> None:
    """No doc escapes the globs (a new doc folder must be added to DOC_GLOBS)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(map(Path, listed)) == doc_files(ROOT)


async def _run_block(unit: Unit, tmp_path: Path, base_url: str) -> None:
    """A Python program, or a shell block, in the workspace's environment."""
    env = _block_env(base_url, Path(sys.executable).parent)
    if unit.language == "shell":
        installs, rest = install_lines(unit.blocks[0].code)
        for line in installs:
            check_install_line(line, ROOT)
        cwd = ROOT if unit.cwd == "repository" else tmp_path
        await _run(unit, ["bash", "-euo", "pipefail", "-c", rest], cwd=cwd, env=env)
        return
    (tmp_path / "docs_block.py").write_text(_program(unit), encoding="utf-8")
    await _run(unit, [sys.executable, "docs_block.py"], cwd=tmp_path, env=env)


async def _run_pytest(unit: Unit, tmp_path: Path, base_url: str) -> None:
    """A test module, under pytest, with the configuration its README states (``file``)."""
    (tmp_path / "test_docs_block.py").write_text(_program(unit), encoding="utf-8")
    # Warnings are errors: a configuration the README states must not cause any.
    command = [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider"]
    env = _block_env(base_url, Path(sys.executable).parent)
    await _run(unit, command, cwd=tmp_path, env=env)


async def _run_in_fresh_venv(unit: Unit, tmp_path: Path, base_url: str) -> None:
    """Install as the block says into a new venv, then run its other lines there."""
    installs, rest = install_lines(unit.blocks[0].code)
    assert installs, f"{unit}: a fresh venv block installs something"
    assert _installs_come_first(unit.blocks[0].code), f"{unit}: pip install lines come first"
    venv = tmp_path / "venv"
    await _run(unit, [sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=os.environ)
    env = _block_env(base_url, venv / "bin")
    unguarded = {k: v for k, v in env.items() if k != "PYTHONPATH"}  # pip reaches the index
    for line in installs:
        check_install_line(line, ROOT)
        bash = ["bash", "-euo", "pipefail", "-c", line]
        await _run(unit, bash, cwd=ROOT, env=unguarded, timeout=INSTALL_TIMEOUT)
    await _run(unit, ["bash", "-euo", "pipefail", "-c", rest], cwd=ROOT, env=env)
    await _assert_installed_in(unit, venv, installs, env)


_RUNNERS = {"run": _run_block, "pytest": _run_pytest, "fresh venv": _run_in_fresh_venv}


def _program(unit: Unit) -> str:
    """The unit's Python blocks as one module (``continue`` blocks follow their head)."""
    return "\n\n".join(block.code for block in unit.blocks)


def _installs_come_first(code: str) -> bool:
    commands = [line.strip() for line in code.splitlines() if line.strip()[:1] not in ("", "#")]
    installing = [command.startswith("pip install") for command in commands]
    return installing == sorted(installing, reverse=True)


def _block_env(base_url: str, bin_dir: Path) -> dict[str, str]:
    """A block's environment: ``bin_dir`` first on PATH, our emulator, loopback only.

    ``bin_dir`` is the workspace's environment, or the fresh venv (then nothing of the
    workspace's environment is left, as in a user's shell with that venv activated).
    """
    workspace_bin = str(Path(sys.executable).parent)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p != workspace_bin]
    drop = ("PYTEST_", "UV_", "PYTHON", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        PATH=os.pathsep.join([str(bin_dir), *path]),
        VIRTUAL_ENV=str(bin_dir.parent),
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY=DUMMY_KEY,
        PYTHONPATH=str(GUARD),
        NO_PROXY="127.0.0.1,localhost",
        UV_NO_SYNC="1",  # `uv run` uses the workspace's environment as it is
        UV_PROJECT=str(ROOT),
    )
    return env


async def _assert_installed_in(
    unit: Unit, venv: Path, installs: Sequence[str], env: Mapping[str, str]
) -> None:
    """Each folder installed is importable from the venv, from the venv's own files."""
    folders = re.findall(r"\./([\w/-]+)", " ".join(installs))
    modules = [_import_name(ROOT / folder) for folder in folders]
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    print(importlib.import_module(name).__file__)"
    )
    python = str(venv / "bin" / "python")
    result = await _run(unit, [python, "-c", script, *modules], cwd=venv, env=env)
    for module, location in zip(modules, result.splitlines(), strict=True):
        assert Path(location).is_relative_to(venv), f"{module} imported from {location}"


def _import_name(folder: Path) -> str:
    """The package a member's ``src/`` holds (one per member)."""
    (package,) = [p.name for p in (folder / "src").iterdir() if (p / "__init__.py").exists()]
    return package


async def _check_usage(unit: Unit) -> None:
    """Every ``--option`` the synopsis shows is in the command's ``--help``."""
    env = _block_env("http://127.0.0.1:9/v1", Path(sys.executable).parent)  # help only
    command = [*unit.argument.split(), "--help"]
    help_text = await _run(unit, ["bash", "-c", " ".join(command)], cwd=ROOT, env=env)
    shown = set(re.findall(r"--[a-z][a-z0-9-]*", unit.blocks[0].code))
    assert shown, f"{unit}: a usage block shows options"
    missing = sorted(o for o in shown if o not in help_text)
    assert not missing, f"{unit}: {unit.argument} --help has no {missing}"


async def _run(
    unit: Unit,
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float = RUN_TIMEOUT,
) -> str:
    """Run ``command``; fail with its output unless it exits 0 within ``timeout`` seconds."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a timeout kills the block's children
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        pytest.fail(f"{unit}: {command[0]} did not finish within {timeout:g} s")
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
    report = f"{unit}: exit {process.returncode}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    assert process.returncode == 0, report
    assert BLOCKED not in stderr, report
    return stdout
