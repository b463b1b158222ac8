"""Hostile input and emulator bugs never cost a client its connection (DESIGN §7).

Deeply nested JSON gets ``invalid_json``, non-finite numbers an ``invalid_value`` naming the
param, and the server never writes non-standard JSON. An unexpected exception while handling
one frame or writing one event becomes a ``server_error`` logged with its traceback; the
connection lives on. Every test runs over real loopback sockets.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest
from emulator_helpers import Raw, strict_json, user_text

import realtime_agents_emulator.session as session_module
import realtime_agents_emulator.wire as wire_module
from realtime_agents_emulator import CallFunction, Emulator
from realtime_agents_emulator.errors import RealtimeError
from realtime_agents_emulator.wire import MAX_DEPTH

REALTIME = {"type": "realtime"}


def nested(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep, as text (json.dumps would recurse)."""
    return "[" * depth + "]" * depth


def session_update(session_json: str) -> str:
    return f'{{"type": "session.update", "event_id": "evt_1", "session": {session_json}}}'


def tool_with_parameters(parameters_json: str) -> str:
    """A session.update whose tool's free-form ``parameters`` hold ``parameters_json``."""
    tool = f'{{"type": "function", "name": "f", "parameters": {parameters_json}}}'
    return session_update(f'{{"type": "realtime", "tools": [{tool}]}}')


async def assert_still_serving(raw: Raw) -> None:
    """The socket is open and the session answers."""
    await raw.send({"type": "session.update", "session": {**REALTIME, "instructions": "still?"}})
    (updated,) = await raw.recv_until("session.updated")
    assert updated["session"]["instructions"] == "still?"


# -- nesting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        nested(100_000),  # past the C decoder's limit: RecursionError escaped, socket dropped
        tool_with_parameters(nested(900)),  # decoded, then deepcopy hit the recursion limit
        tool_with_parameters(nested(MAX_DEPTH - 3)),  # one level past it, with the envelope
    ],
    ids=["100000 levels", "900 levels in tool parameters", "just past the limit"],
)
async def test_deep_nesting_is_invalid_json_and_the_socket_stays(emu: Emulator, frame: str) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        await raw.ws.send_str(frame)
        error = await raw.recv()
        assert error["type"] == "error"
        assert error["error"]["type"] == "invalid_request_error"
        assert error["error"]["code"] == "invalid_json"
        assert f"deeper than {MAX_DEPTH} levels" in error["error"]["message"]
        await assert_still_serving(raw)
    conn = emu.connections[0]
    assert conn.invalid_frames == [frame]


async def test_nesting_up_to_the_limit_is_accepted(emu: Emulator) -> None:
    # The envelope (event, session, tools, tool) takes 4 of the MAX_DEPTH levels.
    frame = tool_with_parameters(nested(MAX_DEPTH - 4))
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        await raw.ws.send_str(frame)
        (updated,) = await raw.recv_until("session.updated")
    assert updated["session"]["tools"][0]["parameters"] == json.loads(nested(MAX_DEPTH - 4))


# -- non-finite numbers ----------------------------------------------------------------------

SPEED = "session.audio.output.speed"
VAD = '{"type": "realtime", "audio": {"input": {"turn_detection": {"type": "server_vad", %s}}}}'
NON_FINITE: list[tuple[str, str, str]] = [
    # (what, the session as JSON text with the number as Python's json writes it, param)
    ("NaN speed", '{"type": "realtime", "audio": {"output": {"speed": NaN}}}', SPEED),
    ("Infinity speed", '{"type": "realtime", "audio": {"output": {"speed": Infinity}}}', SPEED),
    (
        "1e400 speed (valid JSON, inf in Python)",
        '{"type": "realtime", "audio": {"output": {"speed": 1e400}}}',
        SPEED,
    ),
    ("NaN threshold", VAD % '"threshold": NaN', "session.audio.input.turn_detection.threshold"),
    (
        "-Infinity silence_duration_ms",
        VAD % '"silence_duration_ms": -Infinity',
        "session.audio.input.turn_detection.silence_duration_ms",
    ),
    (
        "Infinity noise reduction strength",
        '{"type": "realtime", "audio": {"input": {"noise_reduction":'
        ' {"type": "near_field", "strength": Infinity}}}}',
        "session.audio.input.noise_reduction.strength",
    ),
    (
        "NaN max_output_tokens",
        '{"type": "realtime", "max_output_tokens": NaN}',
        "session.max_output_tokens",
    ),
    (
        "NaN temperature (beta field)",
        '{"type": "realtime", "temperature": NaN}',
        "session.temperature",
    ),
    (
        "NaN inside a tool's parameters",
        '{"type": "realtime", "tools": [{"type": "function", "name": "f",'
        ' "parameters": {"maximum": NaN}}]}',
        "session.tools[0].parameters.maximum",
    ),
]


@pytest.mark.parametrize(
    ("session_json", "param"),
    [case[1:] for case in NON_FINITE],
    ids=[case[0] for case in NON_FINITE],
)
async def test_non_finite_numbers_are_rejected_naming_the_param(
    emu: Emulator, session_json: str, param: str
) -> None:
    async with await Raw.connect(emu) as raw:
        (created,) = await raw.recv_until("session.created")
        await raw.ws.send_str(session_update(session_json))
        error = await raw.recv()  # a strict parse: a NaN echoed back would fail here
        await assert_still_serving(raw)
    assert error["type"] == "error"
    assert {k: error["error"][k] for k in ("type", "code", "param", "event_id")} == {
        "type": "invalid_request_error",
        "code": "invalid_value",
        "param": param,
        "event_id": "evt_1",  # a parsed event, answered as the schema answers
    }
    assert f"Invalid '{param}': expected a finite number" in error["error"]["message"]
    # The whole update was discarded: only the later instructions changed.
    session = emu.connections[0].session
    assert {**session, "instructions": created["session"]["instructions"]} == created["session"]


