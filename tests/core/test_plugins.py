"""Plugin discovery, registration, the typed facade and the block-list."""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import sys
import types
from collections.abc import Iterator
from typing import Any

import pluggy
import pytest

import realtime_agents.plugins
from realtime_agents.errors import TransportNotFoundError, UserError
from realtime_agents.install import install_command, install_hint
from realtime_agents.plugins import (
    BLOCK_ENV,
    ENTRY_POINT_GROUP,
    CliCommand,
    PluginHost,
    build_plugin_manager,
    hookimpl,
)
from realtime_agents.testing import ScriptedRealtimeTransport


class FakeDist:
    """Just enough of importlib.metadata.Distribution for pluggy's entry-point loader."""

    def __init__(self, name: str, entry_points: list[importlib.metadata.EntryPoint]) -> None:
        self.entry_points = entry_points
        self.metadata = {"name": name}
        self.version = "1.0"

    @property
    def project_name(self) -> str:
        return str(self.metadata["name"])


@pytest.fixture
def fake_plugin_module() -> Iterator[str]:
    module = types.ModuleType("fake_rt_plugin")

    @hookimpl
    def realtime_agents_register_transports(register: Any) -> None:
        register("scripted", ScriptedRealtimeTransport)

    module.realtime_agents_register_transports = realtime_agents_register_transports  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield module.__name__
    del sys.modules[module.__name__]


@pytest.fixture
def fake_distributions(monkeypatch: pytest.MonkeyPatch, fake_plugin_module: str) -> None:
    ep = importlib.metadata.EntryPoint(
        name="scripted", value=fake_plugin_module, group=ENTRY_POINT_GROUP
    )
    other = importlib.metadata.EntryPoint(name="x", value="nowhere:nothing", group="other.group")
    dists = [FakeDist("fake-rt-plugin", [ep, other])]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)


def host_of(*plugins: object, **kwargs: Any) -> PluginHost:
    return PluginHost(build_plugin_manager(plugins=plugins, load_entry_points=False, **kwargs))


@pytest.mark.usefixtures("fake_distributions")
def test_entry_points_are_discovered() -> None:
    host = PluginHost(build_plugin_manager(blocked=[]))
    assert list(host.transports) == ["scripted"]
    assert isinstance(host.create_transport("scripted"), ScriptedRealtimeTransport)


@pytest.mark.usefixtures("fake_distributions")
def test_block_list_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BLOCK_ENV, "other, scripted")
    host = PluginHost(build_plugin_manager())
    assert host.transports == {}


def test_real_installed_workspace_provides_websocket() -> None:
    """End to end: the websocket plugin is found through its installed entry point."""
    host = PluginHost(build_plugin_manager(blocked=[]))
    assert "websocket" in host.transports


def test_unknown_transport_lists_installed_and_package() -> None:
    class Plugin:
        @hookimpl
        def realtime_agents_register_transports(self, register: Any) -> None:
            register("scripted", ScriptedRealtimeTransport)

    host = host_of(Plugin())
    with pytest.raises(TransportNotFoundError) as info:
        host.create_transport("webrtc")
    message = str(info.value)
    assert "'webrtc'" in message
    assert "Installed transports: scripted" in message
    assert "install realtime-agents-webrtc from the root of a clone" in message
    assert "pip install ./core ./plugins/webrtc" in message
    assert "(once it is on PyPI: pip install realtime-agents-webrtc)" in message
    assert info.value.installed == ["scripted"]


def test_missing_websocket_transport_names_the_command_that_works_from_a_clone() -> None:
    with pytest.raises(TransportNotFoundError) as info:
        host_of().default_transport_name()
    assert str(info.value) == (
        "Unknown transport 'websocket'. Installed transports: none. To use 'websocket', "
        "install realtime-agents-websocket from the root of a clone of the realtime-agents "
        "repository: pip install ./core ./plugins/websocket "
        "(once it is on PyPI: pip install realtime-agents-websocket)."
    )


@pytest.mark.parametrize(
    ("distribution", "extra", "command"),
    [
        ("realtime-agents", None, "pip install ./core"),
        ("realtime-agents-websocket", None, "pip install ./core ./plugins/websocket"),
        ("realtime-agents-emulator", None, "pip install ./emulator"),
        (
            "realtime-agents-emulator",
            "demo",
            "pip install ./core ./plugins/websocket './emulator[demo]'",
        ),
        ("realtime-agents-webrtc", None, "pip install ./core ./plugins/webrtc"),
        ("realtime-agents-cloudflare", None, "pip install ./core ./plugins/cloudflare"),
        ("realtime-agents-sip", None, "pip install ./core ./plugins/websocket ./plugins/sip"),
        ("realtime-agents-web", None, "pip install ./core ./plugins/websocket ./plugins/web"),
        (
            "realtime-agents-twilio",
            None,
            "pip install ./core ./plugins/websocket ./plugins/twilio",
        ),
    ],
)
def test_install_command_lists_the_folders_a_clone_needs(
    distribution: str, extra: str | None, command: str
) -> None:
    assert install_command(distribution, extra) == command


