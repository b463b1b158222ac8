"""``OPENAI_BASE_URL``: the driver's default address, as for the official ``openai`` client."""

from __future__ import annotations

import pytest

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.driver import connect_url
from realtime_agents.driver.handshake import realtime_url_from_base
from realtime_agents.errors import UserError
from realtime_agents_emulator import Emulator
from realtime_agents_websocket import OpenAIRealtimeWebSocket

LOCAL = {"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://127.0.0.1:8000/v1", "ws://127.0.0.1:8000/v1/realtime"),
        ("https://proxy.example/openai/v1/", "wss://proxy.example/openai/v1/realtime"),
        ("HTTPS://api.openai.com/v1", "wss://api.openai.com/v1/realtime"),
        ("wss://gateway.example/v1", "wss://gateway.example/v1/realtime"),
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/realtime"),
        ("http://127.0.0.1:8000/v1?tenant=a", "ws://127.0.0.1:8000/v1/realtime?tenant=a"),
    ],
)
def test_base_url_becomes_the_realtime_url_under_it(base: str, expected: str) -> None:
    assert realtime_url_from_base(base) == expected


@pytest.mark.parametrize("base", ["ftp://127.0.0.1/v1", "127.0.0.1:8000/v1", "http:///v1"])
def test_a_base_url_that_is_not_http_is_refused_naming_the_variable(base: str) -> None:
    with pytest.raises(UserError, match=r"OPENAI_BASE_URL must be an http\(s\):// URL"):
        realtime_url_from_base(base)


def test_the_variable_is_the_default_address_with_the_model_appended() -> None:
    url = connect_url("gpt-realtime", environ=LOCAL)
    assert url == "ws://127.0.0.1:8000/v1/realtime?model=gpt-realtime"


def test_a_call_id_attaches_to_the_call_at_that_address() -> None:
    url = connect_url("gpt-realtime", call_id="rtc_1", environ=LOCAL)
    assert url == "ws://127.0.0.1:8000/v1/realtime?call_id=rtc_1"


def test_explicit_urls_win_over_the_variable() -> None:
    given = "ws://127.0.0.1:9/v1/realtime?model=m"
    assert connect_url("m", url=given, environ=LOCAL) == given
    assert connect_url("m", default_url=given, environ=LOCAL) == given


def test_without_the_variable_openai_is_the_default() -> None:
    expected = "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    assert connect_url("gpt-realtime", environ={}) == expected
    assert connect_url("gpt-realtime", environ={"OPENAI_BASE_URL": ""}) == expected


async def test_a_session_without_url_connects_where_the_variable_points(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    agent = RealtimeAgent(name="Assistant", instructions="Be brief.")
    async with RealtimeSession(agent, transport=OpenAIRealtimeWebSocket()) as session:
        await session.connect()
        conn = await emu.wait_for_connection(timeout=5)
    assert conn.accepted
    assert conn.model == "gpt-realtime"
    assert conn.api_key == "sk-from-the-environment"
