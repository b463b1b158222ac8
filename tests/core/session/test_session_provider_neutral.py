"""The session speaks the transport contract only: no wire JSON, no reaching into its runners."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import realtime_agents.session

SESSION = Path(realtime_agents.session.__file__).parent
# Client and server event names of the OpenAI Realtime API, as string literals.
WIRE = re.compile(
    r"^(response|conversation|session|input_audio_buffer|output_audio_buffer|rate_limits)\."
)


def _modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text()) for path in SESSION.glob("*.py")}


def test_no_wire_event_names_in_the_session() -> None:
    found = [
        (name, node.value)
        for name, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and WIRE.match(node.value)
    ]
    assert found == []


def test_runners_import_the_services_interface_not_the_session() -> None:
    for name in ("_tools.py", "_guardrails.py", "_services.py"):
        tree = _modules()[name]
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module is not None
        }
        assert "_session" not in imported, name
    tools = (SESSION / "_tools.py").read_text() + (SESSION / "_guardrails.py").read_text()
    assert re.search(r"session\._[a-z]", tools) is None  # no private member of the session
