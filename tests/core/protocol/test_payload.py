import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_agents.errors import UserError
from realtime_agents.protocol import OpenAIRealtimeProtocol, build_session_payload

DEFAULT_AUDIO: dict[str, Any] = {
    "input": {
        "format": {"type": "audio/pcm", "rate": 24000},
        "noise_reduction": None,
        "transcription": {"model": "gpt-4o-mini-transcribe"},
        "turn_detection": {"type": "semantic_vad"},
    },
    "output": {"format": {"type": "audio/pcm", "rate": 24000}, "speed": 1},
}


def build(config: Any, model: str = "gpt-realtime") -> dict[str, Any]:
    return build_session_payload(config, model=model)


def test_defaults() -> None:
    assert build(None, "gpt-realtime-2") == {
        "type": "realtime",
        "model": "gpt-realtime-2",
        "output_modalities": ["audio"],
        "audio": DEFAULT_AUDIO,
    }
    assert build({}) == build(None)


def test_config_model_wins_over_transport_model() -> None:
    assert build({"model": "gpt-realtime-mini"}, "other")["model"] == "gpt-realtime-mini"


def test_defaults_merge_per_field() -> None:
    payload = build({"audio": {"input": {"format": {"type": "audio/pcmu"}}}})
    assert payload["audio"]["input"] == {**DEFAULT_AUDIO["input"], "format": {"type": "audio/pcmu"}}
    assert payload["audio"]["output"] == DEFAULT_AUDIO["output"]


def test_top_level_fields() -> None:
    payload = build(
        {
            "instructions": "",
            "tool_choice": "required",
            "parallel_tool_calls": False,
            "reasoning": {"effort": "low"},
            "max_output_tokens": 0,
            "output_modalities": ["text"],
        }
    )
    assert payload["instructions"] == ""
    assert payload["tool_choice"] == "required"
    assert payload["parallel_tool_calls"] is False
    assert payload["reasoning"] == {"effort": "low"}
    assert payload["max_output_tokens"] == 0
    assert payload["output_modalities"] == ["text"]


def test_ga_transcription_options_forwarded_verbatim() -> None:
    transcription = {
        "model": "gpt-4o-transcribe",
        "language": "fr",
        "languages": ["fr", "en"],
        "prompt": "names",
        "keywords": ["Anthropic"],
        "delay": "low",
    }
    payload = build({"audio": {"input": {"transcription": transcription}}})
    assert payload["audio"]["input"]["transcription"] == transcription


def test_explicit_nulls_preserved() -> None:
    config = {
        "audio": {"input": {"noise_reduction": None, "transcription": None, "turn_detection": None}}
    }
    assert build(config)["audio"]["input"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "noise_reduction": None,
        "transcription": None,
        "turn_detection": None,
    }


def test_noise_reduction_forwarded() -> None:
    payload = build({"audio": {"input": {"noise_reduction": {"type": "far_field"}}}})
    assert payload["audio"]["input"]["noise_reduction"] == {"type": "far_field"}


@pytest.mark.parametrize("audio", [{"input": None, "output": None}, None, {}])
def test_audio_sections_none_are_unset(audio: Any) -> None:
    assert build({"audio": audio})["audio"] == DEFAULT_AUDIO


def test_turn_detection_snake_cases_and_keeps_falsy_values() -> None:
    config = {
        "audio": {
            "input": {
                "turn_detection": {
                    "type": "server_vad",
                    "createResponse": False,
                    "interruptResponse": False,
                    "prefixPaddingMs": 0,
                    "silenceDurationMs": 0,
                    "threshold": 0,
                    "idleTimeoutMs": None,
                    "modelVersion": "v2",
                    "future_knob": 7,
                }
            }
        }
    }
    assert build(config)["audio"]["input"]["turn_detection"] == {
        "type": "server_vad",
        "create_response": False,
        "interrupt_response": False,
        "prefix_padding_ms": 0,
        "silence_duration_ms": 0,
        "threshold": 0,
        "idle_timeout_ms": None,
        "model_version": "v2",
        "future_knob": 7,
    }


@pytest.mark.parametrize(
    "detection",
    [
        {"create_response": True, "createResponse": False},
        {"createResponse": False, "create_response": True},
    ],
)
def test_turn_detection_camel_case_wins(detection: dict[str, Any]) -> None:
    payload = build({"audio": {"input": {"turn_detection": detection}}})
    assert payload["audio"]["input"]["turn_detection"] == {"create_response": False}


def test_empty_turn_detection_means_default() -> None:
    payload = build({"audio": {"input": {"turn_detection": {}}}})
    assert payload["audio"]["input"]["turn_detection"] == {"type": "semantic_vad"}


