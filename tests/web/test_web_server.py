"""The server side of the voice page over real sockets, without a browser: minting keys with the
agent's config, attaching sidebands, errors the page can show, the emulator's CORS, the CLI."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.cli import main as cli_main
from realtime_agents_emulator import Emulator
from realtime_agents_web import VoiceApp, WebError

KEY = "sk-test-web-0123456789"


@tool
def lookup(order: str) -> str:
    """Look an order up."""
    return f"order {order} shipped"


AGENT = RealtimeAgent(name="Shop <assistant>", instructions="Help with orders.", tools=[lookup])


@pytest.fixture
async def served(make_emulator: Any) -> AsyncIterator[tuple[Emulator, VoiceApp, str]]:
    emu = await make_emulator(api_keys=[KEY])
    voice = VoiceApp(AGENT, api_key=KEY, base_url=emu.base_url)
    runner = web.AppRunner(voice.application(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield emu, voice, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_session_mints_a_key_whose_session_is_the_agents_config(
    served: tuple[Emulator, VoiceApp, str],
) -> None:
    emu, _, url = served
    async with aiohttp.ClientSession() as http, http.post(f"{url}/session") as response:
        assert response.status == 200
        body = await response.json()
    assert body["value"].startswith("ek_")
    assert body["calls_url"] == f"{emu.base_url}/realtime/calls"
    assert KEY not in str(body)
    # A WebSocket session opened with the key starts from the agent's config, tools included.
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{emu.ws_url}?model=gpt-realtime", headers={"Authorization": f"Bearer {body['value']}"}
        ) as ws,
    ):
        created = await ws.receive_json(timeout=5)
    expected = await RealtimeSession(AGENT, transport="websocket").get_initial_session_payload()
    assert created["type"] == "session.created"
    assert created["session"]["instructions"] == expected["instructions"]
    assert [t["name"] for t in created["session"]["tools"]] == ["lookup"]


async def test_the_page_is_served_with_its_assets_and_the_agent_named_safely(
    served: tuple[Emulator, VoiceApp, str],
) -> None:
    _, _, url = served
    async with aiohttp.ClientSession(url) as http:
        async with http.get("/") as response:
            page = await response.text()
        assert "<h1>Shop &lt;assistant&gt;</h1>" in page
        assert "http" not in page.replace("http-equiv", "")  # nothing from a CDN
        for name, content_type in (("app.js", "text/javascript"), ("style.css", "text/css")):
            async with http.get(f"/{name}") as response:
                assert response.status == 200
                assert response.content_type == content_type


async def test_call_attaches_a_sideband_and_refuses_what_is_not_a_live_call(
    served: tuple[Emulator, VoiceApp, str],
) -> None:
    _, voice, url = served
    async with aiohttp.ClientSession(url) as http:
        async with http.post("/call", json={"call_id": "../etc"}) as response:
            assert response.status == 400
            assert "call_id" in (await response.json())["error"]["message"]
        async with http.post("/call", data="not json") as response:
            assert response.status == 400
        async with http.post("/call", json={"call_id": "rtc_unknown"}) as response:
            assert response.status == 502
            message = (await response.json())["error"]["message"]
    assert "could not attach to call rtc_unknown" in message
    assert KEY not in message
    assert voice.sessions == {}


async def test_a_refused_key_and_a_missing_key_are_clear_errors(
    make_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = await make_emulator(api_keys=[KEY])
    refused = VoiceApp(AGENT, api_key="sk-wrong-secret-key", base_url=emu.base_url)
    with pytest.raises(Exception, match="the API refused to mint a key") as info:
        await refused.mint()
    assert "sk-wrong-secret-key" not in str(info.value)
    assert "sk-wrong" not in repr(refused)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(Exception, match="set OPENAI_API_KEY") as missing:
        await VoiceApp(AGENT, base_url=emu.base_url).mint()
    assert getattr(missing.value, "status", None) == 500


async def test_the_emulator_lets_a_page_from_another_origin_post_its_offer(
    make_emulator: Any,
) -> None:
    # The page is served from another port than the API: the browser sends a preflight and
    # reads the call id from the Location header only if the API exposes it.
    emu = await make_emulator()
    preflight = {
        "Origin": "http://127.0.0.1:1",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with aiohttp.ClientSession() as http:
        async with http.options(f"{emu.base_url}/realtime/calls", headers=preflight) as response:
            assert response.status == 204
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
        async with http.post(f"{emu.base_url}/realtime/calls", data=b"") as response:
            assert response.status == 401  # the API's own answer, readable by the page
            assert response.headers["Access-Control-Expose-Headers"] == "Location"


def test_serve_without_a_key_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert cli_main(["serve", "--port", "0"]) == 2
    out = capsys.readouterr().out
    assert "set OPENAI_API_KEY" in out
    assert "--emulator" in out


def test_serve_refuses_an_agent_spec_that_is_not_an_agent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main(["serve", "--emulator", "--agent", "json:dumps"]) == 2
    assert "json:dumps is not a RealtimeAgent, nor makes one" in capsys.readouterr().out
    assert cli_main(["serve", "--emulator", "--agent", "json:nothing"]) == 2
    assert "json has no 'nothing'" in capsys.readouterr().out


def test_serve_emulator_without_the_emulator_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "realtime_agents_emulator", None)  # import fails
    assert cli_main(["serve", "--emulator", "--port", "0"]) == 2
    assert "--emulator needs the emulator: install realtime-agents-emulator[webrtc]" in (
        capsys.readouterr().out
    )


async def test_an_api_error_quoting_the_key_does_not_reach_the_page() -> None:
    # The real API's 401 names the key it refused; the message goes to the browser.
    async def refuse(request: web.Request) -> web.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        error = {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}
        return web.json_response({"error": error}, status=401)

    app = web.Application()
    app.router.add_post("/v1/realtime/client_secrets", refuse)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
        voice = VoiceApp(AGENT, api_key="sk-proj-secret-123", base_url=base_url)
        with pytest.raises(WebError) as info:
            await voice.mint()
    finally:
        await runner.cleanup()
    assert str(info.value) == "the API refused to mint a key: Incorrect API key provided: sk-…."
    assert info.value.status == 502
