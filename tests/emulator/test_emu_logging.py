"""What the emulator logs: each connection, each client event type, each error; never a key."""

from __future__ import annotations

import logging

import pytest
from emulator_helpers import Raw

from realtime_agents_emulator import Emulator
from realtime_agents_emulator.connection_log import redacted_target

KEY = "sk-proj-do-not-log-this-0123456789"
OTHER_KEY = "sk-wrong-key-never-logged-either-9876"


async def test_connections_events_and_errors_are_logged_without_the_key(
    make_emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included
    emu: Emulator = await make_emulator(api_keys=[KEY])
    query = f"model=gpt-realtime&api_key={KEY}&token=abc&call_ref={KEY}"
    async with await Raw.connect(emu, query=query, key=KEY) as raw:
        await raw.recv_until("session.created")
        await raw.send({"type": "session.update", "session": {"type": "realtime"}})
        await raw.recv_until("session.updated")
        await raw.send({"type": "nope", "event_id": "evt_1"})
        await raw.recv_until("error")
        await raw.ws.close(code=1000, message=b"bye")
    browser = await Raw.connect(
        emu, key=None, protocols=("realtime", f"openai-insecure-api-key.{KEY}")
    )
    async with browser:
        await browser.recv_until("session.created")
    async with await Raw.connect(emu, key=OTHER_KEY) as rejected:
        await rejected.close_message()
    for conn in emu.connections:
        await conn.wait_closed()

    ours = [r for r in caplog.records if r.name.startswith("realtime_agents_emulator")]
    lines = [(r.levelname, r.getMessage()) for r in ours if r.name.endswith(".connection")]
    first = [line for line in lines if line[1].startswith("connection 1")]
    opened, *events, error, closed = first
    assert opened == (
        "INFO",
        "connection 1 opened: /v1/realtime?model=gpt-realtime&api_key=***&token=***"
        "&call_ref=*** from 127.0.0.1",
    )
    assert events == [
        ("DEBUG", "connection 1: client event session.update"),
        ("DEBUG", "connection 1: client event nope"),
    ]
    assert error[0] == "INFO"
    assert error[1].startswith(
        "connection 1: sent error invalid_value (param type): Invalid value: 'nope'. "
        "Supported values are: 'session.update', "
    )
    assert closed == ("INFO", 'connection 1 closed by the client: code 1000 "bye"')
    assert ("INFO", "connection 2 closed by the client: code 1000") in lines
    third = [message for _, message in lines if message.startswith("connection 3")]
    assert third[1].startswith("connection 3: sent error invalid_api_key: Incorrect API key")
    assert third[2] == (
        'connection 3 closed by the server: code 3000 "invalid_request_error.invalid_api_key"'
    )
    assert KEY not in caplog.text
    assert OTHER_KEY not in caplog.text
    assert all(KEY not in str(r.args) and OTHER_KEY not in str(r.args) for r in caplog.records)


async def test_server_closes_and_drops_are_logged(emu: Emulator, caplog) -> None:
    caplog.set_level(logging.INFO, logger="realtime_agents_emulator")
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        await (await emu.wait_for_connection()).close(4001, "bye from the server")
        await raw.close_message()
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        await (await emu.wait_for_connection()).drop()
        await raw.close_message()
    for conn in emu.connections:
        await conn.wait_closed()
    closes = [r.getMessage() for r in caplog.records if " by the server" in r.getMessage()]
    assert closes == [
        'connection 1 closed by the server: code 4001 "bye from the server"',
        "connection 2 dropped by the server: TCP closed without a close frame",
    ]


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ({}, "/v1/realtime"),
        ({"model": "gpt-realtime"}, "/v1/realtime?model=gpt-realtime"),
        ({"intent": "transcription", "x": "ek_123"}, "/v1/realtime?intent=transcription&x=***"),
        (
            {"client_secret": "abc", "Authorization": "x"},
            "/v1/realtime?client_secret=***&Authorization=***",
        ),
        ({"fault": "delay:50,drop_after:3"}, "/v1/realtime?fault=delay:50,drop_after:3"),
    ],
)
def test_redacted_target(query: dict[str, str], logged: str) -> None:
    assert redacted_target("/v1/realtime", query) == logged