def test_legacy_flat_config_is_mapped() -> None:
    payload = build(
        {
            "modalities": ["text"],
            "input_audio_format": "g711_ulaw",
            "output_audio_format": "g711_alaw",
            "input_audio_transcription": {"model": "whisper-1"},
            "turn_detection": {"type": "server_vad", "silenceDurationMs": 300},
            "input_audio_noise_reduction": {"type": "near_field"},
            "voice": "marin",
            "speed": 1.2,
            "audio": {"output": {"voice": "ignored"}},
        }
    )
    assert payload["output_modalities"] == ["text"]
    assert payload["audio"] == {
        "input": {
            "format": {"type": "audio/pcmu"},
            "noise_reduction": {"type": "near_field"},
            "transcription": {"model": "whisper-1"},
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 300},
        },
        "output": {"format": {"type": "audio/pcma"}, "voice": "marin", "speed": 1.2},
    }
    for legacy in ("modalities", "input_audio_format", "turn_detection", "voice", "speed"):
        assert legacy not in payload


def test_legacy_explicit_null_turn_detection_preserved() -> None:
    payload = build({"turn_detection": None})
    assert payload["audio"]["input"]["turn_detection"] is None
    assert payload["audio"]["input"]["transcription"] == {"model": "gpt-4o-mini-transcribe"}


def test_legacy_format_strings_inside_ga_shape() -> None:
    payload = build({"audio": {"input": {"format": "pcm16"}, "output": {"format": "g711_ulaw"}}})
    assert payload["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert payload["audio"]["output"]["format"] == {"type": "audio/pcmu"}


def test_non_finite_rate_becomes_24000_and_g711_preserved() -> None:
    payload = build(
        {
            "audio": {
                "input": {"format": {"type": "audio/pcm", "rate": float("nan")}},
                "output": {"format": {"type": "audio/pcma"}},
            }
        }
    )
    assert payload["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert payload["audio"]["output"]["format"] == {"type": "audio/pcma"}
    json.dumps(payload, allow_nan=False)


@pytest.mark.parametrize(
    ("config", "voice"),
    [
        ({"voice": "cedar"}, "cedar"),
        ({"audio": {"output": {"voice": "marin"}}}, "marin"),
        ({"voice": "cedar", "audio": {"output": {"voice": "marin"}}}, "marin"),
        ({"voice": "cedar", "audio": {"output": {"voice": None}}}, "cedar"),
    ],
)
def test_voice_goes_to_audio_output_only(config: dict[str, Any], voice: str) -> None:
    payload = build(config)
    assert payload["audio"]["output"]["voice"] == voice
    assert "voice" not in payload


def test_function_tools_whitelisted() -> None:
    tool = {
        "type": "function",
        "name": "get_weather",
        "description": "Weather",
        "parameters": {"type": "object", "properties": {}},
        "strict": True,
        "needs_approval": True,
    }
    assert build({"tools": [tool]})["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {}},
        }
    ]


def test_mcp_tools_whitelisted_and_require_approval_normalised() -> None:
    tool = {
        "type": "mcp",
        "server_label": "deepwiki",
        "server_url": "https://mcp.deepwiki.com/mcp",
        "server_description": "wiki",
        "connector_id": "connector_x",
        "authorization": "token",
        "headers": {"X-Key": "v"},
        "allowed_tools": ["ask"],
        "require_approval": {"always": {"toolNames": ["ask"]}, "never": {"tool_names": ["read"]}},
        "on_approval": "callable-not-sent",
    }
    (wire,) = build({"tools": [tool]})["tools"]
    assert wire == {
        "type": "mcp",
        "server_label": "deepwiki",
        "server_url": "https://mcp.deepwiki.com/mcp",
        "server_description": "wiki",
        "connector_id": "connector_x",
        "authorization": "token",
        "headers": {"X-Key": "v"},
        "allowed_tools": ["ask"],
        "require_approval": {"always": {"tool_names": ["ask"]}, "never": {"tool_names": ["read"]}},
    }


@pytest.mark.parametrize("approval", ["never", "always"])
def test_mcp_require_approval_strings(approval: str) -> None:
    (wire,) = build(
        {"tools": [{"type": "mcp", "server_label": "s", "require_approval": approval}]}
    )["tools"]
    assert wire == {"type": "mcp", "server_label": "s", "require_approval": approval}


def test_mcp_require_approval_omitted_when_absent() -> None:
    (wire,) = build({"tools": [{"type": "mcp", "server_label": "s"}]})["tools"]
    assert "require_approval" not in wire


@pytest.mark.parametrize(
    "approval",
    [
        "sometimes",
        {},
        {"maybe": {"tool_names": ["a"]}},
        {"always": {"tool_names": "a"}},
        {"always": {"tool_names": [""]}},
        {"always": {"tool_names": ["a"], "toolNames": ["a"]}},
        {"always": {"tool_names": ["a"]}, "never": {"tool_names": ["a"]}},
        3,
    ],
)
def test_invalid_require_approval_raises(approval: Any) -> None:
    with pytest.raises(UserError, match="require_approval"):
        build({"tools": [{"type": "mcp", "server_label": "s", "require_approval": approval}]})


def test_non_mapping_tool_raises() -> None:
    with pytest.raises(UserError):
        build({"tools": ["get_weather"]})


def test_tools_absent_vs_explicitly_empty() -> None:
    assert "tools" not in build({"instructions": "x"})
    # An agent without tools must clear the previous agent's tools on the server.
    assert build({"tools": []})["tools"] == []


def test_other_tool_types_pass_through() -> None:
    tool = {"type": "file_search", "vector_store_ids": ["vs_1"]}
    assert build({"tools": [tool]})["tools"] == [tool]


def test_provider_data_spread_at_top_level_without_tracing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="realtime_agents.protocol"):
        payload = build({"provider_data": {"truncation": "disabled", "tracing": "auto"}})
    assert payload["truncation"] == "disabled"
    assert "tracing" not in payload
    assert "tracing" in caplog.text


