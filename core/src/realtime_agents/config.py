"""The session config users write, typed.

Configs are plain dicts (as in the docs' examples), described here by ``TypedDict``s so editors
and mypy check them. Two shapes are accepted:

* the GA shape: ``output_modalities`` plus nested ``audio.input`` / ``audio.output``;
* the deprecated flat shape (``modalities``, ``input_audio_format``, ``turn_detection``, ...),
  recognised when any of :data:`LEGACY_KEYS` is present; ``audio`` is then ignored.

Turn detection keys may be snake_case or camelCase (``interrupt_response`` or
``interruptResponse``). Audio formats are GA dicts (``{"type": "audio/pcm", "rate": 24000}``)
or the legacy strings ``pcm16``, ``g711_ulaw``, ``g711_alaw``. The protocol's payload builder
(:mod:`realtime_agents.protocol.payload`) turns either shape into the wire's ``session``.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias, TypedDict

__all__ = [
    "DEFAULT_MODEL",
    "LEGACY_KEYS",
    "AudioConfig",
    "AudioFormat",
    "AudioInputConfig",
    "AudioOutputConfig",
    "FunctionToolDefinition",
    "McpToolDefinition",
    "NoiseReductionConfig",
    "PromptConfig",
    "RealtimeSessionConfig",
    "ReasoningConfig",
    "ToolDefinition",
    "TracingConfig",
    "TranscriptionConfig",
    "TurnDetectionConfig",
]

DEFAULT_MODEL: Final = "gpt-realtime"

#: Keys of the deprecated flat config; any of them switches the builder to the legacy mapping.
LEGACY_KEYS: Final = frozenset(
    {
        "modalities",
        "input_audio_format",
        "output_audio_format",
        "input_audio_transcription",
        "turn_detection",
        "input_audio_noise_reduction",
        "speed",
    }
)


class PcmFormat(TypedDict, total=False):
    type: Literal["audio/pcm"]
    rate: int


class G711Format(TypedDict):
    type: Literal["audio/pcmu", "audio/pcma"]


AudioFormat: TypeAlias = PcmFormat | G711Format | Literal["pcm16", "g711_ulaw", "g711_alaw"]


class TranscriptionConfig(TypedDict, total=False):
    model: str
    language: str
    languages: list[str]
    prompt: str
    keywords: list[str]
    delay: str


class NoiseReductionConfig(TypedDict):
    type: Literal["near_field", "far_field"]


class TurnDetectionConfig(TypedDict, total=False):
    """Turn detection. Unknown keys are passed through to the server unchanged."""

    type: Literal["semantic_vad", "server_vad"]
    create_response: bool
    interrupt_response: bool
    eagerness: Literal["low", "medium", "high", "auto"]
    threshold: float
    prefix_padding_ms: int
    silence_duration_ms: int
    idle_timeout_ms: int | None


class AudioInputConfig(TypedDict, total=False):
    format: AudioFormat
    transcription: TranscriptionConfig | None
    turn_detection: TurnDetectionConfig | None
    noise_reduction: NoiseReductionConfig | None


class AudioOutputConfig(TypedDict, total=False):
    format: AudioFormat
    voice: str
    speed: float


class AudioConfig(TypedDict, total=False):
    input: AudioInputConfig | None
    output: AudioOutputConfig | None


class FunctionToolDefinition(TypedDict, total=False):
    type: Literal["function"]
    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool


class McpToolDefinition(TypedDict, total=False):
    type: Literal["mcp"]
    server_label: str
    server_url: str
    server_description: str
    connector_id: str
    authorization: str
    headers: dict[str, str]
    allowed_tools: list[str] | dict[str, list[str]]
    require_approval: Literal["never", "always"] | dict[str, Any]


ToolDefinition: TypeAlias = FunctionToolDefinition | McpToolDefinition


class PromptConfig(TypedDict, total=False):
    id: str
    version: str
    variables: dict[str, Any]


class ReasoningConfig(TypedDict):
    effort: Literal["minimal", "low", "medium", "high", "xhigh"]


class TracingConfig(TypedDict, total=False):
    workflow_name: str
    group_id: str
    metadata: dict[str, Any]


class RealtimeSessionConfig(TypedDict, total=False):
    """A (partial) session config. ``provider_data`` is spread into the wire payload as-is."""

    model: str
    instructions: str
    tool_choice: str | dict[str, Any]
    tools: list[ToolDefinition]
    parallel_tool_calls: bool
    reasoning: ReasoningConfig
    tracing: TracingConfig | Literal["auto"] | None
    prompt: PromptConfig
    output_modalities: list[Literal["text", "audio"]]
    audio: AudioConfig
    voice: str
    max_output_tokens: int | Literal["inf"]
    provider_data: dict[str, Any]
    # Deprecated flat shape:
    modalities: list[Literal["text", "audio"]]
    input_audio_format: AudioFormat
    output_audio_format: AudioFormat
    input_audio_transcription: TranscriptionConfig | None
    turn_detection: TurnDetectionConfig | None
    input_audio_noise_reduction: NoiseReductionConfig | None
    speed: float
