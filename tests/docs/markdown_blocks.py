"""The fenced code blocks of the docs, each with what its marker says to do with it.

A marker is an HTML comment on the line right before the opening fence (invisible on the
rendered page, visible in the source):

* ``<!-- docs-test: DIRECTIVE -->`` says how the block runs (see :data:`DIRECTIVES`);
* ``<!-- not run: REASON; CHECK -->`` says why it does not run, and CHECK how it is checked
  instead, which must be the check its language has (:data:`STATIC_CHECKS`).

Without a marker, Python and shell blocks run, and TOML/YAML/JSON blocks are parsed. A block
in another language, or without a language, needs a marker; a marker that is not right before
a block, or that this module does not know, is a problem too. Problems are not raised here:
each becomes a :class:`Unit` whose test fails with the problem's description.

The fence grammar is CommonMark's (backticks or tildes, three or more, up to three spaces of
indentation, closed by a fence of the same character at least as long); no Markdown library
is among the test dependencies, and these twenty lines are all the docs need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DOC_GLOBS", "Block", "Unit", "doc_files", "read_blocks", "units_in", "units_of"]

#: Where the docs are; a README or doc added later under these is covered automatically.
DOC_GLOBS = (
    "README.md",
    "*/README.md",
    "plugins/*/README.md",
    "examples/**/README.md",
    "docs/**/*.md",
)

LANGUAGES = {
    "python": "python",
    "py": "python",
    "bash": "shell",
    "sh": "shell",
    "shell": "shell",
    "toml": "toml",
    "yaml": "yaml",
    "yml": "yaml",
    "json": "json",
    "text": "text",
}
#: What a block does when it has no marker (None: a marker is required).
DEFAULT_ACTIONS = {
    "python": "run",
    "shell": "run",
    "toml": "parse",
    "yaml": "parse",
    "json": "parse",
}
#: The check a ``not run`` block gets, by language; its marker must name it.
STATIC_CHECKS = {
    "python": "compiled only",
    "shell": "syntax checked only",
    "toml": "parsed only",
    "yaml": "parsed only",
    "json": "parsed only",
}
#: ``docs-test:`` directives: name -> the languages it applies to.
DIRECTIVES = {
    "run": {"python", "shell"},
    "continue": {"python"},  # appended to the previous Python block of the file: one program
    "pytest": {"python"},  # a test module, run by pytest
    "file": {"python", "toml", "yaml", "json", "text"},  # `file NAME`: written for the next run
    "from the repository root": {"shell"},  # a clone's root, not a temporary directory
    "fresh venv": {"shell"},  # a new virtual environment, from the repository root
    "rules": {"yaml"},  # an emulator rules file: loaded with RulesBrain.from_dict
    "usage": {"text"},  # `usage COMMAND`: every --option shown exists in `COMMAND --help`
}

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>docs-test|not run):\s*(?P<text>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its code, and its marker."""

    path: Path  # relative to the repository root
    line: int  # 1-based line of the opening fence
    language: str  # normalised (see LANGUAGES); the info string's first word if unknown
    code: str
    marker: str | None  # "docs-test: ..." or "not run: ...", None without one

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Unit:
    """What one test does: blocks run (or checked) together, or a problem to report."""

    action: str  # "run", "pytest", "fresh venv", "static", "rules", "usage", or "problem"
    blocks: list[Block]
    argument: str = ""  # the directive's argument (usage: the command), or the problem
    cwd: str = "temporary"  # "temporary" or "repository" (shell)
    files: dict[str, str] = field(default_factory=dict)  # `file NAME` blocks for this run

    @property
    def language(self) -> str:
        return self.blocks[0].language

    def __str__(self) -> str:
        return str(self.blocks[0])


def doc_files(root: Path) -> list[Path]:
    """Every Markdown file of the docs, relative to ``root``, in a stable order."""
    found = {path.relative_to(root) for pattern in DOC_GLOBS for path in root.glob(pattern)}
    return sorted(p for p in found if not any(part.startswith(".") for part in p.parts))


def units_in(root: Path, relative: Path) -> list[Unit]:
    """The units of one file: its blocks grouped, and a problem for each stray marker."""
    blocks, stray = read_blocks(root, relative)
    units = list(units_of(blocks))
    for line in stray:
        marker = Block(relative, line, "", "", None)
        units.append(_problem(marker, "a marker must be on the line right before a block"))
    return units


