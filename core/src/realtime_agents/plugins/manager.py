"""Building the plugin manager and the typed facade the rest of the code calls.

Nothing else in realtime-agents touches ``pm.hook``: :class:`PluginHost` wraps every hook
call with a typed method, collects registrations once, and turns plugin mistakes into clear
errors. Managers are built by :func:`build_plugin_manager`, fresh each time (tests build their
own); :func:`default_host` caches one for the process, built on first use so that importing
realtime-agents loads no plugin.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pluggy

from ..errors import TransportNotFoundError, UserError
from . import hookspecs
from .hookspecs import PROJECT_NAME, CliCommand, TransportFactory

if TYPE_CHECKING:
    from ..transport import RealtimeTransportLayer

__all__ = [
    "BLOCK_ENV",
    "ENTRY_POINT_GROUP",
    "PluginHost",
    "build_plugin_manager",
    "default_host",
    "reset_default_host",
]

logger = logging.getLogger("realtime_agents.plugins")

#: The entry-point group plugins are published under.
ENTRY_POINT_GROUP = "realtime_agents"
#: Comma-separated entry-point names never to load, e.g. ``REALTIME_AGENTS_DISABLE_PLUGINS=webrtc``.
BLOCK_ENV = "REALTIME_AGENTS_DISABLE_PLUGINS"

#: Distribution to suggest when a transport name is unknown.
_PACKAGE_FOR = {
    "websocket": "realtime-agents-websocket",
    "webrtc": "realtime-agents-webrtc",
    "sip": "realtime-agents-sip",
    "cloudflare": "realtime-agents-cloudflare",
}
#: What a command name may look like: one word as typed after ``realtime-agents``.
_COMMAND_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def build_plugin_manager(
    *,
    plugins: Iterable[object] = (),
    load_entry_points: bool = True,
    blocked: Iterable[str] | None = None,
) -> pluggy.PluginManager:
    """A new manager with our hook specs, ``plugins`` registered, then the entry points loaded.

    ``blocked`` defaults to the names in :data:`BLOCK_ENV`. ``check_pending()`` runs last,
    so a plugin with a misspelled ``realtime_agents_*`` hook fails here, loudly.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    names = os.environ.get(BLOCK_ENV, "").split(",") if blocked is None else blocked
    for name in names:
        if name.strip():
            pm.set_blocked(name.strip())
    for plugin in plugins:
        pm.register(plugin)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.check_pending()
    return pm


