"""The ``emulator`` entry point: ``realtime-agents demo`` and ``realtime-agents emulator``.

realtime-agents finds this module through its ``realtime_agents`` entry-point group, as it
finds any plugin; core never imports the emulator. Only realtime-agents loads this module, so
it may import ``realtime_agents``. It is loaded on every start of ``realtime-agents``
(``--help`` too), so it stays cheap: each command imports the demo or the server in ``run``.
"""

from __future__ import annotations

import argparse

from realtime_agents.plugins import CommandRegistrar, hookimpl

__all__ = ["DemoCommand", "EmulatorCommand", "realtime_agents_register_commands"]


class DemoCommand:
    """``realtime-agents demo [--audio-speed X]``: :mod:`.demo`, offline, in seconds."""

    help = "run a voice agent with a tool and a handoff against the local emulator, offline"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--audio-speed",
            type=_speed,
            default=None,  # None: the demo's own default, without importing the demo here
            help="emulator audio pacing: 1 = real time, 4 = four times faster (default), "
            "0 = unpaced",
        )

    def run(self, args: argparse.Namespace) -> int:
        from .demo import DEFAULT_AUDIO_SPEED, main

        speed = DEFAULT_AUDIO_SPEED if args.audio_speed is None else args.audio_speed
        return main(audio_speed=speed)


class EmulatorCommand:
    """``realtime-agents emulator …``: the ``realtime-agents-emulator`` console script."""

    help = "run the local Realtime API emulator until interrupted (as realtime-agents-emulator)"

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
