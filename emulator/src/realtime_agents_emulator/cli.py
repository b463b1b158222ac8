"""``realtime-agents-emulator``: run the emulator until interrupted.

    realtime-agents-emulator --port 8000 [--api-key KEY ...] [--brain rules.yaml]
                             [--audio-speed 1.0] [--speech auto|espeak|synthetic]
                             [--sip-port PORT --webhook-url URL --webhook-secret SECRET]
                             [--log-level INFO]

Prints a banner once it accepts connections (``--port 0`` picks a free port): its first line is
``Realtime API emulator listening on http://127.0.0.1:PORT (base_url …/v1, speech …)``, the next
ones the REST ``base_url`` for the openai client and the ``ws://`` URL for realtime-agents
transports. Then it serves until SIGINT/SIGTERM, logging connections and errors on stderr.

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
  %(prog)s --sip-port 5060 --webhook-url http://127.0.0.1:8080/hooks   # SIP calls too
"""
"""The command's description in its own ``--help``: what it does, with examples."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
        "--speech",
        choices=("auto", "espeak", "synthetic"),
        default="auto",
        help="voice of the model: espeak-ng, a synthetic signal, or auto (espeak-ng if "
        "installed) (default: %(default)s)",
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
    import asyncio  # here, with the server: `realtime-agents --help` never needs them

    from .rules import RulesBrain
    from .server import Emulator

    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if logging.getLogger().level > logging.DEBUG:
        # aioice logs every ICE candidate pair of every WebRTC call at INFO: noise beside the
        # emulator's own lines, so shown with --log-level debug only.
        logging.getLogger("aioice").setLevel(logging.WARNING)
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
            sip_port=args.sip_port,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret,
        )
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(
            _serve(
                emulator,
                keys_given=len(args.api_keys or ()),
                secret_given=args.webhook_secret is not None,
            )
        )
    except (OSError, RuntimeError) as exc:  # a port in use; the SIP edge without its extra
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


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


def banner(emulator: Emulator, *, keys_given: int = 0, secret_given: bool = False) -> str:
    """What a started emulator prints: where it listens and what to pass to clients.

    The first line is stable (scripts read the port from it). Keys are never printed, nor a
    webhook secret that was given; a generated one is, once: the application needs it.
    """
    keys = (
        f"the {keys_given} given with --api-key"
        if keys_given
        else "any key starting with sk- (e.g. sk-test)"
    )
    return "\n".join(
        (
            f"Realtime API emulator listening on {emulator.url} "
            f"(base_url {emulator.base_url}, speech {emulator.speech_engine})",
            f"  openai client:    AsyncOpenAI(base_url={emulator.base_url!r}, api_key=...)",
            f"  realtime-agents:  await session.connect(url={emulator.ws_url!r}, api_key=...)",
            f"  other clients:    {emulator.ws_url}?model=gpt-realtime",
            f"  API keys:         {keys}",
            *_sip_lines(emulator, secret_given),
            "Press Ctrl-C to stop.",
        )
    )


def _sip_lines(emulator: Emulator, secret_given: bool) -> tuple[str, ...]:
    if emulator.sip is None:
        return ()
    target = emulator.sip.webhook_url or "nowhere (no --webhook-url)"
    secret = "the one given" if secret_given else emulator.webhook_secret
    return (
        f"  SIP (UDP):        {emulator.sip.uri}",
        f"  webhooks:         POST {target}, signed with {secret}",
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
