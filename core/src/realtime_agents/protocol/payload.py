"""The session payload builder: a user's session config → the wire's ``session`` object.

:func:`build_session_payload` is pure and public: the WebSocket/WebRTC transports send its
result in ``session.update``, and SIP users pass it to ``calls.accept``. Rules (the JS SDK's,
with its empty-tools bug fixed):

* defaults apply per field, only when the user's value is absent; an explicit ``None`` for
  ``transcription``, ``turn_detection`` or ``noise_reduction`` is sent as ``null``;
* the deprecated flat shape (any key of :data:`~realtime_agents.config.LEGACY_KEYS`) is mapped
  to the GA one, and ``audio`` is then ignored;
* ``voice`` always lands in ``audio.output.voice``: the GA server rejects ``session.voice``;
* ``tools`` is omitted when absent, but an explicit ``[]`` is sent, so that handing off to an
  agent without tools clears the previous agent's tools on the server;
* ``tracing`` is never part of the payload: it can only be set once per session, so the
  protocol sends it separately after ``session.created``;
* ``audio_formats=False`` leaves out ``audio.input.format`` and ``audio.output.format``: on a
  SIP call the codec is negotiated in SIP, and a format sent here would override it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from ..config import LEGACY_KEYS, RealtimeSessionConfig
from ..errors import UserError
from .formats import normalize_audio_format

__all__ = [
    "DEFAULT_TRANSCRIPTION_MODEL",
    "DEFAULT_TURN_DETECTION_TYPE",
    "build_session_payload",
    "tool_to_wire",
    "turn_detection_to_wire",
]

logger = logging.getLogger("realtime_agents.protocol")

DEFAULT_TRANSCRIPTION_MODEL: Final = "gpt-4o-mini-transcribe"
DEFAULT_TURN_DETECTION_TYPE: Final = "semantic_vad"
DEFAULT_OUTPUT_MODALITIES: Final = ("audio",)
DEFAULT_SPEED: Final = 1

#: camelCase turn-detection keys the JS SDK accepts, and their wire names.
_TURN_DETECTION_CAMEL: Final = {
    "createResponse": "create_response",
    "interruptResponse": "interrupt_response",
    "prefixPaddingMs": "prefix_padding_ms",
    "silenceDurationMs": "silence_duration_ms",
    "idleTimeoutMs": "idle_timeout_ms",
    "modelVersion": "model_version",
}
_FUNCTION_TOOL_KEYS: Final = ("type", "name", "description", "parameters")
_MCP_TOOL_KEYS: Final = (
    "type",
    "server_label",
    "server_url",
    "server_description",
    "connector_id",
    "authorization",
    "headers",
    "allowed_tools",
)
_NULLABLE_INPUT_FIELDS: Final = ("noise_reduction", "transcription", "turn_detection")
#: Deprecated flat keys → their place in audio.input / audio.output.
_LEGACY_INPUT: Final = {
    "format": "input_audio_format",
    "transcription": "input_audio_transcription",
    "turn_detection": "turn_detection",
    "noise_reduction": "input_audio_noise_reduction",
}
_LEGACY_OUTPUT: Final = {"format": "output_audio_format", "voice": "voice", "speed": "speed"}


def build_session_payload(
    config: RealtimeSessionConfig | Mapping[str, Any] | None,
    *,
    model: str,
    audio_formats: bool = True,
) -> dict[str, Any]:
    """Return the GA ``session`` object for ``config`` (``model`` when the config has none).

    ``audio_formats=False``: no audio formats in the payload (see the module docstring).

    Raises :class:`~realtime_agents.errors.UserError` for a tool definition the server
    could never accept (not a mapping, or an invalid MCP ``require_approval``).
    """
    cfg: Mapping[str, Any] = config or {}
    audio_input, audio_output, modalities = _audio_sections(cfg)
    payload: dict[str, Any] = {"type": "realtime"}
    _put(payload, "instructions", cfg.get("instructions"))
    payload["model"] = cfg.get("model") or model
    payload["output_modalities"] = list(modalities or DEFAULT_OUTPUT_MODALITIES)
    payload["audio"] = {
        "input": _input_payload(audio_input),
        "output": _output_payload(audio_output),
    }
    if not audio_formats:
        for section in payload["audio"].values():
            del section["format"]
    for key in ("tool_choice", "parallel_tool_calls", "reasoning", "max_output_tokens"):
        _put(payload, key, cfg.get(key))
    payload.update(_provider_data(cfg.get("provider_data")))
    _put(payload, "prompt", _prompt(cfg.get("prompt")))
    tools = cfg.get("tools")
    if tools is not None:
        payload["tools"] = [tool_to_wire(tool) for tool in tools]
    return payload


def _put(payload: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        payload[key] = value


def _audio_sections(
    cfg: Mapping[str, Any],
) -> tuple[Mapping[str, Any], Mapping[str, Any], Any]:
    """Return (audio.input, audio.output, output_modalities) of a GA or deprecated config."""
    if not LEGACY_KEYS.isdisjoint(cfg):
        audio_input = {ga: cfg[key] for ga, key in _LEGACY_INPUT.items() if key in cfg}
        audio_output = {ga: cfg[key] for ga, key in _LEGACY_OUTPUT.items() if key in cfg}
        return audio_input, audio_output, cfg.get("modalities")
    audio = cfg.get("audio") or {}
    audio_input = audio.get("input") or {}
    audio_output = dict(audio.get("output") or {})
    if audio_output.get("voice") is None:
        # Top-level ``voice`` is accepted for back-compat; the wire only has audio.output.voice.
        audio_output["voice"] = cfg.get("voice")
    return audio_input, audio_output, cfg.get("output_modalities")


def _input_payload(section: Mapping[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "noise_reduction": None,
        "transcription": {"model": DEFAULT_TRANSCRIPTION_MODEL},
        "turn_detection": {"type": DEFAULT_TURN_DETECTION_TYPE},
    }
    out: dict[str, Any] = {"format": normalize_audio_format(section.get("format")).to_wire()}
    for key in _NULLABLE_INPUT_FIELDS:
        if key not in section:
            out[key] = defaults[key]
        elif key == "turn_detection":
            detection = turn_detection_to_wire(section[key])
            out[key] = defaults[key] if detection == {} else detection
        else:
            out[key] = _copy(section[key])
    return out


def _output_payload(section: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"format": normalize_audio_format(section.get("format")).to_wire()}
    _put(out, "voice", section.get("voice"))
    speed = section.get("speed")
    out["speed"] = DEFAULT_SPEED if speed is None else speed
    return out


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def turn_detection_to_wire(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """snake_case a turn-detection config; camelCase wins over snake_case, falsy values kept.

    Unknown keys pass through unchanged (the server decides). ``None`` stays ``None``.
    """
    if value is None:
        return None
    out: dict[str, Any] = {}
    for key, item in value.items():
        wire_key = _TURN_DETECTION_CAMEL.get(key)
        if wire_key is not None:
            out[wire_key] = item
        elif key not in out:
            out[key] = item
    return out


def tool_to_wire(tool: Mapping[str, Any]) -> dict[str, Any]:
    """Whitelist a tool definition to what ``session.update`` accepts.

    Function tools keep type/name/description/parameters (``strict`` is not a session field);
    MCP tools keep their documented fields with ``require_approval`` normalised; other tool
    types pass through as given.
    """
    if not isinstance(tool, Mapping):
        raise UserError(f"a tool definition must be a mapping, got {type(tool).__name__}")
    kind = tool.get("type")
    if kind == "function":
        return _pick(tool, _FUNCTION_TOOL_KEYS)
    if kind == "mcp":
        out = _pick(tool, _MCP_TOOL_KEYS)
        approval = tool.get("require_approval")
        if approval is not None:
            out["require_approval"] = _require_approval(approval)
        return out
    return dict(tool)


def _pick(tool: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: tool[key] for key in keys if tool.get(key) is not None}


def _require_approval(value: object) -> str | dict[str, Any]:
    """Validate an MCP approval policy: ``always``, ``never`` or ``{always?, never?}`` filters."""
    if value in ("always", "never"):
        return str(value)
    if not isinstance(value, Mapping) or not value:
        raise UserError(
            "Invalid hosted MCP require_approval: expected 'always', 'never' or "
            f"an object with always/never tool filters, got {value!r}"
        )
    unknown = sorted(set(value) - {"always", "never"})
    if unknown:
        raise UserError(f"Invalid hosted MCP require_approval: unsupported key {unknown[0]!r}")
    out = {key: _tool_names(value[key], key) for key in ("always", "never") if key in value}
    names = [set(f["tool_names"]) for f in out.values()]
    overlap = sorted(names[0] & names[1]) if len(names) == 2 else []
    if overlap:
        raise UserError(
            f"Invalid hosted MCP require_approval: tool {overlap[0]!r} is in both always and never"
        )
    return out


def _tool_names(value: object, path: str) -> dict[str, list[str]]:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise UserError(
            f"Invalid hosted MCP require_approval: {path} must be {{'tool_names': [...]}}"
        )
    names = value.get("tool_names", value.get("toolNames"))
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) and n for n in names):
        raise UserError(
            f"Invalid hosted MCP require_approval: {path}.tool_names must be non-empty strings"
        )
    return {"tool_names": list(names)}


def _prompt(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    return {key: value[key] for key in ("id", "version", "variables") if value.get(key) is not None}


def _provider_data(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if not value:
        return {}
    data = dict(value)
    if "tracing" in data:
        del data["tracing"]
        logger.warning("provider_data.tracing ignored: tracing is sent once, after session.created")
    return data
