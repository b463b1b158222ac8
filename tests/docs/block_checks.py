"""Checks of docs blocks that need no process of their own: parsing, and `pip install` lines.

A `pip install` line of a README must work as written today, before anything is on PyPI: a
folder of the repository (``./core``, ``'./emulator[demo]'``) must be a distribution with
those extras, a name of ours must be published (``realtime_agents.install.PUBLISHED``), and
another project's name must be installed here with the extras named (so ``openai[realtime]``
passes and a misspelt extra does not). One README line really installs, in a fresh virtual
environment: see ``test_docs_blocks.py``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import shlex
import subprocess
import tomllib
from pathlib import Path

import yaml
from markdown_blocks import Block
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from realtime_agents.install import PUBLISHED
from realtime_agents_emulator import RulesBrain

__all__ = ["check_install_line", "check_static", "install_lines", "workspace_members"]

_ALLOWED_OPTIONS = {"-U", "--upgrade"}


def check_static(block: Block) -> None:
    """Compile, parse or syntax-check ``block``, as its language allows; raises on failure."""
    if block.language == "python":
        # Fragments of a test may await at top level, as the body of an async test does.
        compile(block.code, str(block), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    elif block.language == "shell":
        result = subprocess.run(["bash", "-n"], input=block.code, capture_output=True, text=True)
        assert result.returncode == 0, f"{block}: bash -n: {result.stderr}"
    elif block.language == "toml":
        tomllib.loads(block.code)
    elif block.language == "yaml":
        yaml.safe_load(block.code)
    elif block.language == "json":
        json.loads(block.code)
    else:
        raise AssertionError(f"{block}: no static check for {block.language} blocks")


def check_rules(block: Block) -> None:
    """An emulator rules file: it loads (``RulesBrain.from_dict`` names a bad rule)."""
    RulesBrain.from_dict(yaml.safe_load(block.code))


def install_lines(code: str) -> tuple[list[str], str]:
    """A shell block's ``pip install`` lines, and the rest of it (what runs)."""
    installs: list[str] = []
    rest: list[str] = []
    for line in code.splitlines():
        if line.strip().startswith("pip install"):
            # `pip install uv && uv run ...`: the install is checked, what follows it runs.
            install, chained, then = line.partition(" && ")
            installs.append(install)
            if chained:
                rest.append(then)
        else:
            assert "pip install" not in line, f"put `pip install` on a line of its own: {line!r}"
            rest.append(line)
    return installs, "\n".join(rest) + "\n"


def check_install_line(line: str, root: Path) -> None:
    """Assert that ``line`` (``pip install ...``) can work as written, from ``root``."""
    words = shlex.split(line, comments=True)
    assert words[:2] == ["pip", "install"], f"not a pip install: {line!r}"
    assert len(words) > 2, f"installs nothing: {line!r}"
    assert not {"&&", "||", ";", "|"} & set(words), f"one command per pip install line: {line!r}"
    members = workspace_members(root)
    for word in words[2:]:
        if word.startswith("-"):
            assert word in _ALLOWED_OPTIONS, f"{line!r}: the docs use no option {word!r}"
        elif word.startswith((".", "/")):
            _check_folder(word, root, members)
        else:
            _check_name(word, members)


def workspace_members(root: Path) -> dict[str, tuple[Path, set[str]]]:
    """Each distribution of the workspace (``[tool.uv.workspace]``): its folder, its extras."""
    workspace = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    found: dict[str, tuple[Path, set[str]]] = {}
    for pattern in workspace["tool"]["uv"]["workspace"]["members"]:
        for pyproject in sorted(root.glob(f"{pattern}/pyproject.toml")):
            project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
            extras = set(project.get("optional-dependencies", {}))
            folder = pyproject.parent.relative_to(root)
            found[canonicalize_name(project["name"])] = (folder, extras)
    return found


#: Command-line tools the docs install that are not in the workspace's environment (pip installs
#: uv exactly so in CI, by ``.ci/run``, so a wrong name would fail there).
_TOOLS = {"uv"}


def _check_folder(word: str, root: Path, members: dict[str, tuple[Path, set[str]]]) -> None:
    path, _, extras = word.partition("[")
    folder = (root / path).resolve().relative_to(root.resolve())
    owners = [name for name, (where, _) in members.items() if where == folder]
    assert owners, f"{word!r}: {folder} is not a distribution of the repository"
    wanted = {e.strip() for e in extras.rstrip("]").split(",") if e.strip()}
    missing = wanted - members[owners[0]][1]
    assert not missing, f"{word!r}: {owners[0]} has no extra {sorted(missing)}"


def _check_name(word: str, members: dict[str, tuple[Path, set[str]]]) -> None:
    try:
        requirement = Requirement(word)
    except InvalidRequirement as exc:
        raise AssertionError(f"{word!r} is not a requirement: {exc}") from None
    name = canonicalize_name(requirement.name)
    if name in members:
        assert name in PUBLISHED, (
            f"{word!r} is not on PyPI yet: install the folder from a clone "
            f"(pip install ./{members[name][0]})"
        )
        return
    if name in _TOOLS and not requirement.extras:
        return
    try:
        metadata = importlib.metadata.metadata(name)
    except importlib.metadata.PackageNotFoundError:
        raise AssertionError(f"{word!r}: not a project the tests know (not installed)") from None
    provided = {canonicalize_name(e) for e in metadata.get_all("Provides-Extra") or []}
    missing = {canonicalize_name(e) for e in requirement.extras} - provided
    assert not missing, f"{word!r}: {name} has no extra {sorted(missing)}"
