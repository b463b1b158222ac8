"""The event loop the emulator's command runs on: uvloop when installed, else asyncio's.

Under load the emulator's time per message goes mostly to the loop and its transports (a
timer, a read and a write per audio message of every session), which uvloop runs in C. It is
an accelerator, never a dependency: nothing depends on which loop runs, and
``REALTIME_AGENTS_EMULATOR_LOOP=asyncio`` rules it out. The library (``Emulator`` in tests)
runs on whatever loop its caller runs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["LOOP_ENV", "loop_factory", "run"]

LOOP_ENV = "REALTIME_AGENTS_EMULATOR_LOOP"
"""``asyncio`` forces the standard loop; unset (or ``auto``) uses uvloop when installed."""

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when installed and not ruled out, else None (asyncio's)."""
    if os.environ.get(LOOP_ENV, "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the loop :func:`loop_factory` picks."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
