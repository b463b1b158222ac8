"""The example phone agent (``plugins/sip/examples/phone_agent.py``), loaded by path as a user
runs it, and a recorder of what its calls' sessions publish."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from by_path import import_by_path

EXAMPLE = Path(__file__).parents[2] / "plugins" / "sip" / "examples" / "phone_agent.py"


def load_example() -> ModuleType:
    """The example module (loaded once: its dataclasses look their module up by name)."""
    return import_by_path("phone_agent", EXAMPLE)


class Watch:
    """Events of one call's session (session events and raw transport events), in order."""

    def __init__(self, call: Any, session: Any) -> None:
        self.call = call
        self.session = session
        self.log: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()

    def follow(self, source: Any, *names: str) -> None:
        for name in names:
            source.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(event: Any) -> None:
            self.log.append((name, event))
            self._changed.set()

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def of(self, name: str) -> list[Any]:
        return [event for n, event in self.log if n == name]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 10.0) -> Any:
        """The ``count``-th event ``name`` (waiting for it)."""
        async with asyncio.timeout(timeout):
            while len(self.of(name)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.of(name)[count - 1]
