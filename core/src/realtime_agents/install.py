"""What to tell a user to install: the wording of every install hint, in one place.

Until a distribution is on PyPI, ``pip install realtime-agents-websocket`` cannot work. What
works is installing the folders of a clone of the repository, and then every distribution of
the repository the package needs must be named too (pip would look for it on PyPI otherwise).
Add a distribution to :data:`PUBLISHED` once it is on PyPI: its hints become the plain
``pip install NAME``. ``tests/docs`` checks :data:`_SOURCES` against the workspace's
``pyproject.toml`` files, so a new member cannot be forgotten here.

Public because every package words its "not installed" errors with it (the plugins, the
emulator's demo, a third-party transport that wants the same hints).
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping
from typing import Final, NamedTuple

__all__ = ["PUBLISHED", "REPOSITORY", "install_command", "install_hint"]

#: Distributions published on PyPI (none yet).
PUBLISHED: Final[frozenset[str]] = frozenset()
#: How hints name the repository whose clone the folders are in.
REPOSITORY: Final = "realtime-agents"


class _Source(NamedTuple):
    """A distribution of the repository: its folder, and the repository's distributions it
    needs (``needs``) and each of its extras adds (``extras``)."""

    folder: str
    needs: tuple[str, ...] = ()
    extras: Mapping[str, tuple[str, ...]] = {}


_SOURCES: Final[Mapping[str, _Source]] = {
    "realtime-agents": _Source("core"),
    "realtime-agents-websocket": _Source("plugins/websocket", ("realtime-agents",)),
    "realtime-agents-webrtc": _Source("plugins/webrtc", ("realtime-agents",)),
    "realtime-agents-cloudflare": _Source("plugins/cloudflare", ("realtime-agents",)),
    "realtime-agents-sip": _Source("plugins/sip", ("realtime-agents", "realtime-agents-websocket")),
    "realtime-agents-twilio": _Source(
        "plugins/twilio", ("realtime-agents", "realtime-agents-websocket")
    ),
    "realtime-agents-web": _Source("plugins/web", ("realtime-agents", "realtime-agents-websocket")),
    "realtime-agents-emulator": _Source(
        "emulator", extras={"demo": ("realtime-agents", "realtime-agents-websocket")}
    ),
    "realtime-agents-loopback": _Source("examples/custom_transport", ("realtime-agents",)),
}


def install_command(
    distribution: str, extra: str | None = None, *, published: Collection[str] = PUBLISHED
) -> str:
    """The ``pip install`` command that installs ``distribution`` (with ``extra``) today.

    For a distribution of the repository not yet on PyPI, the folders to run it with from the
    root of a clone, needed ones first: ``pip install ./core ./plugins/websocket``. Otherwise
    the name, as it is (or will be) on PyPI.
    """
    if distribution in published or distribution not in _SOURCES:
        return _pip(_requirement(distribution, extra))
    folders = [f"./{_SOURCES[name].folder}" for name in _needed(distribution, extra)]
    folders.append(_requirement(f"./{_SOURCES[distribution].folder}", extra))
    return _pip(*folders)


def install_hint(
    distribution: str, extra: str | None = None, *, published: Collection[str] = PUBLISHED
) -> str:
    """How to install ``distribution`` (with ``extra``), as a clause for a message.

    ``"install X from the root of a clone of the realtime-agents repository: pip install
    ./core ./x (once it is on PyPI: pip install x)"``; for a published distribution just
    ``"install X: pip install x"``.
    """
    name = _requirement(distribution, extra)
    on_pypi = _pip(name)
    if distribution in published:
        return f"install {name}: {on_pypi}"
    if distribution not in _SOURCES:
        return f"install {name}, which is not released yet (once it is: {on_pypi})"
    return (
        f"install {name} from the root of a clone of the {REPOSITORY} repository: "
        f"{install_command(distribution, extra, published=published)} "
        f"(once it is on PyPI: {on_pypi})"
    )


def _needed(distribution: str, extra: str | None) -> list[str]:
    """The repository's distributions ``distribution[extra]`` needs, dependencies first."""
    order: list[str] = []

    def visit(name: str, wanted: str | None) -> None:
        source = _SOURCES[name]
        for need in (*source.needs, *source.extras.get(wanted or "", ())):
            if need not in order and need != distribution:
                visit(need, None)
                order.append(need)

    visit(distribution, extra)
    return order


def _requirement(target: str, extra: str | None) -> str:
    return f"{target}[{extra}]" if extra else target


def _pip(*requirements: str) -> str:
    # Quoted where a shell would expand them: zsh globs the brackets of an extra.
    return " ".join(["pip", "install", *(shlex.quote(r) for r in requirements)])