def read_blocks(root: Path, relative: Path) -> tuple[list[Block], list[int]]:
    """The fenced blocks of one file, and the lines of markers that precede no block."""
    lines = (root / relative).read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    stray: list[int] = []
    pending: tuple[int, str] | None = None  # a marker waiting for its block
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _OPEN.match(line)
        if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
            end = _closing(lines, index, opening["fence"])
            indent = len(opening["indent"])
            body = [_dedent(text, indent) for text in lines[index + 1 : end]]
            info = opening["info"].split()[0].lower() if opening["info"] else ""
            marker = pending[1] if pending and pending[0] == index - 1 else None
            if pending and marker is None:
                stray.append(pending[0] + 1)
            code = "\n".join(body) + "\n" if body else ""
            blocks.append(Block(relative, index + 1, LANGUAGES.get(info, info), code, marker))
            pending = None
            index = end + 1
            continue
        found = _MARKER.match(line)
        if found:
            if pending:
                stray.append(pending[0] + 1)
            pending = (index, f"{found['kind']}: {found['text']}")
        index += 1
    if pending:
        stray.append(pending[0] + 1)
    return blocks, stray


def units_of(blocks: Iterable[Block]) -> Iterator[Unit]:
    """Group one file's blocks into units (``continue`` and ``file`` join the next run)."""
    units: list[Unit] = []
    files: dict[str, str] = {}
    waiting_files: list[Block] = []
    for block in blocks:
        unit = _unit_of(block)
        if unit.action == "continue":
            previous = next((u for u in reversed(units) if u.language == "python"), None)
            if previous is None or previous.action not in ("run", "pytest"):
                units.append(_problem(block, "`continue` needs a Python block run before it"))
            else:
                previous.blocks.append(block)
            continue
        if unit.action == "file":
            files[unit.argument] = block.code
            waiting_files.append(block)
            if block.language in STATIC_CHECKS:  # the file's content is parsed on its own too
                units.append(Unit("static", [block]))
            continue
        if files and unit.action in ("run", "pytest", "fresh venv"):
            unit.files, files, waiting_files = files, {}, []
        units.append(unit)
    late = "a `file` block must come before a block that runs"
    units.extend(_problem(block, late) for block in waiting_files)
    yield from units


def _unit_of(block: Block) -> Unit:
    """What the block's marker (or its language's default) says to do."""
    known = block.language in DEFAULT_ACTIONS or block.language == "text"
    if not known:
        what = f"the language {block.language!r}" if block.language else "no language"
        return _problem(block, f"{what}: give it one of {sorted(set(LANGUAGES))} and a marker")
    if block.marker is None:
        default = DEFAULT_ACTIONS.get(block.language)
        if default is None:
            needed = f"a {block.language} block needs a marker saying how it is checked"
            return _problem(block, needed)
        return Unit("run" if default == "run" else "static", [block])
    kind, _, text = block.marker.partition(": ")
    if kind == "not run":
        return _not_run(block, text)
    return _directive(block, text)


def _not_run(block: Block, text: str) -> Unit:
    reason, _, check = text.rpartition(";")
    expected = STATIC_CHECKS.get(block.language)
    if expected is None:
        return _problem(block, f"a {block.language} block cannot be checked: it must run")
    if not reason.strip() or check.strip() != expected:
        wanted = f"write <!-- not run: <why>; {expected} -->"
        return _problem(block, f"{wanted} (a {block.language} block is {expected})")
    return Unit("static", [block])


def _directive(block: Block, text: str) -> Unit:
    name, argument = _split_directive(text)
    languages = DIRECTIVES.get(name)
    if languages is None:
        return _problem(block, f"unknown directive {text!r}; known: {sorted(DIRECTIVES)}")
    if block.language not in languages:
        return _problem(block, f"`{name}` is for {sorted(languages)} blocks, not {block.language}")
    if name in ("file", "usage") and not argument:
        return _problem(block, f"`{name}` needs an argument")
    if name == "from the repository root":
        return Unit("run", [block], cwd="repository")
    if name == "fresh venv":
        return Unit("fresh venv", [block], cwd="repository")
    return Unit(name, [block], argument=argument)


def _split_directive(text: str) -> tuple[str, str]:
    for name in DIRECTIVES:
        if text == name or text.startswith(name + " "):
            return name, text[len(name) :].strip()
    return text, ""


def _problem(block: Block, message: str) -> Unit:
    return Unit("problem", [block], argument=f"{block}: {message}")


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``start`` (the end of the file if none)."""
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for index in range(start + 1, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines)


def _dedent(text: str, indent: int) -> str:
    """Remove up to ``indent`` leading spaces, as CommonMark does inside an indented fence."""
    stripped = len(text) - len(text.lstrip(" "))
    return text[min(stripped, indent) :]
