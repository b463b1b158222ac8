"""``realtime-agents-emulator --workers N``: N emulator processes serving one port.

One Python process runs one event loop on one core; past a few hundred sessions with 20 ms
audio both ways that core is full. So the supervisor (this process) binds the public port N
times with ``SO_REUSEPORT`` — the kernel then spreads incoming connections over the N
listening sockets, with no process in the data path — plus one private loopback port per
worker, and starts N worker processes (``spawn``: fresh interpreters, no forked event loop),
each given its two sockets. Binding here rather than in each worker means ``--port 0`` picks
one port for all, a port in use is one error before anything starts, and every worker knows
every private port from the start (``workers_routing.py`` uses them to reach calls owned by
another worker).

The banner (worker 0's, plus a line naming the workers' pids) is printed once every worker
serves. SIGINT or SIGTERM stops every worker (SIGTERM to each; workers ignore SIGINT, which a
terminal's Ctrl-C sends to all of them at once, so that only the supervisor decides). A worker
that dies is reported on stderr and the others are stopped, exit status 1: its calls are gone
and a restarted worker would not have them, so carrying on would hide the loss. A worker
whose supervisor disappears stops too (its end of the pipe to the supervisor closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import secrets
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Plan", "serve_workers"]

log = logging.getLogger(__name__)

_STARTUP_S = 60.0  # each worker imports aiohttp (and aiortc on the first call) on its own
_STOP_S = 10.0  # a stopping worker closes its connections within a few seconds
_READY = "ready"
_FAILED = "failed"


@dataclass(frozen=True)
class Plan:
    """What each worker starts from (it crosses to the worker processes: plain data only)."""

    options: dict[str, Any]  # the Emulator's keyword arguments (``cli.emulator_options``)
    port: int
    brain_path: str | None
    sip_port: int | None  # worker 0 runs the SIP edge: one UDP socket keeps each dialog whole
    log_level: str
    keys_given: int
    secret_given: bool
    index: int = 0
    token: str = ""
    private_ports: dict[int, int] = field(default_factory=dict)


@dataclass
class _Worker:
    index: int
    process: Any  # multiprocessing.context.SpawnProcess
    pipe: multiprocessing.connection.Connection

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def describe(self) -> str:
        code = self.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return f"emulator worker {self.index} (pid {self.pid}) ended with {how}"


def serve_workers(plan: Plan, count: int) -> int:
    """Run ``count`` workers until SIGINT/SIGTERM or until one dies; the exit status."""
    host = _host(str(plan.options["host"]))
    try:
        public, private = _bind(host, plan.port, count)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    plan = replace(
        plan,
        token=secrets.token_urlsafe(24),
        private_ports={i: sock.getsockname()[1] for i, sock in enumerate(private)},
    )
    workers = _spawn(plan, public, private)
    return asyncio.run(_supervise(workers))


def _host(host: str) -> str:
    return "127.0.0.1" if host == "localhost" else host  # as the Emulator itself does


def _bind(host: str, port: int, count: int) -> tuple[list[socket.socket], list[socket.socket]]:
    """``count`` sockets on one public port (``SO_REUSEPORT``) and ``count`` private ones."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("--workers needs SO_REUSEPORT, which this system does not offer")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if port:  # fail as one process would if anyone holds the port, SO_REUSEPORT or not
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    public: list[socket.socket] = []
    private: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = _socket(family, reuse_port=True)
            public.append(sock)
            sock.bind((host, port))
            port = sock.getsockname()[1]  # --port 0: the first socket picks it for all
        for _ in range(count):
            sock = _socket(family, reuse_port=False)
            private.append(sock)
            sock.bind((host, 0))
    except OSError:
        for sock in public + private:
            sock.close()
        raise
    return public, private


