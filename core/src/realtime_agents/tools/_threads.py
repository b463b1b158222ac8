"""Synchronous tools run on daemon threads, so a tool that never returns never blocks exit.

Why not ``asyncio.to_thread``: it uses the loop's default executor, which ``asyncio.run``
joins before it returns (``loop.shutdown_default_executor``): a tool still running after its
timeout or after ``session.close()`` kept the whole program from exiting. Why not a
``ThreadPoolExecutor`` of our own: ``concurrent.futures`` joins its workers at interpreter
exit as well, and a pool of N workers is used up by N stuck tools, after which every call
waits behind them. So each call gets its own daemon thread: starting one costs tens of
microseconds, nothing next to a model round trip; the interpreter does not wait for it; a
stuck tool blocks nothing but itself.

A call that is cancelled stops being awaited at once. Python cannot stop a thread from
outside: the function runs on until it returns, and its result is dropped. That is why tools
get ``ToolContext.cancelled`` to notice and return early.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["run_in_daemon_thread"]


def run_in_daemon_thread(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` on a new daemon thread (with the caller's contextvars); await its result.

    Returns an awaitable future; cancelling it abandons the call, not the thread.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            result = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed to the awaiting task, as asyncio.to_thread does
            _deliver(loop, future, None, exc)
        else:
            _deliver(loop, future, result, None)

    name = f"realtime-agents tool {getattr(fn, '__name__', 'call')}"
    threading.Thread(target=work, name=name, daemon=True).start()
    return future


def _deliver(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    def settle() -> None:
        if future.done():  # cancelled meanwhile: nobody waits for this result any more
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    with contextlib.suppress(RuntimeError):  # the loop is closed: the caller is long gone
        loop.call_soon_threadsafe(settle)