def test_prompt_mapping() -> None:
    payload = build({"prompt": {"id": "pmpt_1", "version": "2", "variables": {"name": "Ada"}}})
    assert payload["prompt"] == {"id": "pmpt_1", "version": "2", "variables": {"name": "Ada"}}
    assert build({"prompt": {"id": "pmpt_1"}})["prompt"] == {"id": "pmpt_1"}
    assert "prompt" not in build({"prompt": {}})


def test_tracing_never_in_payload() -> None:
    assert "tracing" not in build({"tracing": {"workflow_name": "w"}})
    assert "tracing" not in build({"tracing": None})


def test_payload_does_not_alias_the_config() -> None:
    transcription = {"model": "whisper-1"}
    config = {"audio": {"input": {"transcription": transcription}}}
    build(config)["audio"]["input"]["transcription"]["model"] = "changed"
    assert transcription == {"model": "whisper-1"}


text = st.text(alphabet="abcxyz_", max_size=8)
json_scalars = st.none() | st.booleans() | st.integers() | text
formats = st.sampled_from(
    ["pcm16", "g711_ulaw", "g711_alaw", "bogus", {"type": "audio/pcmu"}, {"type": "audio/pcm"}]
) | st.fixed_dictionaries({"type": st.just("audio/pcm"), "rate": st.floats() | st.integers()})
sections = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "format": formats,
        "voice": st.none() | text,
        "speed": st.none() | st.floats(0.5, 1.5),
        "turn_detection": st.none() | st.dictionaries(text, json_scalars),
        "transcription": st.none() | st.fixed_dictionaries({"model": text}),
    },
)
configs = st.fixed_dictionaries(
    {},
    optional={
        "voice": st.none() | text,
        "audio": st.none()
        | st.fixed_dictionaries({}, optional={"input": sections, "output": sections}),
        "tracing": st.none() | st.just("auto"),
        "instructions": st.none() | text,
        "speed": st.floats(0.5, 1.5),
        "input_audio_format": formats,
    },
)


@given(configs)
def test_payload_invariants(config: dict[str, Any]) -> None:
    payload = build(config)
    assert payload["type"] == "realtime"
    assert "voice" not in payload
    assert "tracing" not in payload
    for direction in ("input", "output"):
        fmt = payload["audio"][direction]["format"]
        assert fmt in ({"type": "audio/pcmu"}, {"type": "audio/pcma"}) or (
            fmt["type"] == "audio/pcm" and fmt["rate"] > 0
        )
    json.dumps(payload, allow_nan=False)


def test_without_audio_formats_for_calls_that_negotiate_the_codec() -> None:
    config = {
        "audio": {
            "input": {"format": {"type": "audio/pcmu"}, "turn_detection": None},
            "output": {"format": {"type": "audio/pcma"}, "voice": "marin"},
        }
    }
    payload = build_session_payload(config, model="gpt-realtime", audio_formats=False)
    assert "format" not in payload["audio"]["input"]
    assert "format" not in payload["audio"]["output"]
    assert payload["audio"]["output"]["voice"] == "marin"
    assert payload["audio"]["input"]["turn_detection"] is None
    with_formats = build_session_payload(config, model="gpt-realtime")
    assert with_formats["audio"]["input"]["format"] == {"type": "audio/pcmu"}


def test_a_protocol_without_audio_formats_never_sends_them() -> None:
    proto = OpenAIRealtimeProtocol(audio_formats=False)
    proto.session_update({"audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}}}})
    (frame,) = proto.data_to_send()
    audio = json.loads(frame)["session"]["audio"]
    assert "format" not in audio["input"]
    assert "format" not in audio["output"]