def _socket(family: socket.AddressFamily, *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def _spawn(plan: Plan, public: list[socket.socket], private: list[socket.socket]) -> list[_Worker]:
    """Start the workers, each with its two sockets; this process keeps no copy of them (a
    dead worker's socket must close, or the kernel would keep handing it connections)."""
    context = multiprocessing.get_context("spawn")
    workers: list[_Worker] = []
    # Children inherit an ignored SIGINT from the moment they exist (see the module's doc).
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for index, (outer, inner) in enumerate(zip(public, private, strict=True)):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(
                target=worker_main,
                args=(replace(plan, index=index), writer, outer, inner),
                name=f"emulator worker {index}",
                daemon=True,  # a supervisor that exits normally takes its workers with it
            )
            process.start()
            writer.close()
            workers.append(_Worker(index, process, reader))
    finally:
        signal.signal(signal.SIGINT, previous)
        for sock in public + private:
            sock.close()
    return workers


# -- the supervisor ----------------------------------------------------------------------------


async def _supervise(workers: list[_Worker]) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    ended = asyncio.Event()  # a worker's process ended
    gone: list[_Worker] = []
    for worker in workers:
        _once_readable(worker.process.sentinel, _noting(gone, worker, ended))
    try:
        started = await _started(workers, stop)
        failed = started is None and not stop.is_set()  # reported by _started
        if started is not None:
            print(_with_workers_line(*started), flush=True)
            await _first(stop.wait(), ended.wait())
            failed = not stop.is_set() and await _report_ended(gone)
        clean = await _stop_all(workers)
    finally:
        for worker in workers:
            loop.remove_reader(worker.process.sentinel)
    return 1 if failed or not clean else 0


async def _started(workers: list[_Worker], stop: asyncio.Event) -> tuple[str, list[int]] | None:
    """Worker 0's banner and every pid once all serve; None if one failed or we were told to
    stop first (a failure is reported here)."""
    waiting = asyncio.gather(*(_message(worker) for worker in workers))
    try:
        async with asyncio.timeout(_STARTUP_S):
            await _first(waiting, stop.wait())
    except TimeoutError:
        print(f"error: the emulator workers did not start within {_STARTUP_S:g} s", file=sys.stderr)
        return None
    finally:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    if stop.is_set():
        return None
    replies = waiting.result()
    failures = [detail for kind, detail in replies if kind != _READY]
    if failures:
        print(f"error: {failures[0]}", file=sys.stderr)
        return None
    return replies[0][1], [worker.pid for worker in workers]


async def _message(worker: _Worker) -> tuple[str, str]:
    """The worker's one message: ``(ready, banner)`` or ``(failed, why)``."""
    readable = asyncio.Event()
    _once_readable(worker.pipe.fileno(), readable.set)
    try:
        await readable.wait()
    finally:
        asyncio.get_running_loop().remove_reader(worker.pipe.fileno())
    try:
        kind, detail = worker.pipe.recv()
    except EOFError:  # it died before saying anything
        await asyncio.get_running_loop().run_in_executor(None, worker.process.join, _STOP_S)
        return _FAILED, worker.describe()
    return str(kind), str(detail)


def _noting(gone: list[_Worker], worker: _Worker, ended: asyncio.Event) -> Callable[[], None]:
    def note() -> None:
        gone.append(worker)
        ended.set()

    return note


async def _report_ended(gone: list[_Worker]) -> bool:
    """Report each worker that ended unasked; True if one did."""
    loop = asyncio.get_running_loop()
    for worker in gone:
        # Its sentinel closes as it exits, a moment before its exit status can be collected.
        await loop.run_in_executor(None, worker.process.join, _STOP_S)
        print(f"error: {worker.describe()}; stopping the others", file=sys.stderr, flush=True)
    return bool(gone)


async def _stop_all(workers: list[_Worker]) -> bool:
    """SIGTERM every live worker and wait for it; True if each exited with status 0."""
    for worker in workers:
        if worker.process.is_alive():
            worker.process.terminate()
    loop = asyncio.get_running_loop()
    clean = True
    for worker in workers:
        await loop.run_in_executor(None, worker.process.join, _STOP_S)
        if worker.process.is_alive():
            print(f"error: emulator worker {worker.index} did not stop; killed", file=sys.stderr)
            worker.process.kill()
            await loop.run_in_executor(None, worker.process.join, _STOP_S)
            clean = False
        elif worker.process.exitcode not in (0, -signal.SIGTERM):
            clean = False
        worker.pipe.close()
    return clean


async def _first(*awaitables: Any) -> None:
    """Wait until the first of ``awaitables`` finishes; cancel the rest (not futures given)."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task, given in zip(tasks, awaitables, strict=True):
            if task is not given:
                task.cancel()


def _with_workers_line(text: str, pids: list[int]) -> str:
    """The banner with a line naming the workers, before its last line ("Press Ctrl-C")."""
    lines = text.split("\n")
    names = ", ".join(str(pid) for pid in pids)
    line = f"  workers:          {len(pids)} processes on one port (SO_REUSEPORT), pids {names}"
    return "\n".join([*lines[:-1], line, lines[-1]])


# -- a worker ----------------------------------------------------------------------------------


def worker_main(
    plan: Plan,
    pipe: multiprocessing.connection.Connection,
    public: socket.socket,
    private: socket.socket,
) -> None:
    """A worker process: serve until SIGTERM or until the supervisor is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from . import event_loop
    from .console import configure_logging

    configure_logging(plan.log_level, f"worker {plan.index}")
    sys.exit(event_loop.run(_work(plan, pipe, public, private)))


async def _work(
    plan: Plan,
    pipe: multiprocessing.connection.Connection,
    public: socket.socket,
    private: socket.socket,
) -> int:
    from .console import banner
    from .rules import RulesBrain
    from .server import Emulator
    from .workers_routing import WorkerRouter

    try:
        brain = RulesBrain.from_file(plan.brain_path) if plan.brain_path else None
        sip_port = plan.sip_port if plan.index == 0 else None
        emulator = Emulator(**plan.options, brain=brain, sip_port=sip_port)
        router = WorkerRouter(
            plan.index,
            host=_host(str(plan.options["host"])),
            private_ports=plan.private_ports,
            token=plan.token,
            ping_interval=plan.options["ping_interval"],
        )
        await emulator.start_worker(public, private, router)
    except (OSError, ValueError, RuntimeError) as exc:  # e.g. the SIP port in use
        pipe.send((_FAILED, f"emulator worker {plan.index}: {exc}"))
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        text = banner(emulator, keys_given=plan.keys_given, secret_given=plan.secret_given)
        pipe.send((_READY, text))
        _once_readable(pipe.fileno(), stop.set)  # nothing more comes: the supervisor is gone
        await stop.wait()
    finally:
        await emulator.stop()
    return 0


def _once_readable(fd: int, callback: Callable[[], None]) -> None:
    """Call ``callback`` once ``fd`` is readable (an ended process or a closed pipe stays
    readable: the reader goes, or the loop would spin)."""
    loop = asyncio.get_running_loop()

    def fire() -> None:
        loop.remove_reader(fd)
        callback()

    loop.add_reader(fd, fire)
