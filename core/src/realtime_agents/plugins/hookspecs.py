"""Hook specifications: what a realtime-agents plugin can provide or observe.

A plugin is a module or object with functions marked ``@hookimpl`` whose names are the specs
below; it is found through the ``realtime_agents`` entry-point group (the transports we ship
are found the same way). Registration hooks are synchronous and receive a ``register``
callback; anything asynchronous lives on the objects registered, because pluggy does not await.
Command hooks add subcommands to the ``realtime-agents`` command line (:class:`CliCommand`).
Observation hooks are called after the fact; their return values are ignored and their
exceptions are logged, never raised into the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import pluggy

if TYPE_CHECKING:
    # argparse only types the command protocol; importing the plugin system must stay cheap.
    import argparse

    from ..transport import RealtimeTransportLayer

__all__ = [
    "PROJECT_NAME",
    "CliCommand",
    "CommandRegistrar",
    "GuardrailRegistrar",
    "ToolRegistrar",
    "TransportFactory",
    "TransportRegistrar",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "realtime_agents"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Makes a new, unconnected transport; called once per session that names it.
TransportFactory: TypeAlias = "Callable[[], RealtimeTransportLayer]"
TransportRegistrar: TypeAlias = "Callable[[str, TransportFactory], None]"
#: ``register(tool)``: a tool object (see :func:`realtime_agents.tool`); used by its name.
ToolRegistrar: TypeAlias = Callable[[Any], None]
#: ``register(guardrail)``: an output guardrail; used by its name.
GuardrailRegistrar: TypeAlias = Callable[[Any], None]


class CliCommand(Protocol):
    """A ``realtime-agents`` subcommand contributed by a plugin.

    Every start of the command line (``--help`` included) reads ``help`` and calls
    ``add_arguments`` of every installed command, so both must be cheap: declare options only,
    and keep heavy imports out of the module that defines the command. ``run`` is called only
    for the command the user chose; it imports what it needs and returns the exit status.

    A command may also have a ``description`` attribute: the longer text (with examples) of
    ``realtime-agents COMMAND --help``; without it, ``help`` is used there too.
    """

    @property
    def help(self) -> str:
        """One line for ``realtime-agents --help`` (also the command's own description)."""
        ...

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the command's options and arguments on its own subparser."""
        ...

    def run(self, args: argparse.Namespace) -> int:
        """Do the work with the parsed arguments; return the process exit status."""
        ...


#: ``register(name, command)``: ``name`` is what users type after ``realtime-agents``.
CommandRegistrar: TypeAlias = Callable[[str, CliCommand], None]


@hookspec
def realtime_agents_register_transports(register: TransportRegistrar) -> None:
    """Register transports: ``register("websocket", OpenAIRealtimeWebSocket)``.

    Names are what users pass as ``RealtimeSession(agent, transport=name)``; two plugins
    registering one name is an error naming both.
    """


@hookspec
def realtime_agents_register_tools(register: ToolRegistrar) -> None:
    """Register tools that agents can then list by name (``tools=["lookup_order"]``)."""


@hookspec
def realtime_agents_register_guardrails(register: GuardrailRegistrar) -> None:
    """Register output guardrails that sessions can then list by name."""


@hookspec
def realtime_agents_register_commands(register: CommandRegistrar) -> None:
    """Register command-line subcommands: ``register("demo", DemoCommand())``.

    Called on every start of ``realtime-agents``, for ``--help`` too: see :class:`CliCommand`
    for what must stay cheap. Names are lowercase words (``[a-z0-9][a-z0-9_-]*``); two plugins
    registering one name is an error naming both plugins.
    """


@hookspec
def realtime_agents_tool_call_started(
    session: Any, agent: Any, tool_name: str, call_id: str, arguments: str
) -> None:
    """A session is about to run a tool for the model."""


@hookspec
def realtime_agents_tool_call_finished(
    session: Any,
    agent: Any,
    tool_name: str,
    call_id: str,
    output: str | None,
    error: BaseException | None,
) -> None:
    """A tool finished; ``output`` is what the model gets, ``error`` what went wrong if anything."""


@hookspec
def realtime_agents_guardrail_tripped(
    session: Any, agent: Any, guardrail_name: str, response_id: str | None, output_info: Any
) -> None:
    """An output guardrail stopped a response."""
