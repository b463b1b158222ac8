"""``realtime-agents-emulator``: run the emulator until interrupted.

    realtime-agents-emulator --port 8000 [--api-key KEY ...] [--brain rules.yaml]
                             [--audio-speed 1.0] [--audio-chunk-ms 100]
                             [--speech auto|espeak|synthetic] [--workers 1|N|auto]
                             [--sip-port PORT --webhook-url URL --webhook-secret SECRET]
                             [--log-level INFO]

Prints a banner once it accepts connections (``--port 0`` picks a free port): its first line is
``Realtime API emulator listening on http://127.0.0.1:PORT (base_url …/v1, speech …)``, the next
ones the REST ``base_url`` for the openai client and the ``ws://`` URL for realtime-agents
transports. Then it serves until SIGINT/SIGTERM, logging connections and errors on stderr.
``--workers N`` serves the same port from N processes (:mod:`.workers`).

``realtime-agents emulator`` (see :mod:`.plugin`) is the same command: it declares its options
with :func:`add_arguments` and runs :func:`run`. Declaring options imports nothing heavy; the
server (aiohttp) and the rules loader (yaml) are imported when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .console import banner

if TYPE_CHECKING:
    from .brain import Brain
    from .server import Emulator

__all__ = ["DESCRIPTION", "DETAILS", "LOG_LEVELS", "add_arguments", "banner", "main", "run"]

DESCRIPTION = "Run a local emulator of OpenAI's Realtime API (WebSocket + REST), offline."
"""The one-line summary (``realtime-agents --help`` lists it)."""

DETAILS = """\
Run a local emulator of OpenAI's Realtime API (WebSocket, WebRTC calls, REST; SIP with
--sip-port) with a scripted model, until Ctrl-C. Point the openai client (base_url) or a
realtime-agents transport (url) at it: the banner prints both. It logs each connection and
each error it sends on stderr.

examples:
  %(prog)s --port 8000
  %(prog)s --port 0 --api-key sk-test --brain rules.yaml --audio-speed 0
  %(prog)s --log-level debug          # also log the type of every client event
  %(prog)s --workers auto             # one process per CPU on the same port (load tests)
  %(prog)s --sip-port 5060 --webhook-url http://127.0.0.1:8080/hooks   # SIP calls too
"""
"""The command's description in its own ``--help``: what it does, with examples."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
PING_INTERVAL = 20.0  # s between WebSocket pings, the Emulator's default


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realtime-agents-emulator",
        description=DETAILS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the emulator's options (``--host``, ``--port``, ``--api-key``, …) on ``parser``.

    Each help text states its default itself, whatever formatter the parser uses.
    """
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on: 127.0.0.1, localhost or ::1 (default: %(default)s)",
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="TCP port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this API key; repeat for more (default: any key starting with sk-)",
    )
    parser.add_argument(
        "--brain",
        metavar="RULES",
        help="rules file (.yaml, .yml or .json) scripting the model's answers "
        "(default: echo what the user says)",
    )
    parser.add_argument(
        "--audio-speed",
        type=float,
        default=1.0,
        metavar="SPEED",
        help="output audio pacing: 1 real time, 2 twice as fast, 0 as fast as possible "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--audio-chunk-ms",
        type=int,
        default=100,
        metavar="MS",
        help="audio per response.output_audio.delta, a multiple of 20 (default: %(default)s)",
    )
    parser.add_argument(
        "--speech",
        choices=("auto", "espeak", "synthetic"),
        default="auto",
        help="voice of the model: espeak-ng, a synthetic signal, or auto (espeak-ng if "
        "installed) (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        default="1",
        metavar="N",
        help="processes serving the same port, for load beyond one core: a number, or auto "
        "for one per CPU; WebRTC and SIP calls stay with the process that owns them "
        "(default: %(default)s, a single process)",
    )
    parser.add_argument(
        "--sip-port",
        type=int,
        metavar="PORT",
        help="also answer SIP calls (UDP) on this port, 0 picks a free one; needs the sip "
        "extra (default: no SIP)",
    )
    parser.add_argument(
        "--webhook-url",
        metavar="URL",
        help="where to POST the signed realtime.call.incoming webhook of each SIP call "
        "(default: nowhere)",
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="the whsec_<base64> secret that signs webhooks (default: a fresh one, printed "
        "once in the banner)",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,  # before the choices check: "debug" is DEBUG
        choices=LOG_LEVELS,
        default="INFO",
        metavar="LEVEL",
        help="what to log on stderr, one of debug, info, warning, error, critical: info logs "
        "each connection and each error sent, debug also each client event's type; API keys "
        "are never logged (default: %(default)s)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Serve with the options :func:`add_arguments` declared until interrupted; the exit status."""
    from . import event_loop  # here, with the server: `realtime-agents --help` never needs them
    from .console import configure_logging
    from .server import Emulator

    workers = _workers(args.workers)
    if workers is None:
        print(
            f"error: --workers takes a positive number or auto, not {args.workers!r}",
            file=sys.stderr,
        )
        return 2
    configure_logging(args.log_level)
    brain: Brain | None = None
    try:
        brain = _brain(args.brain)
        options = emulator_options(args)
        emulator = Emulator(**options, brain=brain, sip_port=args.sip_port)
    except (ValueError, RuntimeError) as exc:  # a bad brain, host, chunk size or secret
        print(f"error: {exc}", file=sys.stderr)
        return 2
    keys_given = len(args.api_keys or ())
    secret_given = args.webhook_secret is not None
    if workers > 1:
        from .workers import Plan, serve_workers

        plan = Plan(
            options={**options, "webhook_secret": emulator.webhook_secret},
            port=args.port,
            brain_path=args.brain,
            sip_port=args.sip_port,
            log_level=args.log_level,
            keys_given=keys_given,
            secret_given=secret_given,
        )
        return serve_workers(plan, workers)
    try:
        event_loop.run(_serve(emulator, keys_given=keys_given, secret_given=secret_given))
    except (OSError, RuntimeError) as exc:  # a port in use; the SIP edge without its extra
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def emulator_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~.server.Emulator` keyword arguments the options give (but the brain and
    the SIP port): the same for one process and for each of ``--workers N``."""
    return {
        "host": args.host,
        "port": args.port,
        "api_keys": args.api_keys,
        "audio_speed": args.audio_speed,
        "audio_chunk_ms": args.audio_chunk_ms,
        "speech": args.speech,
        "ping_interval": PING_INTERVAL,
        # Nothing outside this process can read recorded events, and a server that runs for
        # hours under load must not keep every event of every connection.
        "record_events": False,
        "webhook_url": args.webhook_url,
        "webhook_secret": args.webhook_secret,
    }


def _brain(path: str | None) -> Brain | None:
    from .rules import RulesBrain

    if not path:
        return None
    try:
        return RulesBrain.from_file(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot load brain {path}: {exc}") from exc


def _workers(value: str) -> int | None:
    """``--workers``: a positive count, or ``auto`` (the CPUs this process may run on)."""
    if value.strip().lower() == "auto":
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    try:
        count = int(value)
    except ValueError:
        return None
    return count if count >= 1 else None


async def _serve(emulator: Emulator, *, keys_given: int, secret_given: bool = False) -> None:
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with emulator:
        print(banner(emulator, keys_given=keys_given, secret_given=secret_given), flush=True)
        await stop.wait()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