class PluginHost:
    """Typed access to what the plugins of one manager provide."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._transports: dict[str, TransportFactory] | None = None
        self._tools: dict[str, Any] | None = None
        self._guardrails: dict[str, Any] | None = None
        self._commands: dict[str, CliCommand] | None = None

    @property
    def transports(self) -> dict[str, TransportFactory]:
        """Transport factories by name, collected once."""
        if self._transports is None:
            self._transports = self._collect(self.pm.hook.realtime_agents_register_transports)
        return self._transports

    @property
    def tools(self) -> dict[str, Any]:
        """Tools registered by plugins, by name."""
        if self._tools is None:
            self._tools = self._collect_named(self.pm.hook.realtime_agents_register_tools, "tool")
        return self._tools

    @property
    def guardrails(self) -> dict[str, Any]:
        """Output guardrails registered by plugins, by name."""
        if self._guardrails is None:
            hook = self.pm.hook.realtime_agents_register_guardrails
            self._guardrails = self._collect_named(hook, "guardrail")
        return self._guardrails

    @property
    def commands(self) -> dict[str, CliCommand]:
        """Command-line subcommands by name, collected once (see :class:`CliCommand`)."""
        if self._commands is None:
            self._commands = self._collect_commands()
        return self._commands

    def create_transport(self, name: str) -> RealtimeTransportLayer:
        """A new transport of the given name; unknown names list what is installed."""
        factory = self.transports.get(name)
        if factory is None:
            raise TransportNotFoundError(name, list(self.transports), _PACKAGE_FOR.get(name))
        return factory()

    def default_transport_name(self) -> str:
        """``webrtc`` if installed, else ``websocket``; a clear error when neither is."""
        for name in ("webrtc", "websocket"):
            if name in self.transports:
                return name
        raise TransportNotFoundError("websocket", list(self.transports), _PACKAGE_FOR["websocket"])

    def tool_call_started(
        self, session: Any, agent: Any, tool_name: str, call_id: str, arguments: str
    ) -> None:
        self._notify(
            "realtime_agents_tool_call_started",
            session=session,
            agent=agent,
            tool_name=tool_name,
            call_id=call_id,
            arguments=arguments,
        )

    def tool_call_finished(
        self,
        session: Any,
        agent: Any,
        tool_name: str,
        call_id: str,
        output: str | None,
        error: BaseException | None,
    ) -> None:
        self._notify(
            "realtime_agents_tool_call_finished",
            session=session,
            agent=agent,
            tool_name=tool_name,
            call_id=call_id,
            output=output,
            error=error,
        )

    def guardrail_tripped(
        self,
        session: Any,
        agent: Any,
        guardrail_name: str,
        response_id: str | None,
        output_info: Any,
    ) -> None:
        self._notify(
            "realtime_agents_guardrail_tripped",
            session=session,
            agent=agent,
            guardrail_name=guardrail_name,
            response_id=response_id,
            output_info=output_info,
        )

    def _notify(self, hook_name: str, **kwargs: Any) -> None:
        # Observers must never break a live call: their failures are logged and dropped.
        try:
            getattr(self.pm.hook, hook_name)(**kwargs)
        except Exception:
            logger.exception("plugin hook %s raised", hook_name)

    def _collect(self, hook: Callable[..., Any]) -> dict[str, TransportFactory]:
        found: dict[str, TransportFactory] = {}

        def register(name: str, factory: TransportFactory) -> None:
            if not isinstance(name, str) or not name:
                raise UserError(f"transport names must be non-empty strings, got {name!r}")
            if not callable(factory):
                raise UserError(f"transport {name!r}: the factory {factory!r} is not callable")
            if name in found and found[name] is not factory:
                raise UserError(
                    f"two plugins register the transport {name!r}: {found[name]!r} and {factory!r}"
                )
            found[name] = factory

        hook(register=register)
        return found

    def _collect_named(self, hook: Callable[..., Any], kind: str) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def register(obj: Any) -> None:
            name = getattr(obj, "name", None)
            if not isinstance(name, str) or not name:
                raise UserError(f"a plugin registered a {kind} without a name: {obj!r}")
            if name in found and found[name] is not obj:
                raise UserError(f"two plugins register the {kind} {name!r}")
            found[name] = obj

        hook(register=register)
        return found

    def _collect_commands(self) -> dict[str, CliCommand]:
        # Each implementation gets its own ``register`` so that a clash can name both plugins.
        found: dict[str, tuple[CliCommand, str]] = {}
        for impl in self._implementations("realtime_agents_register_commands"):
            owner = self._describe_plugin(impl.plugin, impl.plugin_name)
            _call_impl(impl, register=_command_registrar(found, owner))
        return {name: command for name, (command, _) in found.items()}

    def _implementations(self, hook_name: str) -> list[pluggy.HookImpl]:
        """A registration hook's implementations in pluggy's call order, wrappers left out."""
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        # pluggy calls the last registered first; wrapping a registration has no meaning.
        return [i for i in reversed(impls) if not (i.hookwrapper or i.wrapper)]

    def _describe_plugin(self, plugin: object, name: str) -> str:
        """``'emulator' (realtime-agents-emulator)`` for an entry point, else the plugin's name."""
        for loaded, dist in self.pm.list_plugin_distinfo():
            if loaded is plugin:
                return f"{name!r} ({dist.project_name})"
        if name == str(id(plugin)):  # pluggy's name for an object registered without one
            return f"{type(plugin).__module__}.{type(plugin).__name__} object"
        return repr(name)


def _call_impl(impl: pluggy.HookImpl, **kwargs: Any) -> object:
    """Call one implementation with the arguments it asks for, as pluggy does."""
    return impl.function(*[kwargs[name] for name in impl.argnames])


def _command_registrar(
    found: dict[str, tuple[CliCommand, str]], owner: str
) -> Callable[[str, CliCommand], None]:
    """The ``register`` one plugin receives; ``found`` maps names to (command, owner)."""

    def register(name: str, command: CliCommand) -> None:
        _check_command(owner, name, command)
        if name in found and found[name][0] is not command:
            first = found[name][1]
            if first == owner:
                raise UserError(f"plugin {owner} registers two commands named {name!r}")
            raise UserError(f"two plugins register the command {name!r}: {first} and {owner}")
        found[name] = (command, owner)

    return register


def _check_command(owner: str, name: object, command: object) -> None:
    """Reject what ``argparse`` or the command line could not use, naming the plugin."""
    if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
        raise UserError(
            f"plugin {owner}: the command name {name!r} is not one lowercase word "
            "([a-z0-9][a-z0-9_-]*)"
        )
    if not isinstance(getattr(command, "help", None), str):
        raise UserError(f"plugin {owner}: command {name!r} has no `help` string")
    for method in ("add_arguments", "run"):
        if not callable(getattr(command, method, None)):
            raise UserError(f"plugin {owner}: command {name!r} has no `{method}` method")


_default: PluginHost | None = None


def default_host() -> PluginHost:
    """The process-wide host over the installed plugins, built on first use."""
    global _default
    if _default is None:
        _default = PluginHost(build_plugin_manager())
    return _default


def reset_default_host(host: PluginHost | None = None) -> None:
    """Replace (or forget, with None) the process-wide host; for tests and embedding apps."""
    global _default
    _default = host
