"""The ``web`` entry point: ``realtime-agents serve``.

Loaded on every start of ``realtime-agents`` (``--help`` too), so it imports nothing heavy:
the server is imported when the command runs.
"""

from __future__ import annotations

import argparse

from realtime_agents.plugins import CommandRegistrar, hookimpl

__all__ = ["ServeCommand", "realtime_agents_register_commands"]


class ServeCommand:
    """``realtime-agents serve [--emulator] [--port N] [--host H] [--agent MODULE:NAME]``."""

    help = "serve a browser voice page for an agent (WebRTC in the browser, tools in Python)"
    description = """\
Serve a web page that talks to a realtime agent by voice: the browser sends the microphone to
the Realtime API over WebRTC with a short-lived key minted here, plays the reply and shows the
transcript, while this process attaches to each call and runs the agent's tools. Open the
printed URL and press Start. Needs OPENAI_API_KEY, unless --emulator.

examples:
  %(prog)s --emulator                 # offline, against a local emulator: no key needed
  %(prog)s --agent myapp.agents:support --port 8080
"""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--emulator",
            action="store_true",
            help="run everything offline against an in-process emulator of the Realtime API",
        )
        parser.add_argument(
            "--port", type=int, default=8000, help="the port to serve on (default: 8000)"
        )
        parser.add_argument(
            "--host", default="127.0.0.1", help="the address to serve on (default: 127.0.0.1)"
        )
        parser.add_argument(
            "--agent",
            metavar="MODULE:NAME",
            help="the RealtimeAgent (or a function returning one) to serve "
            "(default: a weather assistant)",
        )

    def run(self, args: argparse.Namespace) -> int:
        from .serve import main

        return main(args.agent, host=args.host, port=args.port, emulator=args.emulator)


@hookimpl
def realtime_agents_register_commands(register: CommandRegistrar) -> None:
    register("serve", ServeCommand())