async def test_nan_in_response_create_is_rejected(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        await raw.ws.send_str('{"type": "response.create", "response": {"metadata": {"x": NaN}}}')
        error = await raw.recv()
        await assert_still_serving(raw)
    assert (error["error"]["code"], error["error"]["param"]) == (
        "invalid_value",
        "response.metadata.x",
    )


async def test_rest_client_secrets_reject_nan_and_deep_bodies(emu: Emulator) -> None:
    url = f"{emu.base_url}/realtime/client_secrets"
    headers = {"Authorization": "Bearer sk-test", "Content-Type": "application/json"}
    bodies = {
        '{"session": {"type": "realtime", "audio": {"output": {"speed": NaN}}}}': (
            "invalid_value",
            "session.audio.output.speed",
        ),
        f'{{"session": {{"type": "realtime", "tools": [{{"parameters": {nested(2000)}}}]}}}}': (
            "invalid_json",
            None,
        ),
    }
    async with aiohttp.ClientSession() as http:
        for body, (code, param) in bodies.items():
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 400
                error = strict_json(await response.read())["error"]
            assert (error["code"], error["param"]) == (code, param)


def test_mint_client_secret_rejects_nan_from_python(emu: Emulator) -> None:
    tool = {"type": "function", "name": "f", "parameters": {"maximum": float("nan")}}
    with pytest.raises(RealtimeError) as raised:
        emu.mint_client_secret(session={**REALTIME, "tools": [tool]})
    assert raised.value.param == "session.tools[0].parameters.maximum"
    with pytest.raises(RealtimeError) as raised:
        emu.mint_client_secret(session={**REALTIME, "audio": {"output": {"speed": float("inf")}}})
    assert raised.value.param == "session.audio.output.speed"


async def test_send_event_refuses_what_is_not_json_at_the_call(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        conn = await emu.wait_for_connection()
        with pytest.raises(ValueError, match="JSON compliant"):
            conn.send_event({"type": "rate_limits.updated", "rate_limits": [float("nan")]})
        await assert_still_serving(raw)


def test_brain_arguments_are_strict_json() -> None:
    assert CallFunction("f", {"x": 1.5}).arguments_json == '{"x":1.5}'
    with pytest.raises(ValueError, match="JSON compliant"):
        _ = CallFunction("f", {"x": float("nan")}).arguments_json


# -- emulator bugs ---------------------------------------------------------------------------


async def test_a_bug_handling_one_event_is_a_server_error_and_the_socket_stays(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_validate = session_module.validate_client_event

    def buggy(event: Any, transport: str) -> dict[str, object]:
        if event.get("type") == "response.cancel":
            raise KeyError("an emulator bug")
        return real_validate(event, transport)

    monkeypatch.setattr(session_module, "validate_client_event", buggy)
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        await raw.send({"type": "response.cancel", "event_id": "evt_cancel"})
        error = await raw.recv()
        await assert_still_serving(raw)
    assert error["error"]["type"] == "server_error"
    assert error["error"]["event_id"] == "evt_cancel"
    assert [type(exc) for exc in emu.crashes] == [KeyError]
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "realtime_agents_emulator.connection"
    assert record.getMessage() == "connection 1: internal error handling response.cancel"
    assert record.exc_info is not None
    assert record.exc_info[1] is emu.crashes[0]
    emu.crashes.clear()  # expected: the fixture asserts there are no others


async def test_a_bug_writing_one_event_is_a_server_error_and_the_socket_stays(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_encode = wire_module.encode

    def buggy(value: Any) -> str:
        if value.get("type") == "conversation.item.added":
            raise TypeError("an emulator bug")
        return real_encode(value)

    monkeypatch.setattr(wire_module, "encode", buggy)
    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        await raw.send({"type": "conversation.item.create", "item": user_text("hi")})
        events = await raw.recv_until("conversation.item.done")
        await assert_still_serving(raw)
    assert [e["type"] for e in events] == ["error", "conversation.item.done"]
    assert events[0]["error"]["type"] == "server_error"
    assert [type(exc) for exc in emu.crashes] == [TypeError]
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.getMessage() == "connection 1: internal error encoding conversation.item.added"
    assert record.exc_info is not None
    emu.crashes.clear()


async def test_a_bug_outside_any_frame_closes_with_1011_not_a_drop(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("an emulator bug in the error path too")

    async with await Raw.connect(emu) as raw:
        await raw.recv_until("session.created")
        # Handling fails and so does reporting it: nothing is left that could answer the frame.
        monkeypatch.setattr(session_module.Session, "handle", broken)
        monkeypatch.setattr(session_module.Session, "error", broken)
        await raw.send({"type": "input_audio_buffer.clear"})
        close = await raw.close_message()
    assert close.type == aiohttp.WSMsgType.CLOSE
    assert (close.data, close.extra) == (1011, "internal error")
    assert [str(exc) for exc in emu.crashes] == ["an emulator bug in the error path too"] * 2
    emu.crashes.clear()
