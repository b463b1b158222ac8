"""Plugin discovery, registration, the typed facade and the block-list."""

from __future__ import annotations

import importlib.metadata
import sys
import types
from collections.abc import Iterator
from typing import Any

import pluggy
import pytest

from realtime_agents.errors import TransportNotFoundError, UserError
from realtime_agents.plugins import (
    BLOCK_ENV,
    ENTRY_POINT_GROUP,
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
    assert "pip install realtime-agents-webrtc" in message
    assert info.value.installed == ["scripted"]


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