def test_published_distributions_install_by_name() -> None:
    published = {"realtime-agents-emulator"}
    command = install_command("realtime-agents-emulator", "demo", published=published)
    assert command == "pip install 'realtime-agents-emulator[demo]'"
    hint = install_hint("realtime-agents-emulator", "demo", published=published)
    assert hint == "install realtime-agents-emulator[demo]: " + command


def test_install_hint_gives_the_clone_command_then_the_published_one() -> None:
    assert install_hint("realtime-agents-emulator", "demo") == (
        "install realtime-agents-emulator[demo] from the root of a clone of the "
        "realtime-agents repository: pip install ./core ./plugins/websocket './emulator[demo]' "
        "(once it is on PyPI: pip install 'realtime-agents-emulator[demo]')"
    )


def test_unknown_third_party_name_has_generic_hint() -> None:
    with pytest.raises(TransportNotFoundError, match="Installed transports: none"):
        host_of().create_transport("carrier-pigeon")


def test_default_transport_prefers_webrtc_then_websocket() -> None:
    def plugin_for(*names: str) -> object:
        class Plugin:
            @hookimpl
            def realtime_agents_register_transports(self, register: Any) -> None:
                for name in names:
                    register(name, ScriptedRealtimeTransport)

        return Plugin()

    assert host_of(plugin_for("websocket", "webrtc")).default_transport_name() == "webrtc"
    assert host_of(plugin_for("websocket")).default_transport_name() == "websocket"
    with pytest.raises(TransportNotFoundError, match="realtime-agents-websocket"):
        host_of(plugin_for("sip")).default_transport_name()


def test_duplicate_transport_names_are_an_error() -> None:
    class A:
        @hookimpl
        def realtime_agents_register_transports(self, register: Any) -> None:
            register("dup", ScriptedRealtimeTransport)

    class B:
        @hookimpl
        def realtime_agents_register_transports(self, register: Any) -> None:
            register("dup", lambda: ScriptedRealtimeTransport())

    with pytest.raises(UserError, match="two plugins register the transport 'dup'"):
        _ = host_of(A(), B()).transports


def test_bad_registrations_are_rejected() -> None:
    class NotCallable:
        @hookimpl
        def realtime_agents_register_transports(self, register: Any) -> None:
            register("x", 42)

    with pytest.raises(UserError, match="not callable"):
        _ = host_of(NotCallable()).transports


def test_tools_and_guardrails_registered_by_name() -> None:
    tool = types.SimpleNamespace(name="lookup_order")
    guard = types.SimpleNamespace(name="no_swearing")

    class Plugin:
        @hookimpl
        def realtime_agents_register_tools(self, register: Any) -> None:
            register(tool)

        @hookimpl
        def realtime_agents_register_guardrails(self, register: Any) -> None:
            register(guard)

    host = host_of(Plugin())
    assert host.tools == {"lookup_order": tool}
    assert host.guardrails == {"no_swearing": guard}


def test_nameless_tool_is_rejected() -> None:
    class Plugin:
        @hookimpl
        def realtime_agents_register_tools(self, register: Any) -> None:
            register(object())

    with pytest.raises(UserError, match="without a name"):
        _ = host_of(Plugin()).tools


def test_misspelled_hook_fails_check_pending() -> None:
    class Plugin:
        @hookimpl
        def realtime_agents_register_transport(self, register: Any) -> None:  # missing "s"
            pass

    with pytest.raises(pluggy.PluginValidationError):
        host_of(Plugin())


def test_observation_hooks_receive_arguments_and_never_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[str, Any]] = []

    class Observer:
        @hookimpl
        def realtime_agents_tool_call_started(self, tool_name: str, call_id: str) -> None:
            seen.append(("started", (tool_name, call_id)))

        @hookimpl
        def realtime_agents_tool_call_finished(self, output: str | None) -> None:
            seen.append(("finished", output))

        @hookimpl
        def realtime_agents_guardrail_tripped(self, guardrail_name: str) -> None:
            raise RuntimeError("observer bug")

    host = host_of(Observer())
    host.tool_call_started(None, None, "weather", "call_1", "{}")
    host.tool_call_finished(None, None, "weather", "call_1", "sunny", None)
    host.guardrail_tripped(None, None, "no_swearing", "resp_1", {})
    assert seen == [("started", ("weather", "call_1")), ("finished", "sunny")]
    assert "observer bug" in caplog.text


