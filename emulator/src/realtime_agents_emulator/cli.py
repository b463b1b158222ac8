"""``realtime-agents-emulator``: run the emulator until interrupted.

    realtime-agents-emulator --port 8000 [--api-key KEY ...] [--brain rules.yaml]
                             [--audio-speed 1.0] [--speech auto|espeak|synthetic]

Prints one line ``Realtime API emulator listening on http://127.0.0.1:PORT (base_url …/v1)``
once it accepts connections (``--port 0`` picks a free port), then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from .brain import Brain
from .rules import RulesBrain
from .server import Emulator

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realtime-agents-emulator",
        description="A local emulator of the OpenAI Realtime API (WebSocket + REST).",
    )
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    args = _parser().parse_args(argv)
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
