"""The ``realtime-agents`` command line: the subcommands installed packages contribute.

Subcommands come from plugins (hook ``realtime_agents_register_commands``), so core never
imports what a command needs (the demo lives in realtime-agents-emulator). Core's own
commands: ``transports`` lists what the plugins provide (:mod:`.cli_transports`), ``talk``
runs a session over one of them (:mod:`.cli_talk`).
Commands import their heavy modules in ``run``, so ``realtime-agents --help`` stays instant.

A command's ``help`` is its one-line summary in ``realtime-agents --help``. Its own ``--help``
shows its optional ``description`` attribute when it has one (what it does, with examples; kept
as written, ``%(prog)s`` is the command's name), else the summary.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from . import __version__
from .cli_talk import TalkCommand
from .cli_transports import TransportsCommand
from .errors import UserError
from .install import install_hint
from .plugins import CliCommand, PluginHost, default_host

__all__ = ["main"]

PROG = "realtime-agents"
DESCRIPTION = """\
Realtime (speech-to-speech) voice agents over OpenAI's Realtime API. The commands come from the
installed realtime-agents packages.

examples:
  realtime-agents demo                   # a voice agent with a tool and a handoff, offline
  realtime-agents emulator --port 8000   # a local Realtime API for tests and development
  realtime-agents transports             # the installed transports and their packages
  realtime-agents talk --input hi.wav    # one turn with a plain agent (OPENAI_API_KEY)
  realtime-agents COMMAND --help         # what a command does and its options
"""
#: What to install for a command we know of that no installed package provides:
#: (distribution, extra).
_PACKAGE_FOR: dict[str, tuple[str, str | None]] = {
    "demo": ("realtime-agents-emulator", "demo"),
    "emulator": ("realtime-agents-emulator", None),
}


def main(argv: Sequence[str] | None = None, *, host: PluginHost | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``) and run the chosen command.

    Returns its exit status; 2 with the help when no command is given, or with an install
    hint for a known command that is not installed. ``host`` defaults to the installed plugins.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    host = default_host() if host is None else host
    try:
        plugin_commands = host.commands
        commands = _with_builtins(plugin_commands, host)
    except UserError as exc:  # a plugin's mistake, e.g. two plugins claiming one name
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    hint = _install_hint(arguments, commands)
    if hint:
        print(hint, file=sys.stderr)
        return 2
    parser = _parser(commands, plugin_commands)
    args = parser.parse_args(arguments)
    command = commands.get(args.command) if args.command else None
    if command is None:
        parser.print_help(sys.stderr)
        return 2
    return command.run(args)


def _with_builtins(
    plugin_commands: Mapping[str, CliCommand], host: PluginHost
) -> dict[str, CliCommand]:
    """The plugins' commands and core's own; a plugin may not take a built-in name."""
    builtins: dict[str, CliCommand] = {
        "talk": TalkCommand(host),
        "transports": TransportsCommand(host),
    }
    for name in builtins.keys() & plugin_commands.keys():
        raise UserError(f"a plugin registers the command {name!r}, which realtime-agents provides")
    return {**plugin_commands, **builtins}


def _parser(
    commands: Mapping[str, CliCommand], plugin_commands: Mapping[str, CliCommand]
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=_not_installed(plugin_commands),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the version of realtime-agents and exit",
    )
    parser.set_defaults(command=None)
    if commands:
        subparsers = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
        for name in sorted(commands):
            command = commands[name]
            subparser = subparsers.add_parser(
                name,
                help=command.help,
                # Optional: the CliCommand protocol requires only the one-line help.
                description=getattr(command, "description", None) or command.help,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            command.add_arguments(subparser)
    return parser


def _install_hint(arguments: Sequence[str], commands: Mapping[str, CliCommand]) -> str | None:
    """What to ``pip install`` when the command typed is one we know but is not installed."""
    # Only --help and --version may precede the command, so the first word is the command.
    name = next((arg for arg in arguments if not arg.startswith("-")), None)
    if name is None or name in commands or name not in _PACKAGE_FOR:
        return None
    return f"{PROG}: the {name!r} command is not installed; {install_hint(*_PACKAGE_FOR[name])}"


def _not_installed(commands: Mapping[str, CliCommand]) -> str | None:
    """The help's epilog: the commands we know of that no installed package provides.

    ``commands`` are the plugins' commands: core's own are always there.
    """
    lines = [] if commands else ["No command is installed."]
    lines += [
        f"The {name!r} command is not installed; {install_hint(*package)}."
        for name, package in _PACKAGE_FOR.items()
        if name not in commands
    ]
    return "\n".join(lines) or None


if __name__ == "__main__":
    sys.exit(main())