def test_exported_names() -> None:
    assert sorted(realtime_agents.plugins.__all__) == [
        "BLOCK_ENV",
        "CliCommand",
        "CommandRegistrar",
        "ENTRY_POINT_GROUP",
        "PluginHost",
        "build_plugin_manager",
        "default_host",
        "hookimpl",
        "hookspec",
        "reset_default_host",
    ]


class Hello:
    help = "say hello"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        return 0


def commands_plugin(*registrations: tuple[str, Any]) -> object:
    class Plugin:
        @hookimpl
        def realtime_agents_register_commands(self, register: Any) -> None:
            for name, command in registrations:
                register(name, command)

    return Plugin()


def test_commands_registered_by_name() -> None:
    hello, other = Hello(), Hello()
    host = host_of(commands_plugin(("hello", hello)), commands_plugin(("other", other)))
    assert host.commands == {"hello": hello, "other": other}
    command: CliCommand = host.commands["hello"]  # the protocol accepts a plain class
    assert command.help == "say hello"


def test_one_command_registered_twice_is_fine() -> None:
    hello = Hello()
    assert host_of(commands_plugin(("hello", hello), ("hello", hello))).commands == {"hello": hello}


def test_one_plugin_registering_two_commands_of_one_name_is_an_error() -> None:
    with pytest.raises(UserError, match="registers two commands named 'hello'"):
        _ = host_of(commands_plugin(("hello", Hello()), ("hello", Hello()))).commands


def test_duplicate_command_names_name_both_plugins() -> None:
    class First:
        @hookimpl
        def realtime_agents_register_commands(self, register: Any) -> None:
            register("hello", Hello())

    pm = build_plugin_manager(load_entry_points=False)
    pm.register(First(), name="acme-hello")
    pm.register(commands_plugin(("hello", Hello())))
    with pytest.raises(UserError) as info:
        _ = PluginHost(pm).commands
    assert str(info.value) == (
        "two plugins register the command 'hello': test_plugins.Plugin object and 'acme-hello'"
    )


@pytest.fixture
def two_command_distributions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    modules = []
    for dist in ("acme-tools", "other-tools"):
        module = types.ModuleType(f"fake_{dist.replace('-', '_')}")

        @hookimpl
        def realtime_agents_register_commands(register: Any) -> None:
            register("serve", Hello())

        module.realtime_agents_register_commands = realtime_agents_register_commands  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module
        modules.append(module.__name__)
    eps = [
        importlib.metadata.EntryPoint(name=f"ep{i}", value=name, group=ENTRY_POINT_GROUP)
        for i, name in enumerate(modules)
    ]
    dists = [FakeDist("acme-tools", [eps[0]]), FakeDist("other-tools", [eps[1]])]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)
    yield
    for name in modules:
        del sys.modules[name]


@pytest.mark.usefixtures("two_command_distributions")
def test_duplicate_commands_from_entry_points_name_the_distributions() -> None:
    host = PluginHost(build_plugin_manager(blocked=[]))
    with pytest.raises(UserError) as info:
        _ = host.commands
    # pluggy calls the plugin loaded last first
    assert str(info.value) == (
        "two plugins register the command 'serve': 'ep1' (other-tools) and 'ep0' (acme-tools)"
    )
    assert list(PluginHost(build_plugin_manager(blocked=["ep1"])).commands) == ["serve"]


@pytest.mark.parametrize(
    ("name", "command", "message"),
    [
        ("Hello", Hello(), "not one lowercase word"),
        ("-x", Hello(), "not one lowercase word"),
        ("", Hello(), "not one lowercase word"),
        (42, Hello(), "not one lowercase word"),
        ("hello", types.SimpleNamespace(add_arguments=print, run=print), "no `help` string"),
        ("hello", types.SimpleNamespace(help="h", run=print), "no `add_arguments` method"),
        ("hello", types.SimpleNamespace(help="h", add_arguments=print), "no `run` method"),
    ],
)
def test_bad_command_registrations_are_rejected(name: Any, command: Any, message: str) -> None:
    expected = f"plugin test_plugins.Plugin object: .*{re.escape(message)}"
    with pytest.raises(UserError, match=expected):
        _ = host_of(commands_plugin((name, command))).commands


def test_command_hook_implementations_may_omit_the_argument() -> None:
    class Plugin:
        @hookimpl
        def realtime_agents_register_commands(self) -> None:
            pass

    assert host_of(Plugin()).commands == {}
