"""A real headless Chromium (Debian's, driven by Playwright) on the voice page, against the
emulator's WebRTC endpoint, everything on 127.0.0.1 with free ports.

The microphone is Chromium's fake capture device reading a generated WAV file in a loop:
1.5 s of silence, 0.8 s of "speech" the emulator's VAD hears, 4.5 s of silence. So a call
hears a turn about every 6.8 s, the second one arriving while a long reply still plays
(barge-in).
"""

from __future__ import annotations

import shutil
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright

from realtime_agents import RealtimeAgent
from realtime_agents_emulator import pcm16_silence, pcm16_tone
from realtime_agents_web import VoiceApp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SILENCE_BEFORE_MS = 1500
SPEECH_MS = 800
SILENCE_AFTER_MS = 4500


def write_microphone(path: Path) -> Path:
    """The fake microphone's WAV: PCM16 mono 24 kHz, silence / speech / silence."""
    audio = pcm16_silence(SILENCE_BEFORE_MS) + pcm16_tone(SPEECH_MS)
    audio += pcm16_silence(SILENCE_AFTER_MS)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24000)
        out.writeframes(audio)
    return path


@pytest.fixture
def microphone_loop_s() -> float:
    """How long one loop of the fake microphone's file lasts, in seconds."""
    return (SILENCE_BEFORE_MS + SPEECH_MS + SILENCE_AFTER_MS) / 1000


def chromium_args(wav: Path) -> list[str]:
    return [
        "--use-fake-ui-for-media-stream",  # grant the microphone without a prompt
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        # Host candidates on 127.0.0.1, in the clear: the emulator's peer listens on loopback
        # only and cannot resolve the mDNS .local names Chromium uses by default.
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    ]


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    wav = write_microphone(tmp_path / "microphone.wav")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(wav), timeout=20_000
        )
        try:
            yield chromium
        finally:
            await chromium.close()


ServePage = Callable[..., Awaitable[tuple[VoiceApp, Page]]]


@pytest.fixture
async def serve_page(browser: Browser) -> AsyncIterator[ServePage]:
    """``await serve_page(agent, base_url=...)``: the agent's page served on a free port and
    opened in a new browser page; everything stopped after the test."""
    runners: list[web.AppRunner] = []
    pages: list[Page] = []

    async def serve(agent: RealtimeAgent[Any], **options: Any) -> tuple[VoiceApp, Page]:
        voice = VoiceApp(agent, api_key="sk-test", **options)
        runner = web.AppRunner(voice.application(), access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        page = await browser.new_page(viewport={"width": 900, "height": 820})
        pages.append(page)
        page.set_default_timeout(10_000)
        await page.goto(f"http://127.0.0.1:{port}/")
        await page.wait_for_function("window.voice && window.voice.key !== null")
        return voice, page

    yield serve
    for page in pages:
        await page.close()
    for runner in runners:
        await runner.cleanup()
