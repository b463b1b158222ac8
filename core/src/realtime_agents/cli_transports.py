"""``realtime-agents transports``: the installed transport plugins, with their distributions.

Core's one built-in command: listing what is installed belongs to no plugin. The names come
from the plugin host (as ``RealtimeSession(agent, transport=name)`` finds them); the
distribution and its version from the entry point that loaded the registering plugin
(``importlib.metadata``, through pluggy).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, NamedTuple

from .errors import TransportNotFoundError, UserError
from .install import install_hint
from .plugins import PluginHost

if TYPE_CHECKING:
    import pluggy

__all__ = ["TransportRow", "TransportsCommand", "installed_transports"]

#: Shown for a transport whose plugin was registered in code, not by an installed package.
NOT_PACKAGED = "-"


class TransportRow(NamedTuple):
    """One installed transport: name, distribution, version, and whether it is the default."""

    name: str
    distribution: str
    version: str
    default: bool


def installed_transports(host: PluginHost) -> list[TransportRow]:
    """The transports ``host`` provides, sorted by name."""
    names = sorted(host.transports)  # first, so a plugin's mistake is reported as such
    owners = _owners(host)
    try:
        default: str | None = host.default_transport_name()
    except TransportNotFoundError:
        default = None
    return [
        TransportRow(name, *owners.get(name, (NOT_PACKAGED, NOT_PACKAGED)), name == default)
        for name in names
    ]


def _owners(host: PluginHost) -> dict[str, tuple[str, str]]:
    """Transport name -> (distribution, version) of the plugin that registers it."""
    dists = {id(plugin): dist for plugin, dist in host.pm.list_plugin_distinfo()}
    owners: dict[str, tuple[str, str]] = {}
    for impl in host.pm.hook.realtime_agents_register_transports.get_hookimpls():
        dist = dists.get(id(impl.plugin))
        if dist is None:
            continue
        owners.update((name, (dist.project_name, dist.version)) for name in _names(impl))
    return owners


def _names(impl: pluggy.HookImpl) -> list[str]:
    """The transport names one implementation registers (the host has checked them all)."""
    names: list[str] = []

    def register(name: str, factory: object) -> None:
        names.append(name)

    # The hook's one argument is ``register``; an implementation may also take none.
    impl.function(*[register for _ in impl.argnames])
    return names


class TransportsCommand:
    """``realtime-agents transports``: a table of :func:`installed_transports`."""

    help = "list the installed transports, with the package and version each comes from"
    description = """\
List the transports installed realtime-agents packages provide: the names to pass as
RealtimeSession(agent, transport=NAME) or --transport, the distribution each comes from and its
version. The default transport is marked with *.

examples:
  %(prog)s
"""

    def __init__(self, host: PluginHost) -> None:
        self.host = host

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """No options."""

    def run(self, args: argparse.Namespace) -> int:
        try:
            rows = installed_transports(self.host)
        except UserError as exc:  # a plugin's mistake, e.g. two plugins claiming one name
            print(f"realtime-agents: error: {exc}", file=sys.stderr)
            return 2
        if not rows:
            print(
                "realtime-agents: no transport is installed; "
                + install_hint("realtime-agents-websocket"),
                file=sys.stderr,
            )
            return 1
        table = [("TRANSPORT", "DISTRIBUTION", "VERSION")] + [
            (f"{row.name}{' *' if row.default else ''}", row.distribution, row.version)
            for row in rows
        ]
        widths = [max(len(line[column]) for line in table) for column in range(2)]
        for name, distribution, version in table:
            print(f"{name:<{widths[0]}}  {distribution:<{widths[1]}}  {version}")
        return 0
