"""Loopback host candidates: our wrapper around aioice's address lookup chains with others."""

from __future__ import annotations

import aioice.ice
import pytest

from realtime_agents_webrtc import _ice


def lookup() -> list[str]:
    return aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)


def test_the_wrapper_answers_only_inside_its_block_and_is_installed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["192.0.2.9"])
    monkeypatch.setattr(_ice, "_installed", None)
    with _ice.host_addresses(["127.0.0.1", "::1"]):
        assert lookup() == ["127.0.0.1", "::1"]
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
    assert lookup() == ["192.0.2.9"]
    installed = aioice.ice.get_host_addresses
    with _ice.host_addresses(["127.0.0.1"]):
        pass
    assert aioice.ice.get_host_addresses is installed  # not wrapped twice


def test_another_wrapper_installed_later_chains_through_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["192.0.2.9"])
    monkeypatch.setattr(_ice, "_installed", None)
    with _ice.host_addresses(["127.0.0.1"]):
        pass
    ours = aioice.ice.get_host_addresses
    theirs_active = False

    def theirs(use_ipv4: bool, use_ipv6: bool) -> list[str]:  # e.g. the emulator's
        if theirs_active:
            return ["127.0.0.2"]
        return ours(use_ipv4=use_ipv4, use_ipv6=use_ipv6)

    theirs.__wrapped__ = ours  # type: ignore[attr-defined]
    monkeypatch.setattr(aioice.ice, "get_host_addresses", theirs)
    with _ice.host_addresses(["127.0.0.1"]):
        assert lookup() == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses is theirs  # ours is in the chain already
    theirs_active = True
    assert lookup() == ["127.0.0.2"]
    theirs_active = False
    assert lookup() == ["192.0.2.9"]


def test_none_leaves_aioice_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    original = aioice.ice.get_host_addresses
    with _ice.host_addresses(None):
        assert aioice.ice.get_host_addresses is original
