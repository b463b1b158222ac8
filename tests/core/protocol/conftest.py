"""Every protocol test runs twice: with the standard library's codec and with the accelerated
one (msgspec + pybase64, the ``[speed]`` extra, which the workspace's dev environment installs).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from realtime_agents.protocol.codec import STDLIB_CODEC, WireCodec, fast_codec, use_codec

FAST_CODEC = fast_codec()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Not through params=: hypothesis' stateful (unittest-style) tests take no parametrized
    # fixture; they run once, with the accelerated codec.
    if "wire_codec" in metafunc.fixturenames:
        metafunc.parametrize("wire_codec", ["stdlib", "fast"], indirect=True)


@pytest.fixture(autouse=True)
def wire_codec(request: pytest.FixtureRequest) -> Iterator[WireCodec]:
    """The codec new protocol objects use during the test."""
    # Not a skip: without the extra the "fast" run fails, so CI proves both paths ran.
    assert FAST_CODEC is not None, "the dev environment must install the [speed] extra"
    codec = STDLIB_CODEC if getattr(request, "param", "fast") == "stdlib" else FAST_CODEC
    use_codec(codec)
    yield codec
    use_codec(None)
