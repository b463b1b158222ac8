"""Token usage estimates for ``response.done`` and ``rate_limits.updated``.

The emulator has no tokenizer: text counts 4 characters per token, input audio 10 tokens per
second and output audio 20 per second — close enough for clients that display or sum usage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .audio import AudioFormat
from .items import Conversation

__all__ = ["Usage", "audio_tokens", "input_usage", "text_tokens"]

INPUT_AUDIO_TOKENS_PER_S = 10
OUTPUT_AUDIO_TOKENS_PER_S = 20


def text_tokens(text: str) -> int:
    """Estimated tokens of ``text``."""
    return math.ceil(len(text) / 4)


def audio_tokens(duration_ms: float, per_second: int) -> int:
    """Estimated tokens of ``duration_ms`` of audio at ``per_second`` tokens per second."""
    return math.ceil(duration_ms * per_second / 1000)


@dataclass
class Usage:
    """Token counts of one response, by direction and modality."""

    input_text: int = 0
    input_audio: int = 0
    output_text: int = 0
    output_audio: int = 0

    @property
    def total(self) -> int:
        return self.input_text + self.input_audio + self.output_text + self.output_audio

    def as_dict(self) -> dict[str, object]:
        """The ``usage`` object of ``response.done``."""
        inputs, outputs = self.input_text + self.input_audio, self.output_text + self.output_audio
        return {
            "total_tokens": inputs + outputs,
            "input_tokens": inputs,
            "output_tokens": outputs,
            "input_token_details": {
                "text_tokens": self.input_text,
                "audio_tokens": self.input_audio,
                "image_tokens": 0,
                "cached_tokens": 0,
                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
            },
            "output_token_details": {
                "text_tokens": self.output_text,
                "audio_tokens": self.output_audio,
            },
        }


def input_usage(
    context: Iterable[Mapping[str, Any]], conversation: Conversation, instructions: str
) -> Usage:
    """Input tokens of a response over ``context`` (audio is measured where it is stored)."""
    usage = Usage(input_text=text_tokens(instructions))
    for item in context:
        stored = conversation.get(str(item["id"])) if item.get("id") in conversation else None
        for index, part in enumerate(item.get("content") or []):
            usage.input_text += text_tokens(str(part.get("text") or part.get("transcript") or ""))
            if stored is not None and index in stored.audio:
                ms = AudioFormat(stored.audio_format).duration_ms(len(stored.audio[index]))
                usage.input_audio += audio_tokens(ms, INPUT_AUDIO_TOKENS_PER_S)
        usage.input_text += text_tokens(str(item.get("arguments") or item.get("output") or ""))
    return usage
