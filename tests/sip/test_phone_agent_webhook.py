"""The example phone agent's webhook: signatures verified by the official client (Standard
Webhooks), each call accepted once. Real HTTP on 127.0.0.1; the Calls API is a double that
answers 404 (the caller hung up while it rang), so no session is attached here."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from openai import AsyncOpenAI
from phone_app import load_example

SECRET_BYTES = b"phone-agent-test-secret-0123456789"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()


def incoming_call(call_id: str) -> bytes:
    event = {
        "object": "event",
        "id": "evt_1",
        "type": "realtime.call.incoming",
        "created_at": int(time.time()),
        "data": {
            "call_id": call_id,
            "sip_headers": [
                {"name": "From", "value": "sip:+15551230000@example.com"},
                {"name": "To", "value": "sip:+18005551212@example.com"},
            ],
        },
    }
    return json.dumps(event).encode()


def sign(body: bytes, *, key: bytes = SECRET_BYTES, at: int | None = None) -> dict[str, str]:
    """Standard Webhooks headers for ``body`` (what OpenAI sends)."""
    timestamp = str(int(time.time()) if at is None else at)
    signed = b"wh_1." + timestamp.encode() + b"." + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": "wh_1",
        "webhook-timestamp": timestamp,
        "webhook-signature": f"v1,{signature}",
        "content-type": "application/json",
    }


@pytest.fixture
async def phone() -> AsyncIterator[tuple[str, list[str]]]:
    """The example's server on a free port, and the call ids its accepts reached."""
    accepted: list[str] = []

    async def accept(request: web.Request) -> web.Response:
        accepted.append(request.match_info["call_id"])
        return web.json_response({"error": {"message": "gone"}}, status=404)

    calls_api = web.Application()
    calls_api.router.add_post("/v1/realtime/calls/{call_id}/accept", accept)
    api = web.AppRunner(calls_api)
    await api.setup()
    await web.TCPSite(api, "127.0.0.1", 0).start()
    client = AsyncOpenAI(
        api_key="sk-test",
        base_url=f"http://127.0.0.1:{api.addresses[0][1]}/v1",
        webhook_secret=SECRET,
        max_retries=0,
    )
    server = load_example().PhoneServer(client)
    runner = web.AppRunner(server.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/openai/webhook", accepted
        await asyncio.gather(*server.calls.values())
    finally:
        await runner.cleanup()
        await api.cleanup()
        await client.close()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status


async def test_a_signed_webhook_is_accepted_once(phone: tuple[str, list[str]]) -> None:
    url, accepted = phone
    body = incoming_call("rtc_1")
    assert await post(url, body, sign(body)) == 200
    assert await post(url, body, sign(body)) == 200  # OpenAI retried: same call
    await asyncio.sleep(0.1)
    assert accepted == ["rtc_1"]


def _tampered(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body.replace(b"rtc_2", b"rtc_3"), sign(body)


def _wrong_secret(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, sign(body, key=b"another-secret-entirely-0123456789")


def _stale(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, sign(body, at=int(time.time()) - 600)


def _future(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, sign(body, at=int(time.time()) + 600)


def _missing(name: str) -> Any:
    def build(body: bytes) -> tuple[bytes, dict[str, str]]:
        headers = sign(body)
        del headers[name]
        return body, headers

    return build


@pytest.mark.parametrize(
    "forge",
    [
        _tampered,
        _wrong_secret,
        _stale,
        _future,
        _missing("webhook-signature"),
        _missing("webhook-timestamp"),
        _missing("webhook-id"),
    ],
    ids=["tampered", "wrong-secret", "stale", "future", "no-signature", "no-timestamp", "no-id"],
)
async def test_a_forged_webhook_is_refused(phone: tuple[str, list[str]], forge: Any) -> None:
    url, accepted = phone
    body, headers = forge(incoming_call("rtc_2"))
    assert await post(url, body, headers) == 400
    await asyncio.sleep(0.05)
    assert accepted == []


async def test_any_one_of_several_signatures_may_match(phone: tuple[str, list[str]]) -> None:
    url, accepted = phone
    body = incoming_call("rtc_4")
    headers = sign(body)
    other = sign(body, key=b"a-rotated-old-secret-0123456789")["webhook-signature"]
    headers["webhook-signature"] = f"{other} {headers['webhook-signature']}"
    assert await post(url, body, headers) == 200
    await asyncio.sleep(0.1)
    assert accepted == ["rtc_4"]
