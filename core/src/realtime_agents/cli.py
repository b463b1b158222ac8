"""The ``realtime-agents`` command line.

Commands import what they need when they run, so ``realtime-agents --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _speed(value: str) -> float:
    speed = float(value)
    if speed < 0:
        raise argparse.ArgumentTypeError("the audio speed cannot be negative")
    return speed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="realtime-agents", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="run a voice agent with a tool and a handoff against the local emulator, offline",
    )
    demo.add_argument(
        "--audio-speed",
        type=_speed,
        default=4.0,
        help="emulator audio pacing: 1 = real time, 4 = four times faster (default), 0 = unpaced",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo_main

        return demo_main(audio_speed=args.audio_speed)
    return 2  # pragma: no cover - argparse rejects unknown commands first


if __name__ == "__main__":
    sys.exit(main())
