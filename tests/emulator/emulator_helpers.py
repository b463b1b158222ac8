"""Shared helpers for the emulator tests: event validation against the official SDK types,
clients (the official ``openai`` one and a raw aiohttp WebSocket), and audio builders."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
from openai import AsyncOpenAI
from server_event_checks import SERVER_EVENT, check_emulator, validate_server_events

from realtime_agents_emulator import Emulator, pcm16_silence, pcm16_tone

__all__ = ["SERVER_EVENT", "check_emulator", "validate_server_events"]  # re-exported for tests


def openai_client(target: Emulator | str, api_key: str = "sk-test") -> AsyncOpenAI:
    """The official client pointed at an emulator (or at a ``base_url``)."""
    base_url = target if isinstance(target, str) else target.base_url
    return AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0)


async def recv_until(conn: Any, last: str, timeout: float = 5.0) -> list[Any]:
    """Events from an openai realtime connection up to and including the first ``last``."""
    events = []
    while True:
        event = await asyncio.wait_for(conn.recv(), timeout)
        events.append(event)
        if event.type == last:
            return events


def types(events: list[Any]) -> list[str]:
    return [e["type"] if isinstance(e, dict) else e.type for e in events]


def squash(names: list[str]) -> list[str]:
    """Collapse runs of the same delta type into one entry (delta counts vary with the text)."""
    out: list[str] = []
    for name in names:
        if not (out and out[-1] == name and name.endswith(".delta")):
            out.append(name)
    return out


def user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def speech(ms: int) -> bytes:
    """PCM16 24 kHz "speech" the VAD detects."""
    return pcm16_tone(ms)


def silence(ms: int) -> bytes:
    return pcm16_silence(ms)


def _not_json(constant: str) -> Any:
    raise AssertionError(f"the server sent {constant}, which is not JSON")


def strict_json(text: str | bytes) -> Any:
    """Parse as a strict client would: ``NaN`` and ``Infinity`` fail (Python's json reads them)."""
    return json.loads(text, parse_constant=_not_json)


class Raw:
    """A raw aiohttp WebSocket client: for frames the openai client never sends."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse):
        self._session = session
        self.ws = ws

    @classmethod
    async def connect(
        cls,
        emu: Emulator,
        query: str = "model=gpt-realtime",
        key: str | None = "sk-test",
        headers: dict[str, str] | None = None,
        protocols: tuple[str, ...] = (),
        autoping: bool = True,
    ) -> Raw:
        session = aiohttp.ClientSession()
        all_headers = dict(headers or {})
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        try:
            ws = await session.ws_connect(
                f"{emu.ws_url}?{query}",
                headers=all_headers,
                protocols=protocols,
                autoping=autoping,
                max_msg_size=0,
            )
        except BaseException:
            await session.close()
            raise
        return cls(session, ws)

    async def send(self, event: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(event))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            raise AssertionError(f"expected a text frame, got {message.type} {message.data!r}")
        return strict_json(message.data)

    async def recv_until(self, last: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        events = []
        while True:
            event = await self.recv(timeout)
            events.append(event)
            if event["type"] == last:
                return events

    async def close_message(self, timeout: float = 5.0) -> aiohttp.WSMessage:
        """Read until the connection ends; return the final (close/closed/error) message."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), timeout)
            if message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                return message

    async def close(self) -> None:
        await self.ws.close()
        await self._session.close()

    async def __aenter__(self) -> Raw:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
