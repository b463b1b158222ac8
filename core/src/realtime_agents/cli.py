"""The ``realtime-agents`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="realtime-agents", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run a voice agent against the local emulator, offline")
    args = parser.parse_args(argv)
    if args.command == "demo":
        print("realtime-agents demo: not yet — the demo lands with the session layer (issue 5).")
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands first


if __name__ == "__main__":
    sys.exit(main())
