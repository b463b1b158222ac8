"""``realtime-agents-emulator``: run the emulator until interrupted.

    realtime-agents-emulator --port 8000 [--api-key KEY ...] [--brain rules.yaml]
                             [--audio-speed 1.0] [--speech auto|espeak|synthetic]

Prints one line ``Realtime API emulator listening on http://127.0.0.1:PORT (base_url …/v1)``
once it accepts connections (``--port 0`` picks a free port), then serves until SIGINT/SIGTERM.

``realtime-agents emulator`` (see :mod:`.plugin`) is the same command: it declares its options
with :func:`add_arguments` and runs :func:`run`. Declaring options imports nothing heavy; the
server (aiohttp) and the rules loader (yaml) are imported when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .brain import Brain
    from .server import Emulator

__all__ = ["DESCRIPTION", "add_arguments", "main", "run"]

DESCRIPTION = "A local emulator of the OpenAI Realtime API (WebSocket + REST)."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="realtime-agents-emulator", description=DESCRIPTION)
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the emulator's options (``--host``, ``--port``, ``--api-key``, …) on ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port; 0 picks a free one")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accepted API key (repeatable); without it any sk-… key is accepted",
    )
    parser.add_argument("--brain", metavar="RULES", help="rules file (.json, .yaml or .yml)")
    parser.add_argument(
        "--audio-speed",
        type=float,
        default=1.0,
        help="output audio pacing: 1 real time, 2 twice as fast, 0 as fast as possible",
    )
    parser.add_argument("--speech", choices=("auto", "espeak", "synthetic"), default="auto")
    parser.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Serve with the options :func:`add_arguments` declared until interrupted; the exit status."""
    import asyncio  # here, with the server: `realtime-agents --help` never needs them

    from .rules import RulesBrain
    from .server import Emulator

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    brain: Brain | None = None
    if args.brain:
        try:
            brain = RulesBrain.from_file(args.brain)
        except (OSError, ValueError) as exc:
            print(f"error: cannot load brain {args.brain}: {exc}", file=sys.stderr)
            return 2
    try:
        emulator = Emulator(
            args.host,
            args.port,
            api_keys=args.api_keys,
            brain=brain,
            audio_speed=args.audio_speed,
            speech=args.speech,
        )
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(emulator))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(emulator: Emulator) -> None:
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with emulator:
        print(
            f"Realtime API emulator listening on {emulator.url} (base_url {emulator.base_url}, "
            f"speech {emulator.speech_engine})",
            flush=True,
        )
        await stop.wait()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
