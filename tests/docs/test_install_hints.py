"""Install hints name folders that install: checked against the workspace's pyproject files.

``realtime_agents.install`` keeps its own table of the repository's distributions (core
cannot read pyproject files at run time); this keeps the table true: every workspace member
is known, and the command for each member and extra lists exactly the repository's
distributions it needs, dependencies first. A member added without updating the table fails
here. The README's quickstart line is the same command, and ``test_docs_blocks`` installs it
into a fresh virtual environment.
"""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path

import pytest
from block_checks import workspace_members
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from realtime_agents.install import install_command

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = workspace_members(ROOT)


def needs(name: str, extra: str | None) -> set[str]:
    """The workspace distributions ``name[extra]`` needs, directly or not."""
    found: set[str] = set()
    pending = [(name, extra)]
    while pending:
        current, wanted = pending.pop()
        for requirement in requirements(current, wanted):
            if requirement in MEMBERS and requirement not in found | {name}:
                found.add(requirement)
                pending.append((requirement, None))
    return found


def requirements(name: str, extra: str | None) -> set[str]:
    pyproject = ROOT / MEMBERS[name][0] / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    listed = project.get("dependencies", [])
    if extra:
        listed = [*listed, *project["optional-dependencies"][extra]]
    return {canonicalize_name(Requirement(text).name) for text in listed}


CASES = [(name, extra) for name, (_, extras) in MEMBERS.items() for extra in [None, *extras]]


@pytest.mark.parametrize(("name", "extra"), CASES)
def test_the_clone_command_lists_what_each_distribution_needs(name: str, extra: str | None) -> None:
    words = shlex.split(install_command(name, extra))
    assert words[:2] == ["pip", "install"]
    *others, last = words[2:]
    assert last == f"./{MEMBERS[name][0]}" + (f"[{extra}]" if extra else "")
    folders = {f"./{folder}": member for member, (folder, _) in MEMBERS.items()}
    assert {folders[word] for word in others} == needs(name, extra)
    for index, word in enumerate(others):  # dependencies before what depends on them
        assert needs(folders[word], None) <= {folders[w] for w in others[:index]}


def test_every_workspace_member_is_known() -> None:
    assert {"realtime-agents", "realtime-agents-websocket", "realtime-agents-emulator"} <= set(
        MEMBERS
    )
    unknown = [name for name in MEMBERS if install_command(name) == f"pip install {name}"]
    assert unknown == [], "add them to realtime_agents.install"
