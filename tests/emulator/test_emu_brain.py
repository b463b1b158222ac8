"""The scripted model: EchoBrain, rules files and custom Python brains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emulator_helpers import b64, openai_client, recv_until, silence, speech, user_text

from realtime_agents_emulator import (
    AudioTurn,
    Brain,
    CallFunction,
    EchoBrain,
    Emulator,
    Fail,
    Rule,
    RulesBrain,
    Say,
    Turn,
)

WEATHER = {"type": "function", "name": "get_weather"}

RULES_YAML = """
transcripts:
  - "What's the weather in Paris?"
rules:
  - when: {text: "weather in (?P<city>\\\\w+)"}
    then:
      - call: get_weather
        arguments: {city: "{city}", units: celsius}
  - when: {tool: get_weather, output: "(?P<temp>\\\\d+)"}
    then: "It is {temp} degrees."
  - when: {audio: 2}
    transcript: "Tell me a long story"
    then:
      - say: "Once upon a time"
        audio_ms: 1000
  - when: {text: "crash"}
    then:
      - error: {message: "boom", code: model_error}
  - when: {text: "two things"}
    then: ["First.", {say: "Second."}]
fallback: silent
"""


def turn(kind: str = "text", text: str = "", **fields: object) -> Turn:
    return Turn(kind, text=text, **fields)  # type: ignore[arg-type]


@pytest.fixture
def rules(tmp_path: Path) -> RulesBrain:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML)
    return RulesBrain.from_file(path)


def test_echo_brain() -> None:
    brain = EchoBrain()
    assert brain.respond(turn(text="hi")) == [Say("You said: hi")]
    assert brain.respond(turn("none")) == [Say("Hello! How can I help you?")]
    tool_turn = turn("tool_output", tool_name="get_weather", tool_output="sunny")
    assert brain.respond(tool_turn) == [Say("The get_weather tool returned: sunny")]
    with_tools = {"tools": (WEATHER,)}
    assert brain.respond(turn(text='get weather {"city": "Oslo"}', **with_tools)) == [
        CallFunction("get_weather", {"city": "Oslo"})
    ]
    assert brain.respond(turn(text="use GET_WEATHER", **with_tools)) == [
        CallFunction("get_weather", {})
    ]
    no_tools = turn(text="get_weather", tools=(WEATHER,), tool_choice="none")
    assert brain.respond(no_tools) == [Say("You said: get_weather")]
    audio = AudioTurn(1, 100, b"")
    assert brain.transcribe(audio) == "Hello."
    assert EchoBrain(transcript="Bonjour").transcribe(audio) == "Bonjour"


def test_rules_matching_and_templates(rules: RulesBrain) -> None:
    call = rules.respond(turn(text="what's the weather in Paris?"))
    assert call == [CallFunction("get_weather", {"city": "Paris", "units": "celsius"})]
    output = turn("tool_output", tool_name="get_weather", tool_output="21 C")
    assert rules.respond(output) == [Say("It is 21 degrees.")]
    assert rules.respond(turn("audio", "whatever", audio_index=2)) == [
        Say("Once upon a time", audio_ms=1000)
    ]
    assert rules.respond(turn(text="please crash")) == [Fail("boom", "model_error")]
    assert rules.respond(turn(text="two things")) == [Say("First."), Say("Second.")]
    defaults = RulesBrain.from_dict({"rules": [{"then": [{"error": {"message": "m"}}]}]})
    assert defaults.respond(turn()) == [Fail("m", "server_error", "server_error")]
    null_code = RulesBrain.from_dict({"rules": [{"then": [{"error": {"code": None}}]}]})
    assert null_code.respond(turn()) == [Fail(Fail.message, None)]
    assert rules.respond(turn(text="unmatched")) == []  # fallback: silent
    assert rules.transcribe(AudioTurn(1, 500, b"")) == "What's the weather in Paris?"
    assert rules.transcribe(AudioTurn(2, 500, b"")) == "Tell me a long story"
    assert rules.transcribe(AudioTurn(3, 500, b"")) == "Hello."


def test_json_rules_and_python_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [{"when": {"text": "^ping$"}, "then": "pong"}]}))
    brain = RulesBrain.from_file(path)
    assert brain.respond(turn(text="PING")) == [Say("pong")]
    assert brain.respond(turn(text="other")) == [Say("You said: other")]  # echo fallback
    python = RulesBrain([Rule(then=[Say("{1}!")], text=r"(\w+) please")])
    assert python.respond(turn(text="coffee please")) == [Say("coffee!")]
    anything = RulesBrain([Rule(then=[Say("always")])])
    assert anything.respond(turn("none")) == [Say("always")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a mapping"),
        ({"rule": []}, "unknown top-level keys"),
        ({"rules": [{"when": {"txt": "x"}, "then": "y"}]}, "rule 1: 'when' may only have"),
        ({"rules": [{"when": {"text": "("}, "then": "y"}]}, "rule 1: invalid regular expression"),
        ({"rules": [{"then": [{"shout": "x"}]}]}, "needs one of 'say', 'call' or 'error'"),
        ({"rules": [{"then": [{"say": "x", "audio_ms": -1}]}]}, "'audio_ms' must be a positive"),
        ({"rules": [{"when": {"audio": "first"}, "then": "x"}]}, "'audio' must be a turn number"),
        ({"rules": [{"then": [{"call": "f", "arguments": 3}]}]}, "'arguments' must be"),
        ({"rules": "x"}, "expected a list"),
    ],
)
def test_rules_file_mistakes_are_explained(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RulesBrain.from_dict(data)  # type: ignore[arg-type]


async def test_rules_drive_an_audio_conversation(make_emulator, rules: RulesBrain) -> None:
    emu: Emulator = await make_emulator(brain=rules)
    session = {
        "type": "realtime",
        "tools": [WEATHER],
        "audio": {"input": {"transcription": {"model": "whisper-1"}}},
    }
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(session=session)
        await recv_until(conn, "session.updated")
        await conn.input_audio_buffer.append(audio=b64(speech(300) + silence(300)))
        events = await recv_until(conn, "response.done")
        transcribed = next(e for e in events if e.type.endswith("transcription.completed"))
        assert transcribed.transcript == "What's the weather in Paris?"
        assert transcribed.usage.type == "duration"
        call = events[-1].response.output[0]
        assert (call.type, json.loads(call.arguments)["city"]) == ("function_call", "Paris")
        await conn.conversation.item.create(
            item={"type": "function_call_output", "call_id": call.call_id, "output": "18"}
        )
        await conn.response.create()
        events = await recv_until(conn, "response.done")
        assert events[-1].response.output[0].content[0].transcript == "It is 18 degrees."
        await conn.input_audio_buffer.append(audio=b64(speech(300) + silence(300)))
        events = await recv_until(conn, "response.done")
    audio = [e for e in events if e.type == "response.output_audio.delta"]
    assert sum(len(e.delta) * 3 // 4 for e in audio) == 1000 * 48


async def test_fail_action_fails_the_response(make_emulator, rules: RulesBrain) -> None:
    emu = await make_emulator(brain=rules)
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item=user_text("crash now"))
        await conn.response.create()
        events = await recv_until(conn, "rate_limits.updated")
    error = next(e for e in events if e.type == "error")
    assert (error.error.type, error.error.code, error.error.message) == (
        "server_error",
        "model_error",
        "boom",
    )
    done = next(e for e in events if e.type == "response.done")
    assert done.response.status == "failed"
    assert done.response.status_details.error.code == "model_error"


class CountingBrain(Brain):
    """An async custom brain that sees the conversation."""

    async def respond(self, turn: Turn) -> list[Say]:
        users = [i for i in turn.items if i.get("role") == "user"]
        return [Say(f"{len(users)} user messages; instructions: {turn.instructions}")]


async def test_custom_async_brain(make_emulator) -> None:
    emu = await make_emulator(brain=CountingBrain())
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        for text in ("one", "two"):
            await conn.conversation.item.create(item=user_text(text))
        await conn.response.create(
            response={"output_modalities": ["text"], "instructions": "Count."}
        )
        events = await recv_until(conn, "response.done")
    text = events[-1].response.output[0].content[0].text
    assert text == "2 user messages; instructions: Count."


class BrokenBrain(Brain):
    def respond(self, turn: Turn) -> list[Say]:
        raise KeyError("bug")


async def test_a_brain_bug_fails_the_response_and_is_reported() -> None:
    async with Emulator(brain=BrokenBrain(), audio_speed=0, speech="synthetic") as emu:
        async with (
            openai_client(emu) as client,
            client.realtime.connect(model="gpt-realtime") as conn,
        ):
            await conn.recv()
            await conn.response.create()
            events = await recv_until(conn, "response.done")
        assert events[-1].response.status == "failed"
        assert len(emu.crashes) == 1
        assert isinstance(emu.crashes[0], KeyError)


PIRATE = RulesBrain.from_dict(
    {
        "rules": [
            {"when": {"instructions": "pirate", "voice": "^cedar$"}, "then": "Arr, {text}"},
            {"when": {"instructions": "pirate"}, "then": "Arr in {voice}"},
            {"when": {"voice": "voice_custom"}, "then": "A voice of my own: {instructions}"},
        ],
        "fallback": "silent",
    }
)


def test_rules_see_the_instructions_and_the_voice() -> None:
    assert PIRATE.respond(turn(text="hi", instructions="Talk like a PIRATE.", voice="cedar")) == [
        Say("Arr, hi")
    ]
    assert PIRATE.respond(turn(text="hi", instructions="a pirate", voice="marin")) == [
        Say("Arr in marin")
    ]
    assert PIRATE.respond(turn(instructions="Be brief.", voice="voice_custom_1")) == [
        Say("A voice of my own: Be brief.")
    ]
    assert PIRATE.respond(turn(text="hi", instructions="Be brief.", voice="cedar")) == []


async def test_the_session_and_response_create_give_the_turn_its_instructions_and_voice(
    make_emulator,
) -> None:
    emu = await make_emulator(brain=PIRATE)
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(
            session={
                "type": "realtime",
                "instructions": "Talk like a pirate.",
                "audio": {"output": {"voice": "cedar"}},
            }
        )
        await conn.conversation.item.create(item=user_text("ahoy"))
        await conn.response.create(response={"output_modalities": ["text"]})
        first = await recv_until(conn, "response.done")
        # response.create overrides both, for that response only; a custom voice by its id.
        await conn.response.create(
            response={
                "output_modalities": ["text"],
                "instructions": "Be brief.",
                "audio": {"output": {"voice": {"id": "voice_custom_1"}}},
            }
        )
        second = await recv_until(conn, "response.done")
    assert first[-1].response.output[0].content[0].text == "Arr, ahoy"
    assert second[-1].response.output[0].content[0].text == "A voice of my own: Be brief."
    assert second[-1].response.audio.output.voice == "voice_custom_1"  # a string, as typed
