"""The docs test's own rules: which blocks run, which need a marker, what a marker may say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from block_checks import check_install_line, check_static, install_lines
from markdown_blocks import Unit, read_blocks, units_in

ROOT = Path(__file__).resolve().parents[2]
GUARD = Path(__file__).parent / "loopback_only"


def units(tmp_path: Path, text: str) -> list[Unit]:
    (tmp_path / "doc.md").write_text(text, encoding="utf-8")
    return units_in(tmp_path, Path("doc.md"))


def summary(found: list[Unit]) -> list[tuple[str, int, str]]:
    return [(u.action, u.blocks[0].line, u.argument) for u in found]


def test_python_and_shell_run_and_data_is_parsed_without_a_marker(tmp_path: Path) -> None:
    text = "```python\nx = 1\n```\n\n```bash\necho hi\n```\n\n```toml\na = 1\n```\n"
    assert summary(units(tmp_path, text)) == [("run", 1, ""), ("run", 5, ""), ("static", 9, "")]


@pytest.mark.parametrize(
    ("fence", "problem"),
    [
        ("```\nls\n```", "doc.md:1: no language: give it one of"),
        ("```rust\nfn main() {}\n```", "doc.md:1: the language 'rust': give it one of"),
        ("```text\nhello\n```", "doc.md:1: a text block needs a marker saying how it is checked"),
    ],
)
def test_a_block_that_cannot_run_without_a_marker_is_a_problem(
    tmp_path: Path, fence: str, problem: str
) -> None:
    (found,) = units(tmp_path, fence + "\n")
    assert found.action == "problem"
    assert found.argument.startswith(problem)


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ("<!-- not run: needs a key -->", "write <!-- not run: <why>; compiled only -->"),
        ("<!-- not run: needs a key; parsed only -->", "(a python block is compiled only)"),
        ("<!-- not run: ; compiled only -->", "write <!-- not run: <why>; compiled only -->"),
        ("<!-- docs-test: skip -->", "unknown directive 'skip'"),
        ("<!-- docs-test: rules -->", "`rules` is for ['yaml'] blocks, not python"),
    ],
)
def test_a_marker_must_say_why_and_how_the_block_is_checked(
    tmp_path: Path, marker: str, problem: str
) -> None:
    (found,) = units(tmp_path, f"{marker}\n```python\nx = 1\n```\n")
    assert found.action == "problem"
    assert problem in found.argument


def test_a_not_run_block_is_checked_as_its_language_allows(tmp_path: Path) -> None:
    text = "<!-- not run: needs a key; compiled only -->\n```python\nawait go()\n```\n"
    (found,) = units(tmp_path, text)
    assert (found.action, found.blocks[0].marker) == (
        "static",
        "not run: needs a key; compiled only",
    )
    check_static(found.blocks[0])  # top-level await: lines of an async test
    broken = found.blocks[0].__class__(Path("doc.md"), 2, "python", "def (:\n", None)
    with pytest.raises(SyntaxError):
        check_static(broken)


def test_a_marker_away_from_any_block_is_a_problem(tmp_path: Path) -> None:
    text = "<!-- docs-test: pytest -->\n\nSome prose.\n\n```python\nx = 1\n```\n"
    found = units(tmp_path, text)
    assert summary(found) == [
        ("run", 5, ""),
        ("problem", 1, "doc.md:1: a marker must be on the line right before a block"),
    ]


def test_continue_joins_the_previous_python_block_and_file_joins_the_next_run(
    tmp_path: Path,
) -> None:
    text = (
        "```python\nx = 1\n```\n"
        "<!-- docs-test: continue -->\n```python\nprint(x)\n```\n"
        "<!-- docs-test: file pyproject.toml -->\n```toml\n[tool.pytest.ini_options]\n```\n"
        "<!-- docs-test: pytest -->\n```python\ndef test_x(): pass\n```\n"
    )
    head, config, test = units(tmp_path, text)
    assert [b.line for b in head.blocks] == [1, 5]
    assert config.action == "static"
    assert test.action == "pytest"
    assert test.files == {"pyproject.toml": "[tool.pytest.ini_options]\n"}


def test_fences_follow_commonmark(tmp_path: Path) -> None:
    text = "~~~~python\n```\nstill code\n~~~~\n\n   ```bash\n   echo indented\n   ```\n"
    (tmp_path / "doc.md").write_text(text, encoding="utf-8")
    first, second = read_blocks(tmp_path, Path("doc.md"))[0]
    assert (first.language, first.code) == ("python", "```\nstill code\n")
    assert (second.language, second.code) == ("shell", "echo indented\n")


def test_pip_install_lines_are_split_from_what_runs() -> None:
    installs, rest = install_lines("pip install ./core\nrealtime-agents --help\n")
    assert (installs, rest) == (["pip install ./core"], "realtime-agents --help\n")
    with pytest.raises(AssertionError, match="on a line of its own"):
        install_lines("python -m pip install ./core\n")


@pytest.mark.parametrize(
    "line",
    [
        "pip install ./core ./plugins/websocket './emulator[demo]'",
        "pip install 'openai[realtime]'",
        "pip install -U ./emulator  # a comment",
    ],
)
def test_install_lines_that_work_today_pass(line: str) -> None:
    check_install_line(line, ROOT)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("pip install realtime-agents-websocket", "not on PyPI yet"),
        ("pip install './emulator[bogus]'", "has no extra ['bogus']"),
        ("pip install ./tests", "is not a distribution of the repository"),
        ("pip install 'openai[nope]'", "openai has no extra ['nope']"),
        ("pip install uv && uv run pytest", "one command per pip install line"),
        ("pip install -e ./core", "the docs use no option '-e'"),
        ("pip install surely-not-installed-here", "not a project the tests know"),
    ],
)
def test_install_lines_that_cannot_work_fail(line: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        check_install_line(line, ROOT)


def test_blocks_may_reach_loopback_only() -> None:
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('api.openai.com', 443), timeout=1)\n"
        "except PermissionError as exc:\n"
        "    print('refused:', exc)\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=1).close()\n"
        "print('loopback ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(GUARD), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.splitlines() == [
        "refused: docs-test: blocked a connection to 'api.openai.com': "
        "a docs block may only reach 127.0.0.1",
        "loopback ok",
    ]
    assert "docs-test: blocked" in result.stderr
