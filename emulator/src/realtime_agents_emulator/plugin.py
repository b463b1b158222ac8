"""The ``emulator`` entry point: ``realtime-agents demo`` and ``realtime-agents emulator``.

realtime-agents finds this module through its ``realtime_agents`` entry-point group, as it
finds any plugin; core never imports the emulator. Only realtime-agents loads this module, so
it may import ``realtime_agents``. It is loaded on every start of ``realtime-agents``
(``--help`` too), so it stays cheap: each command imports the demo or the server in ``run``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from realtime_agents.plugins import CommandRegistrar, hookimpl

__all__ = ["DemoCommand", "EmulatorCommand", "realtime_agents_register_commands"]


class DemoCommand:
    """``realtime-agents demo [--transport T] [--save FILE] [--audio-speed X]``: :mod:`.demo`."""

    help = "run a voice agent with a tool and a handoff against the local emulator, offline"
    description = """\
Run a voice agent with a tool and a handoff against an in-process Realtime API emulator, and
print the timeline: what the user said, the tool call and its result, the handoff, what each
agent said, and how long the first audio took. Nothing leaves the machine; no API key is needed.

examples:
  %(prog)s
  %(prog)s --audio-speed 1            # the emulator's audio at real-time pace
  %(prog)s --transport webrtc         # over WebRTC (Opus on a media track, in real time)
  %(prog)s --transport sip            # a phone call into the SIP edge, answered by a webhook app
  %(prog)s --transport twilio         # a Twilio Media Streams call bridged by a local server
  %(prog)s --save reply.wav           # also save what the agents said (PCM16 24 kHz mono)

On sip and twilio the caller speaks each turn, and the reply is saved as the caller heard it
(µ-law 8 kHz on the line, converted to PCM16 24 kHz mono).
"""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        # No argparse ``choices``: the demo checks the name, in one line (not usage + error).
        parser.add_argument(
            "--transport",
            default="websocket",
            metavar="NAME",
            help="the transport: websocket, webrtc, sip or twilio (default: websocket)",
        )
        parser.add_argument(
            "--save",
            type=Path,
            default=None,
            metavar="FILE.wav",
            help="save the agents' reply audio to this WAV file (PCM16 24 kHz mono)",
        )
        parser.add_argument(
            "--audio-speed",
            type=_speed,
            default=None,  # None: the demo's own default, without importing the demo here
            metavar="SPEED",
            help="emulator audio pacing: 1 real time, 4 four times as fast, 0 unpaced (default: 4)",
        )

    def run(self, args: argparse.Namespace) -> int:
        from .demo import DEFAULT_AUDIO_SPEED, main

        speed = DEFAULT_AUDIO_SPEED if args.audio_speed is None else args.audio_speed
        return main(audio_speed=speed, transport=args.transport, save=args.save)


class EmulatorCommand:
    """``realtime-agents emulator …``: the ``realtime-agents-emulator`` console script."""

    help = "run a local emulator of OpenAI's Realtime API until Ctrl-C (for tests and development)"

    @property
    def description(self) -> str:
        from .cli import DETAILS

        return DETAILS

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from .cli import add_arguments

        add_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        from .cli import run

        return run(args)


def _speed(value: str) -> float:
    speed = float(value)
    if speed < 0:
        raise argparse.ArgumentTypeError("the audio speed cannot be negative")
    return speed


@hookimpl
def realtime_agents_register_commands(register: CommandRegistrar) -> None:
    register("demo", DemoCommand())
    register("emulator", EmulatorCommand())
