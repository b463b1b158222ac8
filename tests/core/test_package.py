"""The public surface of realtime_agents and the cost of importing it."""

from __future__ import annotations

import subprocess
import sys

import pytest

import realtime_agents


def test_all_lists_every_lazy_export() -> None:
    assert sorted(realtime_agents.__all__) == sorted([*realtime_agents._EXPORTS, "__version__"])


def test_exports_resolve() -> None:
    for name in realtime_agents.__all__:
        assert getattr(realtime_agents, name) is not None


def test_import_is_lazy() -> None:
    """``import realtime_agents`` must not pull in asyncio, attrs, blinker or pluggy."""
    code = (
        "import sys, realtime_agents; "
        "print(','.join(m for m in ('asyncio', 'attrs', 'attr', 'blinker', 'pluggy', 'json')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        realtime_agents.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_lazy_exports_import_on_first_use_and_cache() -> None:
    import sys
    import types

    from realtime_agents.lazy import lazy_exports

    package = types.ModuleType("lazy_probe")
    package.__all__ = ["dumps", "decoder", "eager"]  # type: ignore[attr-defined]
    sys.modules["lazy_probe"] = package
    try:
        getattr_, dir_ = lazy_exports("lazy_probe", {"dumps": "json", "decoder": "json.decoder"})
        import json

        assert getattr_("dumps") is json.dumps
        assert package.dumps is json.dumps  # cached: __getattr__ is not asked again
        assert getattr_("decoder") is json.decoder  # a name mapped to its own module
        with pytest.raises(AttributeError, match="module 'lazy_probe' has no attribute 'x'"):
            getattr_("x")
        assert dir_() == ["decoder", "dumps", "eager"]
    finally:
        del sys.modules["lazy_probe"]
