"""``POST /v1/realtime/client_secrets`` and the ``ek_…`` keys it mints."""

from __future__ import annotations

import time

import aiohttp
import openai
import pytest
from emulator_helpers import Raw, openai_client, recv_until
from openai.types.realtime import ClientSecretCreateResponse

from realtime_agents_emulator import Emulator


async def test_mint_and_connect_with_the_ephemeral_key(make_emulator) -> None:
    emu = await make_emulator(api_keys=["sk-server"])
    async with openai_client(emu, "sk-server") as client:
        secret = await client.realtime.client_secrets.create(
            session={
                "type": "realtime",
                "model": "gpt-realtime",
                "instructions": "Be brief.",
                "audio": {"output": {"voice": "marin"}},
            },
            expires_after={"anchor": "created_at", "seconds": 60},
        )
    assert isinstance(secret, ClientSecretCreateResponse)
    assert secret.value.startswith("ek_")
    assert abs(secret.expires_at - (time.time() + 60)) < 5
    assert secret.session.type == "realtime"
    assert secret.session.id.startswith("sess_")
    assert secret.session.instructions == "Be brief."
    for _ in range(2):  # one secret can open several sessions until it expires
        async with (
            openai_client(emu, secret.value) as client,
            client.realtime.connect(model="gpt-realtime") as conn,
        ):
            (created,) = await recv_until(conn, "session.created")
        assert created.session.instructions == "Be brief."
        assert created.session.audio.output.voice == "marin"
    async with await Raw.connect(
        emu, key=None, protocols=("realtime", f"openai-insecure-api-key.{secret.value}")
    ) as raw:
        assert (await raw.recv())["type"] == "session.created"


async def test_transcription_secret_opens_a_transcription_session(emu: Emulator) -> None:
    secret = emu.mint_client_secret({"type": "transcription"}, ttl_seconds=30)
    async with await Raw.connect(emu, "", key=secret.value) as raw:
        created = await raw.recv()
    assert created["session"]["type"] == "transcription"


async def test_expired_secret_is_rejected(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = emu.mint_client_secret(ttl_seconds=10)
    now = time.time()
    monkeypatch.setattr("realtime_agents_emulator.auth.time.time", lambda: now + 11)
    async with await Raw.connect(emu, key=secret.value) as raw:
        error = await raw.recv()
        closing = await raw.close_message()
    assert error["error"]["code"] == "invalid_api_key"
    assert closing.data == 3000


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"session": {"type": "realtime", "bogus": 1}}, "unknown_parameter", "session.bogus"),
        ({"session": {"instructions": "x"}}, "missing_required_parameter", "session.type"),
        (
            {
                "session": {"type": "realtime"},
                "expires_after": {"anchor": "created_at", "seconds": 5},
            },
            "integer_below_min_value",
            "expires_after.seconds",
        ),
    ],
)
async def test_invalid_requests_get_400(emu: Emulator, body: dict, code: str, param: str) -> None:
    async with openai_client(emu) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.realtime.client_secrets.create(**body)
    error = caught.value.body
    assert isinstance(error, dict)
    assert (error["code"], error["param"]) == (code, param)


async def test_auth_and_json_errors(emu: Emulator) -> None:
    url = emu.base_url + "/realtime/client_secrets"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={}) as response:
            assert response.status == 401
        secret = emu.mint_client_secret()
        headers = {"Authorization": f"Bearer {secret.value}"}
        async with http.post(url, json={}, headers=headers) as response:
            assert response.status == 401  # an ephemeral key cannot mint keys
            assert (await response.json())["error"]["code"] == "invalid_api_key"
        headers = {"Authorization": "Bearer sk-test", "Content-Type": "application/json"}
        async with http.post(url, data="{not json", headers=headers) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == "invalid_json"
        async with http.post(url, headers={"Authorization": "Bearer sk-test"}) as response:
            body = await response.json()
            assert body["session"]["type"] == "realtime"
            assert body["session"]["model"] == "gpt-realtime"
