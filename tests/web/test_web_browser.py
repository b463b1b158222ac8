"""The voice page in a real Chromium against the emulator's WebRTC endpoint: a spoken turn,
a tool run in Python over the sideband, the reply heard by the page, barge-in, an expired key."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from realtime_agents import RealtimeAgent, tool
from realtime_agents_emulator import RulesBrain, auth
from realtime_agents_web.demo import demo_agent
from realtime_agents_web.serve import serve

pytestmark = pytest.mark.timeout(60)

SCREENSHOT = Path(__file__).parents[2] / "plugins" / "web" / "docs" / "screenshot.png"

RULES = {
    "transcripts": ["What's the weather in Paris?", "Wait, stop."],
    "rules": [
        {
            "when": {"text": r"weather in (?P<city>\w+)"},
            "then": [{"call": "get_weather", "arguments": {"city": "{city}"}}],
        },
        {
            "when": {"tool": "get_weather"},
            "then": [
                {
                    "say": "Right now it is {output}. Tomorrow looks much the same, with a "
                    "light breeze in the afternoon and a clear evening.",
                    "audio_ms": 9000,  # still playing when the next turn of the mic arrives
                }
            ],
        },
        {"when": {"text": "stop"}, "then": "Sure, I'll stop there."},
    ],
}


def weather_agent(calls: list[dict[str, Any]]) -> RealtimeAgent[Any]:
    @tool
    def get_weather(city: str) -> str:
        """The current weather in ``city``."""
        calls.append({"city": city})
        return f"18 °C and sunny in {city}"

    return RealtimeAgent(
        name="Weather assistant", instructions="Tell the weather.", tools=[get_weather]
    )


async def test_a_spoken_turn_runs_the_tool_in_python_and_the_reply_plays(
    make_emulator: Any, serve_page: Any, tmp_path: Path, microphone_loop_s: float
) -> None:
    emu = await make_emulator(brain=RulesBrain.from_dict(RULES), audio_speed=1)
    calls: list[dict[str, Any]] = []
    voice, page = await serve_page(weather_agent(calls), base_url=emu.base_url)

    await page.click("#start")
    await page.wait_for_function("window.voice.status === 'listening'")
    call_id = await page.evaluate("window.voice.callId")
    assert call_id.startswith("rtc_")
    assert call_id in voice.sessions  # the server attached its sideband to the page's call

    # The turn: transcribed, the tool runs here, the reply's transcript and audio reach the page.
    await page.wait_for_selector(".msg.user >> text=What's the weather in Paris?")
    await page.wait_for_selector(".tool >> text=18 °C and sunny in Paris")
    assert calls == [{"city": "Paris"}]
    await page.wait_for_selector(".msg.agent >> text=Right now it is 18 °C and sunny in Paris")
    await page.wait_for_function("window.voice.status === 'speaking'")
    await page.wait_for_function("window.voice.replyLevel > 0.01")  # audio energy, via WebAudio
    playing = await page.evaluate("!document.getElementById('reply').paused")
    assert playing
    shot = tmp_path / "turn.png"
    await page.screenshot(path=str(shot))
    if not SCREENSHOT.exists() or os.environ.get("UPDATE_SCREENSHOT"):  # the README's picture
        shutil.copyfile(shot, SCREENSHOT)

    # The mic's next turn talks over the reply: the call clears it and the page goes quiet.
    await page.wait_for_function("window.voice.events.includes('output_audio_buffer.cleared')")
    await page.wait_for_selector(".msg.agent.interrupted")
    await page.wait_for_function("window.voice.replyLevel < 0.001")
    call = emu.calls[-1]
    assert any(event["type"] == "output_audio_buffer.cleared" for event in call.server_events)
    assert await page.evaluate("window.voice.error") is None

    assert await page.evaluate("window.voice.apiErrors") == []
    assert await page.locator(".notice").count() == 0

    # Mute: the button shows it, and the call hears nothing for a whole loop of the fake
    # microphone (speech included); unmuted, the next loop's speech is heard again.
    heard = "window.voice.events.filter((e) => e === 'input_audio_buffer.speech_started').length"
    await page.click("#mute")
    assert await page.get_attribute("#mute", "aria-pressed") == "true"
    assert await page.inner_text("#mute") == "Unmute"
    await asyncio.sleep(0.5)  # a turn cut short by the click may still end
    before = await page.evaluate(heard)
    await asyncio.sleep(microphone_loop_s + 0.5)
    assert await page.evaluate(heard) == before
    await page.click("#mute")
    assert await page.get_attribute("#mute", "aria-pressed") == "false"
    await page.wait_for_function(f"{heard} > {before}", timeout=2 * microphone_loop_s * 1000)

    await page.click("#stop")
    await page.wait_for_function("window.voice.status === 'idle'")
    # The call ended with the page's peer connection: the server's sideband detaches itself.
    await asyncio.wait_for(voice.wait_detached(call_id), 5)
    assert call_id not in voice.sessions


async def test_an_expired_key_gives_the_stale_page_a_clear_error_and_start_recovers(
    make_emulator: Any, serve_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = await make_emulator()
    _, page = await serve_page(weather_agent([]), base_url=emu.base_url, ttl_seconds=10)

    # The page was left open: an hour later, its key is long expired.
    later = time.time() + 3600
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: later))
    await page.click("#start")
    error = page.locator("#error")
    await error.wait_for(state="visible")
    assert "session key has expired" in await error.inner_text()
    assert await page.evaluate("window.voice.status") == "error"
    assert not emu.calls

    # Start again: a new key is minted and the call connects.
    await page.click("#start")
    await page.wait_for_function("window.voice.status === 'listening'")
    assert await error.is_hidden()
    assert len(emu.calls) == 1


async def test_serve_with_the_emulator_works_offline_end_to_end(browser: Any) -> None:
    # `realtime-agents serve --emulator`: the demo agent, its emulator, one spoken turn.
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve(demo_agent(), port=0, emulator=True, ready=ready))
    try:
        url = await asyncio.wait_for(ready, 10)
        page = await browser.new_page()
        page.set_default_timeout(10_000)
        await page.goto(url)
        await page.click("#start")
        await page.wait_for_selector(".msg.user >> text=What's the weather in Paris?")
        await page.wait_for_selector(".tool >> text=get_weather")
        await page.wait_for_selector(".tool .result >> text=in Paris")
        await page.wait_for_selector(".msg.agent >> text=Right now it is")
        # The Interrupt button stops the reply mid-sentence.
        await page.wait_for_function("window.voice.status === 'speaking'")
        await page.click("#interrupt")
        await page.wait_for_selector(".msg.agent.interrupted")
        await page.wait_for_function("window.voice.replyLevel < 0.001")
        assert await page.evaluate("window.voice.error") is None
        await page.close()
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
