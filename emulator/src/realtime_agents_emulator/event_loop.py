"""How the emulator's command runs: uvloop when installed, and a collector tuned for a server.

Under load the emulator's time per message goes mostly to the loop and its transports (a
timer, a read and a write per audio message of every session), which uvloop runs in C. It is
an accelerator, never a dependency: nothing depends on which loop runs, and
``REALTIME_AGENTS_EMULATOR_LOOP=asyncio`` rules it out.

The garbage collector: what a message makes (events, frames, futures) is freed by reference
counting, but with Python's default thresholds every few thousand allocations of a busy loop
promoted some of it, and full collections over hundreds of sessions' state paused the loop
14–61 ms at 400–600 sessions (late audio for every session). The command freezes what start-up
built and collects rarely (:data:`GC_THRESHOLDS`); cyclic garbage is still collected.

The library (``Emulator`` in tests) runs on whatever loop its caller runs, with the caller's
collector settings.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["GC_THRESHOLDS", "LOOP_ENV", "loop_factory", "run"]

LOOP_ENV = "REALTIME_AGENTS_EMULATOR_LOOP"
"""``asyncio`` forces the standard loop; unset (or ``auto``) uses uvloop when installed."""

GC_THRESHOLDS = (50_000, 20, 100)
"""``gc.set_threshold`` of the command (Python's defaults: 700, 10, 10)."""

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
    """``asyncio.run(main)`` on the loop :func:`loop_factory` picks, with the collector tuned
    for a server (see the module docs)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
